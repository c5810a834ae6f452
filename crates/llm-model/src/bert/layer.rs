use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig, Linear};
use burn::tensor::activation::gelu;
use burn::tensor::{Bool, Device, Tensor};

use super::{BertAttention, BertConfig, BertLayerLora};
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
    /// LoRA adapters beside the layer's projections, when fine-tuned with them.
    pub lora: Option<BertLayerLora>,
}

impl BertLayer {
    pub fn new(config: &BertConfig, device: &Device) -> Self {
        let (d, hidden) = (config.hidden_size, config.intermediate_size);
        Self {
            attention: BertAttention::new(config, device),
            intermediate: config.hf_init().linear(d, hidden, device),
            output: config.hf_init().linear(hidden, d, device),
            layer_norm: LayerNormConfig::new(d).with_epsilon(config.layer_norm_eps).init(device),
            dropout: Dropout::new(config.hidden_dropout_prob),
            lora: None,
        }
    }

    /// `[batch, seq, d] -> [batch, seq, d]`; `padding` as in [`BertAttention::forward`].
    pub fn forward(&self, x: Tensor<3>, padding: Option<&Tensor<2, Bool>>) -> Tensor<3> {
        let lora = self.lora.as_ref();
        let x = self.attention.forward(x, padding, lora);
        let hidden = gelu(adapted(&self.intermediate, lora.map(|l| &l.intermediate), x.clone()));
        let out = self.dropout.forward(adapted(&self.output, lora.map(|l| &l.output), hidden));
        self.layer_norm.forward(x + out)
    }
}
