//! BLEU and chrF against sacrebleu 2.5.1 (`fixtures/make_translation_scores.py`): corpora
//! with a perfect match, partial matches, no common 4-gram (smoothing), 13a's punctuation,
//! number, dash and entity rules, a short and an empty hypothesis (brevity penalty), and
//! whitespace of every kind.

use std::path::Path;

use llm_train::translation::{corpus_bleu, corpus_chrf, tokenize_13a};
use serde_json::Value;

fn strings(value: &Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

#[test]
fn scores_equal_sacrebleu() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/translation_scores.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(cases.len(), 8);
    for case in &cases {
        let (hypotheses, references) = (strings(&case["hypotheses"]), strings(&case["references"]));
        let (bleu, chrf) = (corpus_bleu(&hypotheses, &references), corpus_chrf(&hypotheses, &references));
        let (expected_bleu, expected_chrf) = (case["bleu"].as_f64().unwrap(), case["chrf"].as_f64().unwrap());
        // The same sums in f64: equal up to the last bits.
        assert!((bleu - expected_bleu).abs() < 1e-9, "BLEU {bleu} vs sacrebleu {expected_bleu}: {hypotheses:?}");
        assert!((chrf - expected_chrf).abs() < 1e-9, "chrF {chrf} vs sacrebleu {expected_chrf}: {hypotheses:?}");
    }
}

#[test]
fn tokenization_follows_mteval_13a() {
    assert_eq!(tokenize_13a("He paid 1,000.50 dollars, then left."), "He paid 1,000.50 dollars , then left .");
    assert_eq!(tokenize_13a("Pages 10-20 (see \"notes\")!"), "Pages 10 - 20 ( see \" notes \" ) !");
    assert_eq!(tokenize_13a("Tom &amp; Jerry"), "Tom & Jerry");
}
