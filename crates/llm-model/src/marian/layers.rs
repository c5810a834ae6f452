use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig, Linear};
use burn::tensor::activation::{gelu, relu, silu};
use burn::tensor::{Bool, Device, Tensor};

use super::{Activation, MarianAttention, MarianConfig};
use crate::dropout::Dropout;
use crate::lora::adapted;

/// The position-wise feed-forward network with its post-norm residual:
/// `norm(x + drop(fc2(drop(act(fc1(x))))))`.
#[derive(Module, Debug)]
pub struct FeedForward {
    pub fc1: Linear,
    pub fc2: Linear,
    pub final_layer_norm: LayerNorm,
    pub activation_dropout: Dropout,
    pub dropout: Dropout,
    #[module(skip)]
    activation: Activation,
}

impl FeedForward {
    fn new(config: &MarianConfig, ffn_dim: usize, device: &Device) -> Self {
        let d = config.d_model;
        Self {
            fc1: config.hf_init().linear(d, ffn_dim, device),
            fc2: config.hf_init().linear(ffn_dim, d, device),
            final_layer_norm: LayerNormConfig::new(d).with_epsilon(1e-5).init(device),
            activation_dropout: Dropout::new(config.activation_dropout),
            dropout: Dropout::new(config.dropout),
            activation: config.activation().expect("validated config"),
        }
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let h = adapted(&self.fc1, None, x.clone());
        let h = match self.activation {
            Activation::Swish => silu(h),
            Activation::Gelu => gelu(h),
            Activation::Relu => relu(h),
        };
        let h = adapted(&self.fc2, None, self.activation_dropout.forward(h));
        self.final_layer_norm.forward(x + self.dropout.forward(h))
    }
}

fn norm(config: &MarianConfig, device: &Device) -> LayerNorm {
    LayerNormConfig::new(config.d_model).with_epsilon(1e-5).init(device)
}

/// An encoder layer: two-way self-attention, then the feed-forward network, each with a
/// post-norm residual.
#[derive(Module, Debug)]
pub struct EncoderLayer {
    pub self_attn: MarianAttention,
    pub self_attn_layer_norm: LayerNorm,
    pub ffn: FeedForward,
    pub dropout: Dropout,
}

impl EncoderLayer {
    pub fn new(config: &MarianConfig, device: &Device) -> Self {
        Self {
            self_attn: MarianAttention::new(config.d_model, config.encoder_attention_heads, config.attention_dropout, config.hf_init(), device),
            self_attn_layer_norm: norm(config, device),
            ffn: FeedForward::new(config, config.encoder_ffn_dim, device),
            dropout: Dropout::new(config.dropout),
        }
    }

    /// `hidden`: the source's padding keys, `[batch, 1, 1, s]`.
    pub fn forward(&self, x: Tensor<3>, hidden: Option<Tensor<4, Bool>>) -> Tensor<3> {
        let (k, v) = self.self_attn.keys_values(x.clone());
        let attended = self.self_attn.attend(x.clone(), k, v, hidden);
        let x = self.self_attn_layer_norm.forward(x + self.dropout.forward(attended));
        self.ffn.forward(x)
    }
}

/// A decoder layer: causal self-attention, cross-attention to the encoder's output, then the
/// feed-forward network, each with a post-norm residual.
#[derive(Module, Debug)]
pub struct DecoderLayer {
    pub self_attn: MarianAttention,
    pub self_attn_layer_norm: LayerNorm,
    pub encoder_attn: MarianAttention,
    pub encoder_attn_layer_norm: LayerNorm,
    pub ffn: FeedForward,
    pub dropout: Dropout,
}

impl DecoderLayer {
    pub fn new(config: &MarianConfig, device: &Device) -> Self {
        let attention = || MarianAttention::new(config.d_model, config.decoder_attention_heads, config.attention_dropout, config.hf_init(), device);
        Self {
            self_attn: attention(),
            self_attn_layer_norm: norm(config, device),
            encoder_attn: attention(),
            encoder_attn_layer_norm: norm(config, device),
            ffn: FeedForward::new(config, config.decoder_ffn_dim, device),
            dropout: Dropout::new(config.dropout),
        }
    }

    /// `x` (the new target positions) attending to `own` (the keys and values of the
    /// positions before, if any; extended here with `x`'s) under `causal`, and to `source`
    /// under `source_hidden` (its padding).
    pub fn forward(
        &self,
        x: Tensor<3>,
        own: Option<(Tensor<4>, Tensor<4>)>,
        causal: Option<Tensor<4, Bool>>,
        source: (Tensor<4>, Tensor<4>),
        source_hidden: Option<Tensor<4, Bool>>,
    ) -> (Tensor<3>, (Tensor<4>, Tensor<4>)) {
        let (k, v) = self.self_attn.keys_values(x.clone());
        let (k, v) = match own {
            Some((past_k, past_v)) => (Tensor::cat(vec![past_k, k], 2), Tensor::cat(vec![past_v, v], 2)),
            None => (k, v),
        };
        let attended = self.self_attn.attend(x.clone(), k.clone(), v.clone(), causal);
        let x = self.self_attn_layer_norm.forward(x + self.dropout.forward(attended));
        let crossed = self.encoder_attn.attend(x.clone(), source.0, source.1, source_hidden);
        let x = self.encoder_attn_layer_norm.forward(x + self.dropout.forward(crossed));
        (self.ffn.forward(x), (k, v))
    }
}
