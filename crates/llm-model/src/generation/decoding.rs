//! One sequence being generated a token at a time: what the generation loop runs, and what a
//! server steps for each of its requests in turn.

use burn::tensor::{Int, Tensor, TensorData};

use super::{GenerateOptions, Sampler};
use crate::{CausalModel, KvCache};

/// Why a sequence stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// It produced one of its stop tokens.
    Stop,
    /// It reached `max_new_tokens`.
    Length,
}

/// A prompt's continuation in progress: its tokens, its key/value cache and its sampler.
pub struct Decoding {
    tokens: Vec<u32>,
    prompt_len: usize,
    cache: KvCache,
    /// Tokens of `tokens` that the cache holds.
    fed: usize,
    sampler: Sampler,
    options: GenerateOptions,
    finished: Option<FinishReason>,
}

impl Decoding {
    /// Starts continuing `prompt` (at least one token) with `model`.
    pub fn new(model: &(impl CausalModel + ?Sized), prompt: &[u32], options: GenerateOptions) -> Self {
        assert!(!prompt.is_empty(), "generation needs at least one prompt token");
        let finished = (options.max_new_tokens == 0).then_some(FinishReason::Length);
        Self {
            tokens: prompt.to_vec(),
            prompt_len: prompt.len(),
            cache: model.new_cache(),
            fed: 0,
            sampler: Sampler::new(options.sampling.clone(), options.seed),
            options,
            finished,
        }
    }

    /// Chooses, records and returns the next token, or `None` once the sequence is finished.
    /// A stop token is returned (and ends the sequence). As in the book, the model sees at
    /// most its last `context_length` tokens.
    pub fn step(&mut self, model: &(impl CausalModel + ?Sized)) -> Option<u32> {
        if self.finished.is_some() {
            return None;
        }
        let context = model.context_length();
        let logits = if self.options.use_cache && self.tokens.len() <= context {
            let row = model.forward_cached(ids_tensor(model, &self.tokens[self.fed..]), &mut self.cache);
            self.fed = self.tokens.len();
            last_logits(row)
        } else {
            // Past the context window positions shift every step, so nothing can be reused.
            let window = &self.tokens[self.tokens.len().saturating_sub(context)..];
            last_logits(model.forward(ids_tensor(model, window)))
        };
        let next = self.sampler.sample(&logits);
        self.tokens.push(next);
        if self.options.stop_tokens.contains(&next) {
            self.finished = Some(FinishReason::Stop);
        } else if self.generated().len() >= self.options.max_new_tokens {
            self.finished = Some(FinishReason::Length);
        }
        Some(next)
    }

    /// The tokens generated so far (a final stop token included).
    pub fn generated(&self) -> &[u32] {
        &self.tokens[self.prompt_len..]
    }

    /// Whether the sequence ended by producing one of its stop tokens (the last of
    /// [`Decoding::generated`], which is not part of the reply's text).
    pub fn ended_on_stop_token(&self) -> bool {
        self.finished == Some(FinishReason::Stop) && self.generated().last().is_some_and(|t| self.options.stop_tokens.contains(t))
    }

    /// Why the sequence ended, once it has.
    pub fn finish_reason(&self) -> Option<FinishReason> {
        self.finished
    }

    /// Ends the sequence early (a stop string was produced): it reports `Stop`.
    pub fn stop(&mut self) {
        self.finished = Some(FinishReason::Stop);
    }
}

/// The logits of the last position of the first sequence, on the host.
pub fn last_logits(logits: Tensor<3>) -> Vec<f32> {
    let [_, t, v] = logits.dims();
    logits.slice([0..1, t - 1..t, 0..v]).into_data().iter::<f32>().collect()
}

fn ids_tensor(model: &(impl CausalModel + ?Sized), ids: &[u32]) -> Tensor<2, Int> {
    let data: Vec<i64> = ids.iter().map(|&i| i as i64).collect();
    Tensor::from_data(TensorData::new(data, [1, ids.len()]), &model.device())
}
