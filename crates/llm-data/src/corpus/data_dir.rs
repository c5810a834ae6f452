use std::path::{Path, PathBuf};

use super::{DatasetEntry, Manifest, download};
use crate::DataError;

pub const DATA_DIR_ENV: &str = "LLM_DATA_DIR";
pub const DEFAULT_DATA_DIR: &str = "datasets/cache";

/// Where data sets are found: `--data-dir`, else `$LLM_DATA_DIR`, else `datasets/cache`.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
    manifest: Manifest,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            manifest: Manifest::builtin(),
        }
    }

    /// The data directory a command uses, given its `--data-dir` flag.
    pub fn resolve(flag: Option<&Path>) -> Self {
        let root = match (flag, std::env::var_os(DATA_DIR_ENV)) {
            (Some(dir), _) => dir.to_path_buf(),
            (None, Some(env)) if !env.is_empty() => PathBuf::from(env),
            _ => PathBuf::from(DEFAULT_DATA_DIR),
        };
        Self::new(root)
    }

    /// A data directory that resolves names through `manifest` instead of the built-in one.
    pub fn with_manifest(mut self, manifest: Manifest) -> Self {
        self.manifest = manifest;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Where a data set's file is (or would be).
    pub fn path_of(&self, entry: &DatasetEntry) -> PathBuf {
        self.root.join(&entry.file)
    }

    /// The path of data set `name`, downloading and verifying it first if it is missing.
    pub fn fetch(&self, name: &str) -> Result<PathBuf, DataError> {
        let entry = self.manifest.get(name)?;
        let path = self.path_of(entry);
        if path.is_file() {
            return Ok(path);
        }
        tracing::info!(dataset = name, url = %entry.url, "downloading");
        download(&entry.url, entry.member.as_deref(), &path, &entry.sha256).map_err(|e| match e {
            DataError::Checksum { .. } => e,
            other => DataError::Unavailable {
                name: name.to_string(),
                dir: self.root.clone(),
                url: entry.url.clone(),
                expected: path.clone(),
                reason: other.to_string(),
            },
        })?;
        Ok(path)
    }
}
