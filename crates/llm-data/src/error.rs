use std::path::PathBuf;

/// Errors of tokenization, data files and datasets; each names the file or field at fault.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },

    #[error("tokenizer: {0}")]
    Tokenizer(String),

    #[error(
        "data set `{name}` is not in {dir} and could not be downloaded from {url} ({reason}).\n\
         Place the file at {expected} (or point --data-dir / LLM_DATA_DIR at a directory that has it)"
    )]
    Unavailable {
        name: String,
        dir: PathBuf,
        url: String,
        expected: PathBuf,
        reason: String,
    },

    #[error("{path}: sha256 is {found}, the manifest expects {expected}")]
    Checksum {
        path: PathBuf,
        expected: String,
        found: String,
    },

    #[error("unknown data set `{name}`: the manifest has {known}")]
    UnknownDataset { name: String, known: String },

    #[error("{0}")]
    Dataset(String),
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}
