//! Scaled dot-product attention under a mask of hidden keys: what the encoders' two-way
//! attention and the encoder–decoder's attentions share.

use burn::tensor::activation::softmax;
use burn::tensor::{Bool, Tensor};

use crate::dropout::Dropout;

/// `softmax(q kᵀ / √hd, hiding the keys where `hidden` is true) v`.
///
/// Hidden scores get the lowest finite value rather than -inf, as `transformers` does: a
/// query whose every key is hidden (a row of padding) still gets finite weights.
///
/// # Shapes
/// - q: `[batch, heads, t, hd]`; k, v: `[batch, heads, s, hd]`
/// - hidden: broadcastable to `[batch, heads, t, s]` (`[batch, 1, 1, s]` for padding,
///   `[1, 1, t, s]` for a causal mask)
/// - output: `[batch, heads, t, hd]`
pub fn masked_attention(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>, hidden: Option<Tensor<4, Bool>>, dropout: &Dropout) -> Tensor<4> {
    let [b, h, t, hd] = q.dims();
    let s = k.dims()[2];
    let scores = q.matmul(k.swap_dims(2, 3)) / (hd as f64).sqrt(); // [b, h, t, s]
    let scores = match hidden {
        Some(hidden) => scores.mask_fill(hidden.expand([b, h, t, s]), f32::MIN),
        None => scores,
    };
    dropout.forward(softmax(scores, 3)).matmul(v)
}

/// `[batch, seq, heads · hd] -> [batch, heads, seq, hd]`
pub fn split_heads(x: Tensor<3>, heads: usize) -> Tensor<4> {
    let [b, t, d] = x.dims();
    x.reshape([b, t, heads, d / heads]).swap_dims(1, 2)
}

/// `[batch, heads, seq, hd] -> [batch, seq, heads · hd]`
pub fn merge_heads(x: Tensor<4>) -> Tensor<3> {
    let [b, h, t, hd] = x.dims();
    x.swap_dims(1, 2).reshape([b, t, h * hd])
}

/// The keys padding hides from every query, `[batch, 1, 1, s]`, from an attention mask's
/// `[batch, s]` padding positions (true at padding).
pub fn padding_mask(padding: &Tensor<2, Bool>) -> Tensor<4, Bool> {
    let [b, s] = padding.dims();
    padding.clone().reshape([b, 1, 1, s])
}
