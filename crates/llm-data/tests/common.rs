#![allow(dead_code)]

use std::path::PathBuf;

/// The reference data directory: `$LLM_DATA_DIR`, else `../shared/data` beside the checkout.
pub fn data_dir() -> PathBuf {
    // Tests run in their crate's directory; a relative `LLM_DATA_DIR` is meant from the
    // workspace root, where `cargo test --workspace` is run (joining an absolute path keeps it).
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    match std::env::var_os("LLM_DATA_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("../shared/data"),
    }
}

pub fn data_file(name: &str) -> PathBuf {
    let path = data_dir().join(name);
    assert!(path.is_file(), "{} is missing: set LLM_DATA_DIR to the reference data", path.display());
    path
}
