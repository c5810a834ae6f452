//! flex's large f32 matrix products, which go to a system OpenBLAS where one is installed
//! (the vendored burn-flex's `ops/blas.rs`) and to the `gemm` crate otherwise, are correct
//! for every operand layout the model produces: plain row-major operands, transposed views
//! of either or both (weight gradients, `x · Wᵀ`), and rows wider than the matrix (a narrowed
//! view). Checked against the product in f64 with the standard bound for a sum of K products
//! in f32, K · ε/2 · Σ|a·b|, whichever library computed it. CI installs OpenBLAS and sets
//! `LLM_EXPECT_OPENBLAS=1`, so there the products are OpenBLAS's.

#![cfg(feature = "flex")]

mod vendored_flex;

use burn::tensor::Tensor;
use vendored_flex::{spread as values, tensor, to_vec};

/// 200 · 190 · 210 = 8.0 M multiply-adds: above flex's threshold for threaded products
/// (192³), the products OpenBLAS takes.
const M: usize = 200;
const K: usize = 190;
const N: usize = 210;

/// `rows x cols` row-major values, transposed.
fn transposed(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    (0..cols).flat_map(|j| (0..rows).map(move |i| values[i * cols + j])).collect()
}

/// `a [M, K] · b [K, N]` (row-major values) against `out`, within the f32 bound.
fn assert_product(out: Tensor<2>, a: &[f32], b: &[f32], layout: &str) {
    assert_eq!(out.dims(), [M, N], "{layout}");
    let out = to_vec(out);
    for i in 0..M {
        for j in 0..N {
            let (mut exact, mut magnitude) = (0.0f64, 0.0f64);
            for p in 0..K {
                let term = a[i * K + p] as f64 * b[p * N + j] as f64;
                exact += term;
                magnitude += term.abs();
            }
            let bound = K as f64 * f64::from(f32::EPSILON) / 2.0 * magnitude;
            let error = (out[i * N + j] as f64 - exact).abs();
            assert!(error <= bound, "{layout}: [{i}, {j}] = {} against {exact} (bound {bound:e})", out[i * N + j]);
        }
    }
}

#[test]
fn large_products_are_correct_in_every_layout() {
    let (a, b) = (values(M * K, 1), values(K * N, 2));
    let (a_t, b_t) = (transposed(&a, M, K), transposed(&b, K, N));
    let lhs = || tensor(&a, [M, K]);
    let rhs = || tensor(&b, [K, N]);
    let lhs_t = || tensor(&a_t, [K, M]).transpose();
    let rhs_t = || tensor(&b_t, [N, K]).transpose();
    assert_product(lhs().matmul(rhs()), &a, &b, "row-major operands");
    assert_product(lhs_t().matmul(rhs()), &a, &b, "transposed lhs");
    assert_product(lhs().matmul(rhs_t()), &a, &b, "transposed rhs");
    assert_product(lhs_t().matmul(rhs_t()), &a, &b, "both transposed");
    // Rows of K + 5 elements of which the product reads K: a leading dimension wider than K.
    let wide: Vec<f32> = (0..M).flat_map(|i| a[i * K..(i + 1) * K].iter().copied().chain([9.0; 5])).collect();
    assert_product(tensor(&wide, [M, K + 5]).narrow(1, 0, K).matmul(rhs()), &a, &b, "wider rows");
}

#[test]
fn openblas_serves_the_products_where_installed() {
    let library = if burn_flex::ops::blas::available() { "openblas" } else { "gemm" };
    if std::env::var_os("LLM_EXPECT_OPENBLAS").is_some() {
        assert_eq!(library, "openblas", "LLM_EXPECT_OPENBLAS is set but flex multiplies with {library}");
    } else {
        assert!(matches!(library, "openblas" | "gemm"), "{library}");
    }
}
