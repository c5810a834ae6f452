//! GPT-2 tokenization is exact to OpenAI's encoder: the built-in tokenizer (tiktoken's
//! embedded `r50k_base` ranks) and one built by the `tokenizers` crate from OpenAI's own
//! `encoder.json` + `vocab.bpe` give identical ids on whole corpora.

mod common;

use common::*;
use llm_data::Tokenizer;
use llm_data::tokenizer::{gpt2_merges, gpt2_vocab, read_openai_files};
use proptest::prelude::*;

const BOOK_SENTENCE: &str =
    "Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace.";
const BOOK_IDS: [u32; 20] = [
    15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114, 286, 617,
    34680, 27271, 13,
];

fn openai() -> Tokenizer {
    Tokenizer::from_openai_files(&data_file("gpt2/encoder.json"), &data_file("gpt2/vocab.bpe")).unwrap()
}

#[test]
fn the_books_sentence() {
    for tokenizer in [Tokenizer::gpt2(), openai()] {
        assert_eq!(tokenizer.encode(BOOK_SENTENCE), BOOK_IDS, "{tokenizer:?}");
        assert_eq!(tokenizer.decode(&BOOK_IDS), BOOK_SENTENCE);
    }
}

#[test]
fn the_verdict_is_5145_tokens_identical_to_openai() {
    let text = std::fs::read_to_string(data_file("the-verdict.txt")).unwrap();
    let ours = Tokenizer::gpt2().encode(&text);
    assert_eq!(ours.len(), 5145);
    assert_eq!(ours, openai().encode(&text));
    assert_eq!(Tokenizer::gpt2().decode(&ours), text);
}

#[test]
fn tiny_shakespeare_is_identical_to_openai() {
    let text = std::fs::read_to_string(data_file("tinyshakespeare.txt")).unwrap();
    let ours = Tokenizer::gpt2().encode(&text);
    let theirs = openai().encode(&text);
    assert_eq!(ours.len(), theirs.len());
    assert!(ours == theirs, "first difference at {}", ours.iter().zip(&theirs).position(|(a, b)| a != b).unwrap());
    println!("tinyshakespeare.txt: {} tokens", ours.len());
}

#[test]
fn rebuilt_vocab_and_merges_equal_openais_files() {
    let (vocab, merges) = read_openai_files(&data_file("gpt2/encoder.json"), &data_file("gpt2/vocab.bpe")).unwrap();
    assert_eq!(gpt2_vocab(), vocab);
    assert_eq!(merges.len(), 50_000);
    assert_eq!(gpt2_merges(), merges);
}

#[test]
fn saved_tokenizer_json_reloads_identically() {
    let dir = tempfile::tempdir().unwrap();
    Tokenizer::gpt2().save_to_dir(dir.path()).unwrap();
    let loaded = Tokenizer::load(dir.path().to_str().unwrap()).unwrap();
    let text = std::fs::read_to_string(data_file("the-verdict.txt")).unwrap();
    assert_eq!(loaded.encode(&text), Tokenizer::gpt2().encode(&text));
    assert_eq!(loaded.encode(BOOK_SENTENCE), BOOK_IDS);
    assert_eq!(loaded.end_of_text(), Some(50256));
}

#[test]
fn bad_tokenizer_files_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokenizer.json");
    std::fs::write(&path, "{ not json").unwrap();
    let err = Tokenizer::load(path.to_str().unwrap()).unwrap_err().to_string();
    assert!(err.contains("tokenizer.json"), "{err}");
    let err = Tokenizer::load("/no/such/tokenizer.json").unwrap_err().to_string();
    assert!(err.contains("/no/such/tokenizer.json"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn decode_inverts_encode_for_any_utf8(text in any::<String>()) {
        let tokenizer = Tokenizer::gpt2();
        prop_assert_eq!(tokenizer.decode(&tokenizer.encode(&text)), text);
    }

    #[test]
    fn decode_inverts_encode_for_mixed_scripts(text in "[a-zA-Z0-9 \\n\\t.,'!?éüß漢字😀<|>]{0,80}") {
        let tokenizer = Tokenizer::gpt2();
        let ids = tokenizer.encode(&text);
        prop_assert_eq!(tokenizer.decode(&ids), text.clone());
        prop_assert_eq!(ids, openai().encode(&text));
    }
}
