//! Training a byte-level BPE from scratch (the book's bonus material).

mod common;

use common::*;
use llm_data::Tokenizer;
use llm_data::tokenizer::train_bpe;

#[test]
fn trains_saves_and_reloads_a_byte_level_bpe() {
    let file = data_file("the-verdict.txt");
    let tokenizer = train_bpe(&file, 1000, false).unwrap();
    assert_eq!(tokenizer.vocab_size(), 1000);
    assert!(tokenizer.end_of_text().is_some());

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tok.json");
    tokenizer.save(&out).unwrap();
    let loaded = Tokenizer::load(out.to_str().unwrap()).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let ids = loaded.encode(&text);
    assert_eq!(loaded.decode(&ids), text, "byte-level BPE is lossless");
    // 743 merges learnt on this very text compress it well below one token per 2 chars.
    assert!(ids.len() < text.len() / 2, "{} tokens for {} chars", ids.len(), text.len());
    assert!(ids.iter().all(|&id| id < 1000));
    // Text the tokenizer never saw still round-trips through the byte alphabet.
    let unseen = "Ωμέγα → 漢字 😀";
    assert_eq!(loaded.decode(&loaded.encode(unseen)), unseen);
}

#[test]
fn refuses_impossible_sizes_and_empty_files() {
    let file = data_file("the-verdict.txt");
    let err = train_bpe(&file, 100, false).unwrap_err().to_string();
    assert!(err.contains("vocab-size") && err.contains("257"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let err = train_bpe(&empty, 500, false).unwrap_err().to_string();
    assert!(err.contains("empty.txt") && err.contains("empty"), "{err}");
}
