use anyhow::Context;
use llm_data::instruction::{PromptTemplate, read_instruction_records};
use llm_train::instruct::{response_loss, rouge_l_f1};

use super::train::round;
use crate::cli::{EvalArgs, EvalCommand, EvalInstructArgs, GlobalArgs};

pub fn run(args: EvalArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    match args.task {
        EvalCommand::Instruct(args) => instruct(args, global),
    }
}

fn instruct(args: EvalInstructArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let records = read_instruction_records(&args.responses)?;
    let template: PromptTemplate = serde_json::from_value(args.template.clone().into())
        .map_err(|_| anyhow::anyhow!("--template {}: expected alpaca or phi3", args.template))?;
    let mut scores = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let response = record.extra.get("model_response").and_then(|v| v.as_str()).ok_or_else(|| {
            anyhow::anyhow!("{}: record {i} has no string `model_response`", args.responses.display())
        })?;
        scores.push(rouge_l_f1(response, &record.output));
    }
    let mut pairs = vec![
        ("records", records.len().into()),
        ("rouge_l", round(scores.iter().sum::<f64>() / scores.len() as f64).into()),
    ];
    if let Some(model) = &args.model {
        let device = super::selected_device(global)?;
        let (gpt, tokenizer) = super::model_dir::load_for_text(model, &device, global.seed)?;
        let loss = response_loss(&gpt, &tokenizer, template, &records)
            .with_context(|| format!("{}: no reference output tokens to score", args.responses.display()))?;
        pairs.push(("loss", round(loss).into()));
    }
    super::print_results(global, &pairs);
    Ok(())
}
