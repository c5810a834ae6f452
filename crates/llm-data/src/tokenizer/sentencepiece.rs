//! SentencePiece model files (`.model`, OPUS-MT's `source.spm`/`target.spm`): the protobuf
//! read with a schema derived here (the fields a tokenizer needs, from sentencepiece's
//! `sentencepiece_model.proto`), turned into a `tokenizers` tokenizer as `transformers`'
//! `SpmConverter` does (a unigram model over the pieces and their scores, the model's
//! precompiled normaliser, `▁` for spaces).

use std::path::Path;

use prost::Message;
use tokenizers::decoders::metaspace::Metaspace as MetaspaceDecoder;
use tokenizers::models::unigram::Unigram;
use tokenizers::normalizers::{Precompiled, Replace, Sequence, Strip};
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::{AddedToken, NormalizerWrapper, Tokenizer as HfTokenizer};

use crate::DataError;

/// The character SentencePiece writes for a space.
pub const SPACE_PIECE: char = '\u{2581}';
/// What SentencePiece decodes an unknown piece to.
const UNKNOWN_SURFACE: &str = " \u{2047} ";

#[derive(Clone, PartialEq, Message)]
struct ModelProto {
    #[prost(message, repeated, tag = "1")]
    pieces: Vec<PieceProto>,
    #[prost(message, optional, tag = "2")]
    trainer_spec: Option<TrainerSpec>,
    #[prost(message, optional, tag = "3")]
    normalizer_spec: Option<NormalizerSpec>,
}

#[derive(Clone, PartialEq, Message)]
struct PieceProto {
    #[prost(string, optional, tag = "1")]
    piece: Option<String>,
    #[prost(float, optional, tag = "2")]
    score: Option<f32>,
    /// NORMAL 1, UNKNOWN 2, CONTROL 3, USER_DEFINED 4, UNUSED 5, BYTE 6.
    #[prost(int32, optional, tag = "3")]
    kind: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
struct TrainerSpec {
    /// UNIGRAM 1, BPE 2, WORD 3, CHAR 4.
    #[prost(int32, optional, tag = "3")]
    model_type: Option<i32>,
    #[prost(bool, optional, tag = "35")]
    byte_fallback: Option<bool>,
    #[prost(int32, optional, tag = "40")]
    unk_id: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
struct NormalizerSpec {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(bytes = "vec", optional, tag = "2")]
    precompiled_charsmap: Option<Vec<u8>>,
}

const UNKNOWN: i32 = 2;
const CONTROL: i32 = 3;
const USER_DEFINED: i32 = 4;

/// A SentencePiece unigram model: its pieces (id order) and the tokenizer that segments
/// text into them.
#[derive(Clone)]
pub struct SentencePiece {
    pieces: Vec<String>,
    ids: std::collections::HashMap<String, u32>,
    unk_id: u32,
    /// Whether each piece is a control symbol (`</s>`, `<s>`).
    control: Vec<bool>,
    tokenizer: HfTokenizer,
}

impl std::fmt::Debug for SentencePiece {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SentencePiece(pieces={})", self.pieces.len())
    }
}

