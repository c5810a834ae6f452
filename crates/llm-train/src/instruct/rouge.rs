/// ROUGE-L F1 between a candidate and a reference, as Google's `rouge_score` computes it
/// without stemming: both lowercased, split into runs of ASCII letters and digits, and
/// scored by their longest common subsequence (precision over the candidate's tokens,
/// recall over the reference's, F1 their harmonic mean). 0 when either side is empty.
pub fn rouge_l_f1(candidate: &str, reference: &str) -> f64 {
    let (c, r) = (tokens(candidate), tokens(reference));
    if c.is_empty() || r.is_empty() {
        return 0.0;
    }
    let lcs = lcs_len(&c, &r) as f64;
    if lcs == 0.0 {
        return 0.0;
    }
    let (precision, recall) = (lcs / c.len() as f64, lcs / r.len() as f64);
    2.0 * precision * recall / (precision + recall)
}

fn tokens(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect()
}

fn lcs_len(a: &[String], b: &[String]) -> usize {
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut diagonal = 0;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y { diagonal + 1 } else { above.max(row[j]) };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::rouge_l_f1;

    #[test]
    fn known_values() {
        // rouge_score's README example: LCS "the quick brown jumps the" = 5 of 8 candidate
        // and 9 reference tokens: P 0.625, R 0.5556, F 0.5882.
        let f = rouge_l_f1("The quick brown dog jumps on the log.", "The quick brown fox jumps over the lazy dog");
        assert!((f - 0.588_235_294_117_647_1).abs() < 1e-12, "{f}");
        assert_eq!(rouge_l_f1("Same words, same order!", "same words same order"), 1.0);
        assert_eq!(rouge_l_f1("", "anything"), 0.0);
        assert_eq!(rouge_l_f1("nothing shared", "at all"), 0.0);
        // Order matters: "b a" against "a b" shares a subsequence of one token.
        assert!((rouge_l_f1("b a", "a b") - 0.5).abs() < 1e-12);
    }
}
