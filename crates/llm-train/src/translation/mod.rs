//! Translation: the scores translations are reported with, computed as sacrebleu computes
//! them (its default signatures), so that figures compare with published ones.

mod bleu;
mod chrf;

pub use bleu::{corpus_bleu, tokenize_13a};
pub use chrf::corpus_chrf;
