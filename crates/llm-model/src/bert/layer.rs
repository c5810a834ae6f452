use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::gelu;
use burn::tensor::{Bool, Device, Tensor};

use super::{BertAttention, BertConfig};
use crate::dropout::Dropout;
use crate::lora::adapted;

/// A post-norm encoder layer: the attention sublayer, then
/// `norm(x + drop(output(gelu(intermediate(x)))))` with the exact (erf) GELU.
#[derive(Module, Debug)]
pub struct BertLayer {
    pub attention: BertAttention,
    /// HF's `intermediate.dense`.
    pub intermediate: Linear,
    /// HF's `output.dense`.
    pub output: Linear,
    /// HF's `output.LayerNorm`.
    pub layer_norm: LayerNorm,
    pub dropout: Dropout,
}

impl BertLayer {
    pub fn new(config: &BertConfig, device: &Device) -> Self {
        let (d, hidden) = (config.hidden_size, config.intermediate_size);
        Self {
            attention: BertAttention::new(config, device),
            intermediate: LinearConfig::new(d, hidden).init(device),
            output: LinearConfig::new(hidden, d).init(device),
            layer_norm: LayerNormConfig::new(d).with_epsilon(config.layer_norm_eps).init(device),
            dropout: Dropout::new(config.hidden_dropout_prob),
        }
    }

    /// `[batch, seq, d] -> [batch, seq, d]`; `padding` as in [`BertAttention::forward`].
    pub fn forward(&self, x: Tensor<3>, padding: Option<&Tensor<2, Bool>>) -> Tensor<3> {
        let x = self.attention.forward(x, padding);
        let hidden = gelu(adapted(&self.intermediate, None, x.clone()));
        let out = self.dropout.forward(adapted(&self.output, None, hidden));
        self.layer_norm.forward(x + out)
    }
}
