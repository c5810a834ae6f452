//! The architecture of a model of any family, as a training checkpoint records it to rebuild
//! the model before loading its weights.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::decoder::DecoderConfig;
use crate::presets::{ENCODER_PRESETS, PRESETS, decoder_preset, encoder_preset};
use crate::weights::ModelKind;
use crate::{BertConfig, Family, GptConfig, LanguageModel, ModelError};
use crate::marian::MarianConfig;

/// A family and its configuration, written as the configuration's fields with a `family`
/// key (`family = "llama"`); a record without one is GPT-2's (checkpoints written before
/// there were families). Besides the decoders, BERT encoders and Marian encoder–decoders
/// (`family = "bert"`, `"marian"`; their configurations are their `config.json`'s).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "family", rename_all = "lowercase")]
pub enum ModelConfig {
    Gpt2(GptConfig),
    Llama(DecoderConfig),
    Qwen3(DecoderConfig),
    Bert(BertConfig),
    Marian(MarianConfig),
}

/// [`ModelConfig`]'s own form, read once the `family` key is known to be there.
#[derive(Deserialize)]
#[serde(tag = "family", rename_all = "lowercase")]
enum Tagged {
    Gpt2(GptConfig),
    Llama(DecoderConfig),
    Qwen3(DecoderConfig),
    Bert(BertConfig),
    Marian(MarianConfig),
}

impl<'de> Deserialize<'de> for ModelConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut value = serde_json::Value::deserialize(deserializer)?;
        if let Some(object) = value.as_object_mut() {
            object.entry("family").or_insert_with(|| "gpt2".into());
        }
        Ok(match Tagged::deserialize(value).map_err(serde::de::Error::custom)? {
            Tagged::Gpt2(c) => Self::Gpt2(c),
            Tagged::Llama(c) => Self::Llama(c),
            Tagged::Qwen3(c) => Self::Qwen3(c),
            Tagged::Bert(c) => Self::Bert(c),
            Tagged::Marian(c) => Self::Marian(c),
        })
    }
}

impl ModelConfig {
    /// The configuration of a preset of any family (`gpt2-small`, `llama-3.2-1b`,
    /// `bert-base-uncased`, ...).
    pub fn preset(name: &str) -> Result<Self, ModelError> {
        let normalised = name.to_ascii_lowercase().replace('_', "-");
        if let Some(config) = encoder_preset(&normalised) {
            return Ok(config);
        }
        if let Some((family, config)) = decoder_preset(&normalised) {
            return Ok(match family {
                Family::Llama => Self::Llama(config),
                _ => Self::Qwen3(config),
            });
        }
        GptConfig::preset(name)
            .map(Self::Gpt2)
            .map_err(|_| ModelError::UnknownPreset { name: name.to_string(), expected: [&PRESETS[..], &ENCODER_PRESETS[..]].concat().join(", ") })
    }

    /// What the configuration builds: a decoder of a family, a BERT encoder or a Marian
    /// encoder–decoder.
    pub fn kind(&self) -> ModelKind {
        match self {
            Self::Gpt2(_) => ModelKind::Decoder(Family::Gpt2),
            Self::Llama(_) => ModelKind::Decoder(Family::Llama),
            Self::Qwen3(_) => ModelKind::Decoder(Family::Qwen3),
            Self::Bert(_) => ModelKind::Bert,
            Self::Marian(_) => ModelKind::Marian,
        }
    }

    /// A freshly initialised decoder language model of this configuration (weights from the
    /// device's generator); an error for an encoder's configuration, which
    /// [`BertConfig::init`] and [`MarianConfig::init`] build.
    pub fn init(&self, device: &Device) -> Result<LanguageModel, ModelError> {
        Ok(match self {
            Self::Gpt2(c) => LanguageModel::Gpt2(c.init(device)?),
            Self::Llama(c) => LanguageModel::Llama(c.init(device)?),
            Self::Qwen3(c) => LanguageModel::Qwen3(c.init(device)?),
            Self::Bert(_) | Self::Marian(_) => {
                return Err(ModelError::InvalidConfig(format!(
                    "a {} configuration builds an encoder, not a decoder language model",
                    self.kind().model_type()
                )));
            }
        })
    }

    pub fn validate(&self) -> Result<(), ModelError> {
        match self {
            Self::Gpt2(c) => c.validate(),
            Self::Llama(c) | Self::Qwen3(c) => c.validate(),
            Self::Bert(c) => c.validate(),
            Self::Marian(c) => c.validate(),
        }
    }

    /// The longest sequence the model has positions for.
    pub fn context_length(&self) -> usize {
        match self {
            Self::Gpt2(c) => c.context_length,
            Self::Llama(c) | Self::Qwen3(c) => c.context_length,
            Self::Bert(c) => c.max_position_embeddings,
            Self::Marian(c) => c.max_position_embeddings,
        }
    }

    pub fn vocab_size(&self) -> usize {
        match self {
            Self::Gpt2(c) => c.vocab_size,
            Self::Llama(c) | Self::Qwen3(c) => c.vocab_size,
            Self::Bert(c) => c.vocab_size,
            Self::Marian(c) => c.vocab_size,
        }
    }

    /// The same family with `config` (the family's own configuration type, as JSON): how a
    /// preset's settings are overridden field by field.
    pub fn with_fields(&self, fields: serde_json::Value) -> Result<Self, ModelError> {
        let invalid = |e: serde_json::Error| ModelError::InvalidConfig(e.to_string());
        Ok(match self {
            Self::Gpt2(_) => Self::Gpt2(serde_json::from_value(fields).map_err(invalid)?),
            Self::Llama(_) => Self::Llama(serde_json::from_value(fields).map_err(invalid)?),
            Self::Qwen3(_) => Self::Qwen3(serde_json::from_value(fields).map_err(invalid)?),
            Self::Bert(_) => Self::Bert(serde_json::from_value(fields).map_err(invalid)?),
            Self::Marian(_) => Self::Marian(serde_json::from_value(fields).map_err(invalid)?),
        })
    }

    /// The family's own configuration as JSON (without the `family` key).
    pub fn fields(&self) -> serde_json::Value {
        match self {
            Self::Gpt2(c) => serde_json::to_value(c),
            Self::Llama(c) | Self::Qwen3(c) => serde_json::to_value(c),
            Self::Bert(c) => serde_json::to_value(c),
            Self::Marian(c) => serde_json::to_value(c),
        }
        .expect("a model config serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_the_family_and_reads_records_without_one_as_gpt2() {
        let llama = ModelConfig::preset("llama-3.2-1b").unwrap();
        let json = serde_json::to_value(&llama).unwrap();
        assert_eq!(json["family"], "llama");
        assert_eq!(serde_json::from_value::<ModelConfig>(json).unwrap(), llama);
        let gpt = GptConfig::preset("gpt2-small").unwrap();
        let old = serde_json::to_value(&gpt).unwrap(); // a checkpoint from before families
        assert_eq!(serde_json::from_value::<ModelConfig>(old).unwrap(), ModelConfig::Gpt2(gpt));
        let mut fields = llama.fields();
        fields["n_layers"] = 2.into();
        let smaller = llama.with_fields(fields).unwrap();
        assert_eq!((smaller.kind(), smaller.context_length()), (ModelKind::Decoder(Family::Llama), llama.context_length()));
        let error = llama.with_fields(serde_json::json!({"n_layers": 2})).unwrap_err().to_string();
        assert!(error.contains("missing field"), "{error}");
    }
}
