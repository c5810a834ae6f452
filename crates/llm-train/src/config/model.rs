//! `[model]`: the network a run starts from, as one shape: a preset with any of its
//! settings over it, by the model config's own field names.

use llm_model::decoder::DecoderConfig;
use llm_model::{GptConfig, ModelConfig};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{ConfigError, Fields};

/// A fresh model of `preset` (of any family: `gpt2-small`, `llama-3.2-1b`, `qwen3-0.6b`)
/// with any of its settings overridden by the names of the family's configuration
/// ([`GptConfig`]'s or [`DecoderConfig`]'s: `emb_dim = 512`, `n_layers = 2`; an encoder's
/// `config.json` keys: `hidden_size = 128`), or the model
/// directory `init_from` (`--init-from` overrides it), of which `dropout` and
/// `context_length` still apply.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelSection {
    /// `gpt2-small`, `gpt-config-124m`, `llama-3.2-1b`, ...: see [`llm_model::presets::PRESETS`].
    pub preset: Option<String>,
    pub init_from: Option<String>,
    /// The settings given over the preset's, by the field names of its family's configuration.
    #[serde(flatten)]
    pub settings: toml::Table,
}

impl ModelSection {
    /// The preset's configuration with the section's settings over it.
    pub fn config(&self) -> Result<ModelConfig, ConfigError> {
        let preset = self.preset_config()?.ok_or_else(|| {
            ConfigError::Invalid(format!(
                "model.preset is missing: name one of {} (or start from a model directory: model.init_from, --init-from)",
                llm_model::presets::PRESETS.join(", ")
            ))
        })?;
        let mut table: toml::Table = serde_json::from_value(preset.fields()).expect("a model config is a table");
        table.extend(self.settings.clone());
        let fields = serde_json::to_value(&table).expect("a TOML table is JSON");
        let config = preset.with_fields(fields).map_err(|e| ConfigError::Invalid(format!("model: {e}")))?;
        config.validate().map_err(|e| ConfigError::Invalid(format!("model: {e}")))?;
        Ok(config)
    }

    /// The preset's own configuration, if the section names one.
    fn preset_config(&self) -> Result<Option<ModelConfig>, ConfigError> {
        self.preset
            .as_deref()
            .map(|name| ModelConfig::preset(name).map_err(|e| ConfigError::Invalid(format!("model.preset: {e}"))))
            .transpose()
    }

    /// Checks that every setting names a field of the model's configuration (its preset's
    /// family's; GPT-2's or the decoders' without a preset), and the whole when there is a
    /// preset to apply it to. A section that starts from a directory without a preset (what
    /// `config.toml` records for such a run: that model's own `config.json` settings, of any
    /// kind) is not checked: only `dropout` and `context_length` apply, and
    /// [`ModelSection::starting_from`] names every other setting that differs.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.preset.is_none() && self.init_from.is_some() {
            return Ok(());
        }
        let known = match self.preset_config()? {
            Some(ModelConfig::Llama(_) | ModelConfig::Qwen3(_)) => Fields::of::<DecoderConfig>(),
            Some(ModelConfig::Gpt2(_)) => Fields::of::<GptConfig>(),
            Some(encoder @ (ModelConfig::Bert(_) | ModelConfig::Marian(_))) => {
                Fields::named(encoder.fields().as_object().into_iter().flat_map(|o| o.keys().cloned()))
            }
            None => Fields::of::<GptConfig>().union(Fields::of::<DecoderConfig>()),
        };
        if let Some(unknown) = self.settings.keys().find(|k| !known.has(k) && !known.is_section(k)) {
            return Err(ConfigError::Invalid(format!(
                "model.{unknown}: unknown setting (the model's are preset, init_from, {})",
                known.names("").join(", ")
            )));
        }
        match (&self.preset, &self.init_from) {
            (None, Some(_)) => Ok(()),
            _ => self.config().map(|_| ()),
        }
    }

    /// A setting given in the section (rather than the preset's), e.g. the `dropout` of a
    /// run that starts from a model directory.
    pub fn setting<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ConfigError> {
        self.settings
            .get(name)
            .map(|value| value.clone().try_into().map_err(|e| ConfigError::Invalid(format!("model.{name}: {e}"))))
            .transpose()
    }

    /// This section as a run that starts from the model directory `dir` uses it: that
    /// model's own settings (the architecture comes from the directory), `dropout` and
    /// `context_length` (at most the model's) as the section gives them. A setting of the
    /// architecture that differs from the model's is not applied: it is named in a warning,
    /// and the section returned (what `config.toml` records) holds the model's value.
    pub fn starting_from(&self, dir: &str, model: &ModelConfig) -> Result<ModelSection, ConfigError> {
        let mut settings: toml::Table = serde_json::from_value(model.fields()).expect("a model config is a table");
        if let Some(context) = self.context_length()? {
            if context > model.context_length() {
                return Err(ConfigError::Invalid(format!(
                    "model.context_length = {context}: the model in {dir} has positions for {} tokens; set at most that, or leave it to the model (--set context_length=none)",
                    model.context_length()
                )));
            }
            settings.insert("context_length".into(), toml::Value::Integer(context as i64));
        }
        for (key, value) in &self.settings {
            // Both apply (dropout already to `model`); every other setting is the model's.
            let applied = matches!(key.as_str(), "context_length" | "dropout");
            if !applied && !settings.get(key).is_some_and(|own| same_value(own, value)) {
                tracing::warn!(
                    "model.{key} = {value} is not applied: the run starts from {dir}, whose {key} is {}",
                    settings.get(key).map_or("unset".to_string(), ToString::to_string)
                );
            }
        }
        Ok(ModelSection { preset: None, init_from: Some(dir.to_string()), settings })
    }

    pub fn dropout(&self) -> Result<Option<f64>, ConfigError> {
        self.setting("dropout")
    }

    pub fn context_length(&self) -> Result<Option<usize>, ConfigError> {
        self.setting("context_length")
    }
}

/// Equal TOML values, a whole number equal to the same float.
fn same_value(a: &toml::Value, b: &toml::Value) -> bool {
    use toml::Value::{Float, Integer};
    match (a, b) {
        (Integer(i), Float(f)) | (Float(f), Integer(i)) => *i as f64 == *f,
        _ => a == b,
    }
}
