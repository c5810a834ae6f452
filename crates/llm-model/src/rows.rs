//! Row-wise layers applied to `[..., d]` tensors as one `[rows, d]` product.
//!
//! Burn's `linear` keeps a `[batch, seq, d_in]` input batched when `seq` is a multiple of
//! 32 (`MatmulTransformPolicy::BetterTiling`): the forward runs one product per sequence
//! against the shared weight, and the weight's gradient comes out per sequence,
//! `[batch, d_in, d_out]`, before autodiff sums it over the batch. For the book's 124M
//! output head at batch 2 that is a 309 MB buffer and a sum over it each step. PyTorch's
//! `nn.Linear` folds the leading dimensions into the rows instead; so does [`on_rows`]:
//! the forward is one `[b·t, d_in] x [d_in, d_out]` product and the weight's gradient one
//! `[d_in, b·t] x [b·t, d_out]` product, summed over all rows inside the product.

use burn::tensor::Tensor;

/// `f` applied to `x`'s rows: `[..., d_in] -> [rows, d_in] -> f -> [rows, d_out] ->
/// [..., d_out]`, where `rows` is the product of the leading dimensions (1 for a vector).
/// Reshaping a contiguous tensor copies nothing.
pub fn on_rows<const D: usize>(x: Tensor<D>, f: impl FnOnce(Tensor<2>) -> Tensor<2>) -> Tensor<D> {
    let mut dims = x.dims();
    let d_in = dims[D - 1];
    let rows = dims[..D - 1].iter().product::<usize>();
    let y = f(x.reshape([rows, d_in]));
    let [y_rows, d_out] = y.dims();
    assert_eq!(y_rows, rows, "a row-wise layer must keep the number of rows");
    dims[D - 1] = d_out;
    y.reshape(dims)
}
