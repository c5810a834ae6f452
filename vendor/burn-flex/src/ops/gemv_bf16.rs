//! Few-row products with `bf16` weights (`[m, K] x [K, N]`, `m` small) on all cores.
//!
//! Vendored addition (llm-rs): decoding reads every weight once per token, so weights kept
//! in `bf16` halve the bytes a step streams. Upstream multiplies `bf16` matrices by
//! converting both operands to new `f32` buffers on every call (for a 150k-word output head,
//! a 600 MB allocation per token). Here each weight is widened to `f32` as it is read (a
//! 16-bit shift) and accumulated in `f32`; the rows of `lhs` are taken one at a time, and
//! only the output is rounded to `bf16`, as PyTorch's `bf16` `matmul` on CPU rounds it.
//! Bands and the order of the additions depend on the shapes only, as in `gemv.rs`.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_std::{Shape, bf16};

use crate::FlexTensor;

/// Products whose matrix has fewer elements than this stay with the upstream path.
const MIN_MATRIX_LEN: usize = 64 * 1024;

/// At most this many rows of `lhs` (a decoding step, a short prompt); longer inputs stay
/// with the upstream path.
const MAX_ROWS: usize = 64;

/// Rows of the weight summed into one partial output (row-major case).
const ROW_BLOCK: usize = 64;

/// Output columns accumulated at a time.
const COLUMN_TILE: usize = 4096;

/// Blocks of contiguous weight rows the transposed case is cut into.
const DOT_BLOCKS: usize = 16;

/// Partial sums of one dot product in the transposed case.
const DOT_LANES: usize = 16;

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
    let mut out = vec![0f32; m * n];
    for (row, out_row) in out.chunks_exact_mut(n).enumerate() {
        let start = ls.start_offset() + row * l_row as usize;
        let x: Vec<f32> = (0..k).map(|i| x_all[start + i * l_col as usize].to_f32()).collect();
        if r_col == 1 {
            row_major(&x, w, r_row as usize, out_row);
        } else {
            column_major(&x, w, r_col as usize, out_row);
        }
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

/// `bf16` bits widened to the `f32` they stand for.
#[inline(always)]
fn widen(bits: u16) -> f32 {
    f32::from_bits((bits as u32) << 16)
}

/// `out[j] = sum_k x[k] * w[k * row_stride + j]`, threads streaming bands of rows.
fn row_major(x: &[f32], w: &[u16], row_stride: usize, out: &mut [f32]) {
    let n = out.len();
    let blocks = x.len().div_ceil(ROW_BLOCK);
    let mut partial = vec![0f32; blocks * n];
    crate::par::blocks_mut(&mut partial, n, |b, acc| {
        let rows = b * ROW_BLOCK..((b + 1) * ROW_BLOCK).min(x.len());
        accumulate_rows(acc, &x[rows.clone()], &w[rows.start * row_stride..], row_stride);
    });
    let (first, rest) = partial.split_at(n);
    out.copy_from_slice(first);
    for block in rest.chunks_exact(n) {
        for (o, &p) in out.iter_mut().zip(block) {
            *o += p;
        }
    }
}

/// `acc[j] += x[r] * w[r * row_stride + j]` for the rows `r` of `x`, four rows per pass over
/// a tile of `acc`. Compiled for each SIMD level the CPU may have and chosen at run time.
#[cfg_attr(feature = "simd", macerator::with_simd)]
#[allow(clippy::extra_unused_type_parameters)]
fn accumulate_rows<#[cfg(feature = "simd")] S: macerator::Simd>(acc: &mut [f32], x: &[f32], w: &[u16], row_stride: usize) {
    for (t, tile) in acc.chunks_mut(COLUMN_TILE).enumerate() {
        let (j0, len) = (t * COLUMN_TILE, tile.len());
        let row = |r: usize| &w[r * row_stride + j0..][..len];
        let mut quads = x.chunks_exact(4);
        for (q, xs) in quads.by_ref().enumerate() {
            let r = 4 * q;
            let (w0, w1, w2, w3) = (row(r), row(r + 1), row(r + 2), row(r + 3));
            for ((((o, &a), &b), &c), &d) in tile.iter_mut().zip(w0).zip(w1).zip(w2).zip(w3) {
                let mut sum = *o;
                sum += xs[0] * widen(a);
                sum += xs[1] * widen(b);
                sum += xs[2] * widen(c);
                sum += xs[3] * widen(d);
                *o = sum;
            }
        }
        let done = x.len() - quads.remainder().len();
        for (i, &xr) in quads.remainder().iter().enumerate() {
            for (o, &a) in tile.iter_mut().zip(row(done + i)) {
                *o += xr * widen(a);
            }
        }
    }
}

/// `out[j] = sum_k x[k] * w[j * col_stride + k]`: dot products with contiguous rows (a tied
/// output head reads the embedding this way).
fn column_major(x: &[f32], w: &[u16], col_stride: usize, out: &mut [f32]) {
    let k = x.len();
    let block = out.len().div_ceil(DOT_BLOCKS);
    crate::par::blocks_mut(out, block, |b, outs| {
        for (i, o) in outs.iter_mut().enumerate() {
            *o = dot(x, &w[(b * block + i) * col_stride..][..k]);
        }
    });
}

/// Dot product with [`DOT_LANES`] partial sums added pairwise at the end.
#[cfg_attr(feature = "simd", macerator::with_simd)]
#[allow(clippy::extra_unused_type_parameters)]
fn dot<#[cfg(feature = "simd")] S: macerator::Simd>(a: &[f32], b: &[u16]) -> f32 {
    let mut acc = [0f32; DOT_LANES];
    let (a_main, a_tail) = a.split_at(a.len() - a.len() % DOT_LANES);
    let (b_main, b_tail) = b.split_at(a_main.len());
    for (ca, cb) in a_main.chunks_exact(DOT_LANES).zip(b_main.chunks_exact(DOT_LANES)) {
        for l in 0..DOT_LANES {
            acc[l] += ca[l] * widen(cb[l]);
        }
    }
    for (l, (&p, &q)) in a_tail.iter().zip(b_tail).enumerate() {
        acc[l] += p * widen(q);
    }
    let mut width = DOT_LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            acc[l] += acc[l + width];
        }
    }
    acc[0]
}
