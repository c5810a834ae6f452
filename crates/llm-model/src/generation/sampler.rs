use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// How the next token is chosen from a row of logits.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingConfig {
    /// 0 picks the most likely token (greedy); otherwise logits are divided by it.
    pub temperature: f32,
    /// Keep only the `k` most likely tokens (ties with the k-th are kept, as the book does).
    pub top_k: Option<usize>,
    /// Keep the smallest set of most likely tokens whose probability reaches `p`.
    pub top_p: Option<f32>,
}

impl SamplingConfig {
    pub fn greedy() -> Self {
        Self {
            temperature: 0.0,
            top_k: None,
            top_p: None,
        }
    }
}

/// Draws tokens with a seeded random generator, so a seed reproduces a sample.
#[derive(Debug)]
pub struct Sampler {
    config: SamplingConfig,
    rng: StdRng,
}

impl Sampler {
    pub fn new(config: SamplingConfig, seed: u64) -> Self {
        Self {
            config,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// The next token id: temperature, then top-k, then top-p, then a draw.
    pub fn sample(&mut self, logits: &[f32]) -> u32 {
        if self.config.temperature <= 0.0 {
            return argmax(logits) as u32;
        }
        let mut scaled: Vec<f32> = logits
            .iter()
            .map(|l| l / self.config.temperature)
            .collect();
        if let Some(k) = self.config.top_k {
            top_k_filter(&mut scaled, k);
        }
        let mut probs = softmax(&scaled);
        if let Some(p) = self.config.top_p {
            top_p_filter(&mut probs, p);
        }
        let u: f32 = self.rng.random();
        sample_index(&probs, u) as u32
    }
}

/// Index of the largest value; the first one on ties (as `torch.argmax`).
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

/// Sets every logit below the k-th largest to `-inf` (the book's `top_k`).
pub fn top_k_filter(logits: &mut [f32], k: usize) {
    if k == 0 || k >= logits.len() {
        return;
    }
    let mut sorted = logits.to_vec();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    let threshold = sorted[k - 1];
    for l in logits.iter_mut() {
        if *l < threshold {
            *l = f32::NEG_INFINITY;
        }
    }
}

/// Numerically stable softmax.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Nucleus filtering on probabilities: keeps the most likely tokens until their sum
/// reaches `p` (always at least one), zeroes the rest and renormalises.
pub fn top_p_filter(probs: &mut [f32], p: f32) {
    if p >= 1.0 {
        return;
    }
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
    let mut cumulative = 0.0;
    let mut keep = probs.len();
    for (rank, &i) in order.iter().enumerate() {
        cumulative += probs[i];
        if cumulative >= p {
            keep = rank + 1;
            break;
        }
    }
    for &i in &order[keep..] {
        probs[i] = 0.0;
    }
    let total: f32 = probs.iter().sum();
    probs.iter_mut().for_each(|q| *q /= total);
}

/// Inverse-CDF draw: the first index whose cumulative probability exceeds `u` in `[0, 1)`.
pub fn sample_index(probs: &[f32], u: f32) -> usize {
    let mut cumulative = 0.0;
    let mut last_nonzero = 0;
    for (i, &q) in probs.iter().enumerate() {
        if q > 0.0 {
            last_nonzero = i;
            cumulative += q;
            if u < cumulative {
                return i;
            }
        }
    }
    // Rounding can leave the total a hair below u: fall back to the last candidate.
    last_nonzero
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0, -1.0]), 1);
        assert_eq!(argmax(&[-2.0]), 0);
    }

    #[test]
    fn top_k_keeps_the_k_largest() {
        // The book's example row (chapter 5): top-3 of these logits.
        let mut l = [4.51, 0.89, -1.90, 6.75, 1.63, -1.62, -1.89, 6.28, 1.79];
        top_k_filter(&mut l, 3);
        let inf = f32::NEG_INFINITY;
        assert_eq!(l, [4.51, inf, inf, 6.75, inf, inf, inf, 6.28, inf]);
    }

    #[test]
    fn top_k_keeps_ties_and_ignores_large_k() {
        let mut l = [1.0, 2.0, 2.0, 0.0];
        top_k_filter(&mut l, 1);
        assert_eq!(l, [f32::NEG_INFINITY, 2.0, 2.0, f32::NEG_INFINITY]);
        let mut l = [1.0, 2.0];
        top_k_filter(&mut l, 5);
        assert_eq!(l, [1.0, 2.0]);
    }

    #[test]
    fn softmax_exact_values() {
        let p = softmax(&[0.0, f32::ln(3.0)]);
        assert!((p[0] - 0.25).abs() < 1e-7 && (p[1] - 0.75).abs() < 1e-7);
        let p = softmax(&[1000.0, 1000.0, f32::NEG_INFINITY]);
        assert_eq!(p, vec![0.5, 0.5, 0.0]);
    }

    #[test]
    fn top_p_keeps_the_nucleus() {
        let mut p = [0.1, 0.5, 0.25, 0.15];
        top_p_filter(&mut p, 0.7);
        // 0.5 + 0.25 = 0.75 >= 0.7: tokens 1 and 2 survive, renormalised.
        assert_eq!(p, [0.0, 0.5 / 0.75, 0.25 / 0.75, 0.0]);
        let mut p = [0.6, 0.4];
        top_p_filter(&mut p, 0.1);
        assert_eq!(p, [1.0, 0.0]);
    }

    #[test]
    fn sample_index_inverts_the_cdf() {
        let p = [0.2, 0.0, 0.5, 0.3];
        assert_eq!(sample_index(&p, 0.0), 0);
        assert_eq!(sample_index(&p, 0.19), 0);
        assert_eq!(sample_index(&p, 0.2), 2);
        assert_eq!(sample_index(&p, 0.69), 2);
        assert_eq!(sample_index(&p, 0.7), 3);
        assert_eq!(sample_index(&p, 0.999_999_9), 3);
    }

    #[test]
    fn greedy_and_seeded_sampling() {
        let logits = [0.0, 2.0, 1.0, 1.5];
        assert_eq!(Sampler::new(SamplingConfig::greedy(), 1).sample(&logits), 1);
        let config = SamplingConfig {
            temperature: 1.0,
            top_k: Some(2),
            top_p: None,
        };
        let draw = |seed| {
            let mut s = Sampler::new(config.clone(), seed);
            (0..50).map(|_| s.sample(&logits)).collect::<Vec<_>>()
        };
        let a = draw(7);
        assert_eq!(a, draw(7), "same seed, same draws");
        assert!(a.iter().all(|&t| t == 1 || t == 3), "only the top-2 tokens: {a:?}");
        assert!(a.contains(&1) && a.contains(&3));
    }
}
