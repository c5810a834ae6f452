//! A language model or BERT encoder with a classification head (chapter 6 of the book).

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::lora::{LoraAdapter, LoraConfig, adapted, merge_into};
use crate::{ClassifierBody, ModelError};

/// Which hidden state the head reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Pooling {
    /// Each text's last real (non-padding) token: what a causal model has read the whole
    /// text at.
    #[default]
    LastToken,
    /// The last position of the padded sequence, as the book does (`model(x)[:, -1, :]`).
    LastPosition,
    /// The mean over each text's real tokens (what suits a model trained from scratch).
    Mean,
    /// BERT's pooled `[CLS]` state (its pooler, `tanh(dense(h₀))`), as
    /// `BertForSequenceClassification` reads it; BERT bodies only.
    Cls,
}

/// A body (GPT-2, Llama, Qwen3 or BERT), its final hidden states pooled to one vector per
/// text, and a linear head to `num_classes` logits (with an optional LoRA adapter).
#[derive(Module, Debug)]
pub struct Classifier {
    pub body: ClassifierBody,
    pub head: Linear,
    pub head_lora: Option<LoraAdapter>,
    #[module(skip)]
    pooling: Pooling,
}

impl Classifier {
    /// Replaces `body`'s output head by a fresh `num_classes`-way linear layer (with bias, as
    /// the book's `torch.nn.Linear(emb_dim, num_classes)`); a BERT body keeps (or gains) its
    /// pooler. `Cls` pooling needs a BERT body.
    pub fn new(body: impl Into<ClassifierBody>, num_classes: usize, pooling: Pooling, device: &Device) -> Result<Self, ModelError> {
        let body = body.into().headless(device);
        if pooling == Pooling::Cls && !matches!(body, ClassifierBody::Bert(_)) {
            return Err(ModelError::InvalidConfig(format!(
                "pooling `cls` reads BERT's [CLS] pooler; a {} body has none (use last-token or mean)",
                body.model_type()
            )));
        }
        let d = body.hidden_size();
        Ok(Self { body, head: LinearConfig::new(d, num_classes).init(device), head_lora: None, pooling })
    }

    pub fn pooling(&self) -> Pooling {
        self.pooling
    }

    pub fn num_classes(&self) -> usize {
        self.head.weight.dims()[1]
    }

    /// Class logits.
    ///
    /// # Shapes
    /// - ids: `[batch, seq]`
    /// - last: `[batch]`, the position of each text's last real token
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, ids: Tensor<2, Int>, last: Tensor<1, Int>) -> Tensor<2> {
        let hidden = self.body.hidden(ids, last.clone()); // [b, t, d]
        let [b, t, d] = hidden.dims();
        let pooled = match self.pooling {
            Pooling::Cls => {
                let pooled = self.body.cls_pooled(hidden).expect("`Classifier::new` checked that the body is BERT's");
                return adapted(&self.head, self.head_lora.as_ref(), pooled);
            }
            Pooling::LastPosition => hidden.narrow(1, t - 1, 1),
            Pooling::LastToken => hidden.gather(1, last.reshape([b, 1, 1]).expand([b, 1, d])),
            Pooling::Mean => {
                let device = hidden.device();
                let positions = Tensor::<1, Int>::arange(0..t as i64, &device).reshape([1, t]).expand([b, t]);
                let real = positions.lower_equal(last.clone().reshape([b, 1]).expand([b, t])).float().unsqueeze_dim::<3>(2);
                let count = (last + 1).float().reshape([b, 1, 1]);
                (hidden * real).sum_dim(1) / count
            }
        }
        .reshape([b, d]);
        adapted(&self.head, self.head_lora.as_ref(), pooled)
    }

    /// Freezes every weight and adds fresh LoRA adapters to the attention and feed-forward
    /// layers and the head: only the adapters train.
    pub fn with_lora(mut self, config: &LoraConfig, device: &Device) -> Self {
        self = self.no_grad();
        let [d, classes] = self.head.weight.dims();
        self.body = self.body.with_lora(config, device);
        self.head_lora = Some(LoraAdapter::new(d, classes, config, device));
        self
    }

    /// Folds every adapter into the weights.
    pub fn merge_lora(mut self) -> Self {
        self.body = self.body.merge_lora();
        if let Some(lora) = self.head_lora.take() {
            self.head = merge_into(self.head, lora.delta());
        }
        self
    }

    pub fn has_lora(&self) -> bool {
        self.head_lora.is_some() || self.body.has_lora()
    }
}
