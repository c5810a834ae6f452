//! Tokenizers: GPT-2's byte-level BPE and any Hugging Face `tokenizer.json`.

mod byte_level;
mod gpt2_files;
mod sentencepiece;
mod stream;
mod tokenizer;
mod train;
mod translation;

pub use byte_level::{bytes_to_unicode, unicode_to_bytes};
pub use gpt2_files::{END_OF_TEXT, END_OF_TEXT_ID, gpt2_merges, gpt2_vocab, hf_from_vocab_merges, read_openai_files};
pub use stream::StreamDecoder;
pub use tokenizer::{TOKENIZER_FILE, Tokenizer};
pub use sentencepiece::{SPACE_PIECE, SentencePiece};
pub use train::{TokenizerKind, UNIGRAM_SPECIALS, WORDPIECE_SPECIALS, train_bpe, train_tokenizer};
pub use translation::{MARIAN_VOCAB, MarianTokenizer, SOURCE_SPM, TARGET_SPM, TranslationTokenizer};
