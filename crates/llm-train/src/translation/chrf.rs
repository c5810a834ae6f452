//! Corpus chrF as sacrebleu 2.5 computes it by default (`nc:6|nw:0|space:no`, β = 2):
//! character n-grams of 1 to 6 with whitespace removed, their counts and clipped matches
//! summed over the corpus, precision and recall averaged over the orders both sides have,
//! then F-β.

use std::collections::HashMap;

const CHAR_ORDER: usize = 6;
const BETA: f64 = 2.0;

/// chrF (0–100) of `hypotheses` against one reference each.
///
/// # Panics
/// If the two slices differ in length (a caller's bug, not bad input).
pub fn corpus_chrf<S: AsRef<str>, R: AsRef<str>>(hypotheses: &[S], references: &[R]) -> f64 {
    assert_eq!(hypotheses.len(), references.len(), "one reference per hypothesis");
    // Per order: hypothesis n-grams, reference n-grams, matches.
    let mut stats = [[0usize; 3]; CHAR_ORDER];
    for (hypothesis, reference) in hypotheses.iter().zip(references) {
        let (hyp, reference) = (without_whitespace(hypothesis.as_ref()), without_whitespace(reference.as_ref()));
        for (n, order) in stats.iter_mut().enumerate() {
            let (h, r) = (char_ngrams(&hyp, n + 1), char_ngrams(&reference, n + 1));
            order[0] += h.values().sum::<usize>();
            order[1] += r.values().sum::<usize>();
            order[2] += h.iter().map(|(gram, &count)| count.min(r.get(gram).copied().unwrap_or(0))).sum::<usize>();
        }
    }
    f_score(&stats)
}

fn without_whitespace(text: &str) -> Vec<char> {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn char_ngrams(chars: &[char], n: usize) -> HashMap<&[char], usize> {
    let mut counts = HashMap::new();
    for window in chars.windows(n) {
        *counts.entry(window).or_insert(0) += 1;
    }
    counts
}

/// sacrebleu's `CHRF._compute_f_score` without epsilon smoothing.
fn f_score(stats: &[[usize; 3]; CHAR_ORDER]) -> f64 {
    let factor = BETA * BETA;
    let (mut precision, mut recall, mut orders) = (0.0, 0.0, 0);
    for &[hyp, reference, matches] in stats {
        if hyp > 0 && reference > 0 {
            precision += matches as f64 / hyp as f64;
            recall += matches as f64 / reference as f64;
            orders += 1;
        }
    }
    if orders == 0 {
        return 0.0;
    }
    let (precision, recall) = (precision / orders as f64, recall / orders as f64);
    if precision + recall == 0.0 {
        return 0.0;
    }
    100.0 * (1.0 + factor) * precision * recall / (factor * precision + recall)
}
