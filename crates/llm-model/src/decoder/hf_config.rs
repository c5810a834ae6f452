//! The `config.json` of a Hugging Face Llama or Qwen3 directory (`model_type` `llama`,
//! `qwen3`: the same keys), in both forms found in the wild: `rope_theta` + `rope_scaling`
//! (the hub's files, transformers 4) and `rope_parameters` (transformers 5).

use serde::{Deserialize, Serialize};

use super::DecoderConfig;
use crate::ModelError;
use crate::rope::{Llama3Scaling, RopeConfig};

/// The keys of a Llama or Qwen3 `config.json` that decide the architecture; the others are
/// kept in `extra` and written back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HfDecoderConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_key_value_heads: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_dim: Option<usize>,
    pub max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    pub rms_norm_eps: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rope_theta: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rope_scaling: Option<RopeWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rope_parameters: Option<RopeWire>,
    #[serde(default)]
    pub tie_word_embeddings: bool,
    #[serde(default)]
    pub attention_bias: bool,
    #[serde(default)]
    pub mlp_bias: bool,
    #[serde(default = "silu")]
    pub hidden_act: String,
    /// Qwen's sliding-window attention (off in Qwen3's published models).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub use_sliding_window: bool,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `rope_scaling` (transformers 4) or `rope_parameters` (transformers 5, which also holds
/// `rope_theta`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RopeWire {
    /// `rope_type` (older files: `type`): `default` or `llama3`.
    #[serde(default, alias = "type", skip_serializing_if = "Option::is_none")]
    pub rope_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rope_theta: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_freq_factor: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_freq_factor: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_max_position_embeddings: Option<usize>,
}

fn default_eps() -> f64 {
    1e-6
}
fn silu() -> String {
    "silu".into()
}

impl RopeWire {
    /// The rotary settings these keys describe, with `theta` from beside them when they do
    /// not hold it.
    pub(crate) fn to_rope(&self, theta: Option<f64>) -> Result<RopeConfig, ModelError> {
        let theta = self.rope_theta.or(theta).unwrap_or(10_000.0);
        let llama3 = match self.rope_type.as_deref().unwrap_or("default") {
            "default" => None,
            "llama3" => {
                let need = |key: &str, value: Option<f64>| {
                    value.ok_or_else(|| ModelError::InvalidConfig(format!("config.json: rope type llama3 needs `{key}`")))
                };
                Some(Llama3Scaling {
                    factor: need("factor", self.factor)?,
                    low_freq_factor: need("low_freq_factor", self.low_freq_factor)?,
                    high_freq_factor: need("high_freq_factor", self.high_freq_factor)?,
                    original_context: self.original_max_position_embeddings.ok_or_else(|| {
                        ModelError::InvalidConfig("config.json: rope type llama3 needs `original_max_position_embeddings`".into())
                    })?,
                })
            }
            other => {
                return Err(ModelError::InvalidConfig(format!(
                    "config.json: rope type `{other}` is not supported (expected `default` or `llama3`)"
                )));
            }
        };
        Ok(RopeConfig { theta, llama3 })
    }

    /// The transformers 4 form of `rope`'s scaling, if it has one.
    pub(crate) fn scaling_of(rope: &RopeConfig) -> Option<Self> {
        rope.llama3.map(|s| Self {
            rope_type: Some("llama3".into()),
            rope_theta: None,
            factor: Some(s.factor),
            low_freq_factor: Some(s.low_freq_factor),
            high_freq_factor: Some(s.high_freq_factor),
            original_max_position_embeddings: Some(s.original_context),
        })
    }
}

impl HfDecoderConfig {
    /// The model config, or an error naming the key this implementation does not support.
    pub fn to_config(&self) -> Result<DecoderConfig, ModelError> {
        let unsupported = |key: &str, value: String, expected: &str| {
            Err(ModelError::InvalidConfig(format!("config.json `{key}` is {value}; only {expected} is supported")))
        };
        if self.hidden_act != "silu" {
            return unsupported("hidden_act", format!("\"{}\"", self.hidden_act), "\"silu\"");
        }
        if self.attention_bias || self.mlp_bias {
            return unsupported("attention_bias/mlp_bias", "true".into(), "false (Llama and Qwen3 have no biases)");
        }
        if self.use_sliding_window {
            return unsupported("use_sliding_window", "true".into(), "false");
        }
        // transformers 5 keeps theta and the scaling together; 4 beside each other.
        let rope = match (&self.rope_parameters, &self.rope_scaling) {
            (Some(parameters), _) => parameters.to_rope(self.rope_theta)?,
            (None, Some(scaling)) => scaling.to_rope(self.rope_theta)?,
            (None, None) => RopeConfig { theta: self.rope_theta.unwrap_or(10_000.0), llama3: None },
        };
        let config = DecoderConfig {
            vocab_size: self.vocab_size,
            context_length: self.max_position_embeddings,
            emb_dim: self.hidden_size,
            n_layers: self.num_hidden_layers,
            n_heads: self.num_attention_heads,
            n_kv_heads: self.num_key_value_heads.unwrap_or(self.num_attention_heads),
            head_dim: self.head_dim.unwrap_or(self.hidden_size / self.num_attention_heads.max(1)),
            hidden_dim: self.intermediate_size,
            rms_norm_eps: self.rms_norm_eps,
            rope,
            tie_embeddings: self.tie_word_embeddings,
        };
        config.validate()?;
        Ok(config)
    }

