//! The output head of a language model: its own projection, or the token embedding read
//! backwards when the two are tied (GPT-2, Llama 3.2, the small Qwen3 models).

use burn::nn::{Embedding, Linear};
use burn::tensor::Tensor;

use crate::matrix_dtype::{linear_forward, matmul_weight};
use crate::rows::on_rows;

/// Vocabulary logits of hidden states: `[b, t, d] -> [b, t, vocab]`, through `lm_head`, or
/// through `embedding`'s matrix transposed when there is none.
pub fn vocabulary_logits(hidden: Tensor<3>, lm_head: Option<&Linear>, embedding: &Embedding) -> Tensor<3> {
    on_rows(hidden, |hidden| match lm_head {
        Some(head) => linear_forward(head, hidden),
        None => matmul_weight(hidden, embedding.weight.val().transpose()),
    })
}
