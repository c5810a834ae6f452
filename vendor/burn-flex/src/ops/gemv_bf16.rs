//! Few-row products with `bf16` weights (`[m, K] x [K, N]`, `m` small) on all cores.
//!
//! Vendored addition (llm-rs): decoding reads every weight once per token, so weights kept
//! in `bf16` halve the bytes a step streams. Upstream multiplies `bf16` matrices by
//! converting both operands to new `f32` buffers on every call (for a 150k-word output head,
//! a 600 MB allocation per token). Here each weight is widened to `f32` as it is read (a
//! 16-bit shift) and accumulated in `f32` by `gemv.rs`'s kernels (each piece of weight used
//! for every row of `lhs` while in cache, each row's additions in the single-row order), and
//! only the output is rounded to `bf16`, as PyTorch's `bf16` `matmul` on CPU rounds it.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_std::{Shape, bf16};

use crate::FlexTensor;

use super::gemv::{column_major, row_major};

/// Products whose matrix has fewer elements than this stay with the upstream path.
const MIN_MATRIX_LEN: usize = 64 * 1024;

/// At most this many rows of `lhs` (sequences decoded together, a short prompt); longer
/// inputs stay with the upstream path.
const MAX_ROWS: usize = 64;

/// `lhs x rhs` for `bf16` operands when `lhs` has at most [`MAX_ROWS`] rows and `rhs` is a
/// single large matrix whose rows or columns are contiguous (leading batch dimensions all of
/// size one); `None` otherwise.
pub(crate) fn try_matmul_bf16(lhs: &FlexTensor, rhs: &FlexTensor) -> Option<FlexTensor> {
    let (ls, rs) = (lhs.layout(), rhs.layout());
    let (l_dims, r_dims) = (ls.shape(), rs.shape());
    let (l_rank, r_rank) = (l_dims.num_dims(), r_dims.num_dims());
    let (m, k, n) = (l_dims[l_rank - 2], l_dims[l_rank - 1], r_dims[r_rank - 1]);
    let unit_batch = |dims: &Shape, rank: usize| (0..rank - 2).all(|i| dims[i] == 1);
    if lhs.dtype() != DType::BF16
        || rhs.dtype() != DType::BF16
        || m == 0
        || m > MAX_ROWS
        || k.saturating_mul(n) < MIN_MATRIX_LEN
        || !unit_batch(l_dims, l_rank)
        || !unit_batch(r_dims, r_rank)
    {
        return None;
    }
    let (r_row, r_col) = (rs.strides()[r_rank - 2], rs.strides()[r_rank - 1]);
    let (l_row, l_col) = (ls.strides()[l_rank - 2], ls.strides()[l_rank - 1]);
    if l_row < 0 || l_col < 0 || r_row < 0 || r_col < 0 || (r_col != 1 && r_row != 1) {
        return None;
    }
    let x_all: &[bf16] = lhs.storage();
    let w_all: &[bf16] = rhs.storage();
    let w: &[u16] = bytemuck::cast_slice(&w_all[rs.start_offset()..]);
    // The rows of `lhs`, widened and contiguous: `xs[i * k + c]`.
    let at = |i: usize, c: usize| x_all[ls.start_offset() + i * l_row as usize + c * l_col as usize].to_f32();
    let xs: Vec<f32> = (0..m).flat_map(|i| (0..k).map(move |c| at(i, c))).collect();
    let mut out = vec![0f32; m * n];
    if r_col == 1 {
        row_major(&xs, k, w, r_row as usize, &mut out);
    } else {
        column_major(&xs, k, w, r_col as usize, &mut out);
    }
    let mut dims = vec![1usize; l_rank.max(r_rank) - 2];
    dims.extend([m, n]);
    let mut output = FlexTensor::empty(Shape::from(dims), DType::BF16);
    let dst: &mut [bf16] = output.storage_mut();
    for (d, &v) in dst.iter_mut().zip(&out) {
        *d = bf16::from_f32(v);
    }
    Some(output)
}

