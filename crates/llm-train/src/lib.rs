//! Training recipes on Burn's Learner: pretraining (chapter 5 and appendix D of the book)
//! with its schedules, clipping, gradient accumulation, metrics, samples, loss plot,
//! checkpoints and resume. This crate composes `llm-data` and `llm-model`.

pub mod checkpoint;
pub mod classify;
pub mod clip;
pub mod config;
pub mod dashboard_metrics;
pub mod dpo;
pub mod error;
pub mod fused_adamw;
pub mod instruct;
pub mod lm_task;
pub mod lr_scheduler;
pub mod metrics_csv;
pub mod objective;
pub mod plain_renderer;
pub mod plot;
pub mod pretrain;
mod run_loaders;
pub mod run_setup;
pub mod schedule;
pub mod threads;
pub mod torch_replay;
pub mod train_loop;

pub use clip::{clip_global_norm, scale_gradients};
pub use config::ExperimentConfig;
pub use error::TrainError;
pub use objective::CausalLm;
pub use pretrain::{PretrainOptions, PretrainSummary, pretrain};
pub use schedule::LrSchedule;
