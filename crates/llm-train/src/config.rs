//! The typed experiment configuration (`experiments/NAME.toml`) and `--set key=value`.

use std::path::Path;

use llm_data::instruction::PromptTemplate;
use llm_model::{GptConfig, LoraConfig, Pooling};
use serde::{Deserialize, Serialize};

/// Errors in an experiment configuration; each names the file or key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("--set {0}: expected key=value")]
    SetSyntax(String),
    #[error("--set {key}: unknown key (known short keys: {known}; or a full path such as model.emb_dim)")]
    UnknownKey { key: String, known: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Everything that defines a pretraining run.
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

/// How `llm finetune instruct` reads, formats and collates its records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstructSection {
    /// `alpaca` (the book's) or `phi3`.
    #[serde(default)]
    pub template: PromptTemplate,
    /// Leave the prompt's tokens out of the loss (the book's exercise 7.2).
    #[serde(default)]
    pub mask_prompt: bool,
    /// Shuffle the records with this seed before the split (the book does not).
    pub split_seed: Option<u64>,
    /// Cut training texts to this many tokens (default: the model's context).
    pub allowed_max_length: Option<usize>,
    /// After training, answer every test record (greedy) into `test-responses.json`.
    #[serde(default = "yes")]
    pub test_responses: bool,
    #[serde(default = "default_response_tokens")]
    pub max_new_tokens: usize,
    #[serde(default = "default_pad")]
    pub pad_token_id: u32,
}

/// How `llm finetune dpo` reads and scores preference pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DpoSection {
    /// DPO's β: how far the policy may move from the reference.
    #[serde(default = "default_beta")]
    pub beta: f64,
    /// Average each response's log-probabilities over its tokens, as the book's code does,
    /// instead of summing them.
    #[serde(default)]
    pub average_logprobs: bool,
    /// Score only the response tokens (the book: yes).
    #[serde(default = "yes")]
    pub mask_prompt: bool,
    #[serde(default)]
    pub template: PromptTemplate,
    pub split_seed: Option<u64>,
    /// Cut pairs to this many tokens (default: the model's context).
    pub allowed_max_length: Option<usize>,
    #[serde(default = "default_pad")]
    pub pad_token_id: u32,
}

fn default_beta() -> f64 {
    0.1
}

fn default_response_tokens() -> usize {
    256
}

/// Which parameters a fine-tuning run trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trainable {
    /// Only the new classification head.
    Head,
    /// The last transformer block, the final norm and the head (the book's chapter 6).
    LastBlock,
    All,
    /// LoRA adapters only (appendix E); every original weight frozen.
    Lora,
}

/// How `llm finetune classify` reads its data and builds its classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifySection {
    /// Columns of the CSV/TSV file: header names, or 0-based positions for a file
    /// without a header. Default: the SMS Spam Collection's `label<TAB>text`.
    #[serde(default = "default_text_column")]
    pub text_column: String,
    #[serde(default = "default_label_column")]
    pub label_column: String,
    pub delimiter: Option<char>,
    /// Undersample every class to the smallest (the book does).
    #[serde(default = "yes")]
    pub balance: bool,
    #[serde(default = "default_train_fraction")]
    pub train_fraction: f64,
    #[serde(default = "default_validation_fraction")]
    pub validation_fraction: f64,
    #[serde(default)]
    pub pooling: Pooling,
    pub trainable: Trainable,
    /// Pad/cut texts to this many tokens (default: the longest training text, at most the
    /// model's context).
    pub max_length: Option<usize>,
    #[serde(default = "default_pad")]
    pub pad_token_id: u32,
    /// Fold LoRA adapters into the weights of the saved model.
    #[serde(default = "yes")]
    pub merge_lora: bool,
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

/// A preset, with any of its fields overridden.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSection {
    pub preset: String,
    /// Start from this model directory (e.g. GPT-2's) instead of a fresh model of `preset`;
    /// `--init-from` overrides it.
    pub init_from: Option<String>,
    pub vocab_size: Option<usize>,
    pub context_length: Option<usize>,
    pub emb_dim: Option<usize>,
    pub n_heads: Option<usize>,
    pub n_layers: Option<usize>,
    pub dropout: Option<f64>,
    pub qkv_bias: Option<bool>,
    pub tie_embeddings: Option<bool>,
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
    /// Save a checkpoint every N optimizer steps (0: only at the end).
    #[serde(default)]
    pub checkpoint_every: usize,
    /// How many of the newest checkpoints to keep.
    #[serde(default = "two")]
    pub keep_checkpoints: usize,
    #[serde(default = "default_prompt")]
    pub sample_prompt: String,
    #[serde(default = "default_sample_tokens")]
    pub sample_tokens: usize,
}

