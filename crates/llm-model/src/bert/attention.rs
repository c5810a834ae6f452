use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Bool, Device, Tensor};

use super::BertConfig;
use crate::dropout::Dropout;
use crate::lora::adapted;

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
        let linear = || LinearConfig::new(d, d).init(device);
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
    pub fn forward(&self, x: Tensor<3>, padding: Option<&Tensor<2, Bool>>) -> Tensor<3> {
        let [b, t, d] = x.dims();
        let (h, hd) = (self.n_heads, d / self.n_heads);
        let heads = |layer: &Linear| adapted(layer, None, x.clone()).reshape([b, t, h, hd]).swap_dims(1, 2);
        let (q, k, v) = (heads(&self.query), heads(&self.key), heads(&self.value)); // [b, h, t, hd]
        let scores = q.matmul(k.swap_dims(2, 3)) / (hd as f64).sqrt(); // [b, h, t, t]
        let scores = match padding {
            // The lowest finite value rather than -inf, as transformers does: a row of
            // padding only still gets finite weights.
            Some(padding) => scores.mask_fill(padding.clone().reshape([b, 1, 1, t]).expand([b, h, t, t]), f32::MIN),
            None => scores,
        };
        let weights = self.attention_dropout.forward(softmax(scores, 3));
        let context = weights.matmul(v).swap_dims(1, 2).reshape([b, t, d]);
        let out = self.dropout.forward(adapted(&self.output, None, context));
        self.layer_norm.forward(x + out)
    }
}
