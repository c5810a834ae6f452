//! The experiment file's top level and the sections every run has: data, optimizer,
//! schedule, run length and cadence.

use llm_model::{LoraConfig, ModelConfig};
use serde::{Deserialize, Serialize};

use super::{ClassifySection, ConfigError, DpoSection, InstructSection, ModelSection};

/// Everything that defines a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default)]
    pub rng: RngSource,
    pub model: ModelSection,
    pub data: DataSection,
    pub optimizer: OptimizerSection,
    #[serde(default)]
    pub schedule: ScheduleSection,
    pub run: RunSection,
    /// Classification fine-tuning (`llm finetune classify`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classify: Option<ClassifySection>,
    /// Instruction fine-tuning (`llm finetune instruct`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruct: Option<InstructSection>,
    /// Preference tuning (`llm finetune dpo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpo: Option<DpoSection>,
    /// LoRA adapters, for `classify.trainable = "lora"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lora: Option<LoraConfig>,
}

/// Where a run's random numbers (initial weights, shuffling, dropout masks) come from; the
/// distributions are the same either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RngSource {
    /// Burn's generators, seeded by `seed`: the backend's for weights and dropout, a
    /// per-epoch one for the order.
    #[default]
    Burn,
    /// PyTorch's CPU generator, drawn from in the order of the book's code (`llm train`
    /// only): `seed` then gives the book's run of `torch.manual_seed(seed)`: its initial
    /// weights, its `DataLoader` shuffles and evaluation batches, its dropout masks, on
    /// every backend.
    Torch,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSection {
    /// A data set of `datasets/manifest.toml` (ignored when `file` is set).
    #[serde(default = "default_dataset")]
    pub dataset: String,
    /// Any UTF-8 text file.
    pub file: Option<String>,
    #[serde(default = "default_train_ratio")]
    pub train_ratio: f64,
    pub batch_size: usize,
    /// Tokens between window starts (default: the context length).
    pub stride: Option<usize>,
    #[serde(default = "yes")]
    pub shuffle: bool,
    /// Pre-tokenize the text once into a memory-mapped token file in this directory (reused
    /// by later runs), and split train/validation by tokens instead of characters.
    pub token_cache: Option<String>,
    /// A fresh model's tokenizer: `gpt2` (default), `bpe`, `wordpiece` or `unigram` (trained
    /// on the data file with the model's `vocab_size`), or a `tokenizer.json` path. A run
    /// started from a model directory uses the directory's.
    pub tokenizer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimizerSection {
    /// Peak learning rate.
    pub lr: f64,
    pub weight_decay: f64,
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    #[serde(default = "default_eps")]
    pub eps: f64,
    /// Global gradient-norm limit; 0 turns clipping off.
    #[serde(default)]
    pub grad_clip: f64,
    #[serde(default = "one")]
    pub grad_accumulation: usize,
}

/// The learning rate over the run; an empty section (or `--set schedule=constant`) is a
/// constant rate.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSection {
    /// Linear warm-up steps (0: none). `warmup_fraction` sets it from the run length.
    #[serde(default)]
    pub warmup_steps: usize,
    pub warmup_fraction: Option<f64>,
    /// Rate at step 0 of the warm-up (default: `min_lr`).
    pub initial_lr: Option<f64>,
    /// Cosine decay to this rate after the warm-up; absent: constant rate.
    pub min_lr: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSection {
    pub epochs: usize,
    pub max_steps: Option<usize>,
    /// Evaluate every N optimizer steps (0: only at the end of each epoch).
    pub eval_every: usize,
    /// Batches of each split used per evaluation.
    pub eval_batches: usize,
    /// Save a checkpoint every N optimizer steps (0: by time alone) and at the end.
    #[serde(default)]
    pub checkpoint_every: usize,
    /// Also save one when this many minutes of training have passed since the last (0:
    /// off), so that a run of long steps can be resumed too.
    #[serde(default = "default_checkpoint_minutes")]
    pub checkpoint_minutes: f64,
    /// How many of the newest checkpoints to keep.
    #[serde(default = "two")]
    pub keep_checkpoints: usize,
    #[serde(default = "default_prompt")]
    pub sample_prompt: String,
    #[serde(default = "default_sample_tokens")]
    pub sample_tokens: usize,
}

impl ExperimentConfig {
    /// The model configuration: the preset with the section's settings over it.
    pub fn model_config(&self) -> Result<ModelConfig, ConfigError> {
        self.model.config()
    }

}

fn default_seed() -> u64 {
    123
}
fn default_dataset() -> String {
    "the-verdict".into()
}
fn default_train_ratio() -> f64 {
    0.9
}
pub(super) fn yes() -> bool {
    true
}
fn one() -> usize {
    1
}
fn two() -> usize {
    2
}
fn default_beta1() -> f64 {
    0.9
}
fn default_beta2() -> f64 {
    0.999
}
fn default_eps() -> f64 {
    1e-8
}
fn default_checkpoint_minutes() -> f64 {
    10.0
}
fn default_prompt() -> String {
    "Every effort moves you".into()
}
fn default_sample_tokens() -> usize {
    50
}
