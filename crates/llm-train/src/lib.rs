//! Training recipes on Burn's Learner: pretraining (chapter 5 and appendix D of the book)
//! with its schedules, clipping, gradient accumulation, metrics, samples, loss plot,
//! checkpoints and resume; and the fine-tuning recipes of chapters 6 and 7 and appendix E:
//! [`classify`] (whole, in part or with LoRA), [`instruct`] and [`dpo`]. This crate
//! composes `llm-data` and `llm-model` and owns what neither knows: optimizers, schedules,
//! checkpoints, the experiment file.
//!
//! - [`config`]: the typed experiment file (`experiments/*.toml`) and `--set key=value`;
//! - [`pretrain()`], [`classify::finetune_classify`], [`instruct::finetune_instruct`],
//!   [`dpo::finetune_dpo`]: the recipes, each writing a run directory;
//! - [`train_loop`] with [`train_task::TrainTask`]: the one training loop every recipe runs,
//!   a Burn `SupervisedLearningStrategy`;
//! - [`checkpoint`]: checkpoints written atomically, and resume;
//! - [`fused_adamw`], [`clip`], [`schedule`]: AdamW as PyTorch's, global-norm clipping,
//!   warm-up and cosine decay;
//! - [`torch_replay`]: `rng = "torch"`, the book's random draws replayed.
//!
//! # Example
//!
//! Two optimizer steps of a tiny GPT on a short text, from an experiment file with
//! overrides, as `llm train --config FILE --set ...` runs it:
//!
//! ```
//! use burn::tensor::Device;
//! use llm_data::corpus::DataDir;
//! use llm_train::{ExperimentConfig, PretrainOptions, pretrain};
//!
//! let dir = tempfile::tempdir()?;
//! let text = dir.path().join("text.txt");
//! std::fs::write(&text, "Every effort moves you forward, one small step after another. ".repeat(20))?;
//! let toml = r#"
//!     [model]
//!     preset = "gpt2-small"
//!     [data]
//!     batch_size = 2
//!     [optimizer]
//!     lr = 1e-3
//!     weight_decay = 0.1
//!     [run]
//!     epochs = 1
//!     eval_every = 1
//!     eval_batches = 1
//! "#;
//! let sets: Vec<String> = ["model.emb_dim=32", "model.n_layers=1", "model.n_heads=2", "context_length=16", "max_steps=2", "run.sample_tokens=0"]
//!     .map(String::from)
//!     .to_vec();
//! let config = ExperimentConfig::parse(toml, &sets)?;
//! let options = PretrainOptions {
//!     out: dir.path().join("run"),
//!     data_dir: DataDir::resolve(None),
//!     device: Device::flex(),
//!     init_from: None,
//!     data_file: Some(text),
//!     resume: false,
//!     overwrite: false,
//! };
//! let summary = pretrain(&config, &options)?;
//! assert_eq!(summary.steps, 2);
//! assert!(summary.model_dir.join("model.safetensors").is_file()); // a Hugging Face GPT-2 directory
//! assert!(dir.path().join("run/metrics.csv").is_file());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! - `flex` (default): Burn's flex backend; with it AdamW updates flex's tensors in place
//!   in one pass ([`fused_adamw`]), with Burn's AdamW's results bit for bit.
//! - `ndarray`, `wgpu`, `tch`, `cuda`: Burn's backends of those names (the cross-backend
//!   tests run on each one enabled).

pub mod checkpoint;
pub mod classify;
pub mod clip;
pub mod config;
pub mod dashboard_metrics;
pub mod dpo;
pub mod error;
pub mod finite;
pub mod fused_adamw;
pub mod instruct;
pub mod lm_task;
pub mod masked_lm;
pub mod loop_plan;
pub mod lr_scheduler;
pub mod metrics_csv;
pub mod objective;
pub mod plain_renderer;
pub mod plot;
pub mod position;
pub mod pretrain;
mod run_dir;
mod run_loaders;
pub mod run_setup;
pub(crate) mod run_network;
pub mod schedule;
pub mod torch_replay;
pub mod train_loop;
pub mod train_task;
pub mod trainable;
pub mod translation;

pub use clip::{clip_global_norm, scale_gradients};
pub use config::ExperimentConfig;
pub use error::TrainError;
pub use objective::CausalLm;
pub use pretrain::{PretrainOptions, PretrainSummary, pretrain};
pub use schedule::LrSchedule;
