//! The typed experiment configuration (`experiments/NAME.toml`): its schema (the run's
//! sections in `experiment`, `[model]` in `model`, the fine-tuning recipes' sections in
//! `recipes`), reading it (`load`), the `--set key=value` overrides (`set`) checked
//! against the settings the structs themselves declare (`fields`), and validation.

mod error;
mod experiment;
mod fields;
mod load;
mod model;
mod recipes;
mod set;
mod validate;

pub use error::ConfigError;
pub use experiment::{DataSection, ExperimentConfig, OptimizerSection, RngSource, RunSection, ScheduleSection};
pub use fields::Fields;
pub use model::ModelSection;
pub use recipes::{ClassifySection, DpoSection, InstructSection, Trainable};
pub use set::SHORT_KEYS;
