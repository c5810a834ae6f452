use super::{Decoding, SamplingConfig};
use crate::CausalModel;

/// Settings of one generation call.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub max_new_tokens: usize,
    pub sampling: SamplingConfig,
    pub seed: u64,
    /// Generation ends after any of these tokens is produced (GPT-2's `<|endoftext|>`, 50256;
    /// the end-of-sequence ids of a model directory's `generation_config.json`).
    pub stop_tokens: Vec<u32>,
    /// Decode incrementally with a [`KvCache`](crate::KvCache) (same tokens, faster).
    pub use_cache: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            max_new_tokens: 50,
            sampling: SamplingConfig::greedy(),
            seed: 123,
            stop_tokens: Vec::new(),
            use_cache: true,
        }
    }
}

/// Continues `prompt`, calling `on_token` with each new token as soon as it is chosen,
/// and returns the new tokens. A stop token is passed to `on_token` and included.
///
/// As in the book, the model sees at most its last `context_length` tokens.
pub fn generate(
    model: &(impl CausalModel + ?Sized),
    prompt: &[u32],
    options: &GenerateOptions,
    mut on_token: impl FnMut(u32),
) -> Vec<u32> {
    let mut decoding = Decoding::new(model, prompt, options.clone());
    while let Some(token) = decoding.step(model) {
        on_token(token);
    }
    decoding.generated().to_vec()
}

/// `ids` without a final stop token (the book's generation stops before appending it).
pub fn strip_stop(mut ids: Vec<u32>, stop_tokens: &[u32]) -> Vec<u32> {
    if ids.last().is_some_and(|last| stop_tokens.contains(last)) {
        ids.pop();
    }
    ids
}
