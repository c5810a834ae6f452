//! The tokenizer of a translation model's directory: Marian's (two SentencePiece models and
//! one `vocab.json`, as `transformers`' `MarianTokenizer`), or a `tokenizer.json`. Either
//! way a sentence to translate or a reference ends with the model's end-of-sequence id.

use std::collections::HashMap;
use std::path::Path;

use super::sentencepiece::SentencePiece;
use super::{TOKENIZER_FILE, Tokenizer};
use crate::DataError;

/// Marian's files in a model directory.
pub const SOURCE_SPM: &str = "source.spm";
pub const TARGET_SPM: &str = "target.spm";
pub const MARIAN_VOCAB: &str = "vocab.json";

/// `MarianTokenizer`: the source language's SentencePiece model cuts a sentence into
/// pieces, `vocab.json` gives their ids (shared by both languages), and the target's model
/// turns pieces back into text.
#[derive(Debug, Clone)]
pub struct MarianTokenizer {
    source: SentencePiece,
    target: SentencePiece,
    ids: HashMap<String, u32>,
    pieces: HashMap<u32, String>,
    eos: u32,
    unk: u32,
    pad: u32,
}

/// A translation model's tokenizer.
#[derive(Debug, Clone)]
pub enum TranslationTokenizer {
    Marian(MarianTokenizer),
    /// A `tokenizer.json`; `eos` is appended when its post-processor does not add it.
    Json { tokenizer: Tokenizer, eos: u32 },
}

impl TranslationTokenizer {
    /// The tokenizer of `dir`: Marian's files if it has them, else its `tokenizer.json`;
    /// `eos` is the model's end-of-sequence id.
    pub fn for_model_dir(dir: &Path, eos: u32) -> Result<Self, DataError> {
        if dir.join(SOURCE_SPM).is_file() || dir.join(MARIAN_VOCAB).is_file() {
            return Ok(Self::Marian(MarianTokenizer::from_dir(dir)?));
        }
        let json = dir.join(TOKENIZER_FILE);
        if json.is_file() {
            return Ok(Self::Json { tokenizer: Tokenizer::from_file(&json)?, eos });
        }
        Err(DataError::invalid(
            dir,
            format!("no tokenizer: expected {SOURCE_SPM}, {TARGET_SPM} and {MARIAN_VOCAB} (Marian's) or {TOKENIZER_FILE}"),
        ))
    }

    /// The ids of a sentence to translate, ending with the end-of-sequence id.
    pub fn encode_source(&self, text: &str) -> Vec<u32> {
        match self {
            Self::Marian(m) => m.encode(&m.source, text),
            Self::Json { tokenizer, eos } => with_eos(tokenizer.encode_for_model(text), *eos),
        }
    }

    /// The ids of a target-language sentence (a reference translation, training labels),
    /// ending with the end-of-sequence id.
    pub fn encode_target(&self, text: &str) -> Vec<u32> {
        match self {
            Self::Marian(m) => m.encode(&m.target, text),
            Self::Json { tokenizer, eos } => with_eos(tokenizer.encode_for_model(text), *eos),
        }
    }

    /// The text of generated ids, without special tokens (`skip_special_tokens=True`).
    pub fn decode(&self, ids: &[u32]) -> String {
        match self {
            Self::Marian(m) => m.decode(ids),
            Self::Json { tokenizer, .. } => tokenizer.decode_skipping_special(ids),
        }
    }

    /// The number of ids the tokenizer knows.
    pub fn vocab_size(&self) -> usize {
        match self {
            Self::Marian(m) => m.ids.len(),
            Self::Json { tokenizer, .. } => tokenizer.vocab_size(),
        }
    }
}

fn with_eos(mut ids: Vec<u32>, eos: u32) -> Vec<u32> {
    if ids.last() != Some(&eos) {
        ids.push(eos);
    }
    ids
}

impl MarianTokenizer {
    /// Reads `source.spm`, `target.spm` and `vocab.json` (special tokens named by
    /// `tokenizer_config.json`, else `</s>`, `<unk>`, `<pad>`).
    pub fn from_dir(dir: &Path) -> Result<Self, DataError> {
        let config = read_json(&dir.join("tokenizer_config.json")).ok();
        if config.as_ref().and_then(|c| c.get("separate_vocabs")).and_then(|v| v.as_bool()) == Some(true) {
            return Err(DataError::invalid(dir.join("tokenizer_config.json"), "separate_vocabs: separate source and target vocabularies are not supported"));
        }
        let special = |key: &str, default: &str| -> String {
            match config.as_ref().map(|c| &c[key]) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Object(o)) => o.get("content").and_then(|c| c.as_str()).unwrap_or(default).to_string(),
                _ => default.to_string(),
            }
        };
        let vocab_path = dir.join(MARIAN_VOCAB);
        let vocab: HashMap<String, u32> = serde_json::from_value(read_json(&vocab_path)?)
            .map_err(|e| DataError::invalid(&vocab_path, format!("expected an object of piece -> id: {e}")))?;
        let id = |token: String| -> Result<u32, DataError> {
            vocab.get(&token).copied().ok_or_else(|| DataError::invalid(&vocab_path, format!("has no `{token}`")))
        };
        let (eos, unk, pad) = (id(special("eos_token", "</s>"))?, id(special("unk_token", "<unk>"))?, id(special("pad_token", "<pad>"))?);
        Ok(Self {
            source: SentencePiece::from_file(&dir.join(SOURCE_SPM))?,
            target: SentencePiece::from_file(&dir.join(TARGET_SPM))?,
            pieces: vocab.iter().map(|(piece, &id)| (id, piece.clone())).collect(),
            ids: vocab,
            eos,
            unk,
            pad,
        })
    }

    /// `MarianTokenizer(text)`: a leading language code (`>>deu<<`) kept whole, the rest cut
    /// into pieces by `spm`, each piece's id (`<unk>`'s when `vocab.json` lacks it), then
    /// the end of sequence.
    fn encode(&self, spm: &SentencePiece, text: &str) -> Vec<u32> {
        let (code, rest) = match text.strip_prefix(">>").and_then(|t| t.find("<<")) {
            Some(end) => (Some(&text[..end + 4]), &text[end + 4..]),
            None => (None, text),
        };
        code.map(str::to_string)
            .into_iter()
            .chain(spm.encode_pieces(rest))
            .map(|piece| self.ids.get(&piece).copied().unwrap_or(self.unk))
            .chain(std::iter::once(self.eos))
            .collect()
    }

    /// The target model's text of `ids`, special tokens (`</s>`, `<unk>`, `<pad>`) and ids
    /// beyond `vocab.json` left out.
    fn decode(&self, ids: &[u32]) -> String {
        let pieces: Vec<&str> = ids
            .iter()
            .filter(|&&id| id != self.eos && id != self.unk && id != self.pad)
            .filter_map(|id| self.pieces.get(id).map(String::as_str))
            .collect();
        self.target.decode_pieces(&pieces)
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| DataError::invalid(path, format!("not valid JSON: {e}")))
}
