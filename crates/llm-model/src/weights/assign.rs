use burn::module::Param;
use burn::nn::{LayerNorm, Linear};
use burn::tensor::{Device, Tensor, TensorData};

use super::{HostTensor, TensorMap};
use crate::{Gpt, GptConfig, ModelError};

/// Builds a model of `config` from tensors in canonical GPT-2 naming and layout
/// (no `transformer.` prefix; linear weights `[in, out]`; `lm_head.weight` `[vocab, d]`).
///
/// Every expected tensor must be there with its shape, and nothing else may be.
pub fn from_tensor_map(
    config: &GptConfig,
    mut map: TensorMap,
    device: &Device,
) -> Result<Gpt, ModelError> {
    let d = config.emb_dim;
    let mut gpt = config.init(device)?;
    let mut loader = Loader {
        map: &mut map,
        device,
    };
    gpt.wte.weight = loader.param("wte.weight", &[config.vocab_size, d])?;
    gpt.wpe.weight = loader.param("wpe.weight", &[config.context_length, d])?;
    for (i, block) in gpt.h.iter_mut().enumerate() {
        let p = format!("h.{i}");
        loader.norm(&mut block.ln_1, &format!("{p}.ln_1"), d)?;
        loader.linear(&mut block.attn.c_attn, &format!("{p}.attn.c_attn"), d, 3 * d)?;
        loader.linear(&mut block.attn.c_proj, &format!("{p}.attn.c_proj"), d, d)?;
        loader.norm(&mut block.ln_2, &format!("{p}.ln_2"), d)?;
        loader.linear(&mut block.mlp.c_fc, &format!("{p}.mlp.c_fc"), d, 4 * d)?;
        loader.linear(&mut block.mlp.c_proj, &format!("{p}.mlp.c_proj"), 4 * d, d)?;
    }
    loader.norm(&mut gpt.ln_f, "ln_f", d)?;
    if let Some(head) = gpt.lm_head.as_mut() {
        // nn.Linear layout in the file, `[vocab, d]`; Burn's Linear holds `[d, vocab]`.
        let w = loader.map.take("lm_head.weight", &[config.vocab_size, d])?;
        head.weight = loader.param_from(w.transpose());
    }
    map.finish()?;
    Ok(gpt)
}

/// The model's tensors in canonical naming and layout (the inverse of [`from_tensor_map`]).
pub fn to_tensor_map(gpt: &Gpt) -> TensorMap {
    let mut map = TensorMap::new();
    map.insert("wte.weight", host(&gpt.wte.weight.val()));
    map.insert("wpe.weight", host(&gpt.wpe.weight.val()));
    for (i, block) in gpt.h.iter().enumerate() {
        let p = format!("h.{i}");
        put_norm(&mut map, &format!("{p}.ln_1"), &block.ln_1);
        put_linear(&mut map, &format!("{p}.attn.c_attn"), &block.attn.c_attn);
        put_linear(&mut map, &format!("{p}.attn.c_proj"), &block.attn.c_proj);
        put_norm(&mut map, &format!("{p}.ln_2"), &block.ln_2);
        put_linear(&mut map, &format!("{p}.mlp.c_fc"), &block.mlp.c_fc);
        put_linear(&mut map, &format!("{p}.mlp.c_proj"), &block.mlp.c_proj);
    }
    put_norm(&mut map, "ln_f", &gpt.ln_f);
    if let Some(head) = &gpt.lm_head {
        map.insert("lm_head.weight", host(&head.weight.val()).transpose());
    }
    map
}

pub(crate) fn host<const D: usize>(tensor: &Tensor<D>) -> HostTensor {
    let shape = tensor.dims().to_vec();
    let values: Vec<f32> = tensor.to_data().iter::<f32>().collect();
    HostTensor::new(shape, values)
}

fn put_linear(map: &mut TensorMap, prefix: &str, linear: &Linear) {
    map.insert(format!("{prefix}.weight"), host(&linear.weight.val()));
    if let Some(bias) = &linear.bias {
        map.insert(format!("{prefix}.bias"), host(&bias.val()));
    }
}

fn put_norm(map: &mut TensorMap, prefix: &str, norm: &LayerNorm) {
    map.insert(format!("{prefix}.weight"), host(&norm.gamma.val()));
    if let Some(beta) = &norm.beta {
        map.insert(format!("{prefix}.bias"), host(&beta.val()));
    }
}

pub(crate) struct Loader<'a> {
    pub(crate) map: &'a mut TensorMap,
    pub(crate) device: &'a Device,
}

impl Loader<'_> {
    pub(crate) fn param_from<const D: usize>(&self, t: HostTensor) -> Param<Tensor<D>> {
        Param::from_data(TensorData::new(t.data, t.shape), self.device)
    }

    pub(crate) fn param<const D: usize>(
        &mut self,
        name: &str,
        shape: &[usize],
    ) -> Result<Param<Tensor<D>>, ModelError> {
        let t = self.map.take(name, shape)?;
        Ok(self.param_from(t))
    }

    fn linear(
        &mut self,
        linear: &mut Linear,
        prefix: &str,
        d_in: usize,
        d_out: usize,
    ) -> Result<(), ModelError> {
        linear.weight = self.param(&format!("{prefix}.weight"), &[d_in, d_out])?;
        if linear.bias.is_some() {
            linear.bias = Some(self.param(&format!("{prefix}.bias"), &[d_out])?);
        }
        Ok(())
    }

    fn norm(&mut self, norm: &mut LayerNorm, prefix: &str, d: usize) -> Result<(), ModelError> {
        norm.gamma = self.param(&format!("{prefix}.weight"), &[d])?;
        norm.beta = Some(self.param(&format!("{prefix}.bias"), &[d])?);
        Ok(())
    }
}

