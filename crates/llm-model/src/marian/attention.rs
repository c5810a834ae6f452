use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{Bool, Device, Tensor};

use crate::dropout::Dropout;
use crate::hf_init::HfInit;
use crate::lora::adapted;
use crate::masked_attention::{masked_attention, merge_heads, split_heads};

/// Marian's (BART's) multi-head attention: separate query, key, value and output
/// projections with biases. Self-attention when keys and values come from the same
/// sequence, cross-attention when they come from the encoder's output.
#[derive(Module, Debug)]
pub struct MarianAttention {
    pub q_proj: Linear,
    pub k_proj: Linear,
    pub v_proj: Linear,
    pub out_proj: Linear,
    pub dropout: Dropout,
    pub n_heads: usize,
}

impl MarianAttention {
    pub fn new(d_model: usize, n_heads: usize, dropout: f64, init: HfInit, device: &Device) -> Self {
        let linear = || init.linear(d_model, d_model, device);
        Self { q_proj: linear(), k_proj: linear(), v_proj: linear(), out_proj: linear(), dropout: Dropout::new(dropout), n_heads }
    }

    /// The keys and values of `x`, `[batch, heads, seq, hd]` each.
    pub fn keys_values(&self, x: Tensor<3>) -> (Tensor<4>, Tensor<4>) {
        (split_heads(adapted(&self.k_proj, None, x.clone()), self.n_heads), split_heads(adapted(&self.v_proj, None, x), self.n_heads))
    }

    /// `x`'s queries attending to `keys`/`values` (hiding the keys `hidden` marks), through
    /// the output projection: `[batch, t, d]`.
    pub fn attend(&self, x: Tensor<3>, keys: Tensor<4>, values: Tensor<4>, hidden: Option<Tensor<4, Bool>>) -> Tensor<3> {
        let q = split_heads(adapted(&self.q_proj, None, x), self.n_heads);
        let context = masked_attention(q, keys, values, hidden, &self.dropout);
        adapted(&self.out_proj, None, merge_heads(context))
    }
}
