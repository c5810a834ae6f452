//! Vector-matrix products (`[1, K] x [K, N]`) on all cores, and the kernels of few-row
//! products with `bf16` weights (`gemv_bf16.rs`).
//!
//! Vendored addition (llm-rs): decoding with a KV cache multiplies one row by every weight
//! matrix of the model. `gemm` runs products below `PARALLEL_THRESHOLD` multiply-adds on
//! the calling thread, which covers every projection of a GPT-2 124M block, so a decode
//! step streamed ~500 MB of weights through one core. This path cuts the weight into bands
//! of contiguous memory that the threads stream; the bands and the order of the additions
//! depend on the shapes only, so the result does not depend on the number of threads. The
//! kernels take several rows too, each piece of weight used for every row while in cache and
//! each row's sums added in the order of a single row (so a row's result does not depend on
//! the rows beside it); `f32` products of several rows still go to `gemm` or OpenBLAS,
//! which measured faster (`docs/serving.md`), `bf16` ones come here.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_std::Shape;

use crate::FlexTensor;

/// Products whose matrix has fewer elements than this stay with `gemm`.
const MIN_MATRIX_LEN: usize = 64 * 1024;

/// Partial sums a row-major product keeps at once (16 MiB): wider outputs are done a band
/// of columns at a time (which leaves the order of every sum as it is).
const PARTIAL_FLOATS: usize = 4 << 20;

/// An element of a weight matrix: `f32`, or `bf16` bits (`gemv_bf16.rs`) widened to the
/// `f32` they stand for as they are read.
pub(crate) trait Weight: Copy + Send + Sync {
    fn widen(self) -> f32;
}

impl Weight for f32 {
    #[inline(always)]
    fn widen(self) -> f32 {
        self
    }
}

impl Weight for u16 {
    #[inline(always)]
    fn widen(self) -> f32 {
        f32::from_bits((self as u32) << 16)
    }
}

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
    let (l_row, l_col) = (ls.strides()[l_rank - 2], ls.strides()[l_rank - 1]);
    if l_row < 0 || l_col < 0 || r_row < 0 || r_col < 0 || (r_col != 1 && r_row != 1) {
        return None;
    }
    let x_all: &[f32] = lhs.storage();
    let w_all: &[f32] = rhs.storage();
    // The rows of `lhs`, contiguous: `xs[i * k + c]`.
    let at = |i: usize, c: usize| x_all[ls.start_offset() + i * l_row as usize + c * l_col as usize];
    let xs: Vec<f32> = (0..m).flat_map(|i| (0..k).map(move |c| at(i, c))).collect();
    let w = &w_all[rs.start_offset()..];
    let mut dims = vec![1usize; l_rank.max(r_rank) - 2];
    dims.extend([m, n]);
    let mut output = FlexTensor::empty(Shape::from(dims), DType::F32);
    let out: &mut [f32] = output.storage_mut();
    if r_col == 1 {
        row_major(&xs, k, w, r_row as usize, out);
    } else {
        column_major(&xs, k, w, r_col as usize, out);
    }
    Some(output)
}

/// `out[i * n + j] = sum_c xs[i * k + c] * w[c * row_stride + j]` for every row `i` of `xs`.
///
/// Each thread streams a contiguous band of weight rows: the rows are cut into blocks of
/// [`ROW_BLOCK`], every block sums its rows into its own partial output (in ascending `c`),
/// and the partial outputs are added in block order. Cutting the columns instead had each
/// thread read half of every row, which the hardware prefetcher streams far worse (about
/// two thirds of the throughput on GPT-2's projections).
pub(crate) fn row_major<E: Weight>(xs: &[f32], k: usize, w: &[E], row_stride: usize, out: &mut [f32]) {
    let m = xs.len() / k;
    let n = out.len() / m;
    let blocks = k.div_ceil(ROW_BLOCK);
    let width = n.min((PARTIAL_FLOATS / (blocks * m)).max(COLUMN_TILE));
    let mut partial = vec![0f32; blocks * m * width];
    for j0 in (0..n).step_by(width) {
        let cols = width.min(n - j0);
        let size = m * cols; // one block's partial rows: [m, cols]
        let partial = &mut partial[..blocks * size];
        if j0 > 0 {
            partial.fill(0.0);
        }
        crate::par::blocks_mut(partial, size, |b, acc| {
            let rows = b * ROW_BLOCK..((b + 1) * ROW_BLOCK).min(k);
            accumulate_rows(acc, xs, k, rows.clone(), &w[rows.start * row_stride + j0..], row_stride);
        });
        for i in 0..m {
            let out_row = &mut out[i * n + j0..][..cols];
            out_row.copy_from_slice(&partial[i * cols..][..cols]);
            for block in partial.chunks_exact(size).skip(1) {
                for (o, &p) in out_row.iter_mut().zip(&block[i * cols..][..cols]) {
                    *o += p;
                }
            }
        }
    }
}

/// `acc[i * n + j] += xs[i * k + c] * w[(c - rows.start) * row_stride + j]` for the weight
/// rows `c` in `rows`, in ascending order, for every row `i` of `xs`; a single row through
/// its own loop (the one that measured fastest for it), several through
/// [`accumulate_several_rows`], with the same additions in the same order for each row.
fn accumulate_rows<E: Weight>(acc: &mut [f32], xs: &[f32], k: usize, rows: core::ops::Range<usize>, w: &[E], row_stride: usize) {
    if xs.len() == k {
        accumulate_one_row(acc, &xs[rows], w, row_stride);
    } else {
        accumulate_several_rows(acc, xs, k, rows, w, row_stride);
    }
}