    /// The `config.json` of a model of `config` whose `model_type` is `llama` or `qwen3`
    /// (transformers 4's form, which 5 reads too).
    pub fn from_config(config: &DecoderConfig, model_type: &str, architecture: &str) -> Self {
        let mut extra = serde_json::Map::new();
        extra.insert("model_type".into(), model_type.into());
        extra.insert("architectures".into(), serde_json::json!([architecture]));
        Self {
            vocab_size: config.vocab_size,
            hidden_size: config.emb_dim,
            intermediate_size: config.hidden_dim,
            num_hidden_layers: config.n_layers,
            num_attention_heads: config.n_heads,
            num_key_value_heads: Some(config.n_kv_heads),
            head_dim: Some(config.head_dim),
            max_position_embeddings: config.context_length,
            rms_norm_eps: config.rms_norm_eps,
            rope_theta: Some(config.rope.theta),
            rope_scaling: RopeWire::scaling_of(&config.rope),
            rope_parameters: None,
            tie_word_embeddings: config.tie_embeddings,
            attention_bias: false,
            mlp_bias: false,
            hidden_act: silu(),
            use_sliding_window: false,
            extra,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llama::llama_3_2_1b;

    const LLAMA_3_2_1B: &str = r#"{"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
        "bos_token_id": 128000, "eos_token_id": 128001, "head_dim": 64, "hidden_act": "silu", "hidden_size": 2048,
        "initializer_range": 0.02, "intermediate_size": 8192, "max_position_embeddings": 131072, "mlp_bias": false,
        "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8,
        "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0,
        "low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
        "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16", "use_cache": true,
        "vocab_size": 128256}"#;

    #[test]
    fn the_hubs_llama_3_2_config_is_the_preset() {
        let wire: HfDecoderConfig = serde_json::from_str(LLAMA_3_2_1B).unwrap();
        assert_eq!(wire.to_config().unwrap(), llama_3_2_1b());
        let written = HfDecoderConfig::from_config(&llama_3_2_1b(), "llama", "LlamaForCausalLM");
        assert_eq!(written.to_config().unwrap(), llama_3_2_1b(), "written and read back");
    }

    #[test]
    fn the_hubs_qwen3_config_is_the_preset() {
        let qwen3 = r#"{"architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
            "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu", "hidden_size": 1024,
            "initializer_range": 0.02, "intermediate_size": 3072, "max_position_embeddings": 40960, "max_window_layers": 28,
            "model_type": "qwen3", "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8,
            "rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 1000000, "sliding_window": null,
            "tie_word_embeddings": true, "torch_dtype": "bfloat16", "use_cache": true, "use_sliding_window": false,
            "vocab_size": 151936}"#;
        let wire: HfDecoderConfig = serde_json::from_str(qwen3).unwrap();
        assert_eq!(wire.to_config().unwrap(), crate::qwen3::qwen3_0_6b());
    }

    #[test]
    fn transformers_5_rope_parameters_read_the_same() {
        let v5 = LLAMA_3_2_1B.replace(r#""rope_scaling": {"#, r#""rope_parameters": {"rope_theta": 500000.0, "#).replace(r#""rope_theta": 500000.0, "tie"#, r#""tie"#);
        let wire: HfDecoderConfig = serde_json::from_str(&v5).unwrap();
        assert!(wire.rope_theta.is_none() && wire.rope_parameters.is_some(), "{v5}");
        assert_eq!(wire.to_config().unwrap(), llama_3_2_1b());
    }

    #[test]
    fn unsupported_keys_are_named() {
        let yarn = LLAMA_3_2_1B.replace(r#""rope_type": "llama3""#, r#""rope_type": "yarn""#);
        let err = serde_json::from_str::<HfDecoderConfig>(&yarn).unwrap().to_config().unwrap_err().to_string();
        assert!(err.contains("yarn") && err.contains("llama3"), "{err}");
        let biased = LLAMA_3_2_1B.replace(r#""attention_bias": false"#, r#""attention_bias": true"#);
        let err = serde_json::from_str::<HfDecoderConfig>(&biased).unwrap().to_config().unwrap_err().to_string();
        assert!(err.contains("attention_bias"), "{err}");
    }
}
