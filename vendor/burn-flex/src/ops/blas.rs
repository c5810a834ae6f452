//! Large f32 matrix products through a system OpenBLAS, found at run time.
//!
//! Where `libopenblas.so.0` can be loaded (Debian/Ubuntu: `apt install libopenblas0`), flex
//! hands its large 2-D f32 products to OpenBLAS's `cblas_sgemm` instead of the `gemm` crate:
//! on the 2-core AMD EPYC this project measures on, OpenBLAS runs the training shapes of
//! GPT-2 small at 135-149 GFLOP/s on two threads where gemm reaches 90-135. Without the
//! library, or with `LLM_BLAS=off`, products go to gemm as before; nothing is linked at build
//! time, so binaries run on machines without it.

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
            if let Ok(set_threads) = library.get::<unsafe extern "C" fn(i32)>(b"openblas_set_num_threads\0") {
                set_threads(rayon::current_num_threads().max(1) as i32);
            }
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
    let (Ok(m), Ok(n), Ok(k)) = (i32::try_from(m), i32::try_from(n), i32::try_from(k)) else {
        return false;
    };
    // SAFETY: the caller's contract; cblas reads `lhs`/`rhs` within the shapes and leading
    // dimensions checked above and writes `m x n` elements of `out` with row stride `n`.
    unsafe { (blas.sgemm)(ROW_MAJOR, trans_a, trans_b, m, n, k, 1.0, lhs, lda, rhs, ldb, 0.0, out, n) };
    true
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
