use std::path::Path;

use burn::tensor::Device;

use super::book::BOOK_WEIGHTS_FILE;
use super::hf::{CONFIG_FILE, WEIGHTS_FILE};
use super::{INDEX_FILE, WeightDtype, load_book_dir, load_decoder_dir_as, load_hf_dir, save_decoder_dir, save_hf_dir_as};
use crate::matrix_dtype::with_bf16_matrices;
use crate::{Family, Gpt, LanguageModel, ModelError};

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
    if dir.join(WEIGHTS_FILE).is_file() || dir.join(INDEX_FILE).is_file() {
        Ok(ModelFormat::HuggingFace)
    } else if dir.join(BOOK_WEIGHTS_FILE).is_file() {
        Ok(ModelFormat::Book)
    } else {
        Err(ModelError::NoModel {
            dir: dir.to_path_buf(),
        })
    }
}

/// What a model directory holds, by its `config.json`'s `model_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// A decoder-only language model (`gpt2`, `llama`, `qwen3`; GPT-2 when there is no
    /// `model_type`, as the book's `config.json` has none).
    Decoder(Family),
    /// A BERT encoder (`bert`).
    Bert,
    /// A Marian encoder–decoder (`marian`).
    Marian,
}

impl ModelKind {
    /// The `model_type` of the kind's `config.json`.
    pub fn model_type(self) -> &'static str {
        match self {
            Self::Decoder(family) => family.model_type(),
            Self::Bert => "bert",
            Self::Marian => "marian",
        }
    }
}

/// The model types of encoders and encoder–decoders, for error messages.
const ENCODER_TYPES: [&str; 2] = ["bert", "marian"];

/// What `dir` holds, by its `config.json`.
pub fn model_kind(dir: &Path) -> Result<ModelKind, ModelError> {
    let path = dir.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| ModelError::io(&path, e))?;
    let config: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| ModelError::Config { path: path.clone(), message: e.to_string() })?;
    match config.get("model_type").and_then(|t| t.as_str()) {
        None => Ok(ModelKind::Decoder(Family::Gpt2)),
        Some("bert") => Ok(ModelKind::Bert),
        Some("marian") => Ok(ModelKind::Marian),
        Some(model_type) => Family::from_model_type(model_type).map(ModelKind::Decoder).ok_or_else(|| ModelError::Config {
            path,
            message: format!(
                "model_type `{model_type}` is not supported (supported: {}, {})",
                Family::ALL.map(Family::model_type).join(", "),
                ENCODER_TYPES.join(", ")
            ),
        }),
    }
}

/// The family of a decoder directory; an encoder is refused by name.
pub fn model_family(dir: &Path) -> Result<Family, ModelError> {
    match model_kind(dir)? {
        ModelKind::Decoder(family) => Ok(family),
        ModelKind::Bert => Err(ModelError::WrongKind {
            path: dir.join(CONFIG_FILE),
            message: "a BERT encoder (model_type `bert`): this command needs a decoder (gpt2, llama, qwen3); \
                      BERT models work with `fill-mask` and `convert`"
                .into(),
        }),
        ModelKind::Marian => Err(ModelError::WrongKind {
            path: dir.join(CONFIG_FILE),
            message: "a Marian encoder-decoder (model_type `marian`): this command needs a decoder (gpt2, llama, qwen3); \
                      translation models work with `translate` and `convert`"
                .into(),
        }),
    }
}

/// Loads a model directory of any family this crate implements.
pub fn load_language_model(dir: &Path, device: &Device) -> Result<LanguageModel, ModelError> {
    load_language_model_as(dir, device, WeightDtype::F32)
}

/// [`load_language_model`] with the weight matrices kept in `dtype` (see
/// [`crate::matrix_dtype`]): a Llama or Qwen3 matrix is converted as it is read, so loading
/// in bf16 needs about the bf16 model's memory; a GPT-2 model is converted once loaded.
pub fn load_language_model_as(dir: &Path, device: &Device, dtype: WeightDtype) -> Result<LanguageModel, ModelError> {
    model_format(dir)?;
    let model = match (model_family(dir)?, dtype) {
        (Family::Gpt2, WeightDtype::F32) => LanguageModel::Gpt2(load_model(dir, device)?),
        (Family::Gpt2, WeightDtype::Bf16) => LanguageModel::Gpt2(with_bf16_matrices(load_model(dir, device)?)),
        (family, dtype) => load_decoder_dir_as(dir, family, device, dtype)?,
    };
    tracing::info!(dir = %dir.display(), family = model.family().model_type(), "loaded model");
    Ok(model)
}

/// Saves a model of any family as a Hugging Face directory of that family, in f32.
pub fn save_language_model(model: &LanguageModel, dir: &Path) -> Result<(), ModelError> {
    save_language_model_as(model, dir, WeightDtype::F32)
}

/// [`save_language_model`] with the weights in `dtype`.
pub fn save_language_model_as(model: &LanguageModel, dir: &Path, dtype: WeightDtype) -> Result<(), ModelError> {
    match model {
        LanguageModel::Gpt2(gpt) => save_hf_dir_as(gpt, dir, dtype),
        LanguageModel::Llama(m) => save_decoder_dir(m, Family::Llama, dir, dtype),
        LanguageModel::Qwen3(m) => save_decoder_dir(m, Family::Qwen3, dir, dtype),
    }
}

/// Loads a GPT-2 family directory (Hugging Face's, or the book's state dict); a directory of
/// another family is refused by name (the commands that take any family load through
/// [`load_language_model`]).
pub fn load_model(dir: &Path, device: &Device) -> Result<Gpt, ModelError> {
    model_format(dir)?;
    if let family @ (Family::Llama | Family::Qwen3) = model_family(dir)? {
        return Err(ModelError::Config {
            path: dir.join(CONFIG_FILE),
            message: format!("a {} model: this needs a GPT-2 family model", family.model_type()),
        });
    }
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
