//! The network under a classifier's head: a decoder language model (chapter 6 of the book)
//! or a BERT encoder (its classifier, `BertForSequenceClassification`, pools `[CLS]`).

use std::path::Path;

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};

use crate::lora::{LoraAdapter, LoraConfig};
use crate::weights::{ModelKind, WeightDtype, load_bert_dir, load_language_model, model_kind, save_bert_dir, save_language_model};
use crate::{Bert, BertArchitecture, BertInput, CausalModel, LanguageModel, ModelConfig, ModelError};

/// A classifier's body.
#[derive(Module, Debug)]
pub enum ClassifierBody {
    Decoder(LanguageModel),
    Bert(Bert),
}

impl From<LanguageModel> for ClassifierBody {
    fn from(model: LanguageModel) -> Self {
        Self::Decoder(model)
    }
}

impl From<Bert> for ClassifierBody {
    fn from(model: Bert) -> Self {
        Self::Bert(model)
    }
}

impl ClassifierBody {
    /// The body of a model directory of any family or BERT.
    pub fn load(dir: &Path, device: &Device) -> Result<Self, ModelError> {
        Ok(match model_kind(dir)? {
            ModelKind::Bert => Self::Bert(load_bert_dir(dir, device)?),
            _ => Self::Decoder(load_language_model(dir, device)?),
        })
    }

    /// Saves the body as a Hugging Face directory of its kind.
    pub fn save(&self, dir: &Path) -> Result<(), ModelError> {
        match self {
            Self::Decoder(m) => save_language_model(m, dir),
            Self::Bert(m) => save_bert_dir(m, dir, WeightDtype::F32),
        }
    }

    /// The body as a classifier reads it: a decoder without its output head, a BERT encoder
    /// without its masked-LM head and with a pooler (a fresh one if it had none).
    pub(crate) fn headless(self, device: &Device) -> Self {
        match self {
            Self::Decoder(m) => Self::Decoder(m.without_lm_head()),
            Self::Bert(m) => Self::Bert(m.with_heads(BertArchitecture::Model, device)),
        }
    }

    /// `bert`, `gpt2`, `llama` or `qwen3`.
    pub fn model_type(&self) -> &'static str {
        match self {
            Self::Decoder(m) => m.family().model_type(),
            Self::Bert(_) => "bert",
        }
    }

    /// Whether texts are read with the special tokens the tokenizer adds for the model
    /// (BERT's `[CLS] ... [SEP]`); a decoder reads the text's tokens alone, as the book's.
    pub fn reads_special_tokens(&self) -> bool {
        matches!(self, Self::Bert(_))
    }

    /// The architecture, as a checkpoint records it.
    pub fn config(&self) -> ModelConfig {
        match self {
            Self::Decoder(m) => m.config(),
            Self::Bert(m) => ModelConfig::Bert(m.config().clone()),
        }
    }

    pub fn hidden_size(&self) -> usize {
        match self {
            Self::Decoder(m) => m.emb_dim(),
            Self::Bert(m) => m.config().hidden_size,
        }
    }

    pub fn vocab_size(&self) -> usize {
        match self {
            Self::Decoder(m) => m.vocab_size(),
            Self::Bert(m) => m.config().vocab_size,
        }
    }

    /// The last layer's hidden states of right-padded texts whose last real token is at
    /// `last`: `[batch, seq, d]`. A BERT encoder masks the padding out of its attention; a
    /// decoder's real tokens never see the padding after them.
    pub fn hidden(&self, ids: Tensor<2, Int>, last: Tensor<1, Int>) -> Tensor<3> {
        match self {
            Self::Decoder(m) => m.hidden(ids, None),
            Self::Bert(m) => {
                let [b, t] = ids.dims();
                let positions = Tensor::<1, Int>::arange(0..t as i64, &ids.device()).reshape([1, t]).expand([b, t]);
                let mask = positions.lower_equal(last.reshape([b, 1]).expand([b, t])).int();
                m.hidden(&BertInput { ids, token_types: None, attention_mask: Some(mask) })
            }
        }
    }

    /// BERT's pooled `[CLS]` state of `hidden` (`tanh(dense(h₀))`), through the dropout
    /// BertForSequenceClassification puts before its classifier: `[batch, d]`; `None` for a
    /// decoder, which has no pooler.
    pub fn cls_pooled(&self, hidden: Tensor<3>) -> Option<Tensor<2>> {
        match self {
            Self::Bert(m) => {
                let pooler = m.pooler.as_ref().expect("a classifier's BERT body has a pooler");
                Some(m.classifier_dropout.forward(pooler.forward(hidden)))
            }
            Self::Decoder(_) => None,
        }
    }

    pub fn with_lora(self, config: &LoraConfig, device: &Device) -> Self {
        match self {
            Self::Decoder(m) => Self::Decoder(m.with_lora(config, device)),
            Self::Bert(m) => Self::Bert(m.with_lora(config, device)),
        }
    }

    pub fn merge_lora(self) -> Self {
        match self {
            Self::Decoder(m) => Self::Decoder(m.merge_lora()),
            Self::Bert(m) => Self::Bert(m.merge_lora()),
        }
    }

    pub fn has_lora(&self) -> bool {
        match self {
            Self::Decoder(m) => m.has_lora(),
            Self::Bert(m) => m.has_lora(),
        }
    }

    /// Every LoRA adapter with the name its tensors are stored under.
    pub fn adapters_mut(&mut self) -> Vec<(String, &mut LoraAdapter)> {
        match self {
            Self::Decoder(m) => m.adapters_mut(),
            Self::Bert(m) => m.adapters_mut(),
        }
    }

    /// Every weight frozen but the last layer's (and a decoder's final norm, BERT's pooler).
    pub fn with_last_layer_trainable(self) -> Self {
        match self {
            Self::Decoder(m) => Self::Decoder(m.with_last_layer_trainable()),
            Self::Bert(m) => Self::Bert(m.with_last_layer_trainable()),
        }
    }
}
