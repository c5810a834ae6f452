use burn::tensor::activation::softmax;
use burn::tensor::{Int, Tensor};

use super::{Bert, BertInput};
use crate::ModelError;

/// A word the masked-LM head proposes for a masked position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub id: u32,
    /// Its probability under the head's softmax over the vocabulary.
    pub probability: f32,
}

/// The candidates for one masked position of a sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskPredictions {
    /// The position in the sequence (counting `[CLS]`).
    pub position: usize,
    /// The most probable first.
    pub candidates: Vec<Candidate>,
}

impl Bert {
    /// The `top_k` most probable words at every position of `ids` that holds `mask_id`, as
    /// `transformers`' fill-mask pipeline ranks them (softmax over the vocabulary, then the
    /// largest; ties to the lower id). `ids` is the whole encoded sequence, special tokens
    /// included.
    pub fn fill_mask(&self, ids: &[u32], mask_id: u32, top_k: usize) -> Result<Vec<MaskPredictions>, ModelError> {
        let positions: Vec<usize> = ids.iter().enumerate().filter(|(_, id)| **id == mask_id).map(|(i, _)| i).collect();
        if positions.is_empty() {
            return Ok(Vec::new());
        }
        let device = self.embeddings.word_embeddings.weight.device();
        let hidden = self.hidden(&BertInput::single(ids, &device)); // [1, t, d]
        let [_, t, d] = hidden.dims();
        let index: Vec<i64> = positions.iter().map(|&p| p as i64).collect();
        let rows = hidden.reshape([t, d]).select(0, Tensor::<1, Int>::from_data(index.as_slice(), &device));
        let probabilities = softmax(self.mlm_logits_of(rows)?, 1); // [masks, vocab]
        let vocab = probabilities.dims()[1];
        let values: Vec<f32> = probabilities.into_data().iter::<f32>().collect();
        Ok(positions
            .into_iter()
            .zip(values.chunks_exact(vocab))
            .map(|(position, row)| {
                let mut order: Vec<u32> = (0..vocab as u32).collect();
                order.sort_by(|&a, &b| row[b as usize].total_cmp(&row[a as usize]).then(a.cmp(&b)));
                let candidates = order
                    .into_iter()
                    .take(top_k)
                    .map(|id| Candidate { id, probability: row[id as usize] })
                    .collect();
                MaskPredictions { position, candidates }
            })
            .collect())
    }
}
