use serde::{Deserialize, Serialize};

use crate::{GptConfig, ModelError};

/// The keys of a Hugging Face GPT-2 `config.json` that decide the architecture.
///
/// Unknown keys are kept in `extra` and written back, so a config round-trips.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HfGpt2Config {
    pub vocab_size: usize,
    pub n_positions: usize,
    pub n_embd: usize,
    pub n_layer: usize,
    pub n_head: usize,
    /// Width of the feed-forward layer; `null` means 4 × `n_embd`.
    #[serde(default)]
    pub n_inner: Option<usize>,
    #[serde(default = "gelu_new")]
    pub activation_function: String,
    #[serde(default = "dropout")]
    pub resid_pdrop: f64,
    #[serde(default = "dropout")]
    pub embd_pdrop: f64,
    #[serde(default = "dropout")]
    pub attn_pdrop: f64,
    #[serde(default = "eps")]
    pub layer_norm_epsilon: f64,
    #[serde(default = "yes")]
    pub tie_word_embeddings: bool,
    #[serde(default = "yes")]
    pub scale_attn_weights: bool,
    #[serde(default)]
    pub scale_attn_by_inverse_layer_idx: bool,
    /// Written by this project for models without QKV bias (the book's `GPT_CONFIG_124M`):
    /// the file then holds a zero `c_attn.bias` so that `transformers` loads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qkv_bias: Option<bool>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

fn gelu_new() -> String {
    "gelu_new".into()
}
fn dropout() -> f64 {
    0.1
}
fn eps() -> f64 {
    1e-5
}
fn yes() -> bool {
    true
}

impl HfGpt2Config {
    /// The model config, or an error naming the key this implementation does not support.
    pub fn to_config(&self) -> Result<GptConfig, ModelError> {
        let unsupported = |key: &str, value: String, expected: &str| {
            Err(ModelError::InvalidConfig(format!(
                "config.json `{key}` is {value}; only {expected} is supported"
            )))
        };
        if !matches!(
            self.activation_function.as_str(),
            "gelu_new" | "gelu_pytorch_tanh"
        ) {
            return unsupported(
                "activation_function",
                self.activation_function.clone(),
                "\"gelu_new\" (tanh GELU)",
            );
        }
        if let Some(inner) = self.n_inner.filter(|&n| n != 4 * self.n_embd) {
            return unsupported("n_inner", inner.to_string(), "null or 4 × n_embd");
        }
        if !self.scale_attn_weights {
            return unsupported("scale_attn_weights", "false".into(), "true");
        }
        if self.scale_attn_by_inverse_layer_idx {
            return unsupported("scale_attn_by_inverse_layer_idx", "true".into(), "false");
        }
        let config = GptConfig {
            vocab_size: self.vocab_size,
            context_length: self.n_positions,
            emb_dim: self.n_embd,
            n_heads: self.n_head,
            n_layers: self.n_layer,
            dropout: self.resid_pdrop,
            qkv_bias: self.qkv_bias.unwrap_or(true),
            tie_embeddings: self.tie_word_embeddings,
            layer_norm_eps: self.layer_norm_epsilon,
        };
        config.validate()?;
        Ok(config)
    }

    /// The `config.json` of a model, as `transformers.GPT2Config` writes it.
    pub fn from_config(config: &GptConfig) -> Self {
        let mut extra = serde_json::Map::new();
        for (key, value) in [
            ("model_type", serde_json::json!("gpt2")),
            ("architectures", serde_json::json!(["GPT2LMHeadModel"])),
            ("n_ctx", serde_json::json!(config.context_length)),
            ("bos_token_id", serde_json::json!(50256)),
            ("eos_token_id", serde_json::json!(50256)),
        ] {
            extra.insert(key.into(), value);
        }
        Self {
            vocab_size: config.vocab_size,
            n_positions: config.context_length,
            n_embd: config.emb_dim,
            n_layer: config.n_layers,
            n_head: config.n_heads,
            n_inner: None,
            activation_function: gelu_new(),
            resid_pdrop: config.dropout,
            embd_pdrop: config.dropout,
            attn_pdrop: config.dropout,
            layer_norm_epsilon: config.layer_norm_eps,
            tie_word_embeddings: config.tie_embeddings,
            scale_attn_weights: true,
            scale_attn_by_inverse_layer_idx: false,
            qkv_bias: (!config.qkv_bias).then_some(false),
            extra,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        for config in [GptConfig::gpt2_medium(), GptConfig::gpt_config_124m()] {
            let json = serde_json::to_string(&HfGpt2Config::from_config(&config)).unwrap();
            let back: HfGpt2Config = serde_json::from_str(&json).unwrap();
            assert_eq!(back.to_config().unwrap(), config);
        }
    }

    #[test]
    fn reads_the_hub_gpt2_config() {
        // The keys of openai-community/gpt2's config.json.
        let json = r#"{"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"],
            "attn_pdrop": 0.1, "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256,
            "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "gpt2",
            "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_layer": 12, "n_positions": 1024,
            "resid_pdrop": 0.1, "summary_activation": null, "summary_first_dropout": 0.1,
            "summary_proj_to_labels": true, "summary_type": "cls_index", "summary_use_proj": true,
            "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}},
            "vocab_size": 50257}"#;
        let hf: HfGpt2Config = serde_json::from_str(json).unwrap();
        assert_eq!(hf.to_config().unwrap(), GptConfig::gpt2_small());
    }

    #[test]
    fn refuses_other_activations() {
        let mut hf = HfGpt2Config::from_config(&GptConfig::gpt2_small());
        hf.activation_function = "relu".into();
        let err = hf.to_config().unwrap_err().to_string();
        assert!(err.contains("activation_function") && err.contains("relu"), "{err}");
    }
}
