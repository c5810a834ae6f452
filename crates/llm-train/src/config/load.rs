//! Reading an experiment file: TOML, then the `--set` overrides, then the typed structs
//! (a type error names its line, hence its key), then validation.

use std::path::Path;

use super::set::apply_set;
use super::{ConfigError, ExperimentConfig, Fields};

impl ExperimentConfig {
    /// Reads a TOML file and applies `--set key=value` overrides, then validates.
    pub fn load(path: &Path, sets: &[String]) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::parse(&text, sets).map_err(|e| match e {
            ConfigError::Invalid(message) => ConfigError::File {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Parses TOML text with overrides, then validates.
    pub fn parse(text: &str, sets: &[String]) -> Result<Self, ConfigError> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError::Invalid(e.message().to_string()))?;
        let fields = Fields::of::<Self>();
        for set in sets {
            apply_set(&mut table, set, &fields)?;
        }
        // Re-read as text so that a type error points at its line, hence its key.
        let text = toml::to_string(&table).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let config: Self = toml::from_str(&text).map_err(|e| {
            let line = e.span().and_then(|span| {
                let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
                text[start..].lines().next().map(str::trim)
            });
            ConfigError::Invalid(match line {
                Some(line) => format!("`{line}`: {}", e.message()),
                None => e.message().to_string(),
            })
        })?;
        config.validate()?;
        Ok(config)
    }
}
