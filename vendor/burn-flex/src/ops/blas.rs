//! Large f32 matrix products through a system OpenBLAS, found at run time.
//!
//! Where `libopenblas.so.0` can be loaded (Debian/Ubuntu: `apt install libopenblas0`), flex
//! hands its large 2-D f32 products to OpenBLAS's `cblas_sgemm` instead of the `gemm` crate:
//! on the 2-core AMD EPYC this project measures on, OpenBLAS runs the training shapes of
//! GPT-2 small at 135-149 GFLOP/s on two threads where gemm reaches 90-135. Without the
//! library, or with `LLM_BLAS=off`, products go to gemm as before; nothing is linked at build
//! time, so binaries run on machines without it.
//!
//! OpenBLAS runs single-threaded here, and the threads are ours: a product is cut into one
//! band of output rows (or columns, whichever dimension is larger) per rayon thread, each
//! band one `cblas_sgemm` call. Inside the training process OpenBLAS's own threading gave
//! results that changed from run to run (two identical runs of the main job differed in 10
//! of their first 40 losses, by up to 1e-6 relative, 2026-12-06; single-threaded calls
//! never did): the bands fix which call computes each element, so the same inputs give the
//! same bits for the same thread count.

use std::sync::OnceLock;

/// `cblas_sgemm(layout, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)`.
type Sgemm = unsafe extern "C" fn(
    i32, i32, i32, i32, i32, i32, f32, *const f32, i32, *const f32, i32, f32, *mut f32, i32,
);

const ROW_MAJOR: i32 = 101;
const NO_TRANS: i32 = 111;
const TRANS: i32 = 112;

/// The library names tried, in order.
const LIBRARIES: [&str; 2] = ["libopenblas.so.0", "libopenblas.so"];

struct OpenBlas {
    sgemm: Sgemm,
    /// Kept loaded for the process's lifetime: `sgemm` points into it.
    _library: libloading::Library,
}

static OPENBLAS: OnceLock<Option<OpenBlas>> = OnceLock::new();

fn load() -> Option<OpenBlas> {
    if matches!(std::env::var("LLM_BLAS").as_deref(), Ok("off" | "0" | "gemm")) {
        return None;
    }
    LIBRARIES.iter().find_map(|name| {
        // SAFETY: loading OpenBLAS runs its initialisers, which only set up its own state;
        // the symbols are looked up with the C signatures OpenBLAS documents.
        unsafe {
            let library = libloading::Library::new(name).ok()?;
            let sgemm = *library.get::<Sgemm>(b"cblas_sgemm\0").ok()?;
            let set_threads = library.get::<unsafe extern "C" fn(i32)>(b"openblas_set_num_threads\0").ok()?;
            set_threads(1);
            Some(OpenBlas { sgemm, _library: library })
        }
    })
}

/// Whether products go to OpenBLAS in this process.
pub fn available() -> bool {
    OPENBLAS.get_or_init(load).is_some()
}

/// How cblas sees one operand of `rows x cols` with the given element strides: transposed
/// or not, and its leading dimension; `None` when neither stride is 1 (or a dimension does
/// not fit an `i32`).
fn operand(rows: usize, cols: usize, row_stride: isize, col_stride: isize) -> Option<(i32, i32)> {
    let fits = |x: usize| i32::try_from(x).ok();
    if col_stride == 1 && row_stride >= cols.max(1) as isize {
        Some((NO_TRANS, fits(row_stride as usize)?))
    } else if row_stride == 1 && col_stride >= rows.max(1) as isize {
        Some((TRANS, fits(col_stride as usize)?))
    } else {
        None
    }
}

