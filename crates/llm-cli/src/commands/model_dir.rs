use std::path::Path;

use anyhow::Context;
use burn::tensor::Device;
use llm_data::Tokenizer;
use llm_model::matrix_dtype::with_bf16_matrices;
use llm_model::presets::{PRESETS, init_preset, is_preset};
use llm_model::weights::WeightDtype;
use llm_model::{CausalModel, LanguageModel};

/// The model and tokenizer `--model` names: a model directory of any family, or a preset name
/// (`gpt2-small`, `gpt-config-124m`, `llama-3.2-1b`, `qwen3-0.6b`, ...) for a fresh, untrained
/// model initialised with `seed` and GPT-2's tokenizer, as the book builds one in chapter 4;
/// its weight matrices in `dtype`.
pub(crate) fn load(model: &Path, device: &Device, seed: u64, dtype: WeightDtype) -> anyhow::Result<(LanguageModel, Tokenizer)> {
    if !model.exists() {
        let name = model.to_string_lossy();
        if is_preset(&name) {
            tracing::info!(preset = %name, seed, "fresh untrained model from a preset");
            device.seed(seed);
            let fresh = init_preset(&name, device)?;
            let fresh = if dtype == WeightDtype::Bf16 { with_bf16_matrices(fresh) } else { fresh };
            return Ok((fresh, Tokenizer::gpt2()));
        }
        anyhow::bail!("--model {name}: no such model directory, nor a preset ({})", PRESETS.join(", "));
    }
    let loaded = llm_model::weights::load_language_model_as(model, device, dtype)
        .with_context(|| format!("cannot load model from {}", model.display()))?;
    let tokenizer = Tokenizer::for_model_dir(model)?;
    Ok((loaded, tokenizer))
}

/// Like [`load`], for commands that feed the tokenizer's ids to the model.
pub(crate) fn load_for_text(dir: &Path, device: &Device, seed: u64, dtype: WeightDtype) -> anyhow::Result<(LanguageModel, Tokenizer)> {
    let (model, tokenizer) = load(dir, device, seed, dtype)?;
    if tokenizer.vocab_size() > model.vocab_size() {
        anyhow::bail!(
            "{}: the tokenizer has {} tokens but the model only {}",
            dir.display(),
            tokenizer.vocab_size(),
            model.vocab_size()
        );
    }
    Ok((model, tokenizer))
}
