//! flex's few-row products with `bf16` operands (the vendored burn-flex's `ops/gemv_bf16.rs`,
//! every projection of a model whose weights are kept in `bf16` while it decodes): each
//! weight widened exactly to `f32`, products summed in `f32`, the result rounded once to
//! `bf16`. Checked against the product of the same `bf16` values in f64: within the f32 sum's
//! bound (K · ε/2 · Σ|x·w|) plus half a `bf16` unit in the last place (2⁻⁸ relative) of the
//! rounding. Upstream's path (both operands converted to `f32` buffers) gives results within
//! the same bound, so the fast path changes no answer beyond rounding.

#![cfg(feature = "flex")]

mod vendored_flex;

use burn::tensor::{DType, Tensor};
use vendored_flex::{spread as values, tensor, to_vec};

/// Rows: three blocks of 64, a partial block, and a remainder of 3 for the four-row passes.
const K: usize = 3 * 64 + 11;
/// Columns: more than one 4096-column tile.
const N: usize = 4096 + 37;

/// `values` rounded to `bf16`, and back to `f32` (the exact values a `bf16` tensor holds).
fn rounded(values: &[f32]) -> Vec<f32> {
    values.iter().map(|&v| half::bf16::from_f32(v).to_f32()).collect()
}

fn bf16<const D: usize>(values: &[f32], shape: [usize; D]) -> Tensor<D> {
    tensor(values, shape).cast(DType::BF16)
}

/// Every row of `got` (`[m, n]`) within the bound of the module docs of `x · w` in f64.
fn assert_near_exact(name: &str, got: &[f32], x: &[f32], m: usize, weight: impl Fn(usize, usize) -> f32) {
    let k = x.len() / m;
    let n = got.len() / m;
    let sum_bound = k as f64 * f64::from(f32::EPSILON) / 2.0 * 1.01;
    for r in 0..m {
        for j in 0..n {
            let (mut exact, mut magnitude) = (0f64, 0f64);
            for i in 0..k {
                let p = f64::from(x[r * k + i]) * f64::from(weight(i, j));
                exact += p;
                magnitude += p.abs();
            }
            let g = f64::from(got[r * n + j]);
            let bound = sum_bound * magnitude + exact.abs() * 2f64.powi(-8) * 1.01;
            assert!((g - exact).abs() <= bound, "{name}: row {r} column {j} is {g}, exact {exact}");
        }
    }
}

#[test]
fn bf16_few_row_products_are_exact_sums_rounded_once() {
    for m in [1, 3] {
        let (x, w) = (rounded(&values(m * K, 1)), rounded(&values(K * N, 2)));
        let got = to_vec(bf16(&x, [m, K]).matmul(bf16(&w, [K, N])).cast(DType::F32));
        assert_near_exact(&format!("[{m}, K] x [K, N]"), &got, &x, m, |k, j| w[k * N + j]);
        // As a linear layer calls it: one batch dimension of size one on both sides.
        let got = to_vec(bf16(&x, [1, m, K]).matmul(bf16(&w, [1, K, N])).cast(DType::F32));
        assert_near_exact("batched", &got, &x, m, |k, j| w[k * N + j]);
    }
}

#[test]
fn bf16_transposed_weights_are_exact_sums_rounded_once() {
    // wt: [N, K] row-major, used transposed (a tied output head reads its embedding so).
    let (x, wt) = (rounded(&values(2 * K, 4)), rounded(&values(N * K, 5)));
    let got = to_vec(bf16(&x, [2, K]).matmul(bf16(&wt, [N, K]).transpose()).cast(DType::F32));
    assert_near_exact("[2, K] x [N, K]^T", &got, &x, 2, |k, j| wt[j * K + k]);
}

#[test]
fn each_row_of_a_bf16_product_is_bit_for_bit_the_row_alone() {
    // Sequences decoded together: every row of a few-row product (both weight layouts, up to
    // 64 rows) must be the single-row product of that row, to the bit.
    let (w, wt) = (rounded(&values(K * N, 2)), rounded(&values(N * K, 5)));
    let bits = |t: Tensor<2>| to_vec(t.cast(DType::F32)).into_iter().map(f32::to_bits).collect::<Vec<_>>();
    for m in [2, 5, 64] {
        let x = rounded(&values(m * K, 7 + m));
        let together = bits(bf16(&x, [m, K]).matmul(bf16(&w, [K, N])));
        let together_t = bits(bf16(&x, [m, K]).matmul(bf16(&wt, [N, K]).transpose()));
        for r in 0..m {
            let row = &x[r * K..][..K];
            let alone = bits(bf16(row, [1, K]).matmul(bf16(&w, [K, N])));
            assert!(together[r * N..][..N] == alone[..], "row {r} of {m}: [K, N] weights");
            let alone_t = bits(bf16(row, [1, K]).matmul(bf16(&wt, [N, K]).transpose()));
            assert!(together_t[r * N..][..N] == alone_t[..], "row {r} of {m}: transposed weights");
        }
    }
}

#[test]
fn long_bf16_inputs_keep_the_general_product() {
    // 80 rows: more than the few-row path takes; the upstream product, same bound.
    let (x, w) = (rounded(&values(80 * K, 6)), rounded(&values(K * 600, 2)));
    let got = to_vec(bf16(&x, [80, K]).matmul(bf16(&w, [K, 600])).cast(DType::F32));
    assert_near_exact("[80, K] x [K, 600]", &got, &x, 80, |k, j| w[k * 600 + j]);
}
