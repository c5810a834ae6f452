//! Training recipes on Burn's Learner: pretraining (chapter 5 of the book) so far, with its
//! schedules, clipping, metrics and samples. This crate composes `llm-data` and `llm-model`.

pub mod clip;
pub mod config;
pub mod error;
pub mod lr_scheduler;
pub mod metrics_csv;
pub mod objective;
pub mod pretrain;
pub mod schedule;
pub mod strategy;

pub use clip::clip_global_norm;
pub use config::ExperimentConfig;
pub use error::TrainError;
pub use objective::CausalLm;
pub use pretrain::{PretrainOptions, PretrainSummary, pretrain};
pub use schedule::LrSchedule;
