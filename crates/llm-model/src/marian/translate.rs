//! Decoding a translation: greedy or sampled one token at a time, or beam search as
//! `transformers`' `generate(num_beams=B)` does it. The source is encoded once; the decoder
//! keeps its keys and values ([`DecoderCache`]) and the encoder output's projections.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};

use super::{DecoderCache, EncodedSource, Marian};
use crate::generation::{Sampler, SamplingConfig};

/// How to decode.
#[derive(Debug, Clone, PartialEq)]
pub struct TranslateOptions {
    /// Tokens to generate at most (the end-of-sequence token included).
    pub max_new_tokens: usize,
    /// With one beam: greedy at temperature 0, else sampled (temperature, top-k, top-p).
    pub sampling: SamplingConfig,
    pub seed: u64,
    /// Beams of beam search; 1 decodes one token at a time.
    pub beams: usize,
    /// A finished beam's score is its summed log-probability over `length ^ length_penalty`.
    pub length_penalty: f32,
    /// Stop as soon as `beams` hypotheses are finished (`transformers`' `early_stopping=True`);
    /// otherwise stop when no running beam can beat the worst finished one.
    pub early_stopping: bool,
    /// Force the end-of-sequence token at the last step (`forced_eos_token_id`).
    pub forced_eos: bool,
    /// Tokens never generated (single-token `bad_words_ids`, e.g. OPUS-MT's pad).
    pub suppressed: Vec<u32>,
}

impl TranslateOptions {
    /// Greedy decoding with the model's own settings (`forced_eos_token_id`, single-token
    /// `bad_words_ids` of its `config.json`), up to `max_new_tokens`.
    pub fn for_model(model: &Marian, max_new_tokens: usize) -> Self {
        let config = model.config();
        let eos = config.eos_token_id as u64;
        let forced_eos = config.extra.get("forced_eos_token_id").and_then(|v| v.as_u64()) == Some(eos);
        let suppressed = config
            .extra
            .get("bad_words_ids")
            .and_then(|v| v.as_array())
            .map(|lists| {
                lists
                    .iter()
                    .filter_map(|l| l.as_array().filter(|l| l.len() == 1).and_then(|l| l[0].as_u64()).map(|id| id as u32))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            max_new_tokens,
            sampling: SamplingConfig::greedy(),
            seed: 0,
            beams: 1,
            length_penalty: 1.0,
            early_stopping: false,
            forced_eos,
            suppressed,
        }
    }
}

/// Why decoding stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// The end-of-sequence token was generated.
    EndOfSequence,
    /// `max_new_tokens` were generated first.
    Length,
}

/// A decoded translation.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    /// The generated ids, without the decoder start token; the end-of-sequence token last
    /// when it was generated.
    pub ids: Vec<u32>,
    pub finish: Finish,
    /// Beam search: the finished hypothesis' score (summed log-probability over length).
    pub score: Option<f32>,
}

/// Translates one source (its ids, ending with the model's end-of-sequence id).
pub fn translate(model: &Marian, source: &[u32], options: &TranslateOptions) -> Translation {
    let device = model.shared.weight.device();
    let data: Vec<i64> = source.iter().map(|&id| id as i64).collect();
    let ids = Tensor::<1, Int>::from_data(data.as_slice(), &device).reshape([1, source.len()]);
    let encoded = model.encode(ids, None);
    if options.beams > 1 {
        beam_search(model, &encoded, options)
    } else {
        one_at_a_time(model, &encoded, options)
    }
}

/// The logits of the last position of each row, as host vectors, with the suppressed
/// tokens and (at the last step) the forced end of sequence applied.
fn step_logits(model: &Marian, cache: &mut DecoderCache, tokens: &[u32], step: usize, options: &TranslateOptions, log_probs: bool) -> Vec<Vec<f32>> {
    let device = model.shared.weight.device();
    let data: Vec<i64> = tokens.iter().map(|&t| t as i64).collect();
    let input = Tensor::<1, Int>::from_data(data.as_slice(), &device).reshape([tokens.len(), 1]);
    let logits = model.decode(input, cache); // [rows, 1, vocab]
    let [rows, _, vocab] = logits.dims();
    let logits = logits.reshape([rows, vocab]);
    let logits = if log_probs { log_softmax(logits, 1) } else { logits };
    let values: Vec<f32> = logits.into_data().iter::<f32>().collect();
    let eos = model.config().eos_token_id as usize;
    values
        .chunks_exact(vocab)
        .map(|row| {
            let mut row = row.to_vec();
            for &id in &options.suppressed {
                if let Some(v) = row.get_mut(id as usize) {
                    *v = f32::NEG_INFINITY;
                }
            }
            if options.forced_eos && step + 1 == options.max_new_tokens {
                row.iter_mut().enumerate().for_each(|(i, v)| *v = if i == eos { 0.0 } else { f32::NEG_INFINITY });
            }
            row
        })
        .collect()
}

