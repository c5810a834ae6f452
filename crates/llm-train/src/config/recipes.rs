//! The sections of the fine-tuning recipes: `[classify]`, `[instruct]`, `[dpo]`.

use llm_data::instruction::PromptTemplate;
use llm_model::Pooling;
use serde::{Deserialize, Serialize};

use super::experiment::yes;

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
    /// `all` (default) or `lora`: adapters on every attention and feed-forward projection
    /// (rank and alpha from `[lora]`), merged into the saved model.
    #[serde(default = "all")]
    pub trainable: Trainable,
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
    /// `all` (default) or `lora`, as for `[instruct]`; the reference stays the starting model.
    #[serde(default = "all")]
    pub trainable: Trainable,
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
/// GPT-2's `<|endoftext|>`, which the book pads with.
fn default_pad() -> u32 {
    llm_data::tokenizer::END_OF_TEXT_ID
}
fn all() -> Trainable {
    Trainable::All
}
fn default_beta() -> f64 {
    0.1
}
fn default_response_tokens() -> usize {
    256
}
