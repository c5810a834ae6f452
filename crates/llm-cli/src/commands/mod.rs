mod bench;
mod chat;
mod chat_format;
mod classify;
mod convert;
mod eval;
mod fill_mask;
mod finetune;
mod generate;
mod model_dir;
mod perplexity;
mod serve;
mod tokenize;
mod train;
mod translate;

use crate::backend::Backend;
use crate::cli::{Cli, Command, GlobalArgs};

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let global = &cli.global;
    match cli.command {
        Command::Tokenize(args) => tokenize::run(args, global),
        Command::Generate(args) => generate::run(args, global),
        Command::Perplexity(args) => perplexity::run(args, global),
        Command::Convert(args) => convert::run(args, global),
        Command::Train(args) => train::run(args, global),
        Command::Finetune(args) => finetune::run(args, global),
        Command::Classify(args) => classify::run(args, global),
        Command::Eval(args) => eval::run(args, global),
        Command::Bench(args) => bench::run(args, global),
        Command::Serve(args) => serve::run(args, global),
        Command::Chat(args) => chat::run(args, global),
        Command::FillMask(args) => fill_mask::run(args, global),
        Command::Translate(args) => translate::run(args, global),
    }
}

/// `--backend`, default the first one compiled in.
pub(crate) fn selected_backend(global: &GlobalArgs) -> Backend {
    global.backend.or_else(Backend::default_compiled).unwrap_or(Backend::Flex)
}

/// The device of `--backend`.
pub(crate) fn selected_device(global: &GlobalArgs) -> anyhow::Result<burn::tensor::Device> {
    let backend = selected_backend(global);
    tracing::info!(%backend, "device");
    Ok(backend.device()?)
}

/// Prints `key=value` lines, or one JSON object with `--json`.
pub(crate) fn print_results(global: &GlobalArgs, pairs: &[(&str, serde_json::Value)]) {
    if global.json {
        let map: serde_json::Map<String, serde_json::Value> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        println!("{}", serde_json::Value::Object(map));
    } else {
        for (k, v) in pairs {
            match v {
                serde_json::Value::String(s) => println!("{k}={s}"),
                other => println!("{k}={other}"),
            }
        }
    }
}

/// `ids` if they fit a model of `positions` positions and `vocab` ids, else an error naming
/// `flag` (the option whose text gave them).
pub(crate) fn fitting_ids(ids: Vec<u32>, flag: &str, positions: usize, vocab: usize) -> anyhow::Result<Vec<u32>> {
    if ids.len() > positions {
        anyhow::bail!("{flag}: {} tokens, more than the model's {positions} positions", ids.len());
    }
    if let Some(id) = ids.iter().find(|&&id| id as usize >= vocab) {
        anyhow::bail!("{flag}: the tokenizer gives id {id}, outside the model's vocabulary of {vocab}");
    }
    Ok(ids)
}
