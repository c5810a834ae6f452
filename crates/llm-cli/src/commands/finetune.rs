use llm_train::classify::finetune_classify;

use super::train::{resolve_run, round};
use crate::cli::{FinetuneArgs, FinetuneClassifyArgs, FinetuneCommand, GlobalArgs};

/// The offline spam recipe, also built in so `llm finetune classify` works anywhere.
const SPAM_OFFLINE: &str = include_str!("../../../../experiments/spam-offline.toml");

pub fn run(args: FinetuneArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    match args.task {
        FinetuneCommand::Classify(args) => classify(args, global),
    }
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
