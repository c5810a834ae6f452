//! Values and flex tensors for the tests of this workspace's burn-flex (`vendored_flex_*.rs`).
#![allow(dead_code)]

use burn::tensor::{Device, Tensor, TensorData};

/// A flex tensor of `shape` holding `values` in row-major order.
pub fn tensor<const D: usize>(values: &[f32], shape: [usize; D]) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values.to_vec(), shape), &Device::flex())
}

/// A flex vector holding `values`.
pub fn vector(values: &[f32]) -> Tensor<1> {
    tensor(values, [values.len()])
}

/// `n` deterministic values spread over about [-1, 1]; `seed` picks another sequence.
pub fn spread(n: usize, seed: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * 7919 + seed * 104_729) % 2003) as f32 / 997.0 - 1.0).collect()
}

pub fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}
