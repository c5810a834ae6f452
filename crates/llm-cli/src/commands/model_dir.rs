use std::path::Path;

use anyhow::Context;
use burn::tensor::Device;
use llm_data::Tokenizer;
use llm_model::Gpt;

/// A model directory's model and tokenizer.
pub(crate) fn load(dir: &Path, device: &Device) -> anyhow::Result<(Gpt, Tokenizer)> {
    let gpt = llm_model::weights::load_model(dir, device)
        .with_context(|| format!("cannot load model from {}", dir.display()))?;
    let tokenizer = Tokenizer::for_model_dir(dir)?;
    Ok((gpt, tokenizer))
}

/// Like [`load`], for commands that feed the tokenizer's ids to the model.
pub(crate) fn load_for_text(dir: &Path, device: &Device) -> anyhow::Result<(Gpt, Tokenizer)> {
    let (gpt, tokenizer) = load(dir, device)?;
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
