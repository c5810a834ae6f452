//! Preference tuning with DPO (the book's chapter 7 bonus): a policy trained against a
//! frozen reference copy on chosen/rejected response pairs.

mod data;
mod objective;
mod run;
mod task;

pub use data::{PreferenceData, load_preference_data};
pub use objective::{DpoObjective, dpo_loss};
pub use run::{DpoSummary, finetune_dpo};
pub use task::DpoTask;
