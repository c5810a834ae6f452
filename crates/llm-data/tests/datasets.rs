//! The book's chapter-2/5 data pipeline on the-verdict.txt, and loader semantics.

mod common;

use burn::data::dataloader::DataLoader;
use burn::tensor::Device;
use common::*;
use llm_data::Tokenizer;
use burn::data::dataset::Dataset;
use llm_data::dataset::{
    LmBatch, LmBatcher, LmItem, LmWindows, LoaderOptions, TokenSource, cached_token_file, lm_loader, split_train_val,
};

fn batches(loader: &dyn DataLoader<LmBatch>) -> Vec<Vec<i64>> {
    loader.iter().map(|b| b.unwrap().inputs.into_data().iter::<i64>().collect()).collect()
}

#[test]
fn the_verdict_gives_the_books_token_counts() {
    // Chapter 5: context 256, stride 256, batch 2, 90/10 split by characters, train with
    // shuffle + drop_last → "Training tokens: 4608, Validation tokens: 512".
    let text = std::fs::read_to_string(data_file("the-verdict.txt")).unwrap();
    let (train, val) = split_train_val(&text, 0.9);
    let tok = Tokenizer::gpt2();
    let device = Device::flex();
    let train_ds = LmWindows::new(tok.encode(train), 256, 256).unwrap();
    let val_ds = LmWindows::new(tok.encode(val), 256, 256).unwrap();
    let train_opts = LoaderOptions { batch_size: 2, shuffle_seed: Some(123), drop_last: true };
    let val_opts = LoaderOptions { batch_size: 2, shuffle_seed: None, drop_last: false };
    let train_loader = lm_loader(train_ds, LmBatcher, &train_opts, &device);
    let val_loader = lm_loader(val_ds, LmBatcher, &val_opts, &device);
    let count = |l: &dyn DataLoader<LmBatch>| -> usize {
        l.iter().map(|b| { let [n, t] = b.unwrap().inputs.dims(); n * t }).sum()
    };
    assert_eq!(count(train_loader.as_ref()), 4608);
    assert_eq!(count(val_loader.as_ref()), 512);
}

#[test]
fn targets_are_inputs_shifted_by_one() {
    let ds = LmWindows::new((0..50).collect::<Vec<u32>>(), 8, 5).unwrap();
    let loader = lm_loader(ds, LmBatcher, &LoaderOptions { batch_size: 3, shuffle_seed: None, drop_last: false }, &Device::flex());
    let batch = loader.iter().next().unwrap().unwrap();
    let inputs: Vec<i64> = batch.inputs.into_data().iter::<i64>().collect();
    let targets: Vec<i64> = batch.targets.into_data().iter::<i64>().collect();
    assert_eq!(&inputs[..8], &[0, 1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(&targets[..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(&inputs[8..16], &[5, 6, 7, 8, 9, 10, 11, 12]);
}

#[test]
fn shuffling_is_seeded_and_drop_last_drops_the_partial_batch() {
    let device = Device::flex();
    let make = |seed, drop_last| {
        let ds = LmWindows::new((0..12).collect::<Vec<u32>>(), 1, 1).unwrap(); // 11 items
        lm_loader(ds, LmBatcher, &LoaderOptions { batch_size: 4, shuffle_seed: seed, drop_last }, &device)
    };
    let a = batches(make(Some(1), true).as_ref());
    assert_eq!(a.len(), 2, "11 items in batches of 4, partial batch dropped");
    assert!(a.iter().all(|b| b.len() == 4));
    assert_eq!(a, batches(make(Some(1), true).as_ref()), "same seed, same order");
    assert_ne!(a, batches(make(Some(2), true).as_ref()), "another seed, another order");
    let kept = batches(make(None, false).as_ref());
    assert_eq!(kept.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 3]);
    assert_eq!(kept[0], vec![0, 1, 2, 3], "no shuffle keeps order");
    // Every epoch reshuffles.
    let loader = make(Some(1), true);
    assert_ne!(batches(loader.as_ref()), batches(loader.as_ref()));
}

#[test]
fn items_hold_windows() {
    let ds = LmWindows::new(vec![9, 8, 7, 6], 2, 2).unwrap();
    use burn::data::dataset::Dataset;
    assert_eq!(ds.get(0).unwrap(), LmItem { input: vec![9, 8], target: vec![8, 7] });
}

#[test]
fn the_token_file_holds_the_whole_texts_ids_and_is_reused() {
    let text_path = common::data_dir().join("tinyshakespeare.txt");
    let tok = Tokenizer::gpt2();
    let expected = tok.encode(&std::fs::read_to_string(&text_path).unwrap());
    let cache = tempfile::tempdir().unwrap();
    let tokens = cached_token_file(&text_path, &tok, cache.path()).unwrap();
    assert_eq!(tokens.width(), 2, "GPT-2 ids fit in u16");
    assert_eq!(tokens.len(), expected.len());
    assert_eq!(tokens.read(0, tokens.len()), expected);
    let files: Vec<_> = std::fs::read_dir(cache.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let modified = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
    // The second call maps the same file instead of tokenizing again.
    let again = cached_token_file(&text_path, &tok, cache.path()).unwrap();
    assert_eq!(again.len(), expected.len());
    assert_eq!(std::fs::metadata(&files[0]).unwrap().modified().unwrap(), modified);
    // Windows over the mapped file are the book's windows.
    let mapped = LmWindows::from_source(std::sync::Arc::new(tokens.slice(0, 1000)), 256, 128).unwrap();
    let in_memory = LmWindows::new(expected[..1000].to_vec(), 256, 128).unwrap();
    assert_eq!(mapped.len(), in_memory.len());
    for i in 0..mapped.len() {
        assert_eq!(mapped.get(i).unwrap(), in_memory.get(i).unwrap());
    }
}
