use burn::tensor::{Int, Tensor, TensorData};

use super::{Sampler, SamplingConfig};
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
    assert!(!prompt.is_empty(), "generation needs at least one prompt token");
    let context = model.context_length();
    let mut sampler = Sampler::new(options.sampling.clone(), options.seed);
    let mut tokens = prompt.to_vec();
    let mut cache = model.new_cache();
    let mut fed = 0; // tokens of `tokens` that the cache holds
    for _ in 0..options.max_new_tokens {
        let logits = if options.use_cache && tokens.len() <= context {
            let row = model.forward_cached(ids_tensor(model, &tokens[fed..]), &mut cache);
            fed = tokens.len();
            last_logits(row)
        } else {
            // Past the context window positions shift every step, so nothing can be reused.
            let window = &tokens[tokens.len().saturating_sub(context)..];
            last_logits(model.forward(ids_tensor(model, window)))
        };
        let next = sampler.sample(&logits);
        tokens.push(next);
        on_token(next);
        if options.stop_tokens.contains(&next) {
            break;
        }
    }
    tokens.split_off(prompt.len())
}

/// `ids` without a final stop token (the book's generation stops before appending it).
pub fn strip_stop(mut ids: Vec<u32>, stop_tokens: &[u32]) -> Vec<u32> {
    if ids.last().is_some_and(|last| stop_tokens.contains(last)) {
        ids.pop();
    }
    ids
}

/// The logits of the last position of the first sequence, on the host.
pub fn last_logits(logits: Tensor<3>) -> Vec<f32> {
    let [_, t, v] = logits.dims();
    logits
        .slice([0..1, t - 1..t, 0..v])
        .into_data()
        .iter::<f32>()
        .collect()
}

fn ids_tensor(model: &(impl CausalModel + ?Sized), ids: &[u32]) -> Tensor<2, Int> {
    let data: Vec<i64> = ids.iter().map(|&i| i as i64).collect();
    Tensor::from_data(TensorData::new(data, [1, ids.len()]), &model.device())
}
