use std::path::PathBuf;

/// Everything that can go wrong building, loading or saving a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("unknown model preset `{name}`: expected one of {expected}")]
    UnknownPreset { name: String, expected: String },

    #[error("invalid model config: {0}")]
    InvalidConfig(String),

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}: not a valid config file: {message}")]
    Config { path: PathBuf, message: String },

    #[error("{path}: not a readable {format} file: {message}")]
    Format {
        path: PathBuf,
        format: &'static str,
        message: String,
    },

    #[error("tensor `{name}`: expected shape {expected:?}, found {found:?}")]
    Shape {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },

    #[error("tensor `{name}` is missing from the checkpoint{hint}")]
    MissingTensor { name: String, hint: String },

    #[error("unexpected tensors in the checkpoint (not part of the model): {names}")]
    UnexpectedTensors { names: String },

    #[error("tensor `{name}`: {count} of its {len} values are not finite (NaN or infinity): the weights are damaged")]
    NonFinite { name: String, count: usize, len: usize },

    #[error("tensor `{name}` has dtype {dtype}, which cannot be read as floating point")]
    DType { name: String, dtype: String },

    #[error("{path}: {message}")]
    WrongKind { path: PathBuf, message: String },

    #[error("a {architecture} has no {head}: {needed}")]
    MissingHead { architecture: &'static str, head: &'static str, needed: &'static str },

    #[error("{dir}: no model found (expected `model.safetensors` or `model.pth`, with `config.json`)")]
    NoModel { dir: PathBuf },
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// An error naming the first of `fields` that is 0.
pub(crate) fn require_at_least_one(fields: &[(&str, usize)]) -> Result<(), ModelError> {
    match fields.iter().find(|(_, value)| *value == 0) {
        Some((name, _)) => Err(ModelError::InvalidConfig(format!("`{name}` must be at least 1"))),
        None => Ok(()),
    }
}
