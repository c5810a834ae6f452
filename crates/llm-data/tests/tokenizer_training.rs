//! Training tokenizers from scratch: a byte-level BPE (the book's bonus material), BERT's
//! WordPiece and the SentencePiece-style unigram model of translation runs.

mod common;

use common::*;
use llm_data::Tokenizer;
use llm_data::tokenizer::{TokenizerKind, UNIGRAM_SPECIALS, WORDPIECE_SPECIALS, TranslationTokenizer, train_bpe, train_tokenizer};

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
    let err = train_tokenizer(&file, TokenizerKind::WordPiece, 5, false).unwrap_err().to_string();
    assert!(err.contains("vocab-size") && err.contains('6'), "{err}");
}

#[test]
fn trains_bert_s_wordpiece_with_its_special_tokens_and_template() {
    let file = data_file("the-verdict.txt");
    let tokenizer = train_tokenizer(&file, TokenizerKind::WordPiece, 1500, false).unwrap();
    assert!(tokenizer.vocab_size() <= 1500 && tokenizer.vocab_size() > 1000, "{}", tokenizer.vocab_size());
    for (id, token) in WORDPIECE_SPECIALS.iter().enumerate() {
        assert_eq!(tokenizer.token_id(token), Some(id as u32), "{token}");
    }
    // Lower-cased, split into words and pieces; the model's input is framed by [CLS] and [SEP].
    let plain = tokenizer.encode("Gisburn was THE painter.");
    let framed = tokenizer.encode_for_model("Gisburn was THE painter.");
    assert_eq!(framed, [&[2][..], &plain, &[3]].concat());
    assert_eq!(tokenizer.decode_skipping_special(&framed), "gisburn was the painter.");
    // Cut to fit, a text loses its last tokens, never its [CLS] and [SEP].
    let cut = tokenizer.encode_for_model_within("Gisburn was THE painter.", 4);
    assert_eq!(cut, [2, plain[0], plain[1], 3]);
    assert_eq!(tokenizer.encode_for_model_within("Gisburn was THE painter.", 64), framed);
    // A word never seen is cut into pieces (or [UNK]), never lost silently.
    let unseen = tokenizer.encode("zyxwvut");
    assert!(!unseen.is_empty());
    assert!(tokenizer.encode("[MASK]").contains(&4), "[MASK] is one token");
}

#[test]
fn trains_a_unigram_model_that_marks_words_as_sentencepiece_does() {
    let file = data_file("the-verdict.txt");
    let tokenizer = train_tokenizer(&file, TokenizerKind::Unigram, 800, false).unwrap();
    assert!(tokenizer.vocab_size() <= 800 && tokenizer.vocab_size() > 400, "{}", tokenizer.vocab_size());
    for (id, token) in UNIGRAM_SPECIALS.iter().enumerate() {
        assert_eq!(tokenizer.token_id(token), Some(id as u32), "{token}");
    }
    let pieces: Vec<String> = tokenizer.encode("the painter").iter().map(|&id| tokenizer.id_to_token(id).unwrap()).collect();
    assert!(pieces[0].starts_with('▁'), "{pieces:?}");
    // As a translation tokenizer: `</s>` (0) closes every sentence and is left out of the text.
    let translation = TranslationTokenizer::Json { tokenizer: tokenizer.clone(), eos: 0 };
    let ids = translation.encode_source("I had always thought Jack Gisburn rather a cheap genius.");
    assert_eq!(ids.last(), Some(&0));
    assert_eq!(translation.decode(&ids), "I had always thought Jack Gisburn rather a cheap genius.");
}
