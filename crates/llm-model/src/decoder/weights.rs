//! A decoder's tensors under their Hugging Face names without the `model.` prefix
//! (`embed_tokens.weight`, `layers.N.self_attn.q_proj.weight`, `layers.N.mlp.gate_proj.weight`,
//! `norm.weight`, and `lm_head.weight`), in `nn.Linear`'s `[out, in]` layout: Burn's `Linear`
//! holds `[in, out]`, so every projection is transposed on the way in and out.

use burn::module::Param;
use burn::nn::{Linear, RmsNorm};
use burn::tensor::{DType, Device, Tensor, TensorCreationOptions, TensorData};

use super::{Decoder, DecoderAttention, DecoderConfig};
use crate::ModelError;
use crate::weights::{HostTensor, TensorMap, host};

/// Named tensors taken one by one into a decoder's parameters, shapes checked.
pub struct HfWeights<'a> {
    map: &'a mut TensorMap,
    device: &'a Device,
    /// The dtype matrices are kept in (vectors stay f32).
    matrix_dtype: DType,
}

impl HfWeights<'_> {
    fn param<const D: usize>(&self, t: HostTensor) -> Param<Tensor<D>> {
        Param::from_data(TensorData::new(t.data, t.shape), self.device)
    }

    /// A matrix in `matrix_dtype`, converted on the host, so that an f32 copy of it never
    /// reaches the device. In f32 it is a parameter like any other: created from the host
    /// data when first used, without a second copy.
    fn matrix(&self, t: HostTensor) -> Param<Tensor<2>> {
        if self.matrix_dtype == DType::F32 {
            return self.param(t);
        }
        let data = TensorData::new(t.data, t.shape).convert_dtype(self.matrix_dtype);
        let options = TensorCreationOptions::new(self.device.clone()).with_dtype(self.matrix_dtype);
        Param::from_tensor(Tensor::from_data(data, options))
    }

    /// `name` (`[d_out, d_in]`) into `linear` (`[d_in, d_out]`, no bias).
    pub fn linear(&mut self, linear: &mut Linear, name: &str) -> Result<(), ModelError> {
        let [d_in, d_out] = linear.weight.lazy_shape().dims(); // without initialising it
        let weight = self.map.take(&format!("{name}.weight"), &[d_out, d_in])?.transpose();
        linear.weight = self.matrix(weight);
        Ok(())
    }

    pub fn rms_norm(&mut self, norm: &mut RmsNorm, name: &str) -> Result<(), ModelError> {
        let [d] = norm.gamma.lazy_shape().dims();
        let gamma = self.map.take(&format!("{name}.weight"), &[d])?;
        norm.gamma = self.param(gamma);
        Ok(())
    }
}

/// Writes `linear` as `name` in `[d_out, d_in]`.
pub fn put_linear(map: &mut TensorMap, name: &str, linear: &Linear) {
    crate::weights::hf_layers::put_linear(map, name, linear);
}

pub fn put_rms_norm(map: &mut TensorMap, name: &str, norm: &RmsNorm) {
    map.insert(format!("{name}.weight"), host(&norm.gamma.val()));
}

impl<A: DecoderAttention> Decoder<A> {
    /// The decoder of `config` with the weights of `map` (every tensor there, nothing else).
    pub fn from_tensor_map(config: &DecoderConfig, map: TensorMap, device: &Device) -> Result<Self, ModelError> {
        Self::from_tensor_map_in(config, map, device, DType::F32)
    }

    /// [`Decoder::from_tensor_map`] with the matrices (projections, embedding, output head)
    /// in `matrix_dtype` (see [`crate::matrix_dtype`]).
    pub fn from_tensor_map_in(config: &DecoderConfig, mut map: TensorMap, device: &Device, matrix_dtype: DType) -> Result<Self, ModelError> {
        let mut model: Self = config.init(device)?;
        let mut weights = HfWeights { map: &mut map, device, matrix_dtype };
        let embed = weights.map.take("embed_tokens.weight", &[config.vocab_size, config.emb_dim])?;
        model.embed_tokens.weight = weights.matrix(embed);
        for (i, layer) in model.layers.iter_mut().enumerate() {
            let p = format!("layers.{i}");
            weights.rms_norm(&mut layer.input_layernorm, &format!("{p}.input_layernorm"))?;
            layer.self_attn.load(&mut weights, &format!("{p}.self_attn"))?;
            weights.rms_norm(&mut layer.post_attention_layernorm, &format!("{p}.post_attention_layernorm"))?;
            weights.linear(&mut layer.mlp.gate_proj, &format!("{p}.mlp.gate_proj"))?;
            weights.linear(&mut layer.mlp.up_proj, &format!("{p}.mlp.up_proj"))?;
            weights.linear(&mut layer.mlp.down_proj, &format!("{p}.mlp.down_proj"))?;
        }
        weights.rms_norm(&mut model.norm, "norm")?;
        if let Some(head) = model.lm_head.as_mut() {
            weights.linear(head, "lm_head")?;
        }
        map.finish()?;
        Ok(model)
    }

    /// The decoder's tensors, named and laid out as [`Decoder::from_tensor_map`] reads them.
    pub fn to_tensor_map(&self) -> TensorMap {
        let mut map = TensorMap::new();
        map.insert("embed_tokens.weight", host(&self.embed_tokens.weight.val()));
        for (i, layer) in self.layers.iter().enumerate() {
            let p = format!("layers.{i}");
            put_rms_norm(&mut map, &format!("{p}.input_layernorm"), &layer.input_layernorm);
            layer.self_attn.save(&mut map, &format!("{p}.self_attn"));
            put_rms_norm(&mut map, &format!("{p}.post_attention_layernorm"), &layer.post_attention_layernorm);
            put_linear(&mut map, &format!("{p}.mlp.gate_proj"), &layer.mlp.gate_proj);
            put_linear(&mut map, &format!("{p}.mlp.up_proj"), &layer.mlp.up_proj);
            put_linear(&mut map, &format!("{p}.mlp.down_proj"), &layer.mlp.down_proj);
        }
        put_rms_norm(&mut map, "norm", &self.norm);
        if let Some(head) = &self.lm_head {
            put_linear(&mut map, "lm_head", head);
        }
        map
    }
}