/// `out = lhs x rhs` for `[m, k] x [k, n]` with `out` row-major `[m, n]`, through OpenBLAS.
/// Returns false (and writes nothing) when OpenBLAS is not loaded or the strides are not
/// ones cblas takes.
///
/// # Safety
/// `lhs`, `rhs` and `out` must be valid for the elements the shapes and strides reach;
/// `out` must not overlap either operand.
#[allow(clippy::too_many_arguments)]
pub unsafe fn sgemm(
    m: usize,
    n: usize,
    k: usize,
    out: *mut f32,
    lhs: *const f32,
    lhs_row_stride: isize,
    lhs_col_stride: isize,
    rhs: *const f32,
    rhs_row_stride: isize,
    rhs_col_stride: isize,
) -> bool {
    let Some(blas) = OPENBLAS.get_or_init(load) else {
        return false;
    };
    let (Some((trans_a, lda)), Some((trans_b, ldb))) = (
        operand(m, k, lhs_row_stride, lhs_col_stride),
        operand(k, n, rhs_row_stride, rhs_col_stride),
    ) else {
        return false;
    };
    if i32::try_from(m).is_err() || i32::try_from(n).is_err() || i32::try_from(k).is_err() {
        return false;
    }
    let product = Product { sgemm: blas.sgemm, trans_a, trans_b, lda, ldb, k, n, lhs, rhs, out, lhs_row_stride, rhs_col_stride };
    let bands = bands(m, n, rayon::current_num_threads());
    // SAFETY: the caller's contract; the bands are disjoint blocks of `out`.
    rayon::scope(|scope| {
        for band in bands.iter().skip(1) {
            scope.spawn(move |_| unsafe { product.band(band, m) });
        }
        unsafe { product.band(&bands[0], m) };
    });
    true
}

/// A part of the output: rows `start..end` of all columns, or columns `start..end` of all
/// rows.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Band {
    rows: bool,
    start: usize,
    end: usize,
}

/// One band per thread along the larger of `m` and `n`, their bounds multiples of 16
/// (OpenBLAS's kernels work in blocks of 16 or 8): a function of the shape and the thread
/// count alone.
fn bands(m: usize, n: usize, threads: usize) -> Vec<Band> {
    let (rows, len) = if m >= n { (true, m) } else { (false, n) };
    let count = threads.min(len.div_ceil(16)).max(1);
    let width = len.div_ceil(count).div_ceil(16) * 16;
    (0..len).step_by(width).map(|start| Band { rows, start, end: (start + width).min(len) }).collect()
}

/// Everything one `cblas_sgemm` call of a band needs; the pointers are only read (and, for
/// `out`, written) inside the caller's borrow, by disjoint bands.
#[derive(Clone, Copy)]
struct Product {
    sgemm: Sgemm,
    trans_a: i32,
    trans_b: i32,
    lda: i32,
    ldb: i32,
    k: usize,
    n: usize,
    lhs: *const f32,
    rhs: *const f32,
    out: *mut f32,
    /// Elements between rows of `lhs` and between columns of `rhs`: where a band starts.
    lhs_row_stride: isize,
    rhs_col_stride: isize,
}

// SAFETY: a `Product` only lives inside `sgemm`'s scope, whose caller keeps the buffers alive
// and unaliased; the threads write disjoint bands of `out`.
unsafe impl Send for Product {}
unsafe impl Sync for Product {}

impl Product {
    /// `out[band] = lhs[band rows] x rhs` (or `lhs x rhs[band columns]`), single-threaded.
    ///
    /// # Safety
    /// As [`sgemm`]'s; bands computed concurrently must not overlap.
    unsafe fn band(&self, band: &Band, m: usize) {
        let p = self;
        let (rows, cols) = if band.rows { (band.end - band.start, p.n) } else { (m, band.end - band.start) };
        let (lhs, rhs, out) = if band.rows {
            (unsafe { p.lhs.offset(band.start as isize * p.lhs_row_stride) }, p.rhs, unsafe { p.out.add(band.start * p.n) })
        } else {
            (p.lhs, unsafe { p.rhs.offset(band.start as isize * p.rhs_col_stride) }, unsafe { p.out.add(band.start) })
        };
        // SAFETY: the band lies within the operands and the output (rows or columns
        // `start..end` of the checked shapes); `ldc = n` keeps the output's row stride.
        unsafe {
            (p.sgemm)(
                ROW_MAJOR, p.trans_a, p.trans_b, rows as i32, cols as i32, p.k as i32, 1.0, lhs, p.lda, rhs, p.ldb, 0.0,
                out, p.n as i32,
            )
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operand_layouts() {
        // Row-major [3, 4]: not transposed, leading dimension 4 (or a wider row).
        assert_eq!(operand(3, 4, 4, 1), Some((NO_TRANS, 4)));
        assert_eq!(operand(3, 4, 10, 1), Some((NO_TRANS, 10)));
        // A transposed view of a row-major [4, 3]: transposed, leading dimension 3.
        assert_eq!(operand(3, 4, 1, 3), Some((TRANS, 3)));
        // Neither stride 1, or rows overlapping: not for cblas.
        assert_eq!(operand(3, 4, 8, 2), None);
        assert_eq!(operand(3, 4, 2, 1), None);
    }
}
