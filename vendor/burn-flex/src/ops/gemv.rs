//! Vector-matrix products (`[1, K] x [K, N]`) on all cores.
//!
//! Vendored addition (llm-rs): decoding with a KV cache multiplies one row by every weight
//! matrix of the model. `gemm` runs products below `PARALLEL_THRESHOLD` multiply-adds on
//! the calling thread, which covers every projection of a GPT-2 124M block, so a decode
//! step streamed ~500 MB of weights through one core. This path cuts the weight into bands
//! of contiguous memory that the threads stream; the bands and the order of the additions
//! depend on the shapes only, so the result does not depend on the number of threads.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_std::Shape;

use crate::FlexTensor;

/// Products whose matrix has fewer elements than this stay with `gemm`.
const MIN_MATRIX_LEN: usize = 64 * 1024;

/// Rows of the weight summed into one partial output (row-major case).
const ROW_BLOCK: usize = 64;

/// Output columns accumulated at a time (16 KiB of `f32`, inside L1 and L2).
const COLUMN_TILE: usize = 4096;

/// Blocks of contiguous weight rows the transposed case is cut into (work for the threads).
const DOT_BLOCKS: usize = 16;

/// Partial sums of one dot product in the transposed case.
const DOT_LANES: usize = 16;

/// `lhs x rhs` when `lhs` is a single row and `rhs` a single large `f32` matrix whose rows
/// or columns are contiguous (leading batch dimensions all of size one); `None` otherwise,
/// leaving the product to `gemm`.
pub(crate) fn try_matmul_f32(lhs: &FlexTensor, rhs: &FlexTensor) -> Option<FlexTensor> {
    let (ls, rs) = (lhs.layout(), rhs.layout());
    let (l_dims, r_dims) = (ls.shape(), rs.shape());
    let (l_rank, r_rank) = (l_dims.num_dims(), r_dims.num_dims());
    let (m, k, n) = (l_dims[l_rank - 2], l_dims[l_rank - 1], r_dims[r_rank - 1]);
    let unit_batch = |dims: &Shape, rank: usize| (0..rank - 2).all(|i| dims[i] == 1);
    if lhs.dtype() != DType::F32
        || m != 1
        || k.saturating_mul(n) < MIN_MATRIX_LEN
        || !unit_batch(l_dims, l_rank)
        || !unit_batch(r_dims, r_rank)
    {
        return None;
    }
    let (r_row, r_col) = (rs.strides()[r_rank - 2], rs.strides()[r_rank - 1]);
    let l_step = ls.strides()[l_rank - 1];
    if l_step < 0 || r_row < 0 || r_col < 0 {
        return None;
    }
    let x_all: &[f32] = lhs.storage();
    let w_all: &[f32] = rhs.storage();
    let x: Vec<f32> = (0..k).map(|i| x_all[ls.start_offset() + i * l_step as usize]).collect();
    let w = &w_all[rs.start_offset()..];
    if r_col != 1 && r_row != 1 {
        return None;
    }
    let mut dims = vec![1usize; l_rank.max(r_rank) - 1];
    dims.push(n);
    let mut output = FlexTensor::empty(Shape::from(dims), DType::F32);
    let out: &mut [f32] = output.storage_mut();
    if r_col == 1 {
        row_major(&x, w, r_row as usize, out);
    } else {
        column_major(&x, w, r_col as usize, out);
    }
    Some(output)
}

/// `out[j] = sum_k x[k] * w[k * row_stride + j]`.
///
/// Each thread streams a contiguous band of rows: the rows are cut into blocks of
/// [`ROW_BLOCK`], every block sums its rows into its own partial output (in ascending `k`),
/// and the partial outputs are added in block order. Cutting the columns instead had each
/// thread read half of every row, which the hardware prefetcher streams far worse (about
/// two thirds of the throughput on GPT-2's projections).
fn row_major(x: &[f32], w: &[f32], row_stride: usize, out: &mut [f32]) {
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

/// `acc[j] += x[r] * w[r * row_stride + j]` for the rows `r` of `x` in ascending order,
/// four rows per pass over a tile of `acc` (same additions in the same order as one row per
/// pass; the multiply and the add stay separate operations on every target). Compiled for
/// each SIMD level the CPU may have and chosen at run time.
#[cfg_attr(feature = "simd", macerator::with_simd)]
#[allow(clippy::extra_unused_type_parameters)]
fn accumulate_rows<#[cfg(feature = "simd")] S: macerator::Simd>(
    acc: &mut [f32],
    x: &[f32],
    w: &[f32],
    row_stride: usize,
) {
    for (t, tile) in acc.chunks_mut(COLUMN_TILE).enumerate() {
        let (j0, len) = (t * COLUMN_TILE, tile.len());
        let row = |r: usize| &w[r * row_stride + j0..][..len];
        let mut quads = x.chunks_exact(4);
        for (q, xs) in quads.by_ref().enumerate() {
            let r = 4 * q;
            let (w0, w1, w2, w3) = (row(r), row(r + 1), row(r + 2), row(r + 3));
            for ((((o, &a), &b), &c), &d) in tile.iter_mut().zip(w0).zip(w1).zip(w2).zip(w3) {
                let mut sum = *o;
                sum += xs[0] * a;
                sum += xs[1] * b;
                sum += xs[2] * c;
                sum += xs[3] * d;
                *o = sum;
            }
        }
        let done = x.len() - quads.remainder().len();
        for (i, &xr) in quads.remainder().iter().enumerate() {
            for (o, &a) in tile.iter_mut().zip(row(done + i)) {
                *o += xr * a;
            }
        }
    }
}

/// `out[j] = sum_k x[k] * w[j * col_stride + k]`: dot products with contiguous rows.
fn column_major(x: &[f32], w: &[f32], col_stride: usize, out: &mut [f32]) {
    let k = x.len();
    let block = out.len().div_ceil(DOT_BLOCKS);
    crate::par::blocks_mut(out, block, |b, outs| {
        for (i, o) in outs.iter_mut().enumerate() {
            *o = dot(x, &w[(b * block + i) * col_stride..][..k]);
        }
    });
}

/// Dot product with [`DOT_LANES`] partial sums (a fixed order, so vectorisable and
/// reproducible), added pairwise at the end. Compiled per SIMD level like
/// [`accumulate_rows`].
#[cfg_attr(feature = "simd", macerator::with_simd)]
#[allow(clippy::extra_unused_type_parameters)]
fn dot<#[cfg(feature = "simd")] S: macerator::Simd>(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; DOT_LANES];
    let (a_main, a_tail) = a.split_at(a.len() - a.len() % DOT_LANES);
    let (b_main, b_tail) = b.split_at(a_main.len());
    for (ca, cb) in a_main.chunks_exact(DOT_LANES).zip(b_main.chunks_exact(DOT_LANES)) {
        for l in 0..DOT_LANES {
            acc[l] += ca[l] * cb[l];
        }
    }
    for (l, (&p, &q)) in a_tail.iter().zip(b_tail).enumerate() {
        acc[l] += p * q;
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
