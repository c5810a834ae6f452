//! The configuration of the decoders of the Llama and Qwen3 families: their shapes are the
//! same knobs (what differs is the attention, see `llama` and `qwen3`).

use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::error::require_at_least_one;
use crate::rope::RopeConfig;

/// The standard deviation of fresh weights (`initializer_range` in the published configs).
const INITIALIZER_RANGE: f64 = 0.02;

/// Hyper-parameters of a Llama or Qwen3 decoder: RMSNorm, rotary positions, grouped-query
/// attention, a SwiGLU feed-forward, no biases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecoderConfig {
    pub vocab_size: usize,
    /// Longest sequence the rotary positions are used for (`max_position_embeddings`).
    pub context_length: usize,
    /// Width of the residual stream (`hidden_size`).
    pub emb_dim: usize,
    pub n_layers: usize,
    pub n_heads: usize,
    /// Key/value heads, each shared by `n_heads / n_kv_heads` query heads.
    pub n_kv_heads: usize,
    /// Width of one attention head (`head_dim`; usually `emb_dim / n_heads`).
    pub head_dim: usize,
    /// Width of the feed-forward's hidden layer (`intermediate_size`).
    pub hidden_dim: usize,
    pub rms_norm_eps: f64,
    pub rope: RopeConfig,
    /// Output head shares the token-embedding matrix (Llama 3.2, Qwen3 up to 4B: yes).
    pub tie_embeddings: bool,
}

impl DecoderConfig {
    /// How fresh weights are drawn: N(0, 0.02²), `transformers`' `initializer_range` for
    /// Llama and Qwen3. (Burn's defaults, Kaiming-uniform projections and an N(0, 1)
    /// embedding, start a tied head at a loss of about 240 nats.)
    pub fn initializer(&self) -> burn::nn::Initializer {
        burn::nn::Initializer::Normal { mean: 0.0, std: INITIALIZER_RANGE }
    }

    /// Checks the invariants the model relies on; every message names the field.
    pub fn validate(&self) -> Result<(), ModelError> {
        let fail = |msg: String| Err(ModelError::InvalidConfig(msg));
        require_at_least_one(&[
            ("vocab_size", self.vocab_size),
            ("context_length", self.context_length),
            ("emb_dim", self.emb_dim),
            ("n_layers", self.n_layers),
            ("n_heads", self.n_heads),
            ("n_kv_heads", self.n_kv_heads),
            ("head_dim", self.head_dim),
            ("hidden_dim", self.hidden_dim),
        ])?;
        if self.n_heads % self.n_kv_heads != 0 {
            return fail(format!("`n_heads` ({}) must be a multiple of `n_kv_heads` ({})", self.n_heads, self.n_kv_heads));
        }
        if self.head_dim % 2 != 0 {
            return fail(format!("`head_dim` must be even (rotary positions turn pairs), got {}", self.head_dim));
        }
        if !(self.rms_norm_eps > 0.0) || !(self.rope.theta > 0.0) {
            return fail("`rms_norm_eps` and the rotary `theta` must be positive".into());
        }
        Ok(())
    }

    /// Parameters of a model of this config.
    pub fn num_params(&self) -> usize {
        let d = self.emb_dim;
        let attn = d * self.n_heads * self.head_dim * 2 + d * self.n_kv_heads * self.head_dim * 2;
        let mlp = 3 * d * self.hidden_dim;
        let block = attn + mlp + 2 * d;
        let head = if self.tie_embeddings { 0 } else { self.vocab_size * d };
        self.vocab_size * d + self.n_layers * block + d + head
    }
}
