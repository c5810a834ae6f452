use burn::module::Module;
use burn::nn::{RmsNorm, RmsNormConfig};
use burn::tensor::{Device, Tensor};

use super::{DecoderAttention, DecoderConfig};
use crate::kv_cache::LayerCache;
use crate::lora::{LoraAdapter, LoraConfig};
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
    pub fn forward(&self, x: Tensor<3>, cos: &Tensor<4>, sin: &Tensor<4>, cache: Option<LayerCache<'_>>) -> Tensor<3> {
        let x = x.clone() + self.self_attn.forward(self.input_layernorm.forward(x), cos, sin, cache);
        x.clone() + self.mlp.forward(self.post_attention_layernorm.forward(x))
    }

    /// Adds fresh LoRA adapters to the attention and feed-forward projections.
    pub fn with_lora(mut self, config: &LoraConfig, device: &Device) -> Self {
        self.self_attn = self.self_attn.with_lora(config, device);
        self.mlp = self.mlp.with_lora(config, device);
        self
    }

    /// Folds the adapters into the weights.
    pub fn merge_lora(mut self) -> Self {
        self.self_attn = self.self_attn.merge_lora();
        self.mlp = self.mlp.merge_lora();
        self
    }

    /// The adapters, named `self_attn.lora_q_proj`, …, `mlp.lora_down_proj`.
    pub fn adapters_mut(&mut self) -> Vec<(String, &mut LoraAdapter)> {
        let attention = match self.self_attn.projections_mut().1 {
            Some(lora) => lora.named_mut(),
            None => Vec::new(),
        };
        let attention = attention.into_iter().map(|(name, a)| (format!("self_attn.lora_{name}"), a));
        let mlp = self.mlp.adapters_mut().into_iter().map(|(name, a)| (format!("mlp.lora_{name}"), a));
        attention.chain(mlp).collect()
    }
}
