//! The one model interface: what generation, evaluation and the command line ask of a
//! decoder-only language model ([`CausalModel`]), and a model of any family the crate knows
//! ([`LanguageModel`], with its [`Family`]).

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};

use crate::decoder::{Decoder, DecoderAttention};
use crate::llama::Llama;
use crate::qwen3::Qwen3;
use crate::lora::{LoraAdapter, LoraConfig};
use crate::{Gpt, KvCache, ModelConfig, ModelError};

/// A decoder-only language model: next-token logits, with or without a key/value cache.
pub trait CausalModel {
    /// Final-norm hidden states of `ids`, the tokens after those `cache` holds (which the
    /// call extends): `[batch, seq] -> [batch, seq, emb_dim]`.
    fn hidden(&self, ids: Tensor<2, Int>, cache: Option<&mut KvCache>) -> Tensor<3>;
    /// Final-norm hidden states of one new token per row, row `r` continuing the sequence
    /// `caches[r]` holds (which the call extends; the caches may hold different lengths):
    /// `[rows, 1] -> [rows, 1, emb_dim]`. Several sequences decoded together share each
    /// weight product, and each row attends to its own cache only.
    fn hidden_rows(&self, ids: Tensor<2, Int>, caches: &mut [&mut KvCache]) -> Tensor<3>;
    /// The output head: `[batch, seq, emb_dim] -> [batch, seq, vocab]`.
    fn logits(&self, hidden: Tensor<3>) -> Tensor<3>;
    /// Next-token logits for every position: `[batch, seq] -> [batch, seq, vocab]`.
    fn forward(&self, ids: Tensor<2, Int>) -> Tensor<3> {
        self.logits(self.hidden(ids, None))
    }
    /// Like [`CausalModel::forward`] for the tokens after those `cache` holds, which it extends.
    fn forward_cached(&self, ids: Tensor<2, Int>, cache: &mut KvCache) -> Tensor<3> {
        self.logits(self.hidden(ids, Some(cache)))
    }
    /// [`CausalModel::hidden_rows`] through the output head: `[rows, 1] -> [rows, 1, vocab]`.
    fn forward_rows(&self, ids: Tensor<2, Int>, caches: &mut [&mut KvCache]) -> Tensor<3> {
        self.logits(self.hidden_rows(ids, caches))
    }
    /// An empty cache for this model.
    fn new_cache(&self) -> KvCache;
    /// The longest sequence the model takes.
    fn context_length(&self) -> usize;
    fn vocab_size(&self) -> usize;
    /// Width of the hidden states.
    fn emb_dim(&self) -> usize;
    fn device(&self) -> Device;
}

/// The architectures this crate implements, by the `model_type` of their `config.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Gpt2,
    Llama,
    Qwen3,
}

impl Family {
    /// Every family, in the order error messages list them.
    pub const ALL: [Family; 3] = [Self::Gpt2, Self::Llama, Self::Qwen3];

    /// The `model_type` of the family's `config.json`.
    pub fn model_type(self) -> &'static str {
        match self {
            Self::Gpt2 => "gpt2",
            Self::Llama => "llama",
            Self::Qwen3 => "qwen3",
        }
    }

    /// The family of a `model_type`, or `None` for one this crate does not implement.
    pub fn from_model_type(model_type: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.model_type() == model_type)
    }
}

/// `body` applied to the model inside `value`, whichever family, rewrapped in that family.
macro_rules! each_family {
    ($value:expr, $model:ident => $body:expr) => {
        match $value {
            LanguageModel::Gpt2($model) => LanguageModel::Gpt2($body),
            LanguageModel::Llama($model) => LanguageModel::Llama($body),
            LanguageModel::Qwen3($model) => LanguageModel::Qwen3($body),
        }
    };
}

/// A model of any family.
#[derive(Module, Debug)]
pub enum LanguageModel {
    Gpt2(Gpt),
    Llama(Llama),
    Qwen3(Qwen3),
}

impl LanguageModel {
    pub fn family(&self) -> Family {
        match self {
            Self::Gpt2(_) => Family::Gpt2,
            Self::Llama(_) => Family::Llama,
            Self::Qwen3(_) => Family::Qwen3,
        }
    }

    /// The architecture, as a checkpoint records it.
    pub fn config(&self) -> ModelConfig {
        match self {
            Self::Gpt2(m) => ModelConfig::Gpt2(m.config().clone()),
            Self::Llama(m) => ModelConfig::Llama(m.config().clone()),
            Self::Qwen3(m) => ModelConfig::Qwen3(m.config().clone()),
        }
    }

    /// The same model with dropout probability `p`; Llama and Qwen3 have no dropout, so for
    /// them only 0 is accepted.
    pub fn with_dropout(self, p: f64) -> Result<Self, ModelError> {
        match self {
            Self::Gpt2(gpt) => Ok(Self::Gpt2(gpt.with_dropout(p))),
            other if p == 0.0 => Ok(other),
            other => Err(ModelError::InvalidConfig(format!(
                "`dropout` = {p}: {} models have no dropout layers (leave dropout unset or 0)",
                other.family().model_type()
            ))),
        }
    }

