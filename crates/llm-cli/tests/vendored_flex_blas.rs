//! flex's large f32 matrix products, which go to a system OpenBLAS where one is installed
//! (the vendored burn-flex's `ops/blas.rs`: one single-threaded call per band of output rows
//! or columns, a band per thread) and to the `gemm` crate otherwise, are correct for every
//! operand layout the model produces: plain row-major operands, transposed views of either
//! or both (weight gradients, `x · Wᵀ`), and rows wider than the matrix (a narrowed view),
//! cut into bands of rows and of columns. Checked against the product in f64 with the
//! standard bound for a sum of K products in f32, K · ε/2 · Σ|a·b|, whichever library
//! computed it. And they are repeatable: the same inputs give the same bits, also while
//! another thread multiplies. CI installs OpenBLAS and sets `LLM_EXPECT_OPENBLAS=1`, so
//! there the products are OpenBLAS's.

#![cfg(feature = "flex")]

mod vendored_flex;

use burn::tensor::Tensor;
use vendored_flex::{spread as values, tensor, to_vec};

/// `rows x cols` row-major values, transposed.
fn transposed(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    (0..cols).flat_map(|j| (0..rows).map(move |i| values[i * cols + j])).collect()
}

/// `a [m, k] · b [k, n]` (row-major values) against `out`, within the f32 bound.
fn assert_product(out: Tensor<2>, a: &[f32], b: &[f32], [m, k, n]: [usize; 3], layout: &str) {
    assert_eq!(out.dims(), [m, n], "{layout}");
    let out = to_vec(out);
    for i in 0..m {
        for j in 0..n {
            let (mut exact, mut magnitude) = (0.0f64, 0.0f64);
            for p in 0..k {
                let term = a[i * k + p] as f64 * b[p * n + j] as f64;
                exact += term;
                magnitude += term.abs();
            }
            let bound = k as f64 * f64::from(f32::EPSILON) / 2.0 * magnitude;
            let error = (out[i * n + j] as f64 - exact).abs();
            assert!(error <= bound, "{layout}: [{i}, {j}] = {} against {exact} (bound {bound:e})", out[i * n + j]);
        }
    }
}

/// Every layout of one product shape.
fn every_layout([m, k, n]: [usize; 3]) {
    let dims = [m, k, n];
    let (a, b) = (values(m * k, 1), values(k * n, 2));
    let (a_t, b_t) = (transposed(&a, m, k), transposed(&b, k, n));
    let lhs = || tensor(&a, [m, k]);
    let rhs = || tensor(&b, [k, n]);
    let lhs_t = || tensor(&a_t, [k, m]).transpose();
    let rhs_t = || tensor(&b_t, [n, k]).transpose();
    assert_product(lhs().matmul(rhs()), &a, &b, dims, "row-major operands");
    assert_product(lhs_t().matmul(rhs()), &a, &b, dims, "transposed lhs");
    assert_product(lhs().matmul(rhs_t()), &a, &b, dims, "transposed rhs");
    assert_product(lhs_t().matmul(rhs_t()), &a, &b, dims, "both transposed");
    // Rows of k + 5 elements of which the product reads k: a leading dimension wider than k.
    let wide: Vec<f32> = (0..m).flat_map(|i| a[i * k..(i + 1) * k].iter().copied().chain([9.0; 5])).collect();
    assert_product(tensor(&wide, [m, k + 5]).narrow(1, 0, k).matmul(rhs()), &a, &b, dims, "wider rows");
}

/// 200 · 190 · 210 = 8.0 M multiply-adds: above flex's threshold for threaded products
/// (192³), the products OpenBLAS takes; more columns than rows (bands of columns), then the
/// other way round (bands of rows), neither a multiple of 16.
#[test]
fn large_products_are_correct_in_every_layout() {
    every_layout([200, 190, 210]);
    every_layout([210, 190, 200]);
}

#[test]
fn products_are_repeatable_bit_for_bit() {
    // The output head of the main job's step and its input gradient.
    for [m, k, n] in [[1024, 256, 8209], [1024, 8209, 256]] {
        let (a, b) = (values(m * k, 3), values(k * n, 4));
        let product = || to_vec(tensor(&a, [m, k]).matmul(tensor(&b, [k, n])));
        let first = product();
        for _ in 0..3 {
            assert!(product() == first, "[{m}, {k}] x [{k}, {n}]: another result for the same inputs");
        }
        let (left, right) = std::thread::scope(|s| {
            let left = s.spawn(product);
            (left.join().unwrap(), product())
        });
        assert!(left == first && right == first, "[{m}, {k}] x [{k}, {n}]: another result beside a concurrent product");
    }
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
