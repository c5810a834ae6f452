//! flex's element-wise operations on tensors large enough to be split across threads (the
//! workspace's vendored burn-flex, see `vendor/burn-flex/VENDORED.md`) give exactly what the
//! same f32 operation gives element by element on the host: bit for bit, on every path the
//! change touches (in place on a tensor nothing else holds, into a new buffer when the input
//! is shared, on a view that starts at an offset, the swapped in-place path of a
//! subtraction), at a length that is not a multiple of the chunk size.

#![cfg(feature = "flex")]

mod vendored_flex;

use vendored_flex::{spread, tensor, to_vec, vector};

/// Three chunks of 32 Ki elements and a ragged tail.
const N: usize = 3 * 32 * 1024 + 17;

/// Values over about [-2, 2].
fn values(n: usize, seed: usize) -> Vec<f32> {
    spread(n, seed).into_iter().map(|v| 2.0 * v).collect()
}

fn assert_bits(name: &str, got: &[f32], want: impl Iterator<Item = f32>) {
    let want: Vec<f32> = want.collect();
    assert_eq!(got.len(), want.len(), "{name}: length");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "{name}: element {i} is {g}, expected {w}");
    }
}

#[test]
fn unary_ops_equal_the_per_element_function() {
    // `tanh` goes through the generic unary path (f32 `exp` has its own, see flex_exp.rs).
    let x = values(N, 1);
    // In place: the only handle to its storage.
    assert_bits("tanh in place", &to_vec(vector(&x).tanh()), x.iter().map(|v| v.tanh()));
    // Into a new buffer: the input stays alive.
    let shared = vector(&x);
    let kept = shared.clone();
    assert_bits("tanh of a shared tensor", &to_vec(shared.tanh()), x.iter().map(|v| v.tanh()));
    assert_bits("the shared input is unchanged", &to_vec(kept), x.iter().copied());
    // A view at an offset.
    let view = vector(&x).slice([5..N]);
    assert_bits("tanh of a view", &to_vec(view.tanh()), x[5..].iter().map(|v| v.tanh()));
}

#[test]
fn binary_ops_equal_the_per_element_operation() {
    let (a, b) = (values(N, 2), values(N, 3));
    let pairs = || a.iter().zip(&b);
    assert_bits("a + b in place", &to_vec(vector(&a) + vector(&b)), pairs().map(|(x, y)| x + y));
    assert_bits("a * b in place", &to_vec(vector(&a) * vector(&b)), pairs().map(|(x, y)| x * y));
    // The left operand is shared, so the result is written into the right one (reversed kernel).
    let lhs = vector(&a);
    let kept = lhs.clone();
    assert_bits("shared a - b", &to_vec(lhs - vector(&b)), pairs().map(|(x, y)| x - y));
    assert_bits("shared a / b", &to_vec(kept.clone() / vector(&b)), pairs().map(|(x, y)| x / y));
    // Both operands shared: a new buffer.
    let rhs = vector(&b);
    let both = to_vec(kept.clone() - rhs.clone());
    assert_bits("shared a - shared b", &both, pairs().map(|(x, y)| x - y));
    // The left operand a view at an offset, both shared.
    let (la, lb) = (vector(&a), vector(&b));
    let sum = to_vec(la.clone().slice([3..N]) + lb.clone().slice([0..N - 3]));
    assert_bits("view + view", &sum, a[3..].iter().zip(&b[..N - 3]).map(|(x, y)| x + y));
    assert_bits("inputs unchanged", &to_vec(la), a.iter().copied());
}

#[test]
fn scalar_ops_equal_the_per_element_operation() {
    let x = values(N, 4);
    assert_bits("x * 0.3 in place", &to_vec(vector(&x).mul_scalar(0.3)), x.iter().map(|v| v * 0.3));
    let shared = vector(&x);
    let kept = shared.clone();
    assert_bits("shared x * 0.3", &to_vec(shared.mul_scalar(0.3)), x.iter().map(|v| v * 0.3));
    assert_bits("shared input unchanged", &to_vec(kept), x.iter().copied());
}