fn default_text_column() -> String {
    "1".into()
}
fn default_label_column() -> String {
    "0".into()
}
fn default_train_fraction() -> f64 {
    0.7
}
fn default_validation_fraction() -> f64 {
    0.1
}
fn default_pad() -> u32 {
    50256
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
fn yes() -> bool {
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
fn default_prompt() -> String {
    "Every effort moves you".into()
}
fn default_sample_tokens() -> usize {
    50
}

/// Short `--set` keys and the paths they stand for.
pub const SHORT_KEYS: &[(&str, &str)] = &[
    ("context_length", "model.context_length"),
    ("dropout", "model.dropout"),
    ("batch_size", "data.batch_size"),
    ("stride", "data.stride"),
    ("shuffle", "data.shuffle"),
    ("lr", "optimizer.lr"),
    ("weight_decay", "optimizer.weight_decay"),
    ("grad_clip", "optimizer.grad_clip"),
    ("warmup_steps", "schedule.warmup_steps"),
    ("grad_accumulation", "optimizer.grad_accumulation"),
    ("eval_every", "run.eval_every"),
    ("epochs", "run.epochs"),
    ("max_steps", "run.max_steps"),
    ("checkpoint_every", "run.checkpoint_every"),
    ("trainable", "classify.trainable"),
    ("pooling", "classify.pooling"),
    ("template", "instruct.template"),
    ("mask_prompt", "instruct.mask_prompt"),
    ("beta", "dpo.beta"),
];

impl ExperimentConfig {
    /// Reads a TOML file and applies `--set key=value` overrides, then validates.
    pub fn load(path: &Path, sets: &[String]) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::parse(&text, sets).map_err(|e| match e {
            ConfigError::Invalid(message) => ConfigError::File {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Parses TOML text with overrides.
    pub fn parse(text: &str, sets: &[String]) -> Result<Self, ConfigError> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError::Invalid(e.message().to_string()))?;
        for set in sets {
            apply_set(&mut table, set)?;
        }
        // Re-read as text so that a type error points at its line, hence its key.
        let text = toml::to_string(&table).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let config: Self = toml::from_str(&text).map_err(|e| {
            let line = e.span().and_then(|span| {
                let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
                text[start..].lines().next().map(str::trim)
            });
            ConfigError::Invalid(match line {
                Some(line) => format!("`{line}`: {}", e.message()),
                None => e.message().to_string(),
            })
        })?;
        config.validate()?;
        Ok(config)
    }

    /// The model configuration: the preset with its overrides.
    pub fn model_config(&self) -> Result<GptConfig, ConfigError> {
        let m = &self.model;
        let mut c = GptConfig::preset(&m.preset).map_err(|e| ConfigError::Invalid(format!("model.preset: {e}")))?;
        c.vocab_size = m.vocab_size.unwrap_or(c.vocab_size);
        c.context_length = m.context_length.unwrap_or(c.context_length);
        c.emb_dim = m.emb_dim.unwrap_or(c.emb_dim);
        c.n_heads = m.n_heads.unwrap_or(c.n_heads);
        c.n_layers = m.n_layers.unwrap_or(c.n_layers);
        c.dropout = m.dropout.unwrap_or(c.dropout);
        c.qkv_bias = m.qkv_bias.unwrap_or(c.qkv_bias);
        c.tie_embeddings = m.tie_embeddings.unwrap_or(c.tie_embeddings);
        c.validate().map_err(|e| ConfigError::Invalid(format!("model: {e}")))?;
        Ok(c)
    }

    /// Tokens between window starts.
    pub fn stride(&self) -> Result<usize, ConfigError> {
        Ok(self.data.stride.unwrap_or(self.model_config()?.context_length))
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let fail = |m: String| Err(ConfigError::Invalid(m));
        self.model_config()?;
        if self.data.batch_size == 0 {
            return fail("data.batch_size must be at least 1".into());
        }
        if self.data.stride == Some(0) {
            return fail("data.stride must be at least 1".into());
        }
        if !(self.data.train_ratio > 0.0 && self.data.train_ratio < 1.0) {
            return fail(format!("data.train_ratio must be in (0, 1), got {}", self.data.train_ratio));
        }
        if !(self.optimizer.lr > 0.0) {
            return fail(format!("optimizer.lr must be positive, got {}", self.optimizer.lr));
        }
        if self.optimizer.weight_decay < 0.0 || self.optimizer.grad_clip < 0.0 {
            return fail("optimizer.weight_decay and optimizer.grad_clip must not be negative".into());
        }
        if self.optimizer.grad_accumulation == 0 {
            return fail("optimizer.grad_accumulation must be at least 1".into());
        }
        if self.run.epochs == 0 {
            return fail("run.epochs must be at least 1".into());
        }
        if self.run.max_steps == Some(0) {
            return fail("run.max_steps must be at least 1".into());
        }
        if self.run.eval_batches == 0 {
            return fail("run.eval_batches must be at least 1".into());
        }
        if let Some(c) = &self.classify {
            let (t, v) = (c.train_fraction, c.validation_fraction);
            if !(t > 0.0 && v > 0.0 && t + v < 1.0) {
                return fail(format!(
                    "classify.train_fraction and validation_fraction must be positive and sum to less than 1 (the test split gets the rest), got {t} and {v}"
                ));
            }
            if c.max_length == Some(0) {
                return fail("classify.max_length must be at least 1".into());
            }
            match (&self.lora, c.trainable) {
                (None, Trainable::Lora) => return fail("classify.trainable = \"lora\" needs a [lora] section (rank, alpha)".into()),
                (Some(l), _) => l.validate().map_err(|e| ConfigError::Invalid(e.to_string()))?,
                _ => {}
            }
        }
        if let Some(d) = &self.dpo
            && !(d.beta.is_finite() && d.beta > 0.0)
        {
            return fail(format!("dpo.beta must be positive, got {}", d.beta));
        }
        if let Some(f) = self.schedule.warmup_fraction
            && !(0.0..1.0).contains(&f)
        {
            return fail(format!("schedule.warmup_fraction must be in [0, 1), got {f}"));
        }
        Ok(())
    }
}

/// Sets `key=value` in the table; `key` is a short key or a dotted path of known fields.
fn apply_set(table: &mut toml::Table, set: &str) -> Result<(), ConfigError> {
    let (key, raw) = set
        .split_once('=')
        .ok_or_else(|| ConfigError::SetSyntax(set.to_string()))?;
    let key = key.trim();
    let path = SHORT_KEYS
        .iter()
        .find(|(short, _)| *short == key)
        .map_or(key, |(_, full)| full);
    let unknown = || ConfigError::UnknownKey {
        key: key.to_string(),
        known: SHORT_KEYS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", "),
    };
    // A TOML literal (number, bool, quoted string), else the raw text as a string.
    let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    let parts: Vec<&str> = path.split('.').collect();
    if parts.len() > 2 || !KNOWN_PATHS.contains(&path) {
        return Err(unknown());
    }
    match parts.as_slice() {
        [field] => {
            table.insert(field.to_string(), value);
        }
        [section, field] => {
            let entry = table
                .entry(section.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(section) = entry else {
                return Err(unknown());
            };
            // The warm-up is given either way; setting one replaces the other.
            match *field {
                "warmup_steps" => section.remove("warmup_fraction"),
                "warmup_fraction" => section.remove("warmup_steps"),
                _ => None,
            };
            section.insert(field.to_string(), value);
        }
        _ => return Err(unknown()),
    }
    Ok(())
}

/// Every field `--set` may name by its full path.
const KNOWN_PATHS: &[&str] = &[
    "seed",
    "rng",
    "model.preset",
    "model.init_from",
    "model.vocab_size",
    "model.context_length",
    "model.emb_dim",
    "model.n_heads",
    "model.n_layers",
    "model.dropout",
    "model.qkv_bias",
    "model.tie_embeddings",
    "data.dataset",
    "data.file",
    "data.train_ratio",
    "data.batch_size",
    "data.stride",
    "data.shuffle",
    "data.token_cache",
    "optimizer.lr",
    "optimizer.weight_decay",
    "optimizer.beta1",
    "optimizer.beta2",
    "optimizer.eps",
    "optimizer.grad_clip",
    "optimizer.grad_accumulation",
    "schedule.warmup_steps",
    "schedule.warmup_fraction",
    "schedule.initial_lr",
    "schedule.min_lr",
    "run.epochs",
    "run.max_steps",
    "run.eval_every",
    "run.eval_batches",
    "run.checkpoint_every",
    "run.keep_checkpoints",
    "run.sample_prompt",
    "run.sample_tokens",
    "classify.text_column",
    "classify.label_column",
    "classify.delimiter",
    "classify.balance",
    "classify.train_fraction",
    "classify.validation_fraction",
    "classify.pooling",
    "classify.trainable",
    "classify.max_length",
    "classify.pad_token_id",
    "classify.merge_lora",
    "instruct.template",
    "instruct.mask_prompt",
    "instruct.split_seed",
    "instruct.allowed_max_length",
    "instruct.test_responses",
    "instruct.max_new_tokens",
    "instruct.pad_token_id",
    "dpo.beta",
    "dpo.average_logprobs",
    "dpo.mask_prompt",
    "dpo.template",
    "dpo.split_seed",
    "dpo.allowed_max_length",
    "dpo.pad_token_id",
    "lora.rank",
    "lora.alpha",
];

#[cfg(test)]
mod tests {
    use super::*;

    const BOOK: &str = r#"
seed = 123
[model]
preset = "gpt-config-124m"
context_length = 256
[data]
batch_size = 2
[optimizer]
lr = 4e-4
weight_decay = 0.1
[run]
epochs = 10
eval_every = 5
eval_batches = 5
"#;

    fn sets(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_with_defaults() {
        let c = ExperimentConfig::parse(BOOK, &[]).unwrap();
        let m = c.model_config().unwrap();
        assert_eq!((m.emb_dim, m.context_length, m.qkv_bias), (768, 256, false));
        assert_eq!(c.stride().unwrap(), 256, "stride defaults to the context");
        assert_eq!((c.optimizer.eps, c.optimizer.beta2), (1e-8, 0.999));
        assert_eq!(c.data.dataset, "the-verdict");
        assert_eq!(c.run.sample_prompt, "Every effort moves you");
    }

    #[test]
    fn set_overrides_short_and_full_keys() {
        let c = ExperimentConfig::parse(
            BOOK,
            &sets(&["context_length=64", "dropout=0", "shuffle=false", "lr=1e-3", "grad_clip=1.0", "model.n_layers=2", "data.file=x.txt", "run.sample_prompt=Hello there"]),
        )
        .unwrap();
        let m = c.model_config().unwrap();
        assert_eq!((m.context_length, m.dropout, m.n_layers), (64, 0.0, 2));
        assert!(!c.data.shuffle);
        assert_eq!((c.optimizer.lr, c.optimizer.grad_clip), (1e-3, 1.0));
        assert_eq!(c.data.file.as_deref(), Some("x.txt"));
        assert_eq!(c.run.sample_prompt, "Hello there");
        let warm = "[schedule]\nwarmup_fraction = 0.2\nmin_lr = 1e-5\n";
        let c = ExperimentConfig::parse(&format!("{BOOK}{warm}"), &sets(&["warmup_steps=0"])).unwrap();
        assert_eq!((c.schedule.warmup_steps, c.schedule.warmup_fraction), (0, None));
    }

    #[test]
    fn bad_input_is_named() {
        let err = ExperimentConfig::parse(BOOK, &sets(&["learning_rate=1"])).unwrap_err().to_string();
        assert!(err.contains("learning_rate") && err.contains("unknown key"), "{err}");
        let err = ExperimentConfig::parse(BOOK, &sets(&["lr"])).unwrap_err().to_string();
        assert!(err.contains("key=value"), "{err}");
        let err = ExperimentConfig::parse(BOOK, &sets(&["batch_size=0"])).unwrap_err().to_string();
        assert!(err.contains("batch_size"), "{err}");
        let err = ExperimentConfig::parse(BOOK, &sets(&["model.n_heads=5"])).unwrap_err().to_string();
        assert!(err.contains("n_heads"), "{err}");
        let err = ExperimentConfig::parse(BOOK, &sets(&["lr=fast"])).unwrap_err().to_string();
        assert!(err.contains("lr = \"fast\"") && err.contains("f64"), "{err}");
        let err = ExperimentConfig::parse("[model]\npreset = \"gpt9\"", &[]).unwrap_err().to_string();
        assert!(!err.is_empty());
        let err = ExperimentConfig::parse(&format!("{BOOK}\n[extra]\nx = 1"), &[]).unwrap_err().to_string();
        assert!(err.contains("extra"), "{err}");
    }
}
