use std::path::Path;
use std::sync::Arc;

use tokenizers::Tokenizer as HfTokenizer;

use super::gpt2_files::{END_OF_TEXT, END_OF_TEXT_ID, gpt2_merges, gpt2_vocab, hf_from_vocab_merges, read_openai_files};
use crate::DataError;

/// The file name of a Hugging Face tokenizer in a model directory.
pub const TOKENIZER_FILE: &str = "tokenizer.json";

/// A text ↔ token-id mapping.
///
/// `<|endoftext|>` in the text is always encoded as its special id (tiktoken's
/// `allowed_special={"<|endoftext|>"}`, as the book does).
#[derive(Clone)]
pub enum Tokenizer {
    /// GPT-2's byte-level BPE from the ranks `tiktoken-rs` embeds (`r50k_base`): offline
    /// and exact to OpenAI's encoder.
    Gpt2,
    /// Any Hugging Face tokenizer (`tokenizer.json`, OpenAI's files, or one trained here).
    Hf(Arc<HfTokenizer>),
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Gpt2 => write!(f, "Tokenizer::Gpt2"),
            Self::Hf(t) => write!(f, "Tokenizer::Hf(vocab={})", t.get_vocab_size(true)),
        }
    }
}

impl Tokenizer {
    /// GPT-2's tokenizer, built in.
    pub fn gpt2() -> Self {
        Self::Gpt2
    }

