use std::path::Path;

use super::template::CHAT_TEMPLATE_FILE;
use crate::DataError;
use crate::tokenizer::{MARIAN_VOCAB, SOURCE_SPM, TARGET_SPM};

/// The files beside `tokenizer.json` that say how a model talks: special tokens, chat
/// template, end-of-sequence ids, and the vocabulary files of the slow tokenizers
/// (BERT's `vocab.txt`; Marian's SentencePiece models and `vocab.json`).
pub const TOKENIZER_COMPANIONS: [&str; 8] = [
    "tokenizer_config.json",
    "special_tokens_map.json",
    "generation_config.json",
    CHAT_TEMPLATE_FILE,
    "vocab.txt",
    SOURCE_SPM,
    TARGET_SPM,
    MARIAN_VOCAB,
];

/// Copies those of [`TOKENIZER_COMPANIONS`] that `from` has into `to` (which exists), each through a
/// temporary file; returns the names copied.
pub fn copy_tokenizer_companions(from: &Path, to: &Path) -> Result<Vec<&'static str>, DataError> {
    let mut copied = Vec::new();
    for name in TOKENIZER_COMPANIONS {
        let source = from.join(name);
        if !source.is_file() || from.join(name) == to.join(name) {
            continue;
        }
        let target = to.join(name);
        let tmp = to.join(format!("{name}.tmp"));
        std::fs::copy(&source, &tmp).map_err(|e| DataError::io(&source, e))?;
        std::fs::rename(&tmp, &target).map_err(|e| DataError::io(&target, e))?;
        copied.push(name);
    }
    Ok(copied)
}
