//! The `config.json` of a Hugging Face BERT directory (`model_type` `bert`), which is also
//! the configuration `llm` keeps in its checkpoints.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::{Bert, BertArchitecture};
use crate::ModelError;

/// The keys of a BERT `config.json` that decide the architecture; the others (`architectures`,
/// `id2label`, dropout of the classifier, ...) are kept in `extra` and written back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "two")]
    pub type_vocab_size: usize,
    #[serde(default = "bert_eps")]
    pub layer_norm_eps: f64,
    /// `gelu` (the exact, erf form), the only one BERT checkpoints use.
    #[serde(default = "gelu")]
    pub hidden_act: String,
    #[serde(default = "absolute")]
    pub position_embedding_type: String,
    #[serde(default)]
    pub pad_token_id: usize,
    #[serde(default = "tenth")]
    pub hidden_dropout_prob: f64,
    #[serde(default = "tenth")]
    pub attention_probs_dropout_prob: f64,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

fn two() -> usize {
    2
}
fn bert_eps() -> f64 {
    1e-12
}
fn gelu() -> String {
    "gelu".into()
}
fn absolute() -> String {
    "absolute".into()
}
fn tenth() -> f64 {
    0.1
}

impl BertConfig {
    /// A configuration of these sizes with BERT's defaults for the rest (`bert-base-uncased`
    /// is `BertConfig::new(30522, 768, 12, 12, 3072, 512)`).
    pub fn new(
        vocab_size: usize,
        hidden_size: usize,
        num_hidden_layers: usize,
        num_attention_heads: usize,
        intermediate_size: usize,
        max_position_embeddings: usize,
    ) -> Self {
        Self {
            vocab_size,
            hidden_size,
            num_hidden_layers,
            num_attention_heads,
            intermediate_size,
            max_position_embeddings,
            type_vocab_size: two(),
            layer_norm_eps: bert_eps(),
            hidden_act: gelu(),
            position_embedding_type: absolute(),
            pad_token_id: 0,
            hidden_dropout_prob: tenth(),
            attention_probs_dropout_prob: tenth(),
            extra: Default::default(),
        }
    }

    /// How fresh weights are drawn (`initializer_range`, 0.02 by default).
    pub fn hf_init(&self) -> crate::hf_init::HfInit {
        crate::hf_init::HfInit::from_extra(&self.extra, "initializer_range")
    }

    /// The size of each attention head.
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }

    /// Refuses what this implementation does not compute (another activation, relative
    /// positions) and sizes that do not fit together.
    pub fn validate(&self) -> Result<(), ModelError> {
        let invalid = |m: String| Err(ModelError::InvalidConfig(m));
        if self.hidden_act != "gelu" {
            return invalid(format!("hidden_act `{}`: BERT models here use `gelu` (the exact form)", self.hidden_act));
        }
        if self.position_embedding_type != "absolute" {
            return invalid(format!(
                "position_embedding_type `{}`: only `absolute` position embeddings are implemented",
                self.position_embedding_type
            ));
        }
        for (name, value) in [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("num_hidden_layers", self.num_hidden_layers),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("max_position_embeddings", self.max_position_embeddings),
            ("type_vocab_size", self.type_vocab_size),
        ] {
            if value == 0 {
                return invalid(format!("{name} must be positive"));
            }
        }
        if self.hidden_size % self.num_attention_heads != 0 {
            return invalid(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        if self.pad_token_id >= self.vocab_size {
            return invalid(format!("pad_token_id {} is outside the vocabulary of {}", self.pad_token_id, self.vocab_size));
        }
        for (name, p) in [("hidden_dropout_prob", self.hidden_dropout_prob), ("attention_probs_dropout_prob", self.attention_probs_dropout_prob)] {
            if !(0.0..1.0).contains(&p) {
                return invalid(format!("{name} must be in [0, 1), got {p}"));
            }
        }
        Ok(())
    }

    /// A freshly initialised model with the heads of `architecture` (weights from the device's generator).
    pub fn init(&self, architecture: BertArchitecture, device: &Device) -> Result<Bert, ModelError> {
        self.validate()?;
        Ok(Bert::new(self, architecture, device))
    }
}
