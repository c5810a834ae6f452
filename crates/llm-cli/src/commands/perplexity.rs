use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use llm_data::corpus::{DataDir, read_text_file};
use llm_model::CausalModel;
use llm_model::eval::sequence_loss;

use llm_model::weights::WeightDtype;

use crate::cli::{GlobalArgs, PerplexityArgs};

pub fn run(args: PerplexityArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    if args.batch_size == 0 {
        anyhow::bail!("--batch-size must be at least 1");
    }
    let device = super::selected_device(global)?;
    // On a terminal, a spinner while the model loads (a 124M preset takes seconds to build).
    let loading = ProgressBar::new_spinner().with_message(format!("loading {}", args.model.display()));
    loading.enable_steady_tick(Duration::from_millis(120));
    let loaded = super::model_dir::load_for_text(&args.model, &device, global.seed, WeightDtype::F32);
    loading.finish_and_clear();
    let (model, tokenizer) = loaded?;
    let max = model.context_length();
    let context = args.context.unwrap_or(max);
    if context == 0 || context > max {
        anyhow::bail!("--context must be between 1 and the model's context length {max}, got {context}");
    }
    let file = match &args.file {
        Some(file) => file.clone(),
        None => DataDir::resolve(global.data_dir.as_deref()).fetch(&args.dataset)?,
    };
    let text = read_text_file(&file)?;
    let ids = tokenizer.encode(&text);
    if ids.len() < 2 {
        anyhow::bail!(
            "{}: {} token(s); perplexity needs at least 2",
            file.display(),
            ids.len()
        );
    }
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{spinner} scoring {bar:40} {pos}/{len} windows ({elapsed})").expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let result = sequence_loss(&model, &ids, context, args.batch_size, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    super::print_results(
        global,
        &[
            ("tokens", result.tokens.into()),
            ("loss", rounded(result.loss, 6).into()),
            ("perplexity", rounded(result.perplexity(), 4).into()),
        ],
    );
    Ok(())
}

fn rounded(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}
