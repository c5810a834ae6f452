//! The `config.json` of a Hugging Face Marian directory (`model_type` `marian`, the OPUS-MT
//! models), which is also the configuration `llm` keeps in its checkpoints.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::Marian;
use crate::ModelError;

/// The keys of a Marian `config.json` that decide the architecture and generation; the
/// others are kept in `extra` and written back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarianConfig {
    pub vocab_size: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoder_vocab_size: Option<usize>,
    pub d_model: usize,
    pub encoder_layers: usize,
    pub decoder_layers: usize,
    pub encoder_attention_heads: usize,
    pub decoder_attention_heads: usize,
    pub encoder_ffn_dim: usize,
    pub decoder_ffn_dim: usize,
    pub max_position_embeddings: usize,
    pub pad_token_id: u32,
    pub eos_token_id: u32,
    pub decoder_start_token_id: u32,
    /// `swish` (OPUS-MT's), `silu` (the same), `gelu` or `relu`.
    #[serde(default = "swish")]
    pub activation_function: String,
    #[serde(default = "yes")]
    pub scale_embedding: bool,
    #[serde(default = "yes")]
    pub share_encoder_decoder_embeddings: bool,
    #[serde(default = "tenth")]
    pub dropout: f64,
    #[serde(default)]
    pub attention_dropout: f64,
    #[serde(default)]
    pub activation_dropout: f64,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

fn swish() -> String {
    "swish".into()
}
fn yes() -> bool {
    true
}
fn tenth() -> f64 {
    0.1
}

/// The feed-forward activations Marian checkpoints use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Swish,
    Gelu,
    Relu,
}

impl MarianConfig {
    pub fn activation(&self) -> Result<Activation, ModelError> {
        match self.activation_function.as_str() {
            "swish" | "silu" => Ok(Activation::Swish),
            "gelu" => Ok(Activation::Gelu),
            "relu" => Ok(Activation::Relu),
            other => Err(ModelError::InvalidConfig(format!(
                "activation_function `{other}`: expected swish, silu, gelu or relu"
            ))),
        }
    }

    /// Refuses what this implementation does not compute and sizes that do not fit.
    pub fn validate(&self) -> Result<(), ModelError> {
        let invalid = |m: String| Err(ModelError::InvalidConfig(m));
        self.activation()?;
        if !self.share_encoder_decoder_embeddings || self.decoder_vocab_size.is_some_and(|v| v != self.vocab_size) {
            return invalid(
                "share_encoder_decoder_embeddings = false (separate source and target vocabularies) is not implemented".into(),
            );
        }
        for (name, value) in [
            ("vocab_size", self.vocab_size),
            ("d_model", self.d_model),
            ("encoder_layers", self.encoder_layers),
            ("decoder_layers", self.decoder_layers),
            ("encoder_attention_heads", self.encoder_attention_heads),
            ("decoder_attention_heads", self.decoder_attention_heads),
            ("encoder_ffn_dim", self.encoder_ffn_dim),
            ("decoder_ffn_dim", self.decoder_ffn_dim),
            ("max_position_embeddings", self.max_position_embeddings),
        ] {
            if value == 0 {
                return invalid(format!("{name} must be positive"));
            }
        }
        for (name, heads) in [("encoder_attention_heads", self.encoder_attention_heads), ("decoder_attention_heads", self.decoder_attention_heads)] {
            if self.d_model % heads != 0 {
                return invalid(format!("d_model {} is not a multiple of {name} {heads}", self.d_model));
            }
        }
        for (name, id) in [("pad_token_id", self.pad_token_id), ("eos_token_id", self.eos_token_id), ("decoder_start_token_id", self.decoder_start_token_id)] {
            if id as usize >= self.vocab_size {
                return invalid(format!("{name} {id} is outside the vocabulary of {}", self.vocab_size));
            }
        }
        for (name, p) in [("dropout", self.dropout), ("attention_dropout", self.attention_dropout), ("activation_dropout", self.activation_dropout)] {
            if !(0.0..1.0).contains(&p) {
                return invalid(format!("{name} must be in [0, 1), got {p}"));
            }
        }
        Ok(())
    }

    /// How fresh weights are drawn (`init_std`, 0.02 by default).
    pub fn hf_init(&self) -> crate::hf_init::HfInit {
        crate::hf_init::HfInit::from_extra(&self.extra, "init_std")
    }

    /// A freshly initialised model (weights from the device's generator).
    pub fn init(&self, device: &Device) -> Result<Marian, ModelError> {
        self.validate()?;
        Ok(Marian::new(self, device))
    }
}
