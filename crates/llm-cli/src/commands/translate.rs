//! `llm translate`: a sentence through a Marian encoder–decoder, decoded greedily, sampled
//! or by beam search; with a reference, its teacher-forced loss.

use std::path::Path;

use anyhow::Context;
use burn::tensor::{Int, Tensor};
use llm_data::tokenizer::TranslationTokenizer;
use llm_model::loss::cross_entropy;
use llm_model::marian::translate::{Finish, TranslateOptions, translate};
use llm_model::weights::{ModelKind, load_marian_dir, model_kind};
use serde_json::json;

use crate::cli::{GlobalArgs, SamplingArgs, TranslateArgs};

/// Tokens generated at most when `--max-new-tokens` is not given (fewer if the model has
/// fewer positions).
const DEFAULT_MAX_NEW_TOKENS: usize = 256;

pub fn run(args: TranslateArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let dir = &args.model;
    if !dir.is_dir() {
        anyhow::bail!("--model {}: no such model directory", dir.display());
    }
    if model_kind(dir)? != ModelKind::Marian {
        anyhow::bail!("--model {}: translate needs an encoder-decoder model (model_type `marian`)", dir.display());
    }
    let sampling = SamplingArgs { max_new_tokens: args.max_new_tokens.unwrap_or(1), temperature: args.temperature, top_k: args.top_k, top_p: args.top_p }.config()?;
    let beams = match args.beams {
        Some(beams) => beams,
        None => generation_beams(dir),
    };
    if beams == 0 {
        anyhow::bail!("--beams: must be at least 1");
    }
    if beams > 1 && sampling.temperature > 0.0 {
        anyhow::bail!("--beams {beams} with --temperature {}: beam search is deterministic; sample with one beam", sampling.temperature);
    }
    if args.max_new_tokens == Some(0) {
        anyhow::bail!("--max-new-tokens: must be at least 1");
    }

    let device = super::selected_device(global)?;
    let model = load_marian_dir(dir, &device).with_context(|| format!("cannot load model from {}", dir.display()))?;
    let config = model.config();
    let tokenizer = TranslationTokenizer::for_model_dir(dir, config.eos_token_id)?;
    let positions = config.max_position_embeddings;
    let source = super::fitting_ids(tokenizer.encode_source(&args.text), "--text", positions, config.vocab_size)?;
    let max_new_tokens = args.max_new_tokens.unwrap_or(DEFAULT_MAX_NEW_TOKENS.min(positions));
    if max_new_tokens > positions {
        anyhow::bail!("--max-new-tokens {max_new_tokens}: the model has {positions} target positions");
    }

    let options = TranslateOptions { sampling, seed: global.seed, beams, ..TranslateOptions::for_model(&model, max_new_tokens) };
    let started = std::time::Instant::now();
    let translation = translate(&model, &source, &options);
    let text = tokenizer.decode(&translation.ids);
    tracing::info!(source_tokens = source.len(), generated = translation.ids.len(), beams, ms = started.elapsed().as_millis() as u64, "translated");
    let loss = match &args.reference {
        Some(reference) => {
            let labels = super::fitting_ids(tokenizer.encode_target(reference), "--reference", positions, config.vocab_size)?;
            Some(reference_loss(&model, &source, &labels, &device))
        }
        None => None,
    };
    let finish = match translation.finish {
        Finish::EndOfSequence => "stop",
        Finish::Length => "length",
    };
    if global.json {
        let mut value = json!({ "text": text, "ids": translation.ids, "finish_reason": finish });
        if let Some(loss) = loss {
            value["loss"] = json!(loss);
        }
        println!("{value}");
    } else {
        println!("{text}");
        if let Some(loss) = loss {
            println!("loss={loss:.6}");
        }
    }
    Ok(())
}


/// Mean cross-entropy of `labels` given `source`, teacher-forced (what `transformers`
/// computes with `labels`).
fn reference_loss(model: &llm_model::marian::Marian, source: &[u32], labels: &[u32], device: &burn::tensor::Device) -> f32 {
    let row = |ids: &[u32]| {
        let data: Vec<i64> = ids.iter().map(|&id| id as i64).collect();
        Tensor::<1, Int>::from_data(data.as_slice(), device).reshape([1, ids.len()])
    };
    let logits = model.teacher_forced_logits(row(source), None, row(labels));
    cross_entropy(logits, row(labels), None).into_scalar()
}

/// `num_beams` of the directory's `generation_config.json`, else of its `config.json` (where
/// older OPUS-MT directories keep it: 4), else 1.
fn generation_beams(dir: &Path) -> usize {
    ["generation_config.json", "config.json"]
        .iter()
        .filter_map(|file| std::fs::read_to_string(dir.join(file)).ok())
        .filter_map(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .find_map(|config| config["num_beams"].as_u64())
        .map_or(1, |beams| beams.max(1) as usize)
}
