//! BERT (Devlin et al., 2018): the encoder of the original transformer, trained by
//! masked-word prediction (chapter 1 of the book); `transformers`' `BertModel`,
//! `BertForMaskedLM` and `BertForSequenceClassification`, with their tensor names.
//!
//! Unlike the decoders of this crate, every position attends to every other real position;
//! padding is masked by an attention mask, and layers normalise after each residual sum
//! (post-norm) with the exact GELU.

mod attention;
mod config;
mod embeddings;
mod fill_mask;
mod heads;
mod layer;
mod lora;
mod model;
mod weights;

pub(crate) use weights::{architecture_of, canonical_bert_tensors};

pub use attention::BertAttention;
pub use config::BertConfig;
pub use embeddings::BertEmbeddings;
pub use fill_mask::{Candidate, MaskPredictions};
pub use heads::{MlmHead, Pooler};
pub use layer::BertLayer;
pub use lora::BertLayerLora;
pub use model::{Bert, BertArchitecture, BertInput};
