use std::path::Path;

use anyhow::Context;
use burn::tensor::Device;
use llm_data::Tokenizer;
use llm_model::config::PRESETS;
use llm_model::{Gpt, GptConfig};

/// The model and tokenizer `--model` names: a model directory, or a preset name
/// (`gpt2-small`, `gpt-config-124m`, ...) for a fresh, untrained model initialised with
/// `seed` and GPT-2's tokenizer, as the book builds one in chapter 4.
pub(crate) fn load(model: &Path, device: &Device, seed: u64) -> anyhow::Result<(Gpt, Tokenizer)> {
    if !model.exists() {
        let name = model.to_string_lossy();
        if let Ok(config) = GptConfig::preset(&name) {
            tracing::info!(preset = %name, seed, "fresh untrained model from a preset");
            device.seed(seed);
            return Ok((config.init(device)?, Tokenizer::gpt2()));
        }
        anyhow::bail!(
            "--model {name}: no such model directory, nor a preset ({})",
            PRESETS.join(", ")
        );
    }
    let gpt = llm_model::weights::load_model(model, device)
        .with_context(|| format!("cannot load model from {}", model.display()))?;
    let tokenizer = Tokenizer::for_model_dir(model)?;
    Ok((gpt, tokenizer))
}

/// Like [`load`], for commands that feed the tokenizer's ids to the model.
pub(crate) fn load_for_text(
    dir: &Path,
    device: &Device,
    seed: u64,
) -> anyhow::Result<(Gpt, Tokenizer)> {
    let (gpt, tokenizer) = load(dir, device, seed)?;
    if tokenizer.vocab_size() > gpt.config().vocab_size {
        anyhow::bail!(
            "{}: the tokenizer has {} tokens but the model only {}",
            dir.display(),
            tokenizer.vocab_size(),
            gpt.config().vocab_size
        );
    }
    Ok((gpt, tokenizer))
}
