//! Sentence pairs for training a translation model: a TSV file of `source<TAB>target`
//! lines, encoded with the model's tokenizer, padded into batches of sources, their
//! attention masks and the target labels.

mod pair_batch;
mod pairs;

pub use pair_batch::{EncodedPairs, PairBatch, PairBatcher, PairItem};
pub use pairs::{SentencePair, read_sentence_pairs};
