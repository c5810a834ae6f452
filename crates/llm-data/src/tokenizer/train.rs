use std::path::Path;
use std::sync::Arc;

use tokenizers::models::TrainerWrapper;
use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::{AddedToken, Tokenizer as HfTokenizer};

use super::{END_OF_TEXT, Tokenizer};
use crate::DataError;

/// Trains a GPT-2-style byte-level BPE of `vocab_size` tokens (256 byte tokens,
/// `<|endoftext|>`, and merges up to the size) on a UTF-8 text file.
pub fn train_bpe(file: &Path, vocab_size: usize, show_progress: bool) -> Result<Tokenizer, DataError> {
    let min = 256 + 1;
    if vocab_size < min {
        return Err(DataError::Tokenizer(format!(
            "--vocab-size must be at least {min} (256 byte tokens and <|endoftext|>), got {vocab_size}"
        )));
    }
    let meta = std::fs::metadata(file).map_err(|e| DataError::io(file, e))?;
    if meta.len() == 0 {
        return Err(DataError::invalid(file, "the file is empty: nothing to train on"));
    }
    let mut tokenizer = HfTokenizer::new(BPE::default());
    let byte_level = ByteLevel::new(false, true, true);
    tokenizer.with_pre_tokenizer(Some(byte_level));
    tokenizer.with_decoder(Some(byte_level));
    tokenizer.with_post_processor(Some(ByteLevel::new(false, false, true)));
    let mut trainer: TrainerWrapper = BpeTrainerBuilder::new()
        .vocab_size(vocab_size)
        .min_frequency(0)
        .show_progress(show_progress)
        .special_tokens(vec![AddedToken::from(END_OF_TEXT, true)])
        .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
        .build()
        .into();
    let path = file
        .to_str()
        .ok_or_else(|| DataError::invalid(file, "path is not valid UTF-8"))?
        .to_string();
    tokenizer
        .train_from_files(&mut trainer, vec![path])
        .map_err(|e| DataError::invalid(file, format!("BPE training failed: {e}")))?;
    Ok(Tokenizer::Hf(Arc::new(tokenizer)))
}
