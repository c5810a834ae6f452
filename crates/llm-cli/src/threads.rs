//! Running a whole job on one of rayon's threads.
//!
//! The CPU backends (flex, ndarray) cut element-wise loops and matrix products into parts
//! for rayon's global pool. Called from a thread outside the pool, such as a program's
//! main thread, every such operation is handed over to the pool and the caller sleeps until
//! it is done: two thread wake-ups per operation (thousands in a training step) while the
//! caller itself does none of the work. Called from one of the pool's threads, the caller
//! runs its share and the others steal the rest. On the 2-core AMD EPYC of 2026-11-28,
//! flex with 2 threads, alternating in one process: GPT_CONFIG_124M training steps took a
//! median 4.29 / 4.70 / 4.37 / 4.33 s on the pool against 4.68 / 4.87 / 4.58 / 4.45 s from
//! the main thread in four runs (1.03-1.09x), cached decoding 39.7 against 38.5 tokens/s.
//!
//! ```ignore
//! let sum: u64 = crate::threads::on_pool(|| {
//!     assert!(rayon::current_thread_index().is_some());
//!     (0..1000u64).sum()
//! });
//! assert_eq!(sum, 499_500);
//! ```

/// Runs `job` on a thread of rayon's global pool and returns its result; on the calling
/// thread if that is already a rayon thread (of any pool). A panic in `job` resumes on the
/// caller.
pub fn on_pool<T: Send>(job: impl FnOnce() -> T + Send) -> T {
    if rayon::current_thread_index().is_some() {
        return job();
    }
    rayon::join(job, || ()).0
}

#[cfg(test)]
mod tests {
    use super::on_pool;

    #[test]
    fn runs_on_a_pool_thread_and_nests() {
        assert_eq!(rayon::current_thread_index(), None, "the test harness's threads are not rayon's");
        let (outer, inner) = on_pool(|| (rayon::current_thread_index(), on_pool(rayon::current_thread_index)));
        assert!(outer.is_some(), "the job runs on a pool thread");
        assert_eq!(inner, outer, "a job started on the pool runs where it is");
    }

    #[test]
    fn a_panic_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| on_pool(|| panic!("from the pool")));
        let message = caught.expect_err("the panic propagates");
        assert_eq!(message.downcast_ref::<&str>(), Some(&"from the pool"));
    }
}