fn one_at_a_time(model: &Marian, encoded: &EncodedSource, options: &TranslateOptions) -> Translation {
    let eos = model.config().eos_token_id;
    let mut cache = model.decoder_cache(encoded);
    let mut sampler = Sampler::new(options.sampling.clone(), options.seed);
    let mut last = model.config().decoder_start_token_id;
    let mut ids = Vec::new();
    for step in 0..options.max_new_tokens {
        let logits = step_logits(model, &mut cache, &[last], step, options, false);
        last = sampler.sample(&logits[0]);
        ids.push(last);
        if last == eos {
            return Translation { ids, finish: Finish::EndOfSequence, score: None };
        }
    }
    Translation { ids, finish: Finish::Length, score: None }
}

/// A large negative score that keeps a hypothesis out of the running (as `transformers`).
const EXCLUDED: f32 = -1.0e9;

/// Beam search over one source, step by step as `transformers` 4.57's `_beam_search`: each
/// step takes the `2 · beams` best continuations of all running beams (summed
/// log-probabilities); those among the first `beams` that end (end of sequence, or the
/// last step) join the finished hypotheses with their score over their length (`^
/// length_penalty`), the best `beams` that do not end run on.
fn beam_search(model: &Marian, encoded: &EncodedSource, options: &TranslateOptions) -> Translation {
    let beams = options.beams;
    let eos = model.config().eos_token_id;
    let keep = 2 * beams;
    let mut cache = model.decoder_cache(&encoded.select(&vec![0; beams]));
    // Only the first beam is live at the start (the others would repeat it).
    let mut running: Vec<(Vec<u32>, f32)> = (0..beams).map(|b| (Vec::new(), if b == 0 { 0.0 } else { EXCLUDED })).collect();
    // Finished slots: (ids, score, finished).
    let mut finished: Vec<(Vec<u32>, f32, bool)> = vec![(Vec::new(), EXCLUDED, false); beams];
    let mut improvable = true;
    let start = model.config().decoder_start_token_id;
    for step in 0..options.max_new_tokens {
        let last: Vec<u32> = running.iter().map(|(ids, _)| ids.last().copied().unwrap_or(start)).collect();
        let log_probs = step_logits(model, &mut cache, &last, step, options, true);
        // The best `keep` continuations over all beams, by summed log-probability.
        let mut candidates: Vec<(usize, u32, f32)> = Vec::with_capacity(beams * log_probs[0].len());
        for (b, row) in log_probs.iter().enumerate() {
            candidates.extend(row.iter().enumerate().map(|(v, lp)| (b, v as u32, lp + running[b].1)));
        }
        // Best first; equal scores in beam-then-token order. Only the best `keep` of the
        // `beams · vocab` candidates are put in order.
        let order = |x: &(usize, u32, f32), y: &(usize, u32, f32)| y.2.total_cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1)));
        if candidates.len() > keep {
            candidates.select_nth_unstable_by(keep - 1, order);
            candidates.truncate(keep);
        }
        candidates.sort_by(order);
        let last_step = step + 1 == options.max_new_tokens;
        let ends: Vec<bool> = candidates.iter().map(|&(_, token, _)| token == eos || last_step).collect();

        // Finished: the ending ones among the first `beams`, merged with those before.
        let length = (step + 1) as f32;
        let all_finished = finished.iter().all(|f| f.2);
        let mut merged = finished.clone();
        for (i, &(b, token, score)) in candidates.iter().enumerate() {
            let eligible = i < beams && ends[i];
            let mut normalised = score / length.powf(options.length_penalty);
            if all_finished && options.early_stopping {
                normalised += EXCLUDED;
            }
            if !improvable {
                normalised += EXCLUDED;
            }
            if !eligible {
                normalised += EXCLUDED;
            }
            let mut ids = running[b].0.clone();
            ids.push(token);
            merged.push((ids, normalised, eligible));
        }
        merged.sort_by(|x, y| y.1.total_cmp(&x.1));
        merged.truncate(beams);
        finished = merged;

        // Running: the best `beams` that do not end.
        let mut next: Vec<(usize, u32, f32)> =
            candidates.iter().zip(&ends).map(|(&(b, t, s), &end)| (b, t, if end { s + EXCLUDED } else { s })).collect();
        next.sort_by(|x, y| y.2.total_cmp(&x.2));
        next.truncate(beams);
        let origins: Vec<usize> = next.iter().map(|&(b, _, _)| b).collect();
        running = next
            .into_iter()
            .map(|(b, token, score)| {
                let mut ids = running[b].0.clone();
                ids.push(token);
                (ids, score)
            })
            .collect();
        cache.select(&origins);

        // Can a running beam still beat the worst finished one?
        let best_running = running[0].1 / length.powf(options.length_penalty);
        let worst_finished = finished.iter().map(|f| f.1).fold(f32::INFINITY, f32::min);
        improvable = improvable && finished.iter().any(|f| best_running > if f.2 { worst_finished } else { EXCLUDED });
        let all_finished = finished.iter().all(|f| f.2);
        if !improvable || (all_finished && options.early_stopping) || ends.iter().all(|&e| e) {
            break;
        }
    }
    let (ids, score, _) = finished.swap_remove(0);
    let finish = if ids.last() == Some(&eos) { Finish::EndOfSequence } else { Finish::Length };
    Translation { ids, finish, score: Some(score) }
}
