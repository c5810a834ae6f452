//! Causal attention with grouped key/value heads (GQA), the part Llama and Qwen3 share
//! after their projections: each group of `heads / kv_heads` consecutive query heads reads
//! one key/value head, as `transformers`' `repeat_kv` arranges them, without copying the
//! keys and values once per query head.

use burn::tensor::activation::softmax;
use burn::tensor::{Bool, Tensor};

use crate::kv_cache::LayerCache;

/// Attends every query position to itself and the positions before it, including those in
/// `cache` (which this call extends with `k` and `v`). With a cache per row, each row
/// attends to its own cache alone, exactly as it would in a batch of one.
///
/// # Shapes
/// - q: `[batch, heads, seq, head_dim]`; k, v: `[batch, kv_heads, seq, head_dim]`
/// - output: `[batch, seq, heads · head_dim]`
pub fn grouped_causal_attention(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>, cache: Option<LayerCache<'_>>) -> Tensor<3> {
    let (k, v) = match cache {
        Some(LayerCache::PerRow(caches)) => {
            let row = |x: &Tensor<4>, r: usize| x.clone().narrow(0, r, 1);
            let rows = caches.into_iter().enumerate().map(|(r, cache)| {
                grouped_causal_attention(row(&q, r), row(&k, r), row(&v, r), Some(LayerCache::Shared(cache)))
            });
            return Tensor::cat(rows.collect(), 0);
        }
        Some(LayerCache::Shared(cache)) => cache.append(k, v),
        None => (k, v),
    };
    let [b, h, t, hd] = q.dims();
    let kv = k.dims()[1];
    let group = h / kv;
    let s = k.dims()[2]; // past + t
    let past = s - t;
    let device = q.device();

    // The queries of one key/value head side by side: [b, kv, group · t, hd].
    let q = q.reshape([b, kv, group * t, hd]);
    let scores = q.matmul(k.swap_dims(2, 3)) / (hd as f64).sqrt(); // [b, kv, group · t, s]
    // Query i sits at position past + i and may see keys 0..=past + i, in every group.
    let hidden = Tensor::<2, Bool>::tril_mask([t, s], past as i64, &device)
        .unsqueeze::<5>()
        .expand([b, kv, group, t, s]);
    let scores = scores.reshape([b, kv, group, t, s]).mask_fill(hidden, f32::NEG_INFINITY);
    let weights = softmax(scores, 4).reshape([b, kv, group * t, s]);
    weights
        .matmul(v) // [b, kv, group · t, hd]
        .reshape([b, h, t, hd])
        .swap_dims(1, 2)
        .reshape([b, t, h * hd])
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Distribution};

    use super::*;

    /// The same attention with every key/value head repeated for its query heads, as
    /// `transformers` computes it.
    fn repeated(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>) -> Tensor<3> {
        let [b, h, t, hd] = q.dims();
        let [_, kv, s, _] = k.dims();
        let repeat = |x: Tensor<4>| x.unsqueeze_dim::<5>(2).expand([b, kv, h / kv, s, hd]).reshape([b, h, s, hd]);
        let scores = q.matmul(repeat(k).swap_dims(2, 3)) / (hd as f64).sqrt();
        let mask = Tensor::<2, Bool>::tril_mask([t, s], (s - t) as i64, &scores.device()).unsqueeze::<4>().expand([b, h, t, s]);
        softmax(scores.mask_fill(mask, f32::NEG_INFINITY), 3).matmul(repeat(v)).swap_dims(1, 2).reshape([b, t, h * hd])
    }

    #[test]
    fn groups_read_their_key_value_head_and_the_cache_changes_nothing() {
        let device = Device::flex();
        let (b, h, kv, t, hd) = (2, 6, 2, 5, 4);
        let normal = |shape: [usize; 4]| Tensor::<4>::random(shape, Distribution::Normal(0.0, 1.0), &device);
        let (q, k, v) = (normal([b, h, t, hd]), normal([b, kv, t, hd]), normal([b, kv, t, hd]));
        let expected: Vec<f32> = repeated(q.clone(), k.clone(), v.clone()).into_data().iter().collect();
        let ours: Vec<f32> = grouped_causal_attention(q.clone(), k.clone(), v.clone(), None).into_data().iter().collect();
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5);
        assert!(close(&ours, &expected));
        // Position by position through the cache: the same outputs.
        let mut cache = crate::kv_cache::LayerKv::default();
        let mut stepped = Vec::new();
        for i in 0..t {
            let one = |x: &Tensor<4>| x.clone().narrow(2, i, 1);
            let out = grouped_causal_attention(one(&q), one(&k), one(&v), Some(LayerCache::Shared(&mut cache))); // [b, 1, h hd]
            stepped.push(out);
        }
        let stepped: Vec<f32> = Tensor::cat(stepped, 1).into_data().iter().collect();
        assert!(close(&stepped, &expected));
    }
}
