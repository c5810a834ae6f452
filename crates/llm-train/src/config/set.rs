//! `--set key=value`: overrides on top of the experiment file.
//!
//! `key` is a short key ([`SHORT_KEYS`]) or a `section.field` path among the settings the
//! config structs declare ([`Fields`]); `value` is a TOML literal (number, bool, quoted
//! string) or else taken as a string. `key=none` unsets a setting, so that its default
//! applies (`min_lr=none`: no cosine decay); `schedule=constant` clears the whole schedule
//! (a constant rate, the book's chapter 5 loop).

use super::{ConfigError, Fields};

/// Short `--set` keys and the paths they stand for.
pub const SHORT_KEYS: &[(&str, &str)] = &[
    ("context_length", "model.context_length"),
    ("dropout", "model.dropout"),
    ("batch_size", "data.batch_size"),
    ("stride", "data.stride"),
    ("shuffle", "data.shuffle"),
    ("lr", "optimizer.lr"),
    ("weight_decay", "optimizer.weight_decay"),
    ("grad_clip", "optimizer.grad_clip"),
    ("warmup_steps", "schedule.warmup_steps"),
    ("min_lr", "schedule.min_lr"),
    ("grad_accumulation", "optimizer.grad_accumulation"),
    ("eval_every", "run.eval_every"),
    ("eval_batches", "run.eval_batches"),
    ("epochs", "run.epochs"),
    ("max_steps", "run.max_steps"),
    ("checkpoint_every", "run.checkpoint_every"),
    ("trainable", "classify.trainable"),
    ("pooling", "classify.pooling"),
    ("template", "instruct.template"),
    ("mask_prompt", "instruct.mask_prompt"),
    ("beta", "dpo.beta"),
];

/// Applies one `key=value` to the configuration's table; `fields` are the settings the
/// configuration accepts.
pub(super) fn apply_set(table: &mut toml::Table, set: &str, fields: &Fields) -> Result<(), ConfigError> {
    let (key, raw) = set.split_once('=').ok_or_else(|| ConfigError::SetSyntax(set.to_string()))?;
    let key = key.trim();
    let path = SHORT_KEYS.iter().find(|(short, _)| *short == key).map_or(key, |(_, full)| full);
    if path == "schedule" && raw == "constant" {
        table.remove("schedule");
        return Ok(());
    }
    if !fields.has(path) {
        return Err(unknown_key(key, path, fields));
    }
    let (target, field) = match path.split_once('.') {
        None => (table, path),
        Some((section, field)) => {
            let entry = table.entry(section).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(target) = entry else {
                return Err(ConfigError::Invalid(format!("`{section}` is not a section (`[{section}]`)")));
            };
            (target, field)
        }
    };
    // The warm-up is given either way; setting one replaces the other.
    match field {
        "warmup_steps" => target.remove("warmup_fraction"),
        "warmup_fraction" => target.remove("warmup_steps"),
        _ => None,
    };
    if raw == "none" {
        target.remove(field);
    } else {
        target.insert(field.to_string(), literal(raw));
    }
    Ok(())
}

/// A TOML literal (number, bool, quoted string), else the raw text as a string.
fn literal(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

/// The error for a key the configuration does not have, listing what it has nearby.
fn unknown_key(key: &str, path: &str, fields: &Fields) -> ConfigError {
    let known = match path.split_once('.') {
        Some((section, _)) if fields.is_section(section) => {
            format!("[{section}] has {}", fields.names(section).join(", "))
        }
        _ => format!(
            "known short keys: {}; or a full path such as model.emb_dim or optimizer.lr; `schedule=constant` clears the schedule",
            SHORT_KEYS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
        ),
    };
    ConfigError::UnknownKey { key: key.to_string(), known }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExperimentConfig;

    #[test]
    fn every_short_key_stands_for_a_setting() {
        let fields = Fields::of::<ExperimentConfig>();
        for (short, path) in SHORT_KEYS {
            assert!(fields.has(path), "{short} -> {path}");
        }
    }

    #[test]
    fn values_are_literals_or_words() {
        assert_eq!(literal("1e-3"), toml::Value::Float(1e-3));
        assert_eq!(literal("false"), toml::Value::Boolean(false));
        assert_eq!(literal("\"none\""), toml::Value::String("none".into()));
        assert_eq!(literal("Hello there"), toml::Value::String("Hello there".into()));
    }
}
