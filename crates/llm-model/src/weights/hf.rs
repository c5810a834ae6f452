use std::path::Path;

use burn::tensor::Device;

use super::hf_files::{read_config_json, write_hf_model_files};
use super::{
    HfGpt2Config, HostTensor, TensorMap, WeightDtype, from_tensor_map, read_safetensors, to_tensor_map,
};
use crate::{Gpt, ModelError};

pub const CONFIG_FILE: &str = "config.json";
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// The prefix `GPT2LMHeadModel` puts before the transformer's tensors.
const PREFIX: &str = "transformer.";

/// Reads the `config.json` of a Hugging Face GPT-2 directory.
pub fn read_hf_config(dir: &Path) -> Result<HfGpt2Config, ModelError> {
    read_config_json(dir, Ok)
}

/// Loads a Hugging Face GPT-2 directory (`config.json` + `model.safetensors`).
///
/// Accepts tensor names with or without the `transformer.` prefix, a tied or separate
/// `lm_head.weight`, and ignores the attention-mask buffers (`attn.bias`, `attn.masked_bias`).
/// Conv1D weights are already `[in, out]`, Burn's `Linear` layout, so nothing is transposed
/// but `lm_head`.
pub fn load_hf_dir(dir: &Path, device: &Device) -> Result<Gpt, ModelError> {
    let config = read_hf_config(dir)?.to_config().map_err(|e| match e {
        ModelError::InvalidConfig(message) => ModelError::Config {
            path: dir.join(CONFIG_FILE),
            message,
        },
        other => other,
    })?;
    let raw = read_safetensors(&dir.join(WEIGHTS_FILE))?;
    let mut map = TensorMap::new();
    for (name, tensor) in raw.into_iter() {
        let name = name.strip_prefix(PREFIX).unwrap_or(&name).to_string();
        map.insert(name, tensor);
    }
    map.discard(|n| n.ends_with(".attn.bias") || n.ends_with(".attn.masked_bias"));
    if config.tie_embeddings {
        map.discard(|n| n == "lm_head.weight");
    }
    if !config.qkv_bias {
        map.discard(|n| n.ends_with(".attn.c_attn.bias"));
    }
    from_tensor_map(&config, map, device)
}

/// Saves a model as a Hugging Face GPT-2 directory that
/// `transformers.GPT2LMHeadModel.from_pretrained(dir)` loads, with the tensor names that
/// `save_pretrained` writes, in f32. Tokenizer files are the caller's (see `llm-data`).
pub fn save_hf_dir(gpt: &Gpt, dir: &Path) -> Result<(), ModelError> {
    save_hf_dir_as(gpt, dir, WeightDtype::F32)
}

/// [`save_hf_dir`] with the weights in `dtype`.
pub fn save_hf_dir_as(gpt: &Gpt, dir: &Path, dtype: WeightDtype) -> Result<(), ModelError> {
    let config = gpt.config();
    let mut tensors: Vec<(String, HostTensor)> = to_tensor_map(gpt).into_iter().collect();
    if !config.qkv_bias {
        // GPT-2's Conv1D always has a bias: a zero one computes the same function.
        for i in 0..config.n_layers {
            tensors.push((format!("h.{i}.attn.c_attn.bias"), HostTensor::new(vec![3 * config.emb_dim], vec![0.0; 3 * config.emb_dim])));
        }
    }
    let json = serde_json::to_value(HfGpt2Config::from_config(config)).expect("config serialises");
    write_hf_model_files(dir, PREFIX, tensors, json, dtype)
}
