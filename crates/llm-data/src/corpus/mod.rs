//! The data directory, the dataset manifest, and downloads with checksums.

mod data_dir;
mod download;
mod manifest;
mod text;

pub use data_dir::{DATA_DIR_ENV, DEFAULT_DATA_DIR, DataDir};
pub use download::{download, sha256_file};
pub use manifest::{DatasetEntry, Manifest};
pub use text::read_text_file;
