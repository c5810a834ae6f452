use std::path::Path;

use serde_json::Value;

use crate::DataError;
use crate::tokenizer::Tokenizer;

/// The file that names a directory's special tokens and holds its chat template.
pub const TOKENIZER_CONFIG_FILE: &str = "tokenizer_config.json";
const GENERATION_CONFIG_FILE: &str = "generation_config.json";
const MODEL_CONFIG_FILE: &str = "config.json";

/// The beginning- and end-of-sequence tokens a model directory's `tokenizer_config.json`
/// names (what a chat template reads as `bos_token` and `eos_token`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecialTokens {
    pub bos_token: Option<String>,
    pub eos_token: Option<String>,
}

impl SpecialTokens {
    /// Those of `tokenizer_config.json` in `dir`; none when the file is missing.
    pub fn for_model_dir(dir: &Path) -> Result<Self, DataError> {
        let Some(config) = read_json(&dir.join(TOKENIZER_CONFIG_FILE))? else {
            return Ok(Self::default());
        };
        let path = dir.join(TOKENIZER_CONFIG_FILE);
        Ok(Self { bos_token: token_field(&config, "bos_token", &path)?, eos_token: token_field(&config, "eos_token", &path)? })
    }
}

/// The ids that end a generated reply in a model directory, first found of:
/// `generation_config.json`'s `eos_token_id` (one id or a list: Llama 3 lists three), the id
/// of `tokenizer_config.json`'s `eos_token`, the tokenizer's `<|endoftext|>`, `config.json`'s
/// `eos_token_id` (last: GPT-2 directories name 50256 there whatever their tokenizer).
/// The ids of the JSON files are checked against the tokenizer's vocabulary.
pub fn end_of_sequence_ids(dir: &Path, tokenizer: &Tokenizer) -> Result<Vec<u32>, DataError> {
    if let Some(ids) = listed_ids(&dir.join(GENERATION_CONFIG_FILE), tokenizer)? {
        return Ok(ids);
    }
    let named = SpecialTokens::for_model_dir(dir)?.eos_token.and_then(|token| tokenizer.token_id(&token));
    if let Some(id) = named.or_else(|| tokenizer.end_of_text()) {
        return Ok(vec![id]);
    }
    Ok(listed_ids(&dir.join(MODEL_CONFIG_FILE), tokenizer)?.unwrap_or_default())
}

/// The `eos_token_id` of the JSON file at `path` (one id or a list), if it has one.
fn listed_ids(path: &Path, tokenizer: &Tokenizer) -> Result<Option<Vec<u32>>, DataError> {
    let Some(config) = read_json(path)? else { return Ok(None) };
    let ids = match config.get("eos_token_id") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items.iter().map(|v| token_id(v, path)).collect::<Result<Vec<_>, _>>()?,
        Some(single) => vec![token_id(single, path)?],
    };
    if let Some(bad) = ids.iter().find(|&&id| id as usize >= tokenizer.vocab_size()) {
        let message = format!("`eos_token_id` {bad} is outside the tokenizer's vocabulary of {}", tokenizer.vocab_size());
        return Err(DataError::invalid(path, message));
    }
    Ok(Some(ids))
}

fn token_id(value: &Value, path: &Path) -> Result<u32, DataError> {
    value
        .as_u64()
        .and_then(|id| u32::try_from(id).ok())
        .ok_or_else(|| DataError::invalid(path, format!("`eos_token_id` must be token ids, found {value}")))
}

/// A token field: a string, null, or an added-token object `{"content": ...}` (older files).
fn token_field(config: &Value, field: &str, path: &Path) -> Result<Option<String>, DataError> {
    match config.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(token)) => Ok(Some(token.clone())),
        Some(Value::Object(token)) => match token.get("content") {
            Some(Value::String(content)) => Ok(Some(content.clone())),
            _ => Err(DataError::invalid(path, format!("`{field}` has no string `content`"))),
        },
        Some(other) => Err(DataError::invalid(path, format!("`{field}` must be a token (a string), found {other}"))),
    }
}

/// The JSON object in `path`, or `None` when there is no such file.
pub(crate) fn read_json(path: &Path) -> Result<Option<Value>, DataError> {
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| DataError::invalid(path, format!("not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(DataError::invalid(path, "expected a JSON object"));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpt2_directories_without_token_files_stop_at_end_of_text() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(end_of_sequence_ids(dir.path(), &Tokenizer::gpt2()).unwrap(), [50256]);
        assert_eq!(SpecialTokens::for_model_dir(dir.path()).unwrap(), SpecialTokens::default());
    }

    #[test]
    fn refuses_ids_that_are_not_token_ids_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        for (json, expected) in [
            (r#"{"eos_token_id": [50256, "x"]}"#, "`eos_token_id` must be token ids"),
            (r#"{"eos_token_id": 60000}"#, "outside the tokenizer's vocabulary of 50257"),
            ("[1]", "expected a JSON object"),
        ] {
            std::fs::write(dir.path().join(GENERATION_CONFIG_FILE), json).unwrap();
            let error = end_of_sequence_ids(dir.path(), &Tokenizer::gpt2()).unwrap_err().to_string();
            assert!(error.contains(GENERATION_CONFIG_FILE) && error.contains(expected), "{error}");
        }
    }
}
