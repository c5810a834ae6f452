//! Corpus BLEU as sacrebleu 2.5 computes it by default (`nrefs:1|case:mixed|eff:no|tok:13a|
//! smooth:exp`): hypotheses and references cut by mteval-v13a's tokenizer, clipped n-gram
//! matches up to 4 summed over the corpus, NIST's (`exp`) smoothing of orders without a
//! match, and the brevity penalty.

use std::collections::HashMap;

const MAX_ORDER: usize = 4;

/// BLEU (0–100) of `hypotheses` against one reference each.
///
/// # Panics
/// If the two slices differ in length (a caller's bug, not bad input).
pub fn corpus_bleu<S: AsRef<str>, R: AsRef<str>>(hypotheses: &[S], references: &[R]) -> f64 {
    assert_eq!(hypotheses.len(), references.len(), "one reference per hypothesis");
    let (mut correct, mut total) = ([0usize; MAX_ORDER], [0usize; MAX_ORDER]);
    let (mut sys_len, mut ref_len) = (0usize, 0usize);
    for (hypothesis, reference) in hypotheses.iter().zip(references) {
        let hyp = tokenize_13a(hypothesis.as_ref().trim_end());
        let reference = tokenize_13a(reference.as_ref().trim_end());
        let (hyp, reference): (Vec<&str>, Vec<&str>) = (hyp.split_whitespace().collect(), reference.split_whitespace().collect());
        sys_len += hyp.len();
        ref_len += reference.len();
        for n in 1..=MAX_ORDER {
            let (h, r) = (ngrams(&hyp, n), ngrams(&reference, n));
            total[n - 1] += h.values().sum::<usize>();
            correct[n - 1] += h.iter().map(|(gram, &count)| count.min(r.get(gram).copied().unwrap_or(0))).sum::<usize>();
        }
    }
    score(&correct, &total, sys_len, ref_len)
}

fn ngrams<'a>(tokens: &[&'a str], n: usize) -> HashMap<Vec<&'a str>, usize> {
    let mut counts = HashMap::new();
    for window in tokens.windows(n) {
        *counts.entry(window.to_vec()).or_insert(0) += 1;
    }
    counts
}

/// sacrebleu's `compute_bleu` with `smooth_method = "exp"`, no effective order.
fn score(correct: &[usize; MAX_ORDER], total: &[usize; MAX_ORDER], sys_len: usize, ref_len: usize) -> f64 {
    let brevity = if sys_len >= ref_len {
        1.0
    } else if sys_len > 0 {
        (1.0 - ref_len as f64 / sys_len as f64).exp()
    } else {
        0.0
    };
    if correct.iter().all(|&c| c == 0) {
        return 0.0;
    }
    let mut precisions = [0.0f64; MAX_ORDER];
    let mut smooth = 1.0;
    for n in 0..MAX_ORDER {
        if total[n] == 0 {
            break;
        }
        precisions[n] = if correct[n] == 0 {
            smooth *= 2.0;
            100.0 / (smooth * total[n] as f64)
        } else {
            100.0 * correct[n] as f64 / total[n] as f64
        };
    }
    // sacrebleu's `my_log`: the log of 0 floored to -9999999999.
    let log = |p: f64| if p == 0.0 { -9_999_999_999.0 } else { p.ln() };
    brevity * (precisions.iter().map(|&p| log(p)).sum::<f64>() / MAX_ORDER as f64).exp()
}

/// mteval-v13a's tokenisation, as sacrebleu's `Tokenizer13a`: `<skipped>` dropped, lines
/// joined, four HTML entities unescaped, punctuation and symbols split off, periods and
/// commas split off unless between digits, a dash after a digit split off; tokens joined by
/// single spaces.
pub fn tokenize_13a(line: &str) -> String {
    let mut line = line.replace("<skipped>", "").replace("-\n", "").replace('\n', " ");
    if line.contains('&') {
        line = line.replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
    }
    let chars: Vec<char> = format!(" {line} ").chars().collect();
    // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> " \1 "
    let symbol = |c: char| matches!(c, '{'..='~' | '['..='`' | ' '..='&' | '('..='+' | ':'..='@' | '/');
    let chars: Vec<char> = chars.into_iter().flat_map(|c| if symbol(c) { vec![' ', c, ' '] } else { vec![c] }).collect();
    let digit = |c: char| c.is_ascii_digit();
    let period = |c: char| c == '.' || c == ',';
    // ([^0-9])([\.,]) -> "\1 \2 "
    let chars = substitute_pairs(&chars, |a, b| !digit(a) && period(b), |a, b| vec![a, ' ', b, ' ']);
    // ([\.,])([^0-9]) -> " \1 \2"
    let chars = substitute_pairs(&chars, |a, b| period(a) && !digit(b), |a, b| vec![' ', a, ' ', b]);
    // ([0-9])(-) -> "\1 \2 "
    let chars = substitute_pairs(&chars, |a, b| digit(a) && b == '-', |a, b| vec![a, ' ', b, ' ']);
    let text: String = chars.into_iter().collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `re.sub` of a two-character pattern: matches found left to right without overlapping
/// (a match consumes both characters), each replaced by `replace`.
fn substitute_pairs(chars: &[char], matches: impl Fn(char, char) -> bool, replace: impl Fn(char, char) -> Vec<char>) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len() + chars.len() / 4);
    let mut i = 0;
    while i < chars.len() {
        if i + 1 < chars.len() && matches(chars[i], chars[i + 1]) {
            out.extend(replace(chars[i], chars[i + 1]));
            i += 2;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}
