//! Weight matrices kept in bfloat16 for decoding.
//!
//! Decoding reads every weight once per token, so the bytes per weight set its speed and the
//! model's memory. [`with_bf16_matrices`] stores every matrix (projections, embeddings, an
//! untied output head) in bfloat16 and keeps the vectors (norms, biases) in f32; the model
//! still computes its activations in f32: a product rounds its input row to bfloat16, sums
//! in f32 and rounds its output to bfloat16 (what PyTorch's bfloat16 `matmul` does on CPU)
//! before returning to f32. The layers here call [`linear_forward`], [`embed`] and
//! [`matmul_weight`], which are plain f32 products when the weights are f32.

use burn::module::{Module, ModuleMapper, Param};
use burn::nn::{Embedding, Linear};
use burn::tensor::{DType, Int, Tensor};

use crate::rows::on_rows;

/// `layer(x)` whatever the dtype of its weight; the output has `x`'s dtype.
pub fn linear_forward<const D: usize>(layer: &Linear, x: Tensor<D>) -> Tensor<D> {
    let weight = layer.weight.val();
    if weight.dtype() == x.dtype() {
        return layer.forward(x);
    }
    let y = on_rows(x, |x| matmul_weight(x, weight));
    match &layer.bias {
        Some(bias) => y + bias.val().unsqueeze(),
        None => y,
    }
}

/// `x · weight` in `weight`'s dtype, returned in `x`'s.
pub fn matmul_weight(x: Tensor<2>, weight: Tensor<2>) -> Tensor<2> {
    let dtype = x.dtype();
    x.cast(weight.dtype()).matmul(weight).cast(dtype)
}

/// The embeddings of `ids`, in f32 whatever the table's dtype.
pub fn embed(embedding: &Embedding, ids: Tensor<2, Int>) -> Tensor<3> {
    embedding.forward(ids).cast(DType::F32)
}

/// `model` with every matrix (every 2-D parameter) in bfloat16, converted one at a time, so
/// that converting needs the bfloat16 model and one f32 matrix at most.
pub fn with_bf16_matrices<M: Module>(model: M) -> M {
    struct ToBf16;
    impl ModuleMapper for ToBf16 {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            if D == 2 { param.map(|t| t.cast(DType::BF16)) } else { param }
        }
    }
    model.map(&mut ToBf16)
}
