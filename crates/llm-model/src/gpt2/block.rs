use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig};

use crate::dropout::Dropout;
use burn::tensor::{Device, Tensor};

use crate::GptConfig;
use super::attention::{CausalSelfAttention, CausalSelfAttentionConfig};
use crate::kv_cache::LayerCache;
use super::mlp::{Mlp, MlpConfig};

/// A pre-norm transformer block: `x + drop(attn(ln_1(x)))`, then `x + drop(mlp(ln_2(x)))`.
#[derive(Module, Debug)]
pub struct Block {
    pub ln_1: LayerNorm,
    pub attn: CausalSelfAttention,
    pub ln_2: LayerNorm,
    pub mlp: Mlp,
    /// The book's `drop_shortcut` (GPT-2's `resid_dropout`), on both residual branches.
    pub resid_dropout: Dropout,
}

impl Block {
    pub fn new(config: &GptConfig, device: &Device) -> Self {
        let norm = || {
            LayerNormConfig::new(config.emb_dim)
                .with_epsilon(config.layer_norm_eps)
                .init(device)
        };
        Self {
            ln_1: norm(),
            attn: CausalSelfAttentionConfig::new(config.emb_dim, config.n_heads)
                .with_dropout(config.dropout)
                .with_qkv_bias(config.qkv_bias)
                .init(device),
            ln_2: norm(),
            mlp: MlpConfig::new(config.emb_dim).init(device),
            resid_dropout: Dropout::new(config.dropout),
        }
    }

    /// `[batch, seq, d_model] -> [batch, seq, d_model]`
    pub fn forward(&self, x: Tensor<3>, cache: Option<LayerCache<'_>>) -> Tensor<3> {
        let attn = self.attn.forward(self.ln_1.forward(x.clone()), cache);
        let x = x + self.resid_dropout.forward(attn);
        let mlp = self.mlp.forward(self.ln_2.forward(x.clone()));
        x + self.resid_dropout.forward(mlp)
    }
}
