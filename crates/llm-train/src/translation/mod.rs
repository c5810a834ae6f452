//! Translation: training a Marian encoder–decoder on sentence pairs, and the scores
//! translations are reported with, computed as sacrebleu computes them (its default
//! signatures), so that figures compare with published ones.

mod bleu;
mod chrf;
mod objective;
mod run;
mod task;

pub use bleu::{corpus_bleu, tokenize_13a};
pub use chrf::corpus_chrf;
pub use objective::Seq2SeqLm;
pub use run::{HeldOutScores, train_translation};
pub use task::TranslationTask;
