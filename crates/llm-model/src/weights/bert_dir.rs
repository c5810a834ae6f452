//! Hugging Face BERT directories (`model_type` `bert`): `config.json` and the weights of a
//! `BertModel`, `BertForMaskedLM` or `BertForSequenceClassification`, whichever heads the
//! tensors hold.

use std::path::Path;

use burn::tensor::Device;

use super::hf_files::{read_config_json, write_hf_model_files};
use super::{WeightDtype, read_weights};
use crate::ModelError;
use crate::bert::{Bert, BertArchitecture, BertConfig, architecture_of, canonical_bert_tensors};

/// The prefix the heads' classes put before the encoder's tensors.
const PREFIX: &str = "bert.";

/// Reads the `config.json` of a BERT directory (and checks what it asks for is implemented).
pub fn read_bert_config(dir: &Path) -> Result<BertConfig, ModelError> {
    read_config_json(dir, |config: BertConfig| config.validate().map(|()| config))
}

/// Loads a BERT directory with the heads its tensors hold.
pub fn load_bert_dir(dir: &Path, device: &Device) -> Result<Bert, ModelError> {
    let config = read_bert_config(dir)?;
    let map = canonical_bert_tensors(read_weights(dir)?);
    let architecture = architecture_of(&map);
    let model = Bert::from_tensor_map(&config, architecture, map, device)?;
    tracing::info!(dir = %dir.display(), architecture = architecture.class_name(), "loaded model");
    Ok(model)
}

/// Saves `model` as the directory `transformers`' `save_pretrained` writes for its class
/// (tokenizer files are the caller's).
pub fn save_bert_dir(model: &Bert, dir: &Path, dtype: WeightDtype) -> Result<(), ModelError> {
    let architecture = model.architecture();
    let is_head = |name: &str| name.starts_with("cls.") || name.starts_with("classifier.");
    let tensors = model.to_tensor_map().into_iter().map(|(name, t)| {
        if architecture == BertArchitecture::Model || is_head(&name) {
            (name, t)
        } else {
            (format!("{PREFIX}{name}"), t)
        }
    });
    let mut config = serde_json::to_value(model.config()).expect("config serialises");
    let object = config.as_object_mut().expect("a config is an object");
    object.insert("model_type".into(), "bert".into());
    object.insert("architectures".into(), serde_json::json!([architecture.class_name()]));
    if let BertArchitecture::SequenceClassification { num_labels } = architecture {
        let labels_fit = object.get("id2label").and_then(|m| m.as_object()).is_some_and(|m| m.len() == num_labels);
        if !labels_fit {
            let id2label: serde_json::Map<_, _> = (0..num_labels).map(|i| (i.to_string(), format!("LABEL_{i}").into())).collect();
            let label2id: serde_json::Map<_, _> = (0..num_labels).map(|i| (format!("LABEL_{i}"), i.into())).collect();
            object.insert("id2label".into(), id2label.into());
            object.insert("label2id".into(), label2id.into());
        }
    }
    write_hf_model_files(dir, "", tensors, config, dtype)
}