#[test]
fn broadcast_ops_equal_the_per_element_operation() {
    let (rows, cols) = (300, 331);
    let m = values(rows * cols, 5);
    let (row, col) = (values(cols, 6), values(rows, 7));
    let matrix = || tensor(&m, [rows, cols]);
    let row_t = tensor(&row, [1, cols]);
    let col_t = tensor(&col, [rows, 1]);
    let want = |f: &dyn Fn(usize, usize) -> f32| -> Vec<f32> {
        (0..rows * cols).map(|i| f(i / cols, i % cols)).collect()
    };
    // In place into the matrix (nothing else holds it).
    let got = to_vec(matrix() - row_t.clone());
    assert_bits("m - row in place", &got, want(&|r, c| m[r * cols + c] - row[c]).into_iter());
    let got = to_vec(matrix() * col_t.clone());
    assert_bits("m * col in place", &got, want(&|r, c| m[r * cols + c] * col[r]).into_iter());
    // Into a new buffer (the matrix is shared).
    let shared = matrix();
    let got = to_vec(shared.clone() - row_t.clone());
    assert_bits("shared m - row", &got, want(&|r, c| m[r * cols + c] - row[c]).into_iter());
    let got = to_vec(col_t.clone() / shared.clone());
    assert_bits("col / shared m", &got, want(&|r, c| col[r] / m[r * cols + c]).into_iter());
    // A transposed view: strided, not dense.
    let got = to_vec(shared.clone().transpose() + col_t.clone().transpose());
    let want_t = (0..rows * cols).map(|i| (i / rows, i % rows)).map(|(c, r)| m[r * cols + c] + col[r]);
    assert_bits("m^T + col^T", &got, want_t);
    assert_bits("shared input unchanged", &to_vec(shared), m.iter().copied());
}

#[test]
fn sigmoid_is_the_two_branch_formula_over_flexs_exp() {
    // flex's f32 sigmoid is a vectorised loop of `e = exp(-|x|)`, then `1 / (1 + e)` for
    // x >= 0 and `e / (1 + e)` below: the same bits as the two-branch scalar form, whose
    // exponentials are flex's own `exp` (checked against f64 in flex_exp.rs).
    let mut x = values(N, 8);
    x[..8].copy_from_slice(&[0.0, -0.0, 95.0, -95.0, 20.0, -20.0, f32::INFINITY, f32::NEG_INFINITY]);
    let e = to_vec(vector(&x).abs().neg().exp());
    let want = || x.iter().zip(&e).map(|(&x, &e)| if x >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) });
    use burn::tensor::activation::sigmoid;
    assert_bits("sigmoid in place", &to_vec(sigmoid(vector(&x))), want());
    let shared = vector(&x);
    let kept = shared.clone();
    assert_bits("sigmoid of a shared tensor", &to_vec(sigmoid(shared)), want());
    assert_bits("the shared input is unchanged", &to_vec(kept), x.iter().copied());
    let view = to_vec(sigmoid(vector(&x).slice([5..N])));
    assert_bits("sigmoid of a view", &view, want().skip(5));
    // A strided view goes element by element through the same function.
    let (rows, cols) = (N / 17, 17);
    let strided = tensor(&x[..rows * cols], [rows, cols]).transpose();
    let got = to_vec(sigmoid(strided));
    let all: Vec<f32> = want().collect();
    assert_bits("sigmoid of a transposed view", &got, (0..rows * cols).map(|i| all[(i % rows) * cols + i / rows]));
    assert!(to_vec(sigmoid(vector(&[f32::NAN]))).iter().all(|v| v.is_nan()), "NaN stays NaN");
}

/// A sum large enough for flex to split over threads (4 Mi elements and more: the
/// gradients the global-norm clipping sums) adds its chunks' sums in order: the same bits
/// on one thread and on two, whichever thread takes which chunk. rayon's own `sum`
/// combined them in a tree of the stealing's shape, and two runs of the main job drifted
/// apart by its last bits (vendored change 7).
#[test]
fn large_sums_are_the_same_on_any_number_of_threads() {
    let n = 5 * 1024 * 1024 + 123;
    let x = values(n, 9);
    let sum_on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| to_vec(tensor(&x, [n]).sum())[0])
    };
    let one = sum_on(1);
    for threads in [2, 3, 2] {
        assert_eq!(sum_on(threads).to_bits(), one.to_bits(), "{threads} threads");
    }
    let exact: f64 = x.iter().map(|&v| v as f64).sum();
    assert!((one as f64 - exact).abs() <= 1e-6 * x.iter().map(|v| v.abs() as f64).sum::<f64>(), "{one} vs {exact}");
}
