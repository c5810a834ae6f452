use std::path::Path;

use super::template::CHAT_TEMPLATE_FILE;
use crate::DataError;

/// The files beside `tokenizer.json` that say how a model talks: special tokens, chat
/// template, end-of-sequence ids.
pub const CHAT_FILES: [&str; 4] = ["tokenizer_config.json", "special_tokens_map.json", "generation_config.json", CHAT_TEMPLATE_FILE];

/// Copies those of [`CHAT_FILES`] that `from` has into `to` (which exists), each through a
/// temporary file; returns the names copied.
pub fn copy_chat_files(from: &Path, to: &Path) -> Result<Vec<&'static str>, DataError> {
    let mut copied = Vec::new();
    for name in CHAT_FILES {
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
