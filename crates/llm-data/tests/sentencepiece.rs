//! SentencePiece and Marian's tokenizer against the Python `sentencepiece` package (0.2.1)
//! and `transformers`' `MarianTokenizer`, on the models `make_marian_fixtures.py` trains
//! (unigram, nmt_nfkc, 200 pieces each) and its test sentences: lines of both corpora,
//! runs of spaces and tabs, accents, full-width letters (NFKC), unseen scripts, an empty
//! string, a language code.

use std::path::{Path, PathBuf};

use llm_data::tokenizer::{MarianTokenizer, SentencePiece, TranslationTokenizer};
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../llm-model/tests/fixtures/marian")
}

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture().join("tokenizer_reference.json")).unwrap()).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

fn ids(value: &Value) -> Vec<u32> {
    value.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect()
}

#[test]
fn pieces_equal_the_sentencepiece_package() {
    let reference = reference();
    for (model, key) in [("source.spm", "source_pieces"), ("target.spm", "target_pieces")] {
        let spm = SentencePiece::from_file(&fixture().join(model)).unwrap();
        let cases = reference[key].as_array().unwrap();
        assert!(cases.len() > 50, "{} cases", cases.len());
        for case in cases {
            let text = case[0].as_str().unwrap();
            assert_eq!(spm.encode_pieces(text), strings(&case[1]), "{model}: {text:?}");
        }
    }
}

#[test]
fn decoded_pieces_equal_the_sentencepiece_package() {
    let spm = SentencePiece::from_file(&fixture().join("target.spm")).unwrap();
    for case in reference()["target_decoded"].as_array().unwrap() {
        assert_eq!(spm.decode_pieces(&strings(&case[0])), case[1].as_str().unwrap(), "{:?}", case[0]);
    }
}

#[test]
fn marian_ids_equal_marian_tokenizer() {
    let tokenizer = TranslationTokenizer::Marian(MarianTokenizer::from_dir(&fixture()).unwrap());
    for case in reference()["marian"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        assert_eq!(tokenizer.encode_source(text), ids(&case["input_ids"]), "source {text:?}");
        assert_eq!(tokenizer.encode_target(text), ids(&case["labels"]), "target {text:?}");
    }
    let translation = &reference()["translation"];
    for name in ["greedy", "beam"] {
        let generated = &translation[name];
        assert_eq!(tokenizer.decode(&ids(&generated["ids"])), generated["text"].as_str().unwrap(), "{name}");
    }
}

#[test]
fn a_tokenizer_json_gets_the_end_of_sequence_appended() {
    // A directory whose tokenizer is a tokenizer.json without Marian's rule.
    let dir = tempfile::tempdir().unwrap();
    let gpt2 = llm_data::Tokenizer::gpt2();
    gpt2.save_to_dir(dir.path()).unwrap();
    let tokenizer = TranslationTokenizer::for_model_dir(dir.path(), 7).unwrap();
    let ids = tokenizer.encode_source("Hello world");
    assert_eq!(ids, [gpt2.encode("Hello world"), vec![7]].concat());
    assert_eq!(tokenizer.decode(&ids[..ids.len() - 1]), "Hello world");
}

#[test]
fn missing_and_damaged_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let err = TranslationTokenizer::for_model_dir(dir.path(), 0).unwrap_err().to_string();
    assert!(err.contains("no tokenizer") && err.contains("source.spm"), "{err}");
    for file in ["source.spm", "target.spm", "vocab.json", "tokenizer_config.json"] {
        std::fs::copy(fixture().join(file), dir.path().join(file)).unwrap();
    }
    std::fs::write(dir.path().join("vocab.json"), r#"{"</s>": 0, "<unk>": 1}"#).unwrap();
    let err = MarianTokenizer::from_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("vocab.json") && err.contains("<pad>"), "{err}");
    std::fs::write(dir.path().join("vocab.json"), "[1, 2]").unwrap();
    let err = MarianTokenizer::from_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("vocab.json") && err.contains("piece -> id"), "{err}");
}
