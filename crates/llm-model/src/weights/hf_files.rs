//! What every Hugging Face directory has in common: reading its `config.json` into a
//! family's configuration; writing `model.safetensors` with the family's tensor-name prefix
//! (except the output head), in f32 or bf16, and `config.json` naming that element type
//! (`torch_dtype`), each written atomically.

use std::collections::HashMap;
use std::path::Path;

use super::hf::{CONFIG_FILE, WEIGHTS_FILE};
use super::{HostTensor, WeightDtype, write_atomically, write_safetensors_as};
use crate::ModelError;

/// `dir`'s `config.json` read as `W` and turned into the family's configuration by `check`;
/// an error of either names the file (a configuration `check` refuses included).
pub(crate) fn read_config_json<W: serde::de::DeserializeOwned, C>(
    dir: &Path,
    check: impl FnOnce(W) -> Result<C, ModelError>,
) -> Result<C, ModelError> {
    let path = dir.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| ModelError::io(&path, e))?;
    let wire: W = serde_json::from_str(&text).map_err(|e| ModelError::Config { path: path.clone(), message: e.to_string() })?;
    check(wire).map_err(|e| match e {
        ModelError::InvalidConfig(message) => ModelError::Config { path, message },
        other => other,
    })
}

/// Writes `tensors` (canonical names, `prefix` added to all but `lm_head.*`) as
/// `model.safetensors` in `dtype`, and `config` (a JSON object) as `config.json` with
/// `torch_dtype` set.
pub(crate) fn write_hf_model_files(
    dir: &Path,
    prefix: &str,
    tensors: impl IntoIterator<Item = (String, HostTensor)>,
    config: serde_json::Value,
    dtype: WeightDtype,
) -> Result<(), ModelError> {
    std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
    let tensors: Vec<_> = tensors
        .into_iter()
        .map(|(name, t)| (if name.starts_with("lm_head.") { name } else { format!("{prefix}{name}") }, t))
        .collect();
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    write_safetensors_as(&dir.join(WEIGHTS_FILE), &tensors, metadata, dtype)?;
    let mut config = config;
    if let Some(object) = config.as_object_mut() {
        object.insert("torch_dtype".into(), dtype.torch_name().into());
    }
    let json = serde_json::to_string_pretty(&config).expect("config serialises");
    write_atomically(&dir.join(CONFIG_FILE), json.as_bytes())
}