    /// Adds fresh LoRA adapters to every attention and feed-forward projection (GPT-2: the
    /// query, key, value and output projections and both feed-forward layers; Llama and Qwen3:
    /// `q_proj`, `k_proj`, `v_proj`, `o_proj`, `gate_proj`, `up_proj`, `down_proj`).
    pub fn with_lora(self, config: &LoraConfig, device: &Device) -> Self {
        each_family!(self, m => m.with_lora(config, device))
    }

    /// Folds every adapter into its layer's weights.
    pub fn merge_lora(self) -> Self {
        each_family!(self, m => m.merge_lora())
    }

    pub fn has_lora(&self) -> bool {
        match self {
            Self::Gpt2(m) => m.has_lora(),
            Self::Llama(m) => m.has_lora(),
            Self::Qwen3(m) => m.has_lora(),
        }
    }

    /// Every LoRA adapter with the name its tensors are stored under.
    pub fn adapters_mut(&mut self) -> Vec<(String, &mut LoraAdapter)> {
        match self {
            Self::Gpt2(m) => m.adapters_mut(),
            Self::Llama(m) => m.adapters_mut(),
            Self::Qwen3(m) => m.adapters_mut(),
        }
    }

    /// The model without its output head (what a classifier's body is).
    pub fn without_lm_head(self) -> Self {
        each_family!(self, m => m.without_lm_head())
    }

    /// Every weight frozen but the last layer's and the final norm's.
    pub fn with_last_layer_trainable(self) -> Self {
        each_family!(self, m => m.with_last_layer_trainable())
    }

    fn inner(&self) -> &dyn CausalModel {
        match self {
            Self::Gpt2(m) => m,
            Self::Llama(m) => m,
            Self::Qwen3(m) => m,
        }
    }
}

impl CausalModel for LanguageModel {
    fn hidden(&self, ids: Tensor<2, Int>, cache: Option<&mut KvCache>) -> Tensor<3> {
        self.inner().hidden(ids, cache)
    }
    fn hidden_rows(&self, ids: Tensor<2, Int>, caches: &mut [&mut KvCache]) -> Tensor<3> {
        self.inner().hidden_rows(ids, caches)
    }
    fn logits(&self, hidden: Tensor<3>) -> Tensor<3> {
        self.inner().logits(hidden)
    }
    fn new_cache(&self) -> KvCache {
        self.inner().new_cache()
    }
    fn context_length(&self) -> usize {
        self.inner().context_length()
    }
    fn vocab_size(&self) -> usize {
        self.inner().vocab_size()
    }
    fn emb_dim(&self) -> usize {
        self.inner().emb_dim()
    }
    fn device(&self) -> Device {
        self.inner().device()
    }
}

impl CausalModel for Gpt {
    fn hidden(&self, ids: Tensor<2, Int>, cache: Option<&mut KvCache>) -> Tensor<3> {
        Gpt::hidden(self, ids, cache)
    }
    fn hidden_rows(&self, ids: Tensor<2, Int>, caches: &mut [&mut KvCache]) -> Tensor<3> {
        Gpt::hidden_rows(self, ids, caches)
    }
    fn logits(&self, hidden: Tensor<3>) -> Tensor<3> {
        Gpt::logits(self, hidden)
    }
    fn new_cache(&self) -> KvCache {
        Gpt::new_cache(self)
    }
    fn context_length(&self) -> usize {
        self.config().context_length
    }
    fn vocab_size(&self) -> usize {
        self.config().vocab_size
    }
    fn emb_dim(&self) -> usize {
        self.config().emb_dim
    }
    fn device(&self) -> Device {
        self.wte.weight.device()
    }
}

impl<A: DecoderAttention> CausalModel for Decoder<A> {
    fn hidden(&self, ids: Tensor<2, Int>, cache: Option<&mut KvCache>) -> Tensor<3> {
        Decoder::hidden(self, ids, cache)
    }
    fn hidden_rows(&self, ids: Tensor<2, Int>, caches: &mut [&mut KvCache]) -> Tensor<3> {
        Decoder::hidden_rows(self, ids, caches)
    }
    fn logits(&self, hidden: Tensor<3>) -> Tensor<3> {
        Decoder::logits(self, hidden)
    }
    fn new_cache(&self) -> KvCache {
        Decoder::new_cache(self)
    }
    fn context_length(&self) -> usize {
        self.config().context_length
    }
    fn vocab_size(&self) -> usize {
        self.config().vocab_size
    }
    fn emb_dim(&self) -> usize {
        self.config().emb_dim
    }
    fn device(&self) -> Device {
        self.embed_tokens.weight.device()
    }
}
