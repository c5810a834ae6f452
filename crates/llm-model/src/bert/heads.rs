use burn::module::{Module, Param};
use burn::nn::{LayerNorm, LayerNormConfig, Linear};
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor};

use super::BertConfig;
use crate::lora::adapted;
use crate::matrix_dtype::matmul_weight;
use crate::rows::on_rows;

/// The masked-LM head (HF's `cls.predictions`): `gelu(dense(h))`, normalised, then the word
/// embeddings transposed (the decoder is tied to them) plus a bias per word.
#[derive(Module, Debug)]
pub struct MlmHead {
    pub dense: Linear,
    pub layer_norm: LayerNorm,
    /// `[vocab]`
    pub bias: Param<Tensor<1>>,
}

impl MlmHead {
    pub fn new(config: &BertConfig, device: &Device) -> Self {
        let d = config.hidden_size;
        Self {
            dense: config.hf_init().linear(d, d, device),
            layer_norm: LayerNormConfig::new(d).with_epsilon(config.layer_norm_eps).init(device),
            bias: Param::from_tensor(Tensor::zeros([config.vocab_size], device)),
        }
    }

    /// `[..., d]` hidden states to `[..., vocab]` logits; `word_embeddings` is the
    /// `[vocab, d]` table of the model's input.
    pub fn forward<const D: usize>(&self, hidden: Tensor<D>, word_embeddings: Tensor<2>) -> Tensor<D> {
        let transformed = self.layer_norm.forward(gelu(adapted(&self.dense, None, hidden)));
        let bias = self.bias.val();
        on_rows(transformed, |x| matmul_weight(x, word_embeddings.transpose()) + bias.unsqueeze())
    }
}

/// HF's `pooler`: `tanh(dense(h))` of each sequence's first token (`[CLS]`).
#[derive(Module, Debug)]
pub struct Pooler {
    pub dense: Linear,
}

impl Pooler {
    pub fn new(config: &BertConfig, device: &Device) -> Self {
        Self { dense: config.hf_init().linear(config.hidden_size, config.hidden_size, device) }
    }

    /// `[batch, seq, d] -> [batch, d]`
    pub fn forward(&self, hidden: Tensor<3>) -> Tensor<2> {
        let [b, _, d] = hidden.dims();
        adapted(&self.dense, None, hidden.narrow(1, 0, 1).reshape([b, d])).tanh()
    }
}
