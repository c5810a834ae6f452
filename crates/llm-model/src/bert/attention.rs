use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig, Linear};
use burn::tensor::{Bool, Device, Tensor};

use super::{BertConfig, BertLayerLora};
use crate::dropout::Dropout;
use crate::lora::{LoraAdapter, adapted};
use crate::masked_attention::{masked_attention, merge_heads, padding_mask, split_heads};

/// BERT's attention sublayer, post-norm: `norm(x + drop(output(attend(x))))`, where every
/// position attends to every real (non-padding) position of its sequence.
#[derive(Module, Debug)]
pub struct BertAttention {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    /// HF's `attention.output.dense`.
    pub output: Linear,
    /// HF's `attention.output.LayerNorm`.
    pub layer_norm: LayerNorm,
    pub attention_dropout: Dropout,
    pub dropout: Dropout,
    pub n_heads: usize,
}

impl BertAttention {
    pub fn new(config: &BertConfig, device: &Device) -> Self {
        let d = config.hidden_size;
        let linear = || config.hf_init().linear(d, d, device);
        Self {
            query: linear(),
            key: linear(),
            value: linear(),
            output: linear(),
            layer_norm: LayerNormConfig::new(d).with_epsilon(config.layer_norm_eps).init(device),
            attention_dropout: Dropout::new(config.attention_probs_dropout_prob),
            dropout: Dropout::new(config.hidden_dropout_prob),
            n_heads: config.num_attention_heads,
        }
    }

    /// # Shapes
    /// - x: `[batch, seq, d]`
    /// - padding: `[batch, seq]`, true at padding positions (which no position attends to)
    /// - output: `[batch, seq, d]`
    /// - lora: the layer's adapters, if any
    pub fn forward(&self, x: Tensor<3>, padding: Option<&Tensor<2, Bool>>, lora: Option<&BertLayerLora>) -> Tensor<3> {
        let heads = |layer: &Linear, adapter: Option<&LoraAdapter>| split_heads(adapted(layer, adapter, x.clone()), self.n_heads);
        let context = masked_attention(
            heads(&self.query, lora.map(|l| &l.query)),
            heads(&self.key, lora.map(|l| &l.key)),
            heads(&self.value, lora.map(|l| &l.value)),
            padding.map(padding_mask),
            &self.attention_dropout,
        );
        let out = self.dropout.forward(adapted(&self.output, lora.map(|l| &l.attention_output), merge_heads(context)));
        self.layer_norm.forward(x + out)
    }
}
