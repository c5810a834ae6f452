//! Tokenizers trained on a text file: GPT-2's byte-level BPE, BERT's WordPiece and the
//! SentencePiece-style unigram model of Marian's translation models.

use std::path::Path;
use std::sync::Arc;

use tokenizers::decoders::metaspace::Metaspace as MetaspaceDecoder;
use tokenizers::decoders::wordpiece::WordPiece as WordPieceDecoder;
use tokenizers::models::TrainerWrapper;
use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
use tokenizers::models::unigram::{Unigram, UnigramTrainer};
use tokenizers::models::wordpiece::{WordPiece, WordPieceTrainer};
use tokenizers::normalizers::{BertNormalizer, unicode::NFKC};
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{AddedToken, Tokenizer as HfTokenizer};

use super::{END_OF_TEXT, Tokenizer};
use crate::DataError;

/// The kinds of tokenizer [`train_tokenizer`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenizerKind {
    /// GPT-2's byte-level BPE with `<|endoftext|>`.
    Bpe,
    /// BERT's lower-casing WordPiece: `[PAD]` 0, `[UNK]` 1, `[CLS]` 2, `[SEP]` 3, `[MASK]` 4,
    /// and a post-processor that adds `[CLS] ... [SEP]` (pairs: `[CLS] A [SEP] B [SEP]`).
    WordPiece,
    /// A unigram model over `▁`-marked words as SentencePiece's (Marian's tokenizers):
    /// `</s>` 0, `<unk>` 1, `<pad>` 2.
    Unigram,
}

/// BERT's special tokens in id order.
pub const WORDPIECE_SPECIALS: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
/// The unigram tokenizer's special tokens in id order.
pub const UNIGRAM_SPECIALS: [&str; 3] = ["</s>", "<unk>", "<pad>"];

impl TokenizerKind {
    /// `bpe`, `wordpiece` or `unigram`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "bpe" => Some(Self::Bpe),
            "wordpiece" => Some(Self::WordPiece),
            "unigram" => Some(Self::Unigram),
            _ => None,
        }
    }

    /// The smallest vocabulary the kind can have.
    fn min_vocab(self) -> usize {
        match self {
            Self::Bpe => 256 + 1,
            Self::WordPiece => WORDPIECE_SPECIALS.len() + 1,
            Self::Unigram => UNIGRAM_SPECIALS.len() + 1,
        }
    }
}

/// Trains a GPT-2-style byte-level BPE of `vocab_size` tokens (256 byte tokens,
/// `<|endoftext|>`, and merges up to the size) on a UTF-8 text file.
pub fn train_bpe(file: &Path, vocab_size: usize, show_progress: bool) -> Result<Tokenizer, DataError> {
    train_tokenizer(file, TokenizerKind::Bpe, vocab_size, show_progress)
}

/// Trains a tokenizer of `kind` with at most `vocab_size` tokens on a UTF-8 text file.
///
/// `tokenizers`' trainers count words in hash maps, so pieces of equal frequency can be
/// taken in a different order from one training to the next: two trainings on the same
/// text may differ in a few rare pieces. A training run therefore keeps the tokenizer it
/// trained in its checkpoints and model directory, and resumes with that one.
pub fn train_tokenizer(file: &Path, kind: TokenizerKind, vocab_size: usize, show_progress: bool) -> Result<Tokenizer, DataError> {
    let min = kind.min_vocab();
    if vocab_size < min {
        return Err(DataError::Tokenizer(format!("--vocab-size must be at least {min} for a {kind:?} tokenizer, got {vocab_size}")));
    }
    let meta = std::fs::metadata(file).map_err(|e| DataError::io(file, e))?;
    if meta.len() == 0 {
        return Err(DataError::invalid(file, "the file is empty: nothing to train on"));
    }
    let specials = |names: &[&str]| names.iter().map(|n| AddedToken::from(n.to_string(), true)).collect::<Vec<_>>();
    let (mut tokenizer, mut trainer): (HfTokenizer, TrainerWrapper) = match kind {
        TokenizerKind::Bpe => {
            let mut tokenizer = HfTokenizer::new(BPE::default());
            let byte_level = ByteLevel::new(false, true, true);
            tokenizer.with_pre_tokenizer(Some(byte_level));
            tokenizer.with_decoder(Some(byte_level));
            tokenizer.with_post_processor(Some(ByteLevel::new(false, false, true)));
            let trainer = BpeTrainerBuilder::new()
                .vocab_size(vocab_size)
                .min_frequency(0)
                .show_progress(show_progress)
                .special_tokens(specials(&[END_OF_TEXT]))
                .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
                .build();
            (tokenizer, trainer.into())
        }
        TokenizerKind::WordPiece => {
            let mut tokenizer = HfTokenizer::new(WordPiece::default());
            tokenizer.with_normalizer(Some(BertNormalizer::new(true, true, None, true)));
            tokenizer.with_pre_tokenizer(Some(BertPreTokenizer));
            tokenizer.with_decoder(Some(WordPieceDecoder::new("##".into(), true)));
            let template = TemplateProcessing::builder()
                .try_single("[CLS] $A [SEP]")
                .and_then(|b| b.try_pair("[CLS] $A [SEP] $B:1 [SEP]:1"))
                .expect("BERT's template parses")
                .special_tokens(vec![("[CLS]", 2), ("[SEP]", 3)])
                .build()
                .expect("BERT's template builds");
            tokenizer.with_post_processor(Some(template));
            let trainer = WordPieceTrainer::builder()
                .vocab_size(vocab_size)
                .min_frequency(0)
                .show_progress(show_progress)
                .special_tokens(specials(&WORDPIECE_SPECIALS))
                .build();
            (tokenizer, trainer.into())
        }
        TokenizerKind::Unigram => {
            let mut tokenizer = HfTokenizer::new(Unigram::default());
            tokenizer.with_normalizer(Some(NFKC));
            tokenizer.with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, true)));
            tokenizer.with_decoder(Some(MetaspaceDecoder::new('▁', PrependScheme::Always, true)));
            let trainer = UnigramTrainer::builder()
                .vocab_size(vocab_size as u32)
                .show_progress(show_progress)
                .special_tokens(specials(&UNIGRAM_SPECIALS))
                .unk_token(Some("<unk>".into()))
                .build()
                .map_err(|e| DataError::Tokenizer(format!("unigram trainer: {e}")))?;
            (tokenizer, trainer.into())
        }
    };
    let path = file
        .to_str()
        .ok_or_else(|| DataError::invalid(file, "path is not valid UTF-8"))?
        .to_string();
    tokenizer
        .train_from_files(&mut trainer, vec![path])
        .map_err(|e| DataError::invalid(file, format!("{kind:?} training failed: {e}")))?;
    let expected: &[&str] = match kind {
        TokenizerKind::Bpe => &[],
        TokenizerKind::WordPiece => &WORDPIECE_SPECIALS,
        TokenizerKind::Unigram => &UNIGRAM_SPECIALS,
    };
    for (id, token) in expected.iter().enumerate() {
        if tokenizer.token_to_id(token) != Some(id as u32) {
            return Err(DataError::Tokenizer(format!("the trained {kind:?} tokenizer put {token} at {:?}, not {id}", tokenizer.token_to_id(token))));
        }
    }
    Ok(Tokenizer::Hf(Arc::new(tokenizer)))
}
