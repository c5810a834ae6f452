//! Training recipes: pretraining and fine-tuning on Burn's Learner, with their schedules,
//! checkpoints and metrics. This crate composes `llm-data` and `llm-model`.
//!
//! So far it holds the learning-rate schedules of chapter 5 and appendix D; the Learner
//! wiring follows with the pretraining recipe.

pub mod schedule;

pub use schedule::LrSchedule;
