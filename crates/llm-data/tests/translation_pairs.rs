//! Sentence pairs through Marian's tokenizer (the fixture of llm-model's
//! `make_marian_fixtures.py`) into padded batches.

use std::path::Path;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::tensor::Device;
use llm_data::tokenizer::TranslationTokenizer;
use llm_data::translation::{EncodedPairs, PairBatcher, SentencePair};

fn tokenizer() -> TranslationTokenizer {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../llm-model/tests/fixtures/marian");
    TranslationTokenizer::for_model_dir(&dir, 0).unwrap()
}

fn pair(source: &str, target: &str) -> SentencePair {
    SentencePair { source: source.into(), target: target.into() }
}

#[test]
fn pairs_are_encoded_cut_and_padded() {
    let tokenizer = tokenizer();
    let pairs = [pair("It was no great surprise to me", "Nay"), pair("Hello", "It was no surprise, my lord")];
    let encoded = EncodedPairs::new(&pairs, &tokenizer, 64);
    assert_eq!(encoded.len(), 2);
    assert_eq!(encoded.truncated(), 0);
    let first = encoded.get(0).unwrap();
    assert_eq!(first.source, tokenizer.encode_source("It was no great surprise to me"));
    assert_eq!(first.target, tokenizer.encode_target("Nay"));

    let pad = 288;
    let batch = PairBatcher { pad_id: pad }.batch(vec![encoded.get(0).unwrap(), encoded.get(1).unwrap()], &Device::flex());
    let second = encoded.get(1).unwrap();
    let s = first.source.len().max(second.source.len());
    let t = first.target.len().max(second.target.len());
    assert_eq!((batch.source.dims(), batch.labels.dims()), ([2, s], [2, t]));
    let source: Vec<i64> = batch.source.into_data().iter::<i64>().collect();
    let mask: Vec<i64> = batch.source_mask.into_data().iter::<i64>().collect();
    let labels: Vec<i64> = batch.labels.into_data().iter::<i64>().collect();
    // The second source is shorter: padded with the pad id, masked out.
    let n = second.source.len();
    assert!(n < s);
    assert_eq!(&source[s..s + n], second.source.iter().map(|&i| i as i64).collect::<Vec<_>>().as_slice());
    assert!(source[s + n..].iter().all(|&id| id == pad as i64));
    assert_eq!(mask[s..].iter().filter(|&&m| m == 1).count(), n);
    // The first target is shorter: padded with -100, ignored by the loss.
    let m = first.target.len();
    assert_eq!(labels[m - 1], 0, "the target ends with </s>");
    assert!(labels[m..t].iter().all(|&l| l == -100));
}

#[test]
fn cut_sequences_keep_their_end_of_sequence() {
    let tokenizer = tokenizer();
    let encoded = EncodedPairs::new(&[pair("It was no great surprise to me to hear that", "Nay")], &tokenizer, 5);
    let item = encoded.get(0).unwrap();
    assert_eq!(item.source.len(), 5);
    assert_eq!(item.source[..4], tokenizer.encode_source("It was no great surprise to me to hear that")[..4]);
    assert_eq!(item.source[4], 0);
    assert_eq!(encoded.truncated(), 1);
}
