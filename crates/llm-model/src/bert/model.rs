use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{Bool, Device, Int, Tensor};

use super::{BertConfig, BertEmbeddings, BertLayer, MlmHead, Pooler};
use crate::ModelError;
use crate::dropout::Dropout;
use crate::lora::adapted;

/// Which of `transformers`' BERT classes a model is: the heads it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BertArchitecture {
    /// `BertModel`: the encoder and its pooler.
    Model,
    /// `BertForMaskedLM`: the encoder and the masked-LM head.
    MaskedLm,
    /// `BertForSequenceClassification`: the encoder, the pooler and a linear classifier.
    SequenceClassification { num_labels: usize },
}

impl BertArchitecture {
    /// The class name `config.json` lists under `architectures`.
    pub fn class_name(self) -> &'static str {
        match self {
            Self::Model => "BertModel",
            Self::MaskedLm => "BertForMaskedLM",
            Self::SequenceClassification { .. } => "BertForSequenceClassification",
        }
    }
}

/// A BERT encoder (bidirectional self-attention, post-norm layers) with the heads of its
/// [`BertArchitecture`].
#[derive(Module, Debug)]
pub struct Bert {
    pub embeddings: BertEmbeddings,
    pub layers: Vec<BertLayer>,
    /// Present in `BertModel` and the classifier; a masked-LM checkpoint may carry one too.
    pub pooler: Option<Pooler>,
    pub mlm_head: Option<MlmHead>,
    pub classifier: Option<Linear>,
    pub classifier_dropout: Dropout,
    #[module(skip)]
    config: BertConfig,
}

/// A batch of token sequences as BERT reads them.
#[derive(Debug, Clone)]
pub struct BertInput {
    /// `[batch, seq]`
    pub ids: Tensor<2, Int>,
    /// `[batch, seq]`: 0 for the first segment, 1 for the second; zeros when `None`.
    pub token_types: Option<Tensor<2, Int>>,
    /// `[batch, seq]`: 1 at real tokens, 0 at padding; all real when `None`.
    pub attention_mask: Option<Tensor<2, Int>>,
}

impl BertInput {
    /// One unpadded sequence of a single segment.
    pub fn single(ids: &[u32], device: &Device) -> Self {
        let data: Vec<i64> = ids.iter().map(|&id| id as i64).collect();
        let ids = Tensor::<1, Int>::from_data(data.as_slice(), device).reshape([1, ids.len()]);
        Self { ids, token_types: None, attention_mask: None }
    }
}

impl Bert {
    pub(crate) fn new(config: &BertConfig, architecture: BertArchitecture, device: &Device) -> Self {
        let classifier_dropout = config
            .extra
            .get("classifier_dropout")
            .and_then(|v| v.as_f64())
            .unwrap_or(config.hidden_dropout_prob);
        Self {
            embeddings: BertEmbeddings::new(config, device),
            layers: (0..config.num_hidden_layers).map(|_| BertLayer::new(config, device)).collect(),
            pooler: (architecture != BertArchitecture::MaskedLm).then(|| Pooler::new(config, device)),
            mlm_head: (architecture == BertArchitecture::MaskedLm).then(|| MlmHead::new(config, device)),
            classifier: match architecture {
                BertArchitecture::SequenceClassification { num_labels } => {
                    Some(config.hf_init().linear(config.hidden_size, num_labels, device))
                }
                _ => None,
            },
            classifier_dropout: Dropout::new(classifier_dropout),
            config: config.clone(),
        }
    }

    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// The same encoder with the heads of `architecture`: heads it has are kept, missing
    /// ones are fresh, others dropped (a pretrained BertForMaskedLM becomes a BertModel for
    /// a classifier, keeping a pooler it was saved with).
    pub fn with_heads(mut self, architecture: BertArchitecture, device: &Device) -> Self {
        let fresh = Self::new(&self.config, architecture, device);
        let own_pooler = self.pooler.take();
        self.pooler = fresh.pooler.map(|new| own_pooler.unwrap_or(new));
        let own_mlm_head = self.mlm_head.take();
        self.mlm_head = fresh.mlm_head.map(|new| own_mlm_head.unwrap_or(new));
        self.classifier = fresh.classifier;
        self
    }

    pub fn architecture(&self) -> BertArchitecture {
        match (&self.classifier, &self.mlm_head) {
            (Some(classifier), _) => BertArchitecture::SequenceClassification { num_labels: classifier.weight.dims()[1] },
            (None, Some(_)) => BertArchitecture::MaskedLm,
            (None, None) => BertArchitecture::Model,
        }
    }

    /// The last layer's hidden states, `[batch, seq, d]`.
    pub fn hidden(&self, input: &BertInput) -> Tensor<3> {
        let ids = input.ids.clone();
        let token_types = input.token_types.clone().unwrap_or_else(|| ids.zeros_like());
        let padding: Option<Tensor<2, Bool>> = input.attention_mask.as_ref().map(|mask| mask.clone().equal_elem(0));
        let mut x = self.embeddings.forward(ids, token_types);
        for layer in &self.layers {
            x = layer.forward(x, padding.as_ref());
        }
        x
    }

    /// The masked-LM head's logits of `hidden` states (`[..., d] -> [..., vocab]`).
    pub fn mlm_logits_of<const D: usize>(&self, hidden: Tensor<D>) -> Result<Tensor<D>, ModelError> {
        let head = self.mlm_head.as_ref().ok_or_else(|| self.missing_head("masked-LM head", "masked-word prediction needs a BertForMaskedLM"))?;
        Ok(head.forward(hidden, self.embeddings.word_embeddings.weight.val()))
    }

    /// Masked-LM logits at every position, `[batch, seq, vocab]`.
    pub fn mlm_logits(&self, input: &BertInput) -> Result<Tensor<3>, ModelError> {
        self.mlm_logits_of(self.hidden(input))
    }

    /// The pooled `[CLS]` state, `[batch, d]`.
    pub fn pooled(&self, input: &BertInput) -> Result<Tensor<2>, ModelError> {
        let pooler = self.pooler.as_ref().ok_or_else(|| self.missing_head("pooler", "a BertModel or BertForSequenceClassification has one"))?;
        Ok(pooler.forward(self.hidden(input)))
    }

    /// Class logits of `BertForSequenceClassification`, `[batch, num_labels]`.
    pub fn classify(&self, input: &BertInput) -> Result<Tensor<2>, ModelError> {
        let classifier = self.classifier.as_ref().ok_or_else(|| self.missing_head("classifier", "classification needs a BertForSequenceClassification"))?;
        let pooled = self.classifier_dropout.forward(self.pooled(input)?);
        Ok(adapted(classifier, None, pooled))
    }

    fn missing_head(&self, head: &'static str, needed: &'static str) -> ModelError {
        ModelError::MissingHead { architecture: self.architecture().class_name(), head, needed }
    }
}
