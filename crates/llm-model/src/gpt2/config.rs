use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::error::require_at_least_one;

/// Hyper-parameters of a GPT model.
///
/// Field names follow the book (`emb_dim`, `n_heads`, `n_layers`); the Hugging Face
/// `config.json` form is [`crate::weights::HfGpt2Config`], converted in `weights::hf_config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GptConfig {
    pub vocab_size: usize,
    /// Longest sequence the position embedding covers.
    pub context_length: usize,
    pub emb_dim: usize,
    pub n_heads: usize,
    pub n_layers: usize,
    /// Dropout on embeddings, attention weights and both residual branches.
    pub dropout: f64,
    /// Bias on the query/key/value projection (GPT-2: yes; the book's `GPT_CONFIG_124M`: no).
    pub qkv_bias: bool,
    /// Output head shares the token-embedding matrix (GPT-2: yes; the book: no).
    pub tie_embeddings: bool,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
}

fn default_eps() -> f64 {
    1e-5
}

/// The preset names [`GptConfig::preset`] knows, in the order the error message lists them.
pub const PRESETS: [&str; 5] = [
    "gpt2-small",
    "gpt2-medium",
    "gpt2-large",
    "gpt2-xl",
    "gpt-config-124m",
];

impl GptConfig {
    fn gpt2(emb_dim: usize, n_layers: usize, n_heads: usize) -> Self {
        Self {
            vocab_size: 50257,
            context_length: 1024,
            emb_dim,
            n_heads,
            n_layers,
            dropout: 0.1,
            qkv_bias: true,
            tie_embeddings: true,
            layer_norm_eps: 1e-5,
        }
    }

    /// OpenAI GPT-2 small (124M): the layout of `openai-community/gpt2`.
    pub fn gpt2_small() -> Self {
        Self::gpt2(768, 12, 12)
    }

    /// GPT-2 medium (355M).
    pub fn gpt2_medium() -> Self {
        Self::gpt2(1024, 24, 16)
    }

    /// GPT-2 large (774M).
    pub fn gpt2_large() -> Self {
        Self::gpt2(1280, 36, 20)
    }

    /// GPT-2 XL (1558M).
    pub fn gpt2_xl() -> Self {
        Self::gpt2(1600, 48, 25)
    }

    /// The book's `GPT_CONFIG_124M`: GPT-2 small without QKV bias and with a separate head.
    pub fn gpt_config_124m() -> Self {
        Self {
            qkv_bias: false,
            tie_embeddings: false,
            ..Self::gpt2_small()
        }
    }

    /// A preset by name (see [`PRESETS`]); `gpt2` is accepted for `gpt2-small`.
    pub fn preset(name: &str) -> Result<Self, ModelError> {
        match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "gpt2" | "gpt2-small" => Ok(Self::gpt2_small()),
            "gpt2-medium" => Ok(Self::gpt2_medium()),
            "gpt2-large" => Ok(Self::gpt2_large()),
            "gpt2-xl" => Ok(Self::gpt2_xl()),
            "gpt-config-124m" | "book-124m" => Ok(Self::gpt_config_124m()),
            _ => Err(ModelError::UnknownPreset {
                name: name.to_string(),
                expected: PRESETS.join(", "),
            }),
        }
    }

    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.emb_dim / self.n_heads
    }

    /// Checks the invariants the model relies on; every message names the field.
    pub fn validate(&self) -> Result<(), ModelError> {
        let fail = |msg: String| Err(ModelError::InvalidConfig(msg));
        require_at_least_one(&[
            ("vocab_size", self.vocab_size),
            ("context_length", self.context_length),
            ("emb_dim", self.emb_dim),
            ("n_heads", self.n_heads),
            ("n_layers", self.n_layers),
        ])?;
        if self.emb_dim % self.n_heads != 0 {
            return fail(format!(
                "`emb_dim` ({}) must be divisible by `n_heads` ({})",
                self.emb_dim, self.n_heads
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return fail(format!("`dropout` must be in [0, 1), got {}", self.dropout));
        }
        if self.layer_norm_eps <= 0.0 {
            return fail(format!(
                "`layer_norm_eps` must be positive, got {}",
                self.layer_norm_eps
            ));
        }
        Ok(())
    }

    /// Number of trainable parameters a model of this config has (same count as
    /// `Module::num_params`, without building the model).
    pub fn num_params(&self) -> usize {
        let d = self.emb_dim;
        let qkv = d * 3 * d + if self.qkv_bias { 3 * d } else { 0 };
        let proj = d * d + d;
        let mlp = d * 4 * d + 4 * d + 4 * d * d + d;
        let norms = 2 * 2 * d;
        let block = qkv + proj + mlp + norms;
        let head = if self.tie_embeddings {
            0
        } else {
            d * self.vocab_size
        };
        self.vocab_size * d + self.context_length * d + self.n_layers * block + 2 * d + head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_counts_match_the_book() {
        // Book, chapter 4: 163,009,536 for GPT_CONFIG_124M with its separate output head;
        // 124,439,808 for GPT-2 small with weight tying and QKV bias (chapter 5's loaded model).
        assert_eq!(GptConfig::gpt_config_124m().num_params(), 163_009_536);
        assert_eq!(GptConfig::gpt2_small().num_params(), 124_439_808);
    }

    #[test]
    fn presets_by_name() {
        assert_eq!(GptConfig::preset("gpt2").unwrap(), GptConfig::gpt2_small());
        assert_eq!(GptConfig::preset("GPT2_XL").unwrap().emb_dim, 1600);
        let err = GptConfig::preset("gpt5").unwrap_err().to_string();
        assert!(err.contains("gpt5") && err.contains("gpt2-medium"), "{err}");
    }

    #[test]
    fn validation_names_the_field() {
        let mut c = GptConfig::gpt2_small();
        c.n_heads = 7;
        assert!(c.validate().unwrap_err().to_string().contains("n_heads"));
        let mut c = GptConfig::gpt2_small();
        c.dropout = 1.0;
        assert!(c.validate().unwrap_err().to_string().contains("dropout"));
        let mut c = GptConfig::gpt2_small();
        c.context_length = 0;
        assert!(c.validate().unwrap_err().to_string().contains("context_length"));
    }
}
