use anyhow::Context;
use llm_data::instruction::{PromptTemplate, read_instruction_records};
use indicatif::{ProgressBar, ProgressStyle};
use llm_data::instruction::InstructionRecord;
use llm_train::instruct::{Judge, JudgeError, response_loss, rouge_l_f1};

use super::train::round;
use llm_model::weights::WeightDtype;

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
    let mut responses = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let response = record.extra.get("model_response").and_then(|v| v.as_str()).ok_or_else(|| {
            anyhow::anyhow!("{}: record {i} has no string `model_response`", args.responses.display())
        })?;
        responses.push(response);
    }
    let scores: Vec<f64> = records.iter().zip(&responses).map(|(r, resp)| rouge_l_f1(resp, &r.output)).collect();
    let mut pairs = vec![
        ("records", records.len().into()),
        ("rouge_l", round(scores.iter().sum::<f64>() / scores.len() as f64).into()),
    ];
    if let Some(model) = &args.model {
        let device = super::selected_device(global)?;
        let (model, tokenizer) = super::model_dir::load_for_text(model, &device, global.seed, WeightDtype::F32)?;
        let loss = response_loss(&model, &tokenizer, template, &records)
            .with_context(|| format!("{}: no reference output tokens to score", args.responses.display()))?;
        pairs.push(("loss", round(loss).into()));
    }
    if let (Some(url), Some(name)) = (&args.judge_url, &args.judge_model) {
        let (mean, scored) = judge(&Judge::new(url, name), template, &records, &responses)?;
        if let Some(mean) = mean {
            pairs.push(("judge_score", round(mean).into()));
        }
        pairs.push(("judge_scored", scored.into()));
        pairs.push(("judge_total", records.len().into()));
    }
    super::print_results(global, &pairs);
    Ok(())
}

/// The judge's mean score and how many responses it scored. An unreachable server stops
/// at once; a reply without a score skips that record (with a warning).
fn judge(
    judge: &Judge,
    template: PromptTemplate,
    records: &[InstructionRecord],
    responses: &[&str],
) -> anyhow::Result<(Option<f64>, usize)> {
    let bar = ProgressBar::new(records.len() as u64)
        .with_style(ProgressStyle::with_template("judging {bar:30} {pos}/{len} [{elapsed_precise}<{eta_precise}]")?);
    let mut scores = Vec::new();
    for (i, (record, response)) in records.iter().zip(responses).enumerate() {
        match judge.score(template, record, response) {
            Ok(score) => scores.push(score as f64),
            Err(e @ JudgeError::Unreachable { .. }) => anyhow::bail!(e),
            Err(e) => tracing::warn!("record {i}: {e}"),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mean = (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
    Ok((mean, scores.len()))
}
