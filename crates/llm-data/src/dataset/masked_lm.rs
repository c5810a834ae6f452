//! BERT's masked-language-model corruption (Devlin et al., 2018, §3.1), as `transformers`'
//! `DataCollatorForLanguageModeling` applies it: each token that is not special is chosen
//! with probability 15 %; a chosen token becomes `[MASK]` with probability 80 %, a random
//! token of the vocabulary with 10 %, and stays itself with 10 %; the model is scored on the
//! chosen positions only (every other label is `-100`).

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// The label of a position the loss ignores (PyTorch's `ignore_index`).
pub const IGNORED_LABEL: i64 = -100;

/// How tokens are chosen and corrupted.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskingConfig {
    /// Probability that a token is chosen (BERT: 0.15).
    pub probability: f64,
    /// Of the chosen: probability of `[MASK]` (0.8); of the rest, half random, half kept.
    pub mask_fraction: f64,
    pub mask_id: u32,
    /// Random replacements are drawn from `0..vocab_size`.
    pub vocab_size: u32,
    /// Ids never chosen (`[CLS]`, `[SEP]`, `[PAD]`).
    pub special_ids: Vec<u32>,
}

impl MaskingConfig {
    /// BERT's settings.
    pub fn bert(mask_id: u32, vocab_size: u32, special_ids: Vec<u32>) -> Self {
        Self { probability: 0.15, mask_fraction: 0.8, mask_id, vocab_size, special_ids }
    }
}

/// A corrupted sequence and what the model must recover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskedSequence {
    pub inputs: Vec<u32>,
    /// The original id at each chosen position, [`IGNORED_LABEL`] elsewhere.
    pub labels: Vec<i64>,
}

/// Corrupts sequences with a seeded generator: the same seed, the same masks.
#[derive(Debug)]
pub struct Masker {
    config: MaskingConfig,
    rng: StdRng,
}

impl Masker {
    pub fn new(config: MaskingConfig, seed: u64) -> Self {
        Self { config, rng: StdRng::seed_from_u64(seed) }
    }

    /// `ids` corrupted, with its labels.
    pub fn mask(&mut self, ids: &[u32]) -> MaskedSequence {
        let c = &self.config;
        let mut inputs = ids.to_vec();
        let mut labels = vec![IGNORED_LABEL; ids.len()];
        for (i, &id) in ids.iter().enumerate() {
            if c.special_ids.contains(&id) || !self.rng.random_bool(c.probability) {
                continue;
            }
            labels[i] = id as i64;
            if self.rng.random_bool(c.mask_fraction) {
                inputs[i] = c.mask_id;
            } else if self.rng.random_bool(0.5) {
                inputs[i] = self.rng.random_range(0..c.vocab_size);
            }
        }
        MaskedSequence { inputs, labels }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLS: u32 = 2;
    const SEP: u32 = 3;
    const MASK: u32 = 4;
    const VOCAB: u32 = 1000;

    fn sequence(len: usize) -> Vec<u32> {
        let mut ids = vec![CLS];
        ids.extend((0..len as u32).map(|i| 10 + i % 900));
        ids.push(SEP);
        ids
    }

    #[test]
    fn fifteen_percent_chosen_eighty_ten_ten() {
        let mut masker = Masker::new(MaskingConfig::bert(MASK, VOCAB, vec![CLS, SEP, 0]), 7);
        let (mut tokens, mut chosen, mut masked, mut kept, mut replaced) = (0usize, 0usize, 0usize, 0usize, 0usize);
        for _ in 0..200 {
            let ids = sequence(500);
            let out = masker.mask(&ids);
            assert_eq!((out.inputs[0], *out.inputs.last().unwrap()), (CLS, SEP), "special tokens are never chosen");
            assert_eq!((out.labels[0], *out.labels.last().unwrap()), (IGNORED_LABEL, IGNORED_LABEL));
            tokens += ids.len() - 2;
            for ((&original, &input), &label) in ids.iter().zip(&out.inputs).zip(&out.labels) {
                if label == IGNORED_LABEL {
                    assert_eq!(input, original, "an unchosen token is left alone");
                    continue;
                }
                assert_eq!(label, original as i64, "the label is the original token");
                chosen += 1;
                match input {
                    MASK => masked += 1,
                    i if i == original => kept += 1,
                    _ => replaced += 1,
                }
            }
        }
        // 100,000 tokens: the binomial standard deviation of the chosen share is 0.11 %,
        // of each fraction of the ~15,000 chosen at most 0.33 %; 4 deviations allowed.
        let share = |n: usize, of: usize| n as f64 / of as f64;
        assert!((share(chosen, tokens) - 0.15).abs() < 0.0045, "chosen {}", share(chosen, tokens));
        assert!((share(masked, chosen) - 0.80).abs() < 0.013, "masked {}", share(masked, chosen));
        // A random replacement can draw the token itself (1 in 1000): kept ≈ 10.01 %.
        assert!((share(kept, chosen) - 0.10).abs() < 0.01, "kept {}", share(kept, chosen));
        assert!((share(replaced, chosen) - 0.10).abs() < 0.01, "replaced {}", share(replaced, chosen));
    }

    #[test]
    fn the_same_seed_gives_the_same_masks() {
        let config = MaskingConfig::bert(MASK, VOCAB, vec![CLS, SEP]);
        let ids = sequence(300);
        let a = Masker::new(config.clone(), 1).mask(&ids);
        assert_eq!(a, Masker::new(config.clone(), 1).mask(&ids));
        assert_ne!(a, Masker::new(config, 2).mask(&ids));
    }
}
