use std::path::PathBuf;

use crate::config::ConfigError;

/// Why a training run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Data(#[from] llm_data::DataError),
    #[error(transparent)]
    Model(#[from] llm_model::ModelError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("{what}: reading it from the device failed ({device}): {message}")]
    Device { what: String, device: String, message: String },
    #[error("training stopped: {0}")]
    Interrupted(String),
    #[error("step {step}: the training loss is {loss}, not a finite number; the run stopped before this step's update ({kept})")]
    NonFiniteLoss { step: usize, loss: f64, kept: String },
    #[error("step {step}: the weights hold NaN or infinite values after this step's update; no checkpoint was written ({kept})")]
    NonFiniteWeights { step: usize, kept: String },
}

impl TrainError {
    /// A failed read of `what` from `device` (a GPU that cannot hold a buffer, a lost device).
    pub fn device(what: impl Into<String>, device: &burn::tensor::Device, error: impl std::fmt::Display) -> Self {
        Self::Device { what: what.into(), device: format!("{device:?}"), message: error.to_string().replace('\n', " ") }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
