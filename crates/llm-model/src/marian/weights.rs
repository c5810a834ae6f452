//! A Marian model's tensors under `transformers`' names without the `model.` prefix
//! (`shared.weight`, `encoder.layers.N.self_attn.q_proj.weight`,
//! `decoder.layers.N.encoder_attn.k_proj.weight`, ...) and `final_logits_bias` (`[1, vocab]`).

use burn::tensor::Device;

use super::{DecoderLayer, EncoderLayer, FeedForward, Marian, MarianAttention, MarianConfig};
use crate::ModelError;
use crate::weights::hf_layers::{HfLayers, put_layer_norm, put_linear};
use crate::weights::{HostTensor, TensorMap, host};

fn take_attention(take: &mut HfLayers<'_>, attention: &mut MarianAttention, name: &str) -> Result<(), ModelError> {
    take.linear(&mut attention.q_proj, &format!("{name}.q_proj"))?;
    take.linear(&mut attention.k_proj, &format!("{name}.k_proj"))?;
    take.linear(&mut attention.v_proj, &format!("{name}.v_proj"))?;
    take.linear(&mut attention.out_proj, &format!("{name}.out_proj"))
}

fn take_ffn(take: &mut HfLayers<'_>, ffn: &mut FeedForward, p: &str) -> Result<(), ModelError> {
    take.linear(&mut ffn.fc1, &format!("{p}.fc1"))?;
    take.linear(&mut ffn.fc2, &format!("{p}.fc2"))?;
    take.norm(&mut ffn.final_layer_norm, &format!("{p}.final_layer_norm"))
}

fn put_attention(map: &mut TensorMap, attention: &MarianAttention, name: &str) {
    put_linear(map, &format!("{name}.q_proj"), &attention.q_proj);
    put_linear(map, &format!("{name}.k_proj"), &attention.k_proj);
    put_linear(map, &format!("{name}.v_proj"), &attention.v_proj);
    put_linear(map, &format!("{name}.out_proj"), &attention.out_proj);
}

fn put_ffn(map: &mut TensorMap, ffn: &FeedForward, p: &str) {
    put_linear(map, &format!("{p}.fc1"), &ffn.fc1);
    put_linear(map, &format!("{p}.fc2"), &ffn.fc2);
    put_layer_norm(map, &format!("{p}.final_layer_norm"), &ffn.final_layer_norm);
}

fn take_encoder_layer(take: &mut HfLayers<'_>, layer: &mut EncoderLayer, p: &str) -> Result<(), ModelError> {
    take_attention(take, &mut layer.self_attn, &format!("{p}.self_attn"))?;
    take.norm(&mut layer.self_attn_layer_norm, &format!("{p}.self_attn_layer_norm"))?;
    take_ffn(take, &mut layer.ffn, p)
}

fn take_decoder_layer(take: &mut HfLayers<'_>, layer: &mut DecoderLayer, p: &str) -> Result<(), ModelError> {
    take_attention(take, &mut layer.self_attn, &format!("{p}.self_attn"))?;
    take.norm(&mut layer.self_attn_layer_norm, &format!("{p}.self_attn_layer_norm"))?;
    take_attention(take, &mut layer.encoder_attn, &format!("{p}.encoder_attn"))?;
    take.norm(&mut layer.encoder_attn_layer_norm, &format!("{p}.encoder_attn_layer_norm"))?;
    take_ffn(take, &mut layer.ffn, p)
}

impl Marian {
    /// The model of `config` with the weights of `map` (every tensor there, nothing else).
    pub fn from_tensor_map(config: &MarianConfig, mut map: TensorMap, device: &Device) -> Result<Self, ModelError> {
        let mut model = config.init(device)?;
        let mut take = HfLayers { map: &mut map, device };
        take.embedding(&mut model.shared, "shared")?;
        for (i, layer) in model.encoder.iter_mut().enumerate() {
            take_encoder_layer(&mut take, layer, &format!("encoder.layers.{i}"))?;
        }
        for (i, layer) in model.decoder.iter_mut().enumerate() {
            take_decoder_layer(&mut take, layer, &format!("decoder.layers.{i}"))?;
        }
        let bias = take.map.take("final_logits_bias", &[1, config.vocab_size])?;
        model.final_logits_bias = take.param_from(HostTensor::new(vec![config.vocab_size], bias.data));
        map.finish()?;
        Ok(model)
    }

    /// The model's tensors, named and laid out as [`Marian::from_tensor_map`] reads them.
    pub fn to_tensor_map(&self) -> TensorMap {
        let mut map = TensorMap::new();
        map.insert("shared.weight", host(&self.shared.weight.val()));
        for (i, layer) in self.encoder.iter().enumerate() {
            let p = format!("encoder.layers.{i}");
            put_attention(&mut map, &layer.self_attn, &format!("{p}.self_attn"));
            put_layer_norm(&mut map, &format!("{p}.self_attn_layer_norm"), &layer.self_attn_layer_norm);
            put_ffn(&mut map, &layer.ffn, &p);
        }
        for (i, layer) in self.decoder.iter().enumerate() {
            let p = format!("decoder.layers.{i}");
            put_attention(&mut map, &layer.self_attn, &format!("{p}.self_attn"));
            put_layer_norm(&mut map, &format!("{p}.self_attn_layer_norm"), &layer.self_attn_layer_norm);
            put_attention(&mut map, &layer.encoder_attn, &format!("{p}.encoder_attn"));
            put_layer_norm(&mut map, &format!("{p}.encoder_attn_layer_norm"), &layer.encoder_attn_layer_norm);
            put_ffn(&mut map, &layer.ffn, &p);
        }
        let bias = host(&self.final_logits_bias.val());
        map.insert("final_logits_bias", HostTensor::new(vec![1, bias.data.len()], bias.data));
        map
    }
}

/// The tensors of a Marian checkpoint under [`Marian::from_tensor_map`]'s names: the
/// `model.` prefix taken off, and the copies the model does not keep dropped: the tied
/// `encoder.embed_tokens`, `decoder.embed_tokens` and `lm_head` (when equal to `shared`)
/// and the sinusoidal `embed_positions` tables older checkpoints store (computed here).
pub(crate) fn canonical_marian_tensors(map: TensorMap) -> TensorMap {
    let mut canonical = TensorMap::new();
    for (name, tensor) in map.into_iter() {
        let name = name.strip_prefix("model.").map(str::to_string).unwrap_or(name);
        canonical.insert(name, tensor);
    }
    for tied in ["encoder.embed_tokens.weight", "decoder.embed_tokens.weight", "lm_head.weight"] {
        if canonical.get(tied).is_some() && canonical.get(tied) == canonical.get("shared.weight") {
            canonical.discard(|n| n == tied);
        }
    }
    canonical.discard(|n| n.ends_with("embed_positions.weight"));
    canonical
}