    /// A Hugging Face `tokenizer.json`.
    pub fn from_file(path: &Path) -> Result<Self, DataError> {
        if !path.is_file() {
            return Err(DataError::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "tokenizer file not found"),
            ));
        }
        let t = HfTokenizer::from_file(path)
            .map_err(|e| DataError::invalid(path, format!("not a tokenizer.json: {e}")))?;
        Ok(Self::Hf(Arc::new(t)))
    }

    /// OpenAI's original GPT-2 files, `encoder.json` and `vocab.bpe`.
    pub fn from_openai_files(encoder_json: &Path, vocab_bpe: &Path) -> Result<Self, DataError> {
        let (vocab, merges) = read_openai_files(encoder_json, vocab_bpe)?;
        Ok(Self::Hf(Arc::new(hf_from_vocab_merges(vocab, merges)?)))
    }

    /// `gpt2`, a `tokenizer.json` file, or a directory holding one (a model directory).
    pub fn load(spec: &str) -> Result<Self, DataError> {
        if spec.eq_ignore_ascii_case("gpt2") {
            return Ok(Self::gpt2());
        }
        let path = Path::new(spec);
        if path.is_dir() {
            Self::from_file(&path.join(TOKENIZER_FILE))
        } else {
            Self::from_file(path)
        }
    }

    /// The tokenizer of a model directory: its `tokenizer.json` if it has one, else GPT-2's
    /// (which every GPT-2 checkpoint uses).
    pub fn for_model_dir(dir: &Path) -> Result<Self, DataError> {
        let file = dir.join(TOKENIZER_FILE);
        if file.is_file() {
            Self::from_file(&file)
        } else {
            Ok(Self::gpt2())
        }
    }

    pub fn encode(&self, text: &str) -> Vec<u32> {
        match self {
            Self::Gpt2 => tiktoken_rs::r50k_base_singleton().encode_with_special_tokens(text),
            Self::Hf(t) => t
                .encode_fast(text, false)
                .map(|e| e.get_ids().to_vec())
                .unwrap_or_else(|e| panic!("tokenizers failed to encode: {e}")),
        }
    }

    /// `text` as a model reads it: with the special tokens the tokenizer's post-processor
    /// adds (BERT's `[CLS] ... [SEP]`, Marian's end of sequence), as `transformers`'
    /// `tokenizer(text)` does. GPT-2's tokenizer adds none.
    pub fn encode_for_model(&self, text: &str) -> Vec<u32> {
        match self {
            Self::Gpt2 => self.encode(text),
            Self::Hf(t) => t
                .encode_fast(text, true)
                .map(|e| e.get_ids().to_vec())
                .unwrap_or_else(|e| panic!("tokenizers failed to encode: {e}")),
        }
    }

    /// [`Tokenizer::encode_for_model`] in at most `max_len` tokens: a longer text loses its
    /// last tokens of text, not the special tokens around it (`transformers`'
    /// `truncation=True`: BERT keeps `[CLS] ... [SEP]`).
    pub fn encode_for_model_within(&self, text: &str, max_len: usize) -> Vec<u32> {
        let framed = self.encode_for_model(text);
        if framed.len() <= max_len {
            return framed;
        }
        let plain = self.encode(text);
        let prefix = framed.windows(plain.len().max(1)).position(|w| w == plain.as_slice()).filter(|_| !plain.is_empty());
        match prefix {
            Some(p) if framed.len() - plain.len() <= max_len => {
                let suffix = &framed[p + plain.len()..];
                let room = max_len - p - suffix.len();
                [&framed[..p], &plain[..room], suffix].concat()
            }
            _ => framed[..max_len].to_vec(),
        }
    }

    /// The vocabulary's string for `id` (`##ing` for a WordPiece continuation), if any.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        match self {
            Self::Gpt2 => (id <= END_OF_TEXT_ID).then(|| self.decode(&[id])),
            Self::Hf(t) => t.id_to_token(id),
        }
    }

    /// Text of `ids` without the special tokens (`skip_special_tokens=True`).
    pub fn decode_skipping_special(&self, ids: &[u32]) -> String {
        match self {
            Self::Gpt2 => self.decode(ids),
            Self::Hf(t) => t.decode(ids, true).unwrap_or_default(),
        }
    }

    /// Text of `ids`; bytes that are not valid UTF-8 (a character cut between tokens)
    /// become U+FFFD. Unknown ids are skipped.
    pub fn decode(&self, ids: &[u32]) -> String {
        match self {
            Self::Gpt2 => String::from_utf8_lossy(&self.decode_bytes(ids)).into_owned(),
            Self::Hf(t) => t.decode(ids, false).unwrap_or_default(),
        }
    }

    /// Raw bytes of `ids` (GPT-2 only; other tokenizers decode to text).
    pub fn decode_bytes(&self, ids: &[u32]) -> Vec<u8> {
        match self {
            Self::Gpt2 => {
                let bpe = tiktoken_rs::r50k_base_singleton();
                ids.iter()
                    .filter(|&&id| id <= END_OF_TEXT_ID)
                    .flat_map(|&id| bpe.decode_bytes(&[id]).unwrap_or_default())
                    .collect()
            }
            Self::Hf(_) => self.decode(ids).into_bytes(),
        }
    }

    pub fn vocab_size(&self) -> usize {
        match self {
            Self::Gpt2 => END_OF_TEXT_ID as usize + 1,
            Self::Hf(t) => t.get_vocab_size(true),
        }
    }

    /// A short name that changes when the id mapping changes: `gpt2`, or `hf-` and the
    /// start of the sha256 of the tokenizer's JSON.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        match self {
            Self::Gpt2 => "gpt2".into(),
            Self::Hf(t) => {
                let json = t.to_string(false).unwrap_or_default();
                let digest = Sha256::digest(json.as_bytes());
                let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
                format!("hf-{hex}")
            }
        }
    }

    /// The id of `token` (a whole token, e.g. a special one), if the vocabulary has it.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        match self {
            Self::Gpt2 => (token == END_OF_TEXT).then_some(END_OF_TEXT_ID),
            Self::Hf(t) => t.token_to_id(token),
        }
    }

    /// The id of `<|endoftext|>`, if the vocabulary has it.
    pub fn end_of_text(&self) -> Option<u32> {
        match self {
            Self::Gpt2 => Some(END_OF_TEXT_ID),
            Self::Hf(t) => t.token_to_id(END_OF_TEXT),
        }
    }

    /// This tokenizer as a Hugging Face tokenizer (GPT-2's is rebuilt from its ranks).
    pub fn to_hf(&self) -> Result<HfTokenizer, DataError> {
        match self {
            Self::Gpt2 => hf_from_vocab_merges(gpt2_vocab(), gpt2_merges()),
            Self::Hf(t) => Ok((**t).clone()),
        }
    }

    /// Writes `tokenizer.json` into a model directory, so `transformers` and `llm` load the
    /// directory's own tokenizer.
    pub fn save_to_dir(&self, dir: &Path) -> Result<(), DataError> {
        let path = dir.join(TOKENIZER_FILE);
        self.save(&path)
    }

    /// Writes this tokenizer as a `tokenizer.json` file (through a temporary file).
    pub fn save(&self, path: &Path) -> Result<(), DataError> {
        let json = self
            .to_hf()?
            .to_string(false)
            .map_err(|e| DataError::Tokenizer(e.to_string()))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json).map_err(|e| DataError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| DataError::io(path, e))
    }
}
