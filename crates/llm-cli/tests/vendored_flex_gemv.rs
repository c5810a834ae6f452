//! flex's single-row matrix products (the vendored burn-flex's `ops/gemv.rs`, the path of
//! every projection when decoding with a KV cache) compute exactly the documented sums: the
//! weight rows in blocks of 64, each block summed in ascending row order with a separate
//! multiply and add, the blocks added in order; for a transposed weight, dot products over
//! 16 interleaved partial sums added pairwise. The expected values are those sums computed
//! on the host, so the comparison is bit for bit, whatever the thread count or SIMD level.
//! A second check bounds the error against the product in f64 (the standard bound for a
//! sum of K products in f32: K · ε/2 · Σ|x·w|), so the documented order is also a correct one.

#![cfg(feature = "flex")]

mod vendored_flex;

use vendored_flex::{spread as values, tensor, to_vec};

/// Rows: three blocks of 64, a partial block, and a remainder of 3 for the four-row passes.
const K: usize = 3 * 64 + 11;
/// Columns: more than one 4096-column tile.
const N: usize = 4096 + 37;

/// `x · w` for `w: [k, n]` row-major, in the order the row-major path documents.
fn host_rows(x: &[f32], w: &[f32], n: usize) -> Vec<f32> {
    let mut out: Option<Vec<f32>> = None;
    for (b, xs) in x.chunks(64).enumerate() {
        let mut acc = vec![0f32; n];
        for (i, &xk) in xs.iter().enumerate() {
            let row = &w[(b * 64 + i) * n..][..n];
            for (a, &wv) in acc.iter_mut().zip(row) {
                *a += xk * wv;
            }
        }
        match &mut out {
            None => out = Some(acc),
            Some(out) => out.iter_mut().zip(&acc).for_each(|(o, a)| *o += a),
        }
    }
    out.unwrap()
}

/// `x · wt[j]` for every row `j` of `wt: [n, k]`, in the order the transposed path documents.
fn host_dots(x: &[f32], wt: &[f32], k: usize) -> Vec<f32> {
    wt.chunks(k)
        .map(|row| {
            let mut lanes = [0f32; 16];
            for (i, (&a, &b)) in x.iter().zip(row).enumerate() {
                lanes[i % 16] += a * b;
            }
            let mut width = 16;
            while width > 1 {
                width /= 2;
                for l in 0..width {
                    lanes[l] += lanes[l + width];
                }
            }
            lanes[0]
        })
        .collect()
}

fn assert_bits(name: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{name}: length");
    for (j, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "{name}: column {j} is {g}, expected {w}");
    }
}

/// Within K · ε/2 · Σ|x·w| (plus 1 % slack) of the product computed in f64.
fn assert_near_exact(name: &str, got: &[f32], x: &[f32], weight: impl Fn(usize, usize) -> f32) {
    let bound = x.len() as f64 * f64::from(f32::EPSILON) / 2.0 * 1.01;
    for (j, &g) in got.iter().enumerate() {
        let (mut exact, mut magnitude) = (0f64, 0f64);
        for (k, &xk) in x.iter().enumerate() {
            let p = f64::from(xk) * f64::from(weight(k, j));
            exact += p;
            magnitude += p.abs();
        }
        let err = (f64::from(g) - exact).abs();
        assert!(err <= bound * magnitude, "{name}: column {j} is {g}, exact {exact}, error {err:e}");
    }
}

#[test]
fn row_major_weights_give_the_documented_sums() {
    let (x, w) = (values(K, 1), values(K * N, 2));
    let want = host_rows(&x, &w, N);
    let got = to_vec(tensor(&x, [1, K]).matmul(tensor(&w, [K, N])));
    assert_bits("[1, K] x [K, N]", &got, &want);
    assert_near_exact("[1, K] x [K, N]", &got, &x, |k, j| w[k * N + j]);
    // As a linear layer calls it: one batch dimension of size one on both sides.
    let got = to_vec(tensor(&x, [1, 1, K]).matmul(tensor(&w, [1, K, N])));
    assert_bits("[1, 1, K] x [1, K, N]", &got, &want);
    // The row as a view at an offset (the second row of a [3, K] tensor).
    let rows: Vec<f32> = [values(K, 7), x.clone(), values(K, 8)].concat();
    let got = to_vec(tensor(&rows, [3, K]).slice([1..2, 0..K]).matmul(tensor(&w, [K, N])));
    assert_bits("a row at an offset", &got, &want);
    // The weight as a view: columns 5..N of a wider matrix (row stride N + 5).
    let wide: Vec<f32> = w.chunks(N).flat_map(|r| values(5, 3).into_iter().chain(r.iter().copied())).collect();
    let got = to_vec(tensor(&x, [1, K]).matmul(tensor(&wide, [K, N + 5]).slice([0..K, 5..N + 5])));
    assert_bits("a weight view with a wider row stride", &got, &want);
}

#[test]
fn transposed_weights_give_the_documented_dot_products() {
    // wt: [N, K] row-major; the product uses its transpose, [K, N] with contiguous columns
    // (a tied output head multiplies by the token embedding this way).
    let (x, wt) = (values(K, 4), values(N * K, 5));
    let got = to_vec(tensor(&x, [1, K]).matmul(tensor(&wt, [N, K]).transpose()));
    assert_bits("[1, K] x [N, K]^T", &got, &host_dots(&x, &wt, K));
    assert_near_exact("[1, K] x [N, K]^T", &got, &x, |k, j| wt[j * K + k]);
}

#[test]
fn other_shapes_keep_the_general_product() {
    // Two rows, and a batch of two single rows, stay with gemm: checked against f64 only.
    let (x, w) = (values(2 * K, 6), values(K * N, 2));
    let got = to_vec(tensor(&x, [2, K]).matmul(tensor(&w, [K, N])));
    for (r, row) in got.chunks(N).enumerate() {
        assert_near_exact("[2, K] x [K, N]", row, &x[r * K..][..K], |k, j| w[k * N + j]);
    }
    let got = to_vec(tensor(&x, [2, 1, K]).matmul(tensor(&w, [1, K, N])));
    for (r, row) in got.chunks(N).enumerate() {
        assert_near_exact("[2, 1, K] x [1, K, N]", row, &x[r * K..][..K], |k, j| w[k * N + j]);
    }
}
