//! Hugging Face Llama and Qwen3 directories: `config.json`, and the weights in
//! `model.safetensors` or in the shards `model.safetensors.index.json` lists (f32, bf16 or
//! f16), named `model.embed_tokens.weight`, `model.layers.N.…`, `lm_head.weight`.

use std::collections::BTreeSet;
use std::path::Path;

use burn::tensor::Device;

use super::hf::WEIGHTS_FILE;
use super::hf_files::{read_config_json, write_hf_model_files};
use super::{TensorMap, WeightDtype, read_safetensors};
use crate::decoder::{Decoder, DecoderAttention, DecoderConfig, HfDecoderConfig};
use crate::{Family, LanguageModel, ModelError};

/// The index of a sharded checkpoint.
pub const INDEX_FILE: &str = "model.safetensors.index.json";
/// The prefix `LlamaForCausalLM` and `Qwen3ForCausalLM` put before the decoder's tensors.
const PREFIX: &str = "model.";

/// Every tensor of a directory's weights, from `model.safetensors` or from the shards its
/// index lists, as f32.
pub fn read_weights(dir: &Path) -> Result<TensorMap, ModelError> {
    let single = dir.join(WEIGHTS_FILE);
    if single.is_file() {
        return read_safetensors(&single);
    }
    let index_path = dir.join(INDEX_FILE);
    let text = std::fs::read_to_string(&index_path).map_err(|_| ModelError::NoModel { dir: dir.to_path_buf() })?;
    let index: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ModelError::Config { path: index_path.clone(), message: e.to_string() })?;
    let weight_map = index.get("weight_map").and_then(|m| m.as_object()).ok_or_else(|| ModelError::Config {
        path: index_path.clone(),
        message: "no `weight_map` object".into(),
    })?;
    let shards: BTreeSet<&str> = weight_map.values().filter_map(|v| v.as_str()).collect();
    let mut map = TensorMap::new();
    for shard in shards {
        for (name, tensor) in read_safetensors(&dir.join(shard))?.into_iter() {
            map.insert(name, tensor);
        }
    }
    for name in weight_map.keys() {
        if !map.contains(name) {
            return Err(ModelError::MissingTensor { name: name.clone(), hint: format!(" ({INDEX_FILE} lists it)") });
        }
    }
    Ok(map)
}

/// Reads the `config.json` of a Llama or Qwen3 directory.
pub fn read_decoder_config(dir: &Path) -> Result<DecoderConfig, ModelError> {
    read_config_json(dir, |wire: HfDecoderConfig| wire.to_config())
}

/// Loads a Llama (`family` = `Llama`) or Qwen3 directory.
pub fn load_decoder_dir(dir: &Path, family: Family, device: &Device) -> Result<LanguageModel, ModelError> {
    load_decoder_dir_as(dir, family, device, WeightDtype::F32)
}

/// [`load_decoder_dir`] with the matrices in `dtype`, each converted as it is read.
pub fn load_decoder_dir_as(dir: &Path, family: Family, device: &Device, dtype: WeightDtype) -> Result<LanguageModel, ModelError> {
    let config = read_decoder_config(dir)?;
    let mut map = TensorMap::new();
    for (name, tensor) in read_weights(dir)?.into_iter() {
        map.insert(name.strip_prefix(PREFIX).map(str::to_string).unwrap_or(name), tensor);
    }
    // Checkpoints with a tied head may still carry a copy of it.
    if config.tie_embeddings {
        map.discard(|n| n == "lm_head.weight");
    }
    let dtype = dtype.burn_dtype();
    Ok(match family {
        Family::Llama => LanguageModel::Llama(Decoder::from_tensor_map_in(&config, map, device, dtype)?),
        Family::Qwen3 => LanguageModel::Qwen3(Decoder::from_tensor_map_in(&config, map, device, dtype)?),
        Family::Gpt2 => unreachable!("GPT-2 directories load through load_hf_dir"),
    })
}

/// Saves a Llama or Qwen3 model as the directory `transformers`' `save_pretrained` writes
/// (one `model.safetensors` in `dtype`; tokenizer files are the caller's).
pub fn save_decoder_dir<A: DecoderAttention>(model: &Decoder<A>, family: Family, dir: &Path, dtype: WeightDtype) -> Result<(), ModelError> {
    let architecture = match family {
        Family::Llama => "LlamaForCausalLM",
        Family::Qwen3 => "Qwen3ForCausalLM",
        Family::Gpt2 => unreachable!("GPT-2 directories save through save_hf_dir"),
    };
    let config = HfDecoderConfig::from_config(model.config(), family.model_type(), architecture);
    let json = serde_json::to_value(&config).expect("config serialises");
    write_hf_model_files(dir, PREFIX, model.to_tensor_map().into_iter(), json, dtype)
}
