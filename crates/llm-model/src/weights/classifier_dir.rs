//! Classifier directories: the body as a Hugging Face directory of its family (a BERT body:
//! a `BertModel` with its pooler), plus
//! `classifier.safetensors` (the head, `score.weight` `[classes, d]` and `score.bias`),
//! `classifier.json` ([`ClassifierMeta`]) and, for an unmerged LoRA model,
//! `adapter.safetensors` (every adapter's `A` `[d_in, rank]` and `B` `[rank, d_out]`).

use std::collections::HashMap;
use std::path::Path;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::assign::{Loader, host};
use super::{HostTensor, read_safetensors, write_atomically, write_safetensors};
use crate::lora::{LoraAdapter, LoraConfig};
use crate::{Classifier, ClassifierBody, ModelError, Pooling};

const HEAD_FILE: &str = "classifier.safetensors";
const ADAPTER_FILE: &str = "adapter.safetensors";
const META_FILE: &str = "classifier.json";

/// What a classifier directory says about its task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierMeta {
    /// Class names; index = class.
    pub labels: Vec<String>,
    pub pooling: Pooling,
    /// Texts are cut to this many tokens and padded to it.
    pub max_length: usize,
    pub pad_token_id: u32,
    /// Set when `adapter.safetensors` holds unmerged LoRA adapters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lora: Option<LoraConfig>,
}

/// Saves `model` into `dir`. With `merge_lora`, adapters are folded into the weights and
/// the directory is a plain classifier; without, they go to `adapter.safetensors` beside
/// the unchanged base weights.
pub fn save_classifier_dir(model: &Classifier, meta: &ClassifierMeta, dir: &Path, merge_lora: bool) -> Result<(), ModelError> {
    let mut meta = meta.clone();
    let mut model = if merge_lora && model.has_lora() {
        meta.lora = None;
        model.clone().merge_lora()
    } else {
        model.clone()
    };
    model.body.save(dir)?;
    let pt = || HashMap::from([("format".to_string(), "pt".to_string())]);
    let mut head = vec![("score.weight".to_string(), host(&model.head.weight.val()).transpose())];
    if let Some(bias) = &model.head.bias {
        head.push(("score.bias".to_string(), host(&bias.val())));
    }
    write_safetensors(&dir.join(HEAD_FILE), &head, pt())?;
    let adapter_path = dir.join(ADAPTER_FILE);
    if model.has_lora() {
        let mut tensors: Vec<(String, HostTensor)> = Vec::new();
        for (name, adapter) in adapters_mut(&mut model) {
            tensors.push((format!("{name}.A"), host(&adapter.a.val())));
            tensors.push((format!("{name}.B"), host(&adapter.b.val())));
        }
        write_safetensors(&adapter_path, &tensors, pt())?;
    } else if adapter_path.exists() {
        std::fs::remove_file(&adapter_path).map_err(|e| ModelError::io(&adapter_path, e))?;
    }
    let json = serde_json::to_string_pretty(&meta).expect("meta serialises");
    write_atomically(&dir.join(META_FILE), json.as_bytes())
}

/// Loads a classifier directory written by [`save_classifier_dir`].
pub fn load_classifier_dir(dir: &Path, device: &Device) -> Result<(Classifier, ClassifierMeta), ModelError> {
    let meta_path = dir.join(META_FILE);
    let text = std::fs::read_to_string(&meta_path).map_err(|e| ModelError::io(&meta_path, e))?;
    let meta: ClassifierMeta = serde_json::from_str(&text).map_err(|e| ModelError::Config {
        path: meta_path.clone(),
        message: e.to_string(),
    })?;
    let body = ClassifierBody::load(dir, device)?;
    let d = body.hidden_size();
    let classes = meta.labels.len();
    let mut model = Classifier::new(body, classes, meta.pooling, device).map_err(|e| ModelError::Config {
        path: meta_path.clone(),
        message: e.to_string(),
    })?;
    let head_path = dir.join(HEAD_FILE);
    let mut map = read_safetensors(&head_path)?;
    let mut loader = Loader { map: &mut map, device };
    let weight = loader.map.take("score.weight", &[classes, d])?;
    model.head.weight = loader.param_from(weight.transpose());
    model.head.bias = Some(loader.param("score.bias", &[classes])?);
    map.finish()?;

    if let Some(lora) = &meta.lora {
        lora.validate()?;
        model = model.with_lora(lora, device);
        let mut map = read_safetensors(&dir.join(ADAPTER_FILE))?;
        let mut loader = Loader { map: &mut map, device };
        for (name, adapter) in adapters_mut(&mut model) {
            let [d_in, rank] = adapter.a.dims();
            let d_out = adapter.b.dims()[1];
            adapter.a = loader.param(&format!("{name}.A"), &[d_in, rank])?;
            adapter.b = loader.param(&format!("{name}.B"), &[rank, d_out])?;
        }
        map.finish()?;
    }
    Ok((model, meta))
}

/// Every adapter of `model` with its tensor-name prefix: the body's, then the head's.
fn adapters_mut(model: &mut Classifier) -> Vec<(String, &mut LoraAdapter)> {
    let mut out = model.body.adapters_mut();
    if let Some(a) = &mut model.head_lora {
        out.push(("score.lora".to_string(), a));
    }
    out
}
