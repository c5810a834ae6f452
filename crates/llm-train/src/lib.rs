//! Training recipes: pretraining and fine-tuning on Burn's Learner, with their schedules,
//! checkpoints and metrics. This crate composes `llm-data` and `llm-model`.
//!
//! So far it holds the building blocks of the pretraining recipe: the training objective
//! ([`CausalLm`]), global-norm gradient clipping, learning-rate schedules and the typed
//! experiment configuration with `--set` overrides.

pub mod clip;
pub mod config;
pub mod objective;
pub mod schedule;

pub use clip::clip_global_norm;
pub use config::ExperimentConfig;
pub use objective::CausalLm;
pub use schedule::LrSchedule;