/// `acc[j] += x[r] * w[r * row_stride + j]` for the rows `r` of `x` in ascending order,
/// four rows per pass over a tile of `acc` (same additions in the same order as one row per
/// pass; the multiply and the add stay separate operations on every target). Compiled for
/// each SIMD level the CPU may have and chosen at run time.
#[cfg_attr(feature = "simd", macerator::with_simd)]
#[allow(clippy::extra_unused_type_parameters)]
fn accumulate_one_row<#[cfg(feature = "simd")] S: macerator::Simd, E: Weight>(
    acc: &mut [f32],
    x: &[f32],
    w: &[E],
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
                sum += xs[0] * a.widen();
                sum += xs[1] * b.widen();
                sum += xs[2] * c.widen();
                sum += xs[3] * d.widen();
                *o = sum;
            }
        }
        let done = x.len() - quads.remainder().len();
        for (i, &xr) in quads.remainder().iter().enumerate() {
            for (o, &a) in tile.iter_mut().zip(row(done + i)) {
                *o += xr * a.widen();
            }
        }
    }
}

/// [`accumulate_rows`] for several rows of `xs`: four weight rows per
/// pass over a tile of columns, the tile of those four rows used for every row of `xs` while
/// it is in cache (for each row the same additions in the same order as one weight row per
/// pass and as a single row of `xs`; the multiply and the add stay separate operations on
/// every target). Compiled for each SIMD level the CPU may have and chosen at run time.
#[cfg_attr(feature = "simd", macerator::with_simd)]
#[allow(clippy::extra_unused_type_parameters)]
fn accumulate_several_rows<#[cfg(feature = "simd")] S: macerator::Simd, E: Weight>(
    acc: &mut [f32],
    xs: &[f32],
    k: usize,
    rows: core::ops::Range<usize>,
    w: &[E],
    row_stride: usize,
) {
    let m = xs.len() / k;
    let n = acc.len() / m;
    let count = rows.len();
    for j0 in (0..n).step_by(COLUMN_TILE) {
        let len = COLUMN_TILE.min(n - j0);
        let row = |r: usize| &w[r * row_stride + j0..][..len];
        for q in 0..count / 4 {
            let r = 4 * q;
            let (w0, w1, w2, w3) = (row(r), row(r + 1), row(r + 2), row(r + 3));
            for (i, tile) in acc.chunks_exact_mut(n).enumerate() {
                let x = &xs[i * k + rows.start + r..][..4];
                for ((((o, &a), &b), &c), &d) in tile[j0..j0 + len].iter_mut().zip(w0).zip(w1).zip(w2).zip(w3) {
                    let mut sum = *o;
                    sum += x[0] * a.widen();
                    sum += x[1] * b.widen();
                    sum += x[2] * c.widen();
                    sum += x[3] * d.widen();
                    *o = sum;
                }
            }
        }
        for r in count - count % 4..count {
            for (i, tile) in acc.chunks_exact_mut(n).enumerate() {
                let xr = xs[i * k + rows.start + r];
                for (o, &a) in tile[j0..j0 + len].iter_mut().zip(row(r)) {
                    *o += xr * a.widen();
                }
            }
        }
    }
}

/// `out[i * n + j] = sum_c xs[i * k + c] * w[j * col_stride + c]`: dot products with
/// contiguous weight rows, each weight row used for every row of `xs` while it is in cache.
pub(crate) fn column_major<E: Weight>(xs: &[f32], k: usize, w: &[E], col_stride: usize, out: &mut [f32]) {
    let m = xs.len() / k;
    let n = out.len() / m;
    let block = n.div_ceil(DOT_BLOCKS);
    // Column by column (`[n, m]`), so that each thread writes one contiguous block.
    let mut by_column = vec![0f32; n * m];
    crate::par::blocks_mut(&mut by_column, block * m, |b, outs| {
        for (jj, column) in outs.chunks_exact_mut(m).enumerate() {
            let weights = &w[(b * block + jj) * col_stride..][..k];
            for (i, o) in column.iter_mut().enumerate() {
                *o = dot(&xs[i * k..][..k], weights);
            }
        }
    });
    for (j, column) in by_column.chunks_exact(m).enumerate() {
        for (i, &v) in column.iter().enumerate() {
            out[i * n + j] = v;
        }
    }
}

/// Dot product with [`DOT_LANES`] partial sums (a fixed order, so vectorisable and
/// reproducible), added pairwise at the end. Compiled per SIMD level like
/// [`accumulate_rows`].
#[cfg_attr(feature = "simd", macerator::with_simd)]
#[allow(clippy::extra_unused_type_parameters)]
fn dot<#[cfg(feature = "simd")] S: macerator::Simd, E: Weight>(a: &[f32], b: &[E]) -> f32 {
    let mut acc = [0f32; DOT_LANES];
    let (a_main, a_tail) = a.split_at(a.len() - a.len() % DOT_LANES);
    let (b_main, b_tail) = b.split_at(a_main.len());
    for (ca, cb) in a_main.chunks_exact(DOT_LANES).zip(b_main.chunks_exact(DOT_LANES)) {
        for l in 0..DOT_LANES {
            acc[l] += ca[l] * cb[l].widen();
        }
    }
    for (l, (&p, &q)) in a_tail.iter().zip(b_tail).enumerate() {
        acc[l] += p * q.widen();
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
