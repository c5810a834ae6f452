/// Errors in an experiment configuration; each names the file or key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("--set {0}: expected key=value")]
    SetSyntax(String),
    #[error("--set {key}: unknown key ({known})")]
    UnknownKey { key: String, known: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}
