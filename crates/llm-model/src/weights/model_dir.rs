use std::path::Path;

use burn::tensor::Device;

use super::book::BOOK_WEIGHTS_FILE;
use super::hf::WEIGHTS_FILE;
use super::{load_book_dir, load_hf_dir};
use crate::{Gpt, ModelError};

/// The weight formats a model directory can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelFormat {
    /// `config.json` + `model.safetensors` (Hugging Face GPT-2).
    HuggingFace,
    /// `config.json` + `model.pth` (the book's `GPTModel` state dict).
    Book,
}

/// Which format `dir` holds, by the weight file it contains.
pub fn model_format(dir: &Path) -> Result<ModelFormat, ModelError> {
    if !dir.is_dir() {
        return Err(ModelError::io(
            dir,
            std::io::Error::new(std::io::ErrorKind::NotFound, "model directory not found"),
        ));
    }
    if dir.join(WEIGHTS_FILE).is_file() {
        Ok(ModelFormat::HuggingFace)
    } else if dir.join(BOOK_WEIGHTS_FILE).is_file() {
        Ok(ModelFormat::Book)
    } else {
        Err(ModelError::NoModel {
            dir: dir.to_path_buf(),
        })
    }
}

/// Loads any model directory this crate can read.
pub fn load_model(dir: &Path, device: &Device) -> Result<Gpt, ModelError> {
    let gpt = match model_format(dir)? {
        ModelFormat::HuggingFace => load_hf_dir(dir, device)?,
        ModelFormat::Book => load_book_dir(dir, device)?,
    };
    tracing::info!(
        dir = %dir.display(),
        params = gpt.config().num_params(),
        "loaded model"
    );
    Ok(gpt)
}
