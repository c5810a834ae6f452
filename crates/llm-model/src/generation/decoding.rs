//! One sequence being generated a token at a time: what the generation loop runs; and
//! several stepped together, what a server does with its requests.

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
        Some(self.accept(&logits))
    }

    /// Whether the next step feeds one new token on top of the cache, within the context:
    /// what [`step_together`] stacks with other sequences.
    fn steps_one_cached_token(&self, context: usize) -> bool {
        self.finished.is_none() && self.options.use_cache && self.fed > 0 && self.fed + 1 == self.tokens.len() && self.tokens.len() <= context
    }

    /// Samples the next token from `logits`, records it and decides whether the sequence ends.
    fn accept(&mut self, logits: &[f32]) -> u32 {
        let next = self.sampler.sample(logits);
        self.tokens.push(next);
        if self.options.stop_tokens.contains(&next) {
            self.finished = Some(FinishReason::Stop);
        } else if self.generated().len() >= self.options.max_new_tokens {
            self.finished = Some(FinishReason::Length);
        }
        next
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

/// Steps every sequence once, as [`Decoding::step`] would, and returns what each produced.
///
/// The sequences past their prompt that go on within their cache share one forward pass
/// ([`CausalModel::forward_rows`]): each weight matrix is read once for all of them, each row
/// attends to its own cache at its own position and samples with its own sampler. The
/// others (a prompt being read, a sequence past the context window) step alone. On flex
/// with bf16 weight matrices and up to 64 stacked rows, every row's logits are bit for bit
/// those it gets alone (its few-row products add each row's terms in the single-row order);
/// other products (f32 weights, other backends) may add a row's terms in another order with
/// other rows beside it, which moves logits in the last bits (3e-7 relative, measured).
pub fn step_together(model: &(impl CausalModel + ?Sized), sequences: &mut [&mut Decoding]) -> Vec<Option<u32>> {
    let context = model.context_length();
    let stacked: Vec<bool> = sequences.iter().map(|s| s.steps_one_cached_token(context)).collect();
    let rows = stacked.iter().filter(|&&s| s).count();
    let mut next = vec![None; sequences.len()];
    if rows >= 2 {
        let last: Vec<i64> = sequences.iter().zip(&stacked).filter(|(_, s)| **s).map(|(d, _)| d.tokens[d.fed] as i64).collect();
        let ids = Tensor::from_data(TensorData::new(last, [rows, 1]), &model.device());
        let logits = {
            let mut caches: Vec<&mut KvCache> =
                sequences.iter_mut().zip(&stacked).filter(|(_, s)| **s).map(|(d, _)| &mut d.cache).collect();
            model.forward_rows(ids, &mut caches) // [rows, 1, vocab]
        };
        let vocab = logits.dims()[2];
        let logits: Vec<f32> = logits.into_data().iter::<f32>().collect();
        let stacked_sequences = sequences.iter_mut().zip(next.iter_mut()).zip(&stacked).filter(|(_, s)| **s);
        for (((sequence, next), _), row) in stacked_sequences.zip(logits.chunks_exact(vocab)) {
            sequence.fed = sequence.tokens.len();
            *next = Some(sequence.accept(row));
        }
    }
    for ((sequence, next), &stacked) in sequences.iter_mut().zip(next.iter_mut()).zip(&stacked) {
        if rows < 2 || !stacked {
            *next = sequence.step(model);
        }
    }
    next
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
