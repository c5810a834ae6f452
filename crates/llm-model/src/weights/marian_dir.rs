//! Hugging Face Marian directories (`model_type` `marian`, the OPUS-MT models):
//! `config.json` and the weights of a `MarianMTModel`.

use std::path::Path;

use burn::tensor::Device;

use super::hf_files::{read_config_json, write_hf_model_files};
use super::{WeightDtype, read_weights};
use crate::ModelError;
use crate::marian::{Marian, MarianConfig, canonical_marian_tensors};

/// The prefix `MarianMTModel` puts before the encoder's and decoder's tensors.
const PREFIX: &str = "model.";

/// Reads the `config.json` of a Marian directory (and checks what it asks for is implemented).
pub fn read_marian_config(dir: &Path) -> Result<MarianConfig, ModelError> {
    read_config_json(dir, |config: MarianConfig| config.validate().map(|()| config))
}

/// Loads a Marian directory.
pub fn load_marian_dir(dir: &Path, device: &Device) -> Result<Marian, ModelError> {
    let config = read_marian_config(dir)?;
    let model = Marian::from_tensor_map(&config, canonical_marian_tensors(read_weights(dir)?), device)?;
    tracing::info!(dir = %dir.display(), "loaded model");
    Ok(model)
}

/// Saves `model` as the directory `transformers`' `save_pretrained` writes for a
/// `MarianMTModel` (tokenizer files are the caller's).
pub fn save_marian_dir(model: &Marian, dir: &Path, dtype: WeightDtype) -> Result<(), ModelError> {
    let tensors = model.to_tensor_map().into_iter().map(|(name, t)| {
        if name == "final_logits_bias" { (name, t) } else { (format!("{PREFIX}{name}"), t) }
    });
    let mut config = serde_json::to_value(model.config()).expect("config serialises");
    let object = config.as_object_mut().expect("a config is an object");
    object.insert("model_type".into(), "marian".into());
    object.insert("architectures".into(), serde_json::json!(["MarianMTModel"]));
    object.insert("is_encoder_decoder".into(), true.into());
    write_hf_model_files(dir, "", tensors, config, dtype)
}
