//! `[model]`: the network a run starts from, as one shape: a preset with any of its
//! settings over it, by the model config's own field names.

use llm_model::GptConfig;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{ConfigError, Fields};

/// A fresh model of `preset` with any of its settings overridden (the names of
/// [`GptConfig`]: `emb_dim = 512`, `n_layers = 2`), or the model directory `init_from`
/// (`--init-from` overrides it), of which `dropout` and `context_length` still apply.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelSection {
    /// `gpt2-small`, `gpt-config-124m`, ...: see [`llm_model::config::PRESETS`].
    pub preset: Option<String>,
    pub init_from: Option<String>,
    /// The settings given over the preset's, by [`GptConfig`]'s field names.
    #[serde(flatten)]
    pub settings: toml::Table,
}

impl ModelSection {
    /// The preset's configuration with the section's settings over it.
    pub fn config(&self) -> Result<GptConfig, ConfigError> {
        let name = self.preset.as_deref().ok_or_else(|| {
            ConfigError::Invalid(format!(
                "model.preset is missing: name one of {} (or start from a model directory: model.init_from, --init-from)",
                llm_model::config::PRESETS.join(", ")
            ))
        })?;
        let preset = GptConfig::preset(name).map_err(|e| ConfigError::Invalid(format!("model.preset: {e}")))?;
        let mut table = toml::Table::try_from(&preset).expect("a model config is a table");
        table.extend(self.settings.clone());
        let config: GptConfig =
            toml::Value::Table(table).try_into().map_err(|e| ConfigError::Invalid(format!("model: {e}")))?;
        config.validate().map_err(|e| ConfigError::Invalid(format!("model: {e}")))?;
        Ok(config)
    }

    /// Checks that every setting names a field of the model's configuration, and the whole
    /// when there is a preset to apply it to.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let known = Fields::of::<GptConfig>();
        if let Some(unknown) = self.settings.keys().find(|k| !known.has(k)) {
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

    pub fn dropout(&self) -> Result<Option<f64>, ConfigError> {
        self.setting("dropout")
    }

    pub fn context_length(&self) -> Result<Option<usize>, ConfigError> {
        self.setting("context_length")
    }
}
