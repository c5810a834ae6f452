use burn::module::Module;
use burn::nn::{Embedding, LayerNorm, LayerNormConfig};
use burn::tensor::{Device, Int, Tensor};

use super::BertConfig;
use crate::dropout::Dropout;
use crate::matrix_dtype::embed;

/// BERT's input: word + position + token-type embeddings, normalised, then dropout.
#[derive(Module, Debug)]
pub struct BertEmbeddings {
    pub word_embeddings: Embedding,
    pub position_embeddings: Embedding,
    pub token_type_embeddings: Embedding,
    pub layer_norm: LayerNorm,
    pub dropout: Dropout,
}

impl BertEmbeddings {
    pub fn new(config: &BertConfig, device: &Device) -> Self {
        let d = config.hidden_size;
        Self {
            word_embeddings: config.hf_init().embedding(config.vocab_size, d, device),
            position_embeddings: config.hf_init().embedding(config.max_position_embeddings, d, device),
            token_type_embeddings: config.hf_init().embedding(config.type_vocab_size, d, device),
            layer_norm: LayerNormConfig::new(d).with_epsilon(config.layer_norm_eps).init(device),
            dropout: Dropout::new(config.hidden_dropout_prob),
        }
    }

    /// `[batch, seq]` ids and token types (segment A = 0, B = 1) to `[batch, seq, d]`;
    /// positions count from 0 in every row.
    pub fn forward(&self, ids: Tensor<2, Int>, token_types: Tensor<2, Int>) -> Tensor<3> {
        let [b, t] = ids.dims();
        let device = ids.device();
        let positions = Tensor::<1, Int>::arange(0..t as i64, &device).reshape([1, t]).expand([b, t]);
        let x = embed(&self.word_embeddings, ids)
            + embed(&self.position_embeddings, positions)
            + embed(&self.token_type_embeddings, token_types);
        self.dropout.forward(self.layer_norm.forward(x))
    }
}
