#![allow(dead_code)]

use std::path::PathBuf;

/// The reference data directory: `$LLM_DATA_DIR`, else `../shared/data` beside the checkout.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("LLM_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

pub fn data_file(name: &str) -> PathBuf {
    let path = data_dir().join(name);
    assert!(path.is_file(), "{} is missing: set LLM_DATA_DIR to the reference data", path.display());
    path
}
