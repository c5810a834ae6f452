//! Few-row matrix products (`[m, K] x [K, N]`, `m` at most [`MAX_ROWS`]) on all cores.
//!
//! Vendored addition (llm-rs): decoding with a KV cache multiplies one row per sequence by
//! every weight matrix of the model. `gemm` runs products below `PARALLEL_THRESHOLD`
//! multiply-adds on the calling thread, which covers every projection of a GPT-2 124M block,
//! so a decode step streamed ~500 MB of weights through one core; and a BLAS `sgemm` packs
//! the whole weight into a copy on every call, which for a few rows costs more than the
//! product. This path cuts the weight into bands of contiguous memory that the threads
//! stream once, each piece of weight used for every row while it is in cache. The bands and
//! the order of the additions depend on the shapes only, and each row's sums are added in
//! the same order whatever the number of rows, so a row's result depends neither on the
//! number of threads nor on the other rows (sequences decoded together get the bits they
//! get alone).

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_std::Shape;

use crate::FlexTensor;

/// At most this many rows of `lhs` (sequences decoded together, a short prompt); longer
/// inputs go to `gemm`, whose packing pays off over many rows.
pub(crate) const MAX_ROWS: usize = 16;

/// Rows of the weight summed into one partial output (row-major case).
const ROW_BLOCK: usize = 64;

/// Output columns accumulated at a time (16 KiB of `f32`, inside L1 and L2).
const COLUMN_TILE: usize = 4096;

/// Blocks of contiguous weight rows the transposed case is cut into (work for the threads).
const DOT_BLOCKS: usize = 16;

/// Partial sums of one dot product in the transposed case.
const DOT_LANES: usize = 16;

/// `lhs x rhs` when `lhs` has at most [`MAX_ROWS`] rows and `rhs` is a single `f32` matrix
/// whose rows or columns are contiguous (leading batch dimensions all of size one); `None`
/// otherwise, leaving the product to `gemm`. Small matrices take this path too, so that a
/// row's result never depends on how many rows came with it.
pub(crate) fn try_matmul_f32(lhs: &FlexTensor, rhs: &FlexTensor) -> Option<FlexTensor> {
    let (ls, rs) = (lhs.layout(), rhs.layout());
    let (l_dims, r_dims) = (ls.shape(), rs.shape());
    let (l_rank, r_rank) = (l_dims.num_dims(), r_dims.num_dims());
    let (m, k, n) = (l_dims[l_rank - 2], l_dims[l_rank - 1], r_dims[r_rank - 1]);
    let unit_batch = |dims: &Shape, rank: usize| (0..rank - 2).all(|i| dims[i] == 1);
    if lhs.dtype() != DType::F32
        || m == 0
        || m > MAX_ROWS
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
fn row_major(xs: &[f32], k: usize, w: &[f32], row_stride: usize, out: &mut [f32]) {
    let size = out.len(); // m · n
    let blocks = k.div_ceil(ROW_BLOCK);
    let mut partial = vec![0f32; blocks * size];
    crate::par::blocks_mut(&mut partial, size, |b, acc| {
        let rows = b * ROW_BLOCK..((b + 1) * ROW_BLOCK).min(k);
        accumulate_rows(acc, xs, k, rows.clone(), &w[rows.start * row_stride..], row_stride);
    });
    let (first, rest) = partial.split_at(size);
    out.copy_from_slice(first);
    for block in rest.chunks_exact(size) {
        for (o, &p) in out.iter_mut().zip(block) {
            *o += p;
        }
    }
}

/// `acc[i * n + j] += xs[i * k + c] * w[(c - rows.start) * row_stride + j]` for the weight
/// rows `c` in `rows`, in ascending order, for every row `i` of `xs`: four weight rows per
/// pass over a tile of columns, the tile of those four rows used for every row of `xs` while
/// it is in cache (for each row the same additions in the same order as one weight row per
/// pass and as a single row of `xs`; the multiply and the add stay separate operations on
/// every target). Compiled for each SIMD level the CPU may have and chosen at run time.
#[cfg_attr(feature = "simd", macerator::with_simd)]
#[allow(clippy::extra_unused_type_parameters)]
fn accumulate_rows<#[cfg(feature = "simd")] S: macerator::Simd>(
    acc: &mut [f32],
    xs: &[f32],
    k: usize,
    rows: core::ops::Range<usize>,
    w: &[f32],
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
                    sum += x[0] * a;
                    sum += x[1] * b;
                    sum += x[2] * c;
                    sum += x[3] * d;
                    *o = sum;
                }
            }
        }
        for r in count - count % 4..count {
            for (i, tile) in acc.chunks_exact_mut(n).enumerate() {
                let xr = xs[i * k + rows.start + r];
                for (o, &a) in tile[j0..j0 + len].iter_mut().zip(row(r)) {
                    *o += xr * a;
                }
            }
        }
    }
}

/// `out[i * n + j] = sum_c xs[i * k + c] * w[j * col_stride + c]`: dot products with
/// contiguous weight rows, each weight row used for every row of `xs` while it is in cache.
fn column_major(xs: &[f32], k: usize, w: &[f32], col_stride: usize, out: &mut [f32]) {
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
