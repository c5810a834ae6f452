//! Masked-LM pretraining of a BERT encoder (Devlin et al., 2018): windows of a text, 15 %
//! of their tokens chosen and corrupted 80/10/10, the model scored on recovering them.

mod objective;
mod run;
mod task;

pub use objective::MaskedLm;
pub use run::pretrain_masked_lm;
pub use task::MaskedLmTask;
