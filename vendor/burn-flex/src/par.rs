//! Element-wise loops over large contiguous buffers, split across rayon's threads.
//!
//! Vendored addition (llm-rs): upstream burn-flex 0.22.1 runs every element-wise operation
//! on the calling thread, so on a multi-core CPU a training step's activations, masks and
//! losses used one core while the matrix products used all of them. Buffers of at least
//! [`GRAIN`] elements are cut into one chunk per thread (never smaller than `GRAIN`); each
//! element is still computed by the same function on the same inputs, so results are
//! identical to the serial loop.

use alloc::vec::Vec;

/// Buffers smaller than this many elements stay on the calling thread (PyTorch's
/// `at::internal::GRAIN_SIZE`).
pub(crate) const GRAIN: usize = 32 * 1024;

#[cfg(feature = "rayon")]
fn chunk_len(len: usize) -> usize {
    len.div_ceil(rayon::current_num_threads().max(1)).max(GRAIN)
}

/// Cuts `data`, the rows of a row-major buffer with `rows` rows of equal length, into blocks
/// of whole rows and calls `f(row range, block)` on each, in parallel when `data` is large.
/// The one splitting rule of this module; the helpers below are this with rows of one element.
pub(crate) fn outer_chunks_mut<E: Send>(
    data: &mut [E],
    rows: usize,
    f: impl Fn(core::ops::Range<usize>, &mut [E]) + Sync,
) {
    let row_len = if rows == 0 { 0 } else { data.len() / rows };
    debug_assert_eq!(row_len * rows, data.len());
    #[cfg(feature = "rayon")]
    if data.len() >= 2 * GRAIN && rows > 1 && rayon::current_num_threads() > 1 {
        let rows_per_chunk = chunk_len(data.len()).div_ceil(row_len).min(rows);
        blocks_mut(data, rows_per_chunk * row_len, |i, block| {
            let start = i * rows_per_chunk;
            f(start..start + block.len() / row_len, block)
        });
        return;
    }
    f(0..rows, data)
}

/// Calls `f(index, block)` on consecutive blocks of `len` elements of `data` (the last one
/// may be shorter), on rayon's threads whatever their size.
pub(crate) fn blocks_mut<E: Send>(data: &mut [E], len: usize, f: impl Fn(usize, &mut [E]) + Sync) {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        data.par_chunks_mut(len).enumerate().for_each(|(i, block)| f(i, block));
    }
    #[cfg(not(feature = "rayon"))]
    data.chunks_mut(len).enumerate().for_each(|(i, block)| f(i, block));
}

/// Calls `f` on consecutive chunks of `data`, in parallel when `data` is large.
pub(crate) fn chunks_mut<E: Send>(data: &mut [E], f: impl Fn(&mut [E]) + Sync) {
    outer_chunks_mut(data, data.len(), |_, chunk| f(chunk))
}

/// Calls `f` on matching chunks of `dst` and `src` (same length), in parallel when large.
pub(crate) fn zip_chunks_mut<D: Send, S: Sync>(
    dst: &mut [D],
    src: &[S],
    f: impl Fn(&mut [D], &[S]) + Sync,
) {
    assert_eq!(dst.len(), src.len(), "zip_chunks_mut: slices of different lengths");
    outer_chunks_mut(dst, src.len(), |range, chunk| f(chunk, &src[range]))
}

/// `src.iter().map(f).collect()`, in parallel when `src` is large.
pub(crate) fn map<S: Sync + Copy, E: Send>(src: &[S], f: impl Fn(S) -> E + Sync) -> Vec<E> {
    map2(src, src, |x, _| f(x))
}

/// `a.iter().zip(b).map(f).collect()` for slices of equal length, in parallel when large.
pub(crate) fn map2<A: Sync + Copy, B: Sync + Copy, E: Send>(
    a: &[A],
    b: &[B],
    f: impl Fn(A, B) -> E + Sync,
) -> Vec<E> {
    let n = a.len();
    assert_eq!(n, b.len(), "map2: operands of different lengths");
    let mut out: Vec<E> = Vec::with_capacity(n);
    outer_chunks_mut(&mut out.spare_capacity_mut()[..n], n, |range, chunk| {
        for ((o, &x), &y) in chunk.iter_mut().zip(&a[range.clone()]).zip(&b[range]) {
            o.write(f(x, y));
        }
    });
    // SAFETY: every one of the first `n` slots was written above.
    unsafe { out.set_len(n) };
    out
}

/// `vec![value; n]`, filled in parallel when `n` is large.
pub(crate) fn filled<E: Copy + Send + Sync>(value: E, n: usize) -> Vec<E> {
    let mut out: Vec<E> = Vec::with_capacity(n);
    chunks_mut(&mut out.spare_capacity_mut()[..n], |chunk| {
        for slot in chunk {
            slot.write(value);
        }
    });
    // SAFETY: every one of the first `n` slots was written above.
    unsafe { out.set_len(n) };
    out
}
