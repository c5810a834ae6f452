//! Named presets of every family: fresh models of the published shapes.

use burn::tensor::Device;

use crate::decoder::DecoderConfig;
use crate::marian::MarianConfig;
use crate::{BertConfig, GptConfig, LanguageModel, ModelConfig, ModelError, llama, qwen3};

/// Every preset name, in the order error messages list them.
pub const PRESETS: [&str; 9] = [
    "gpt2-small",
    "gpt2-medium",
    "gpt2-large",
    "gpt2-xl",
    "gpt-config-124m",
    "llama-3.2-1b",
    "llama-3.2-3b",
    "qwen3-0.6b",
    "qwen3-1.7b",
];

/// The encoders' presets (training runs start from them; `--model` needs a decoder's):
/// `bert-base-uncased`'s shape and the OPUS-MT models' (`Helsinki-NLP/opus-mt-en-de`'s
/// config.json: 512 wide, 6 + 6 layers, its 58,101-token vocabulary).
pub const ENCODER_PRESETS: [&str; 2] = ["bert-base-uncased", "opus-mt-base"];

/// The configuration of an encoder preset.
pub(crate) fn encoder_preset(name: &str) -> Option<ModelConfig> {
    Some(match name {
        "bert-base-uncased" => ModelConfig::Bert(BertConfig::new(30522, 768, 12, 12, 3072, 512)),
        "opus-mt-base" => ModelConfig::Marian(
            serde_json::from_value::<MarianConfig>(serde_json::json!({
                "vocab_size": 58101, "d_model": 512, "encoder_layers": 6, "decoder_layers": 6,
                "encoder_attention_heads": 8, "decoder_attention_heads": 8,
                "encoder_ffn_dim": 2048, "decoder_ffn_dim": 2048, "max_position_embeddings": 512,
                "pad_token_id": 58100, "eos_token_id": 0, "decoder_start_token_id": 58100,
                "activation_function": "swish", "dropout": 0.1
            }))
            .expect("the preset is a Marian config"),
        ),
        _ => return None,
    })
}

/// The Llama or Qwen3 shape of a preset name, and which of the two it is.
pub(crate) fn decoder_preset(name: &str) -> Option<(crate::Family, DecoderConfig)> {
    use crate::Family::{Llama, Qwen3};
    Some(match name {
        "llama-3.2-1b" => (Llama, llama::llama_3_2_1b()),
        "llama-3.2-3b" => (Llama, llama::llama_3_2_3b()),
        "qwen3-0.6b" => (Qwen3, qwen3::qwen3_0_6b()),
        "qwen3-1.7b" => (Qwen3, qwen3::qwen3_1_7b()),
        _ => return None,
    })
}

/// A freshly initialised model of the preset `name` (weights from the device's generator).
pub fn init_preset(name: &str, device: &Device) -> Result<LanguageModel, ModelError> {
    let normalised = name.to_ascii_lowercase().replace('_', "-");
    if let Some((family, config)) = decoder_preset(&normalised) {
        return Ok(match family {
            crate::Family::Llama => LanguageModel::Llama(config.init(device)?),
            _ => LanguageModel::Qwen3(config.init(device)?),
        });
    }
    match GptConfig::preset(name) {
        Ok(config) => Ok(LanguageModel::Gpt2(config.init(device)?)),
        Err(_) => Err(ModelError::UnknownPreset { name: name.to_string(), expected: PRESETS.join(", ") }),
    }
}

/// Whether `name` is a preset of any family.
pub fn is_preset(name: &str) -> bool {
    let normalised = name.to_ascii_lowercase().replace('_', "-");
    decoder_preset(&normalised).is_some() || GptConfig::preset(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_presets_and_unknown_names_list_them() {
        for name in PRESETS {
            assert!(is_preset(name), "{name}");
        }
        assert!(is_preset("Qwen3_0.6B") && is_preset("gpt2"), "names are case- and underscore-blind");
        let err = init_preset("llama-9", &Device::flex()).unwrap_err().to_string();
        assert!(err.contains("llama-9") && err.contains("llama-3.2-1b") && err.contains("qwen3-1.7b") && err.contains("gpt2-xl"), "{err}");
        let expected: Vec<(&str, &str)> = vec![("llama-3.2-1b", "llama"), ("qwen3-1.7b", "qwen3")];
        for (name, model_type) in expected {
            let (family, config) = decoder_preset(name).unwrap();
            assert_eq!(family.model_type(), model_type);
            config.validate().unwrap();
        }
    }
}