impl SentencePiece {
    /// Reads a `.model` / `.spm` file.
    pub fn from_file(path: &Path) -> Result<Self, DataError> {
        let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
        Self::from_bytes(&bytes).map_err(|message| DataError::invalid(path, message))
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let proto = ModelProto::decode(bytes).map_err(|e| format!("not a SentencePiece model file: {e}"))?;
        if proto.pieces.is_empty() {
            return Err("not a SentencePiece model file: it has no pieces".into());
        }
        let trainer = proto.trainer_spec.unwrap_or_default();
        match trainer.model_type.unwrap_or(1) {
            1 => {}
            2 => return Err("a SentencePiece BPE model: only unigram models (OPUS-MT's) are read".into()),
            other => return Err(format!("SentencePiece model_type {other}: only unigram models (1) are read")),
        }
        let vocab: Vec<(String, f64)> =
            proto.pieces.iter().map(|p| (p.piece.clone().unwrap_or_default(), p.score.unwrap_or(0.0) as f64)).collect();
        let unk_id = proto
            .pieces
            .iter()
            .position(|p| p.kind == Some(UNKNOWN))
            .or(trainer.unk_id.map(|id| id as usize))
            .unwrap_or(0);
        let model = Unigram::from(vocab.clone(), Some(unk_id), trainer.byte_fallback.unwrap_or(false))
            .map_err(|e| format!("its pieces do not make a unigram model: {e}"))?;
        let mut tokenizer = HfTokenizer::new(model);
        tokenizer.with_normalizer(Some(normalizer(proto.normalizer_spec.and_then(|n| n.precompiled_charsmap))?));
        tokenizer.with_pre_tokenizer(Some(Metaspace::new(SPACE_PIECE, PrependScheme::Always, true)));
        tokenizer.with_decoder(Some(MetaspaceDecoder::new(SPACE_PIECE, PrependScheme::Always, true)));
        // Control and user-defined pieces are whole tokens, never split or normalised.
        let added: Vec<AddedToken> = proto
            .pieces
            .iter()
            .filter(|p| matches!(p.kind, Some(CONTROL | USER_DEFINED)))
            .map(|p| AddedToken::from(p.piece.clone().unwrap_or_default(), p.kind == Some(CONTROL)).normalized(false))
            .collect();
        tokenizer.add_tokens(&added);
        let pieces: Vec<String> = vocab.into_iter().map(|(p, _)| p).collect();
        let ids = pieces.iter().enumerate().map(|(i, p)| (p.clone(), i as u32)).collect();
        let control = proto.pieces.iter().map(|p| p.kind == Some(CONTROL)).collect();
        Ok(Self { pieces, ids, unk_id: unk_id as u32, control, tokenizer })
    }

    /// The pieces of `text`, as `SentencePieceProcessor.encode(text, out_type=str)`.
    pub fn encode_pieces(&self, text: &str) -> Vec<String> {
        // `encode`, not `encode_fast`: a unigram model's pieces are only filled in with offsets.
        self.tokenizer
            .encode(text, false)
            .map(|e| e.get_tokens().to_vec())
            .unwrap_or_else(|e| panic!("tokenizers failed to encode: {e}"))
    }

    /// The text of `pieces`, as `SentencePieceProcessor.decode_pieces`: a piece of this
    /// model with its `▁` back to spaces (the first one's leading space, added before the
    /// first word, removed), the unknown piece itself written ` ⁇ `, control pieces
    /// (`</s>`) left out, and a piece this model does not have written as it is.
    pub fn decode_pieces<S: AsRef<str>>(&self, pieces: &[S]) -> String {
        let mut text = String::new();
        for piece in pieces {
            let piece = piece.as_ref();
            match self.ids.get(piece) {
                Some(&id) if id == self.unk_id => text.push_str(UNKNOWN_SURFACE),
                Some(&id) if self.control[id as usize] => {}
                Some(_) => {
                    let surface = piece.replace(SPACE_PIECE, " ");
                    let surface = if text.is_empty() { surface.strip_prefix(' ').unwrap_or(&surface).to_string() } else { surface };
                    text.push_str(&surface);
                }
                None => text.push_str(piece),
            }
        }
        text
    }

    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }
}

/// The model's precompiled normalisation (NFKC and its rules), then, as `SpmConverter`:
/// trailing spaces stripped and runs of spaces made one `▁`.
fn normalizer(charsmap: Option<Vec<u8>>) -> Result<NormalizerWrapper, String> {
    let mut steps: Vec<NormalizerWrapper> = Vec::new();
    if let Some(map) = charsmap.filter(|m| !m.is_empty()) {
        steps.push(Precompiled::from(&map).map_err(|e| format!("its precompiled_charsmap is damaged: {e}"))?.into());
    }
    steps.push(Strip::new(false, true).into());
    steps.push(Replace::new(tokenizers::normalizers::replace::ReplacePattern::Regex(" {2,}".into()), SPACE_PIECE.to_string()).map_err(|e| e.to_string())?.into());
    Ok(Sequence::new(steps).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_a_model_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("source.spm");
        std::fs::write(&path, b"\xff\xff\xff not protobuf").unwrap();
        let err = SentencePiece::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("source.spm") && err.contains("not a SentencePiece model file"), "{err}");
        std::fs::write(&path, b"").unwrap();
        let err = SentencePiece::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("no pieces"), "{err}");
    }
}
