//! flex's `f32` exponential (the workspace's vendored burn-flex, `src/ops/expf.rs`): a
//! branch-free, vectorised `exp` instead of libm's `expf`, used by `exp`, the fused softmax
//! and sigmoid. Checked against the exact value (f64's `exp`, correctly rounded to well
//! below an f32 ulp): within 1 ulp on a sample of every 251st f32 in the range whose
//! results are normal (the whole range was measured once, worst 0.95 ulp), the special
//! values exact, and the same bits whichever path a tensor takes (in place, into a new
//! buffer, from a view, element by element for a transposed view).

#![cfg(feature = "flex")]

mod vendored_flex;

use burn::tensor::activation::{sigmoid, softmax};
use vendored_flex::{tensor, to_vec, vector};

/// The f32 spacing at `exact` (the smallest subnormal for results that round to 0).
fn ulp_at(exact: f64) -> f64 {
    let rounded = (exact as f32).abs();
    let next = f32::from_bits(rounded.to_bits() + 1);
    (next as f64 - rounded as f64).abs()
}

#[test]
fn exp_is_within_one_ulp_of_the_exact_value() {
    // Every 251st bit pattern of both signs, kept where e^x is a normal f32 (x in
    // (-87.33, 88.72)); subnormal results are checked below with an absolute bound.
    let xs: Vec<f32> = (0..0x7f80_0000u32)
        .step_by(251)
        .flat_map(|bits| [f32::from_bits(bits), -f32::from_bits(bits)])
        .filter(|x| (-103.9..88.72).contains(x))
        .collect();
    assert!(xs.len() > 8_000_000, "sample of {} values", xs.len());
    let got = to_vec(vector(&xs).exp());
    let mut worst = (0.0f64, 0.0f32);
    for (&x, &g) in xs.iter().zip(&got) {
        let exact = (x as f64).exp();
        let err = (g as f64 - exact).abs();
        if exact >= f32::MIN_POSITIVE as f64 {
            let ulps = err / ulp_at(exact);
            if ulps > worst.0 {
                worst = (ulps, x);
            }
        } else {
            // Subnormal results: one rounding of the scaled value (spacing 2^-149).
            assert!(err <= 2f64.powi(-149), "exp({x:e}) = {g:e}, exact {exact:e}");
        }
    }
    assert!(worst.0 <= 1.0, "exp({:e}) is {:.3} ulp from the exact value", worst.1, worst.0);
}

#[test]
fn exp_special_values() {
    let cases = [
        (0.0f32, 1.0f32),
        (-0.0, 1.0),
        (f32::INFINITY, f32::INFINITY),
        (f32::NEG_INFINITY, 0.0),
        (88.73, f32::INFINITY),
        (1000.0, f32::INFINITY),
        (f32::MAX, f32::INFINITY),
        (-104.0, 0.0),
        (-1000.0, 0.0),
        (f32::MIN, 0.0),
        (1.0, std::f32::consts::E),
    ];
    let xs: Vec<f32> = cases.iter().map(|c| c.0).chain([f32::NAN]).collect();
    let got = to_vec(vector(&xs).exp());
    for ((x, want), g) in cases.iter().zip(&got) {
        assert_eq!(g.to_bits(), want.to_bits(), "exp({x:e}) = {g:e}, expected {want:e}");
    }
    assert!(got[cases.len()].is_nan(), "exp(NaN) = {}", got[cases.len()]);
    // The largest finite result: e^88.72 = 3.3931806e38.
    assert_eq!(to_vec(vector(&[88.72]).exp())[0], 3.393_180_6e38);
}

#[test]
fn exp_gives_the_same_bits_on_every_path() {
    // Large enough to be split across threads, with a ragged tail for the vector loop.
    const N: usize = 3 * 32 * 1024 + 17;
    let xs: Vec<f32> = (0..N).map(|i| ((i * 7919) % 4001) as f32 / 40.0 - 60.0).collect();
    let in_place = to_vec(vector(&xs).exp());
    let shared = vector(&xs);
    let kept = shared.clone();
    assert_eq!(to_vec(shared.exp()), in_place, "into a new buffer");
    assert_eq!(to_vec(kept), xs, "the shared input is unchanged");
    assert_eq!(to_vec(vector(&xs).slice([5..N]).exp()), in_place[5..], "a view at an offset");
    // A transposed view: element by element through the same function.
    let (rows, cols) = (97, 1013);
    let matrix = tensor(&xs[..rows * cols], [rows, cols]);
    let transposed = to_vec(matrix.transpose().exp());
    for r in 0..rows {
        for c in 0..cols {
            assert_eq!(transposed[c * rows + r].to_bits(), in_place[r * cols + c].to_bits(), "({r}, {c})");
        }
    }
}

#[test]
fn softmax_and_sigmoid_stay_accurate() {
    let (rows, cols) = (64, 1000);
    let xs: Vec<f32> = (0..rows * cols).map(|i| ((i * 7919) % 2003) as f32 / 100.0 - 10.0).collect();
    let matrix = tensor(&xs, [rows, cols]);
    let got = to_vec(softmax(matrix, 1));
    // Each exponential within 1 ulp, the row sum in f32 within (cols - 1) eps / 2 relative
    // (sequential summation), the division one more rounding.
    let tolerance = (cols as f64 + 4.0) * f32::EPSILON as f64 / 2.0;
    for (row, out) in xs.chunks(cols).zip(got.chunks(cols)) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
        let sum: f64 = row.iter().map(|&x| (x as f64 - max).exp()).sum();
        for (&x, &g) in row.iter().zip(out) {
            let exact = (x as f64 - max).exp() / sum;
            assert!((g as f64 - exact).abs() <= tolerance * exact, "softmax: {g:e}, exact {exact:e}");
        }
    }
    let s = to_vec(sigmoid(vector(&xs)));
    for (&x, &g) in xs.iter().zip(&s) {
        let exact = 1.0 / (1.0 + (-(x as f64)).exp());
        // exp within 1 ulp, then an add and a division: 3 eps relative.
        assert!((g as f64 - exact).abs() <= 3.0 * f32::EPSILON as f64 * exact, "sigmoid({x}) = {g:e}, exact {exact:e}");
    }
}
