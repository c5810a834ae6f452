use std::path::Path;

use crate::DataError;

/// Reads a UTF-8 text file, refusing empty and binary files with a message naming it.
pub fn read_text_file(path: &Path) -> Result<String, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    if bytes.is_empty() {
        return Err(DataError::invalid(path, "the file is empty"));
    }
    if bytes.contains(&0) {
        return Err(DataError::invalid(path, "the file is binary (it contains NUL bytes), expected UTF-8 text"));
    }
    String::from_utf8(bytes).map_err(|e| {
        DataError::invalid(path, format!("not valid UTF-8 at byte {}", e.utf8_error().valid_up_to()))
    })
}
