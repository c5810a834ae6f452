use llm_train::classify::finetune_classify;
use llm_train::dpo::finetune_dpo;
use llm_train::instruct::finetune_instruct;

use super::train::{resolve_run, round};
use crate::cli::{FinetuneArgs, FinetuneClassifyArgs, FinetuneCommand, FinetuneDpoArgs, FinetuneInstructArgs, GlobalArgs};

/// The offline spam recipe, also built in so `llm finetune classify` works anywhere.
const SPAM_OFFLINE: &str = include_str!("../../../../experiments/spam-offline.toml");
/// The offline instruction recipe.
const ALPACA_OFFLINE: &str = include_str!("../../../../experiments/alpaca-offline.toml");
/// The offline preference recipe.
const DPO_OFFLINE: &str = include_str!("../../../../experiments/dpo-offline.toml");

pub fn run(args: FinetuneArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    match args.task {
        FinetuneCommand::Classify(args) => classify(args, global),
        FinetuneCommand::Instruct(args) => instruct(args, global),
        FinetuneCommand::Dpo(args) => dpo(args, global),
    }
}

fn dpo(args: FinetuneDpoArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let extra: Vec<String> = args.beta.map(|b| format!("dpo.beta={b}")).into_iter().collect();
    let (config, options) = resolve_run(&args.run, global, &extra, ("dpo-offline", DPO_OFFLINE))?;
    let s = finetune_dpo(&config, &options)?;
    let mut pairs = vec![("steps", s.steps.into()), ("train_loss", round(s.train_loss).into())];
    if let Some(val) = s.val_loss {
        pairs.push(("val_loss", round(val).into()));
    }
    pairs.push(("wall_s", s.wall_s.round().into()));
    pairs.push(("model", s.model_dir.display().to_string().into()));
    super::print_results(global, &pairs);
    Ok(())
}

fn instruct(args: FinetuneInstructArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let mut extra = Vec::new();
    if let Some(t) = &args.template {
        extra.push(format!("instruct.template={}", toml_string(t)));
    }
    if args.mask_prompt {
        extra.push("instruct.mask_prompt=true".to_string());
    }
    let (config, options) = resolve_run(&args.run, global, &extra, ("alpaca-offline", ALPACA_OFFLINE))?;
    let s = finetune_instruct(&config, &options)?;
    let mut pairs = vec![("steps", s.steps.into()), ("train_loss", round(s.train_loss).into())];
    if let Some(val) = s.val_loss {
        pairs.push(("val_loss", round(val).into()));
    }
    pairs.push(("wall_s", s.wall_s.round().into()));
    pairs.push(("model", s.model_dir.display().to_string().into()));
    if let Some(path) = &s.responses {
        pairs.push(("responses", path.display().to_string().into()));
    }
    super::print_results(global, &pairs);
    Ok(())
}

fn classify(args: FinetuneClassifyArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let mut extra = Vec::new();
    if let Some(c) = &args.text_column {
        extra.push(format!("classify.text_column={}", toml_string(c)));
    }
    if let Some(c) = &args.label_column {
        extra.push(format!("classify.label_column={}", toml_string(c)));
    }
    if let Some(merge) = args.merge_lora {
        extra.push(format!("classify.merge_lora={merge}"));
    }
    let (config, options) = resolve_run(&args.run, global, &extra, ("spam-offline", SPAM_OFFLINE))?;
    let s = finetune_classify(&config, &options)?;
    let pairs = [
        ("train_accuracy", round(s.train_accuracy).into()),
        ("val_accuracy", round(s.val_accuracy).into()),
        ("test_accuracy", round(s.test_accuracy).into()),
        ("trainable_params", s.trainable_params.into()),
        ("total_params", s.total_params.into()),
        ("steps", s.steps.into()),
        ("wall_s", s.wall_s.round().into()),
        ("model", s.model_dir.display().to_string().into()),
    ];
    super::print_results(global, &pairs);
    Ok(())
}

/// A column name as a TOML string (column positions are strings too).
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}
