//! Layers of `transformers`' encoders and encoder–decoders to and from their checkpoint
//! tensors: `nn.Linear` with its bias (`[out, in]`, transposed to Burn's `[in, out]`),
//! `nn.LayerNorm` (`weight`, `bias`) and `nn.Embedding`.

use burn::module::Param;
use burn::nn::{Embedding, LayerNorm, Linear};
use burn::tensor::{Device, Tensor, TensorData};

use super::{HostTensor, TensorMap, host};
use crate::ModelError;

/// Named tensors taken one by one into layers, shapes checked.
pub(crate) struct HfLayers<'a> {
    pub(crate) map: &'a mut TensorMap,
    pub(crate) device: &'a Device,
}

impl HfLayers<'_> {
    pub(crate) fn param<const D: usize>(&mut self, name: &str, shape: &[usize]) -> Result<Param<Tensor<D>>, ModelError> {
        let t = self.map.take(name, shape)?;
        Ok(self.param_from(t))
    }

    pub(crate) fn param_from<const D: usize>(&self, t: HostTensor) -> Param<Tensor<D>> {
        Param::from_data(TensorData::new(t.data, t.shape), self.device)
    }

    /// `name.weight` (`[out, in]`) and `name.bias` into `linear`.
    pub(crate) fn linear(&mut self, linear: &mut Linear, name: &str) -> Result<(), ModelError> {
        let [d_in, d_out] = linear.weight.lazy_shape().dims();
        let weight = self.map.take(&format!("{name}.weight"), &[d_out, d_in])?.transpose();
        linear.weight = Param::from_data(TensorData::new(weight.data, weight.shape), self.device);
        linear.bias = Some(self.param(&format!("{name}.bias"), &[d_out])?);
        Ok(())
    }

    pub(crate) fn norm(&mut self, norm: &mut LayerNorm, name: &str) -> Result<(), ModelError> {
        let [d] = norm.gamma.lazy_shape().dims();
        norm.gamma = self.param(&format!("{name}.weight"), &[d])?;
        norm.beta = Some(self.param(&format!("{name}.bias"), &[d])?);
        Ok(())
    }

    pub(crate) fn embedding(&mut self, embedding: &mut Embedding, name: &str) -> Result<(), ModelError> {
        let shape = embedding.weight.lazy_shape().dims::<2>();
        embedding.weight = self.param(&format!("{name}.weight"), &shape)?;
        Ok(())
    }
}

/// Writes `linear` as `name.weight` (`[out, in]`) and `name.bias`.
pub(crate) fn put_linear(map: &mut TensorMap, name: &str, linear: &Linear) {
    map.insert(format!("{name}.weight"), host(&linear.weight.val()).transpose());
    if let Some(bias) = &linear.bias {
        map.insert(format!("{name}.bias"), host(&bias.val()));
    }
}

/// Writes `norm` as `name.weight` and `name.bias`.
pub(crate) fn put_layer_norm(map: &mut TensorMap, name: &str, norm: &LayerNorm) {
    map.insert(format!("{name}.weight"), host(&norm.gamma.val()));
    if let Some(beta) = &norm.beta {
        map.insert(format!("{name}.bias"), host(&beta.val()));
    }
}
