use burn::module::Module;
use burn::nn::{RmsNorm, RmsNormConfig};
use burn::tensor::{Device, Tensor};

use super::{DecoderAttention, DecoderConfig};
use crate::kv_cache::LayerKv;
use crate::swiglu::SwiGluMlp;

/// A pre-norm decoder layer: `x + self_attn(input_layernorm(x))`, then
/// `x + mlp(post_attention_layernorm(x))`.
#[derive(Module, Debug)]
pub struct DecoderBlock<A> {
    pub input_layernorm: RmsNorm,
    pub self_attn: A,
    pub post_attention_layernorm: RmsNorm,
    pub mlp: SwiGluMlp,
}

impl<A: DecoderAttention> DecoderBlock<A> {
    pub fn new(config: &DecoderConfig, device: &Device) -> Self {
        let norm = || RmsNormConfig::new(config.emb_dim).with_epsilon(config.rms_norm_eps).init(device);
        Self {
            input_layernorm: norm(),
            self_attn: A::new(config, device),
            post_attention_layernorm: norm(),
            mlp: SwiGluMlp::new(config.emb_dim, config.hidden_dim, &config.initializer(), device),
        }
    }

    /// `[batch, seq, emb_dim] -> [batch, seq, emb_dim]`
    pub fn forward(&self, x: Tensor<3>, cos: &Tensor<2>, sin: &Tensor<2>, cache: Option<&mut LayerKv>) -> Tensor<3> {
        let x = x.clone() + self.self_attn.forward(self.input_layernorm.forward(x), cos, sin, cache);
        x.clone() + self.mlp.forward(self.post_attention_layernorm.forward(x))
    }
}
