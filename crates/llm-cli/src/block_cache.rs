//! A global allocator that keeps large freed blocks for the next allocation of the same size.
//!
//! A training step on a CPU backend allocates and frees the same large tensors every step
//! (logits, their gradients, activations). glibc serves blocks over 32 MiB with a fresh
//! `mmap` each time, and the kernel then zeroes every page on first touch: measured with
//! `perf` on the small training benchmark, a third of the time went to page faults. This
//! allocator puts such a block aside when it is freed and hands the same memory, already
//! mapped, to the next request of exactly that size; up to a byte limit, so that what it
//! holds back stays bounded (the limit is part of peak memory in the worst case).
//!
//! ```ignore
//! use crate::block_cache::BlockCache;
//!
//! #[global_allocator]
//! static ALLOC: BlockCache = BlockCache::new();
//!
//! fn main() {
//!     let activations = vec![1.0f32; 2 << 20]; // 8 MiB
//!     drop(activations);
//!     assert_eq!(ALLOC.held(), 8 << 20); // kept, not unmapped
//!     let gradients = vec![0.0f32; 2 << 20]; // the same size: the same memory, zeroed
//!     assert!(gradients.iter().all(|&x| x == 0.0));
//!     assert_eq!(ALLOC.held(), 0);
//! }
//! ```
//!
//! Everything below [`BlockCache::MIN_SIZE`], and every request when the cache has no block
//! of that size, goes to the system allocator unchanged. Such a miss also ages every held
//! block, and a block that has seen [`BlockCache::MAX_MISSES`] misses without being reused
//! goes back to the system: sizes that do not come back (generation without a cache, whose
//! tensors grow by a row each step) stop occupying memory. A size that has been served
//! from a held block, or requested again after its block went back, is *recurring* (the
//! cache remembers the last [`HISTORY`] such sizes, and as many released ones): its blocks
//! outlive [`BlockCache::MAX_MISSES_RECURRING`] misses. Training needs this: its first step
//! misses on almost every size, and a step of the book's 124M model at batch 2 makes over a
//! hundred misses between freeing the output head's gradient (147 MiB) or the logits
//! (98 MiB) and allocating them again in the next step; with the short lifetime alone they
//! went back every step (160 K page faults a step).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many freed blocks the cache can hold at once.
const SLOTS: usize = 1024;
/// How many sizes the cache remembers as released, and as recurring.
pub const HISTORY: usize = 64;

#[derive(Clone, Copy)]
struct Block {
    ptr: usize,
    size: usize,
    align: usize,
    /// Misses seen since the block was freed.
    misses: u32,
}

struct Blocks {
    slots: [Option<Block>; SLOTS],
    bytes: usize,
    /// Sizes of the blocks released by age, the latest overwriting the oldest.
    released: Sizes,
    /// Sizes served from a held block, or requested again after a block of theirs was
    /// released by age.
    recurring: Sizes,
}

/// A ring of the last [`HISTORY`] sizes recorded (0 = empty).
#[derive(Clone, Copy)]
struct Sizes {
    sizes: [usize; HISTORY],
    next: usize,
}

impl Sizes {
    const fn new() -> Self {
        Self { sizes: [0; HISTORY], next: 0 }
    }

    fn contains(&self, size: usize) -> bool {
        self.sizes.contains(&size)
    }

    fn record(&mut self, size: usize) {
        if !self.contains(size) {
            self.sizes[self.next] = size;
            self.next = (self.next + 1) % HISTORY;
        }
    }
}

/// The allocator; see the [module documentation](self).
pub struct BlockCache {
    limit: AtomicUsize,
    blocks: Mutex<Blocks>,
}

impl BlockCache {
    /// Blocks from this size up are kept for reuse (smaller ones come from glibc's heap
    /// already, whose arenas reuse memory themselves).
    pub const MIN_SIZE: usize = 4 << 20;
    /// The default byte limit: 2 GiB.
    pub const DEFAULT_LIMIT: usize = 2048 << 20;
    /// Misses a held block outlives before it is returned to the system.
    pub const MAX_MISSES: u32 = 8;
    /// The same for a block of a recurring size.
    pub const MAX_MISSES_RECURRING: u32 = 1024;

    pub const fn new() -> Self {
        Self {
            limit: AtomicUsize::new(Self::DEFAULT_LIMIT),
            blocks: Mutex::new(Blocks {
                slots: [None; SLOTS],
                bytes: 0,
                released: Sizes::new(),
                recurring: Sizes::new(),
            }),
        }
    }

    /// Sets how many bytes of freed blocks the cache may hold (0 turns it off) and returns
    /// what it holds beyond the new limit to the system.
    pub fn set_limit(&self, bytes: usize) {
        self.limit.store(bytes, Ordering::Relaxed);
        let Ok(mut blocks) = self.blocks.lock() else { return };
        let mut index = 0;
        while blocks.bytes > bytes && index < SLOTS {
            if let Some(block) = blocks.slots[index].take() {
                blocks.bytes -= block.size;
                // SAFETY: the block came from `System` with this size and alignment.
                unsafe { System.dealloc(block.ptr as *mut u8, layout_of(block)) };
            }
            index += 1;
        }
    }

    /// Bytes of freed blocks held now.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.blocks.lock().map_or(0, |blocks| blocks.bytes)
    }

    /// A held block of exactly `layout`'s size whose address suits its alignment. On a miss,
    /// ages the held blocks and returns those past their lifetime to the system.
    fn take(&self, layout: Layout) -> Option<*mut u8> {
        let mut guard = self.blocks.lock().ok()?;
        let blocks = &mut *guard;
        let found = blocks.slots.iter().position(|slot| {
            slot.is_some_and(|b| b.size == layout.size() && b.ptr % layout.align() == 0)
        });
        let Some(index) = found else {
            if blocks.released.contains(layout.size()) {
                blocks.recurring.record(layout.size());
            }
            let mut released = 0;
            for slot in blocks.slots.iter_mut() {
                let Some(block) = slot.as_mut() else { continue };
                block.misses += 1;
                // The ring is consulted only for blocks old enough to go back.
                let expired = block.misses >= Self::MAX_MISSES_RECURRING
                    || (block.misses >= Self::MAX_MISSES && !blocks.recurring.contains(block.size));
                if expired {
                    released += block.size;
                    blocks.released.record(block.size);
                    // SAFETY: the block came from `System` with this size and alignment.
                    unsafe { System.dealloc(block.ptr as *mut u8, layout_of(*block)) };
                    *slot = None;
                }
            }
            blocks.bytes -= released;
            return None;
        };
        let block = blocks.slots[index].take()?;
        blocks.bytes -= block.size;
        blocks.recurring.record(block.size);
        Some(block.ptr as *mut u8)
    }

    /// Keeps a freed block if a slot is free and the limit allows; false if the caller
    /// must return it to the system.
    fn keep(&self, ptr: *mut u8, layout: Layout) -> bool {
        let Ok(mut blocks) = self.blocks.lock() else { return false };
        if blocks.bytes + layout.size() > self.limit.load(Ordering::Relaxed) {
            return false;
        }
        let Some(index) = blocks.slots.iter().position(Option::is_none) else { return false };
        blocks.slots[index] = Some(Block { ptr: ptr as usize, size: layout.size(), align: layout.align(), misses: 0 });
        blocks.bytes += layout.size();
        true
    }
}

impl Default for BlockCache {
    fn default() -> Self {
        Self::new()
    }
}

fn layout_of(block: Block) -> Layout {
    // SAFETY: size and alignment were those of a valid `Layout` when the block was kept.
    unsafe { Layout::from_size_align_unchecked(block.size, block.align) }
}

// SAFETY: every block handed out is either fresh from `System` or one that was allocated
// with the same size and freed, with an address checked against the requested alignment;
// a held block is owned by the cache alone until it is handed out or returned to `System`.
unsafe impl GlobalAlloc for BlockCache {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= Self::MIN_SIZE
            && let Some(ptr) = self.take(layout)
        {
            return ptr;
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= Self::MIN_SIZE
            && let Some(ptr) = self.take(layout)
        {
            // SAFETY: the block is `layout.size()` bytes and ours now.
            unsafe { ptr.write_bytes(0, layout.size()) };
            return ptr;
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() >= Self::MIN_SIZE && self.keep(ptr, layout) {
            return;
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.size() < Self::MIN_SIZE && new_size < Self::MIN_SIZE {
            // SAFETY: forwarded with the caller's guarantees.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // SAFETY: `new_size` with the old alignment is a valid layout (the caller's contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: as for `alloc`, `dealloc`; the two blocks are distinct.
        unsafe {
            let new = self.alloc(new_layout);
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: usize = BlockCache::MIN_SIZE + 4096;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn a_freed_large_block_serves_the_next_request_of_its_size() {
        let cache = BlockCache::new();
        unsafe {
            let a = cache.alloc(layout(BIG, 16));
            a.write_bytes(7, BIG);
            cache.dealloc(a, layout(BIG, 16));
            assert_eq!(cache.held(), BIG);
            // Another size is not served from it.
            let other = cache.alloc(layout(BIG + 1, 16));
            assert_ne!(other, a);
            cache.dealloc(other, layout(BIG + 1, 16));
            let b = cache.alloc(layout(BIG, 16));
            assert_eq!(b, a, "the same size reuses the held block");
            assert_eq!(cache.held(), BIG + 1);
            cache.dealloc(b, layout(BIG, 16));
        }
        cache.set_limit(0);
        assert_eq!(cache.held(), 0);
    }

    #[test]
    fn zeroed_requests_are_zero_even_when_reused() {
        let cache = BlockCache::new();
        unsafe {
            let a = cache.alloc(layout(BIG, 16));
            a.write_bytes(0xAB, BIG);
            cache.dealloc(a, layout(BIG, 16));
            let b = cache.alloc_zeroed(layout(BIG, 16));
            assert_eq!(b, a);
            let bytes = std::slice::from_raw_parts(b, BIG);
            assert!(bytes.iter().all(|&x| x == 0));
            cache.dealloc(b, layout(BIG, 16));
        }
        cache.set_limit(0);
    }

    #[test]
    fn the_limit_bounds_what_is_held_and_small_blocks_are_never_held() {
        let cache = BlockCache::new();
        cache.set_limit(BIG);
        unsafe {
            let a = cache.alloc(layout(BIG, 16));
            let b = cache.alloc(layout(BIG, 16));
            cache.dealloc(a, layout(BIG, 16));
            cache.dealloc(b, layout(BIG, 16)); // over the limit: back to the system
            assert_eq!(cache.held(), BIG);
            let small = cache.alloc(layout(1024, 16));
            cache.dealloc(small, layout(1024, 16));
            assert_eq!(cache.held(), BIG);
        }
        cache.set_limit(0);
        assert_eq!(cache.held(), 0);
    }

    #[test]
    fn a_block_whose_size_does_not_come_back_is_released_after_enough_misses() {
        let cache = BlockCache::new();
        unsafe {
            let a = cache.alloc(layout(BIG, 16));
            cache.dealloc(a, layout(BIG, 16));
            for miss in 1..BlockCache::MAX_MISSES as usize {
                // Another size: a miss, served by the system and returned to it directly.
                let other = cache.alloc(layout(BIG + miss, 16));
                System.dealloc(other, layout(BIG + miss, 16));
                assert_eq!(cache.held(), BIG, "still held after {miss} misses");
            }
            let last = cache.alloc(layout(BIG + 4096, 16));
            assert_eq!(cache.held(), 0, "released at miss {}", BlockCache::MAX_MISSES);
            System.dealloc(last, layout(BIG + 4096, 16));
            // Reuse resets the count: a block taken and freed again starts from zero misses.
            let b = cache.alloc(layout(BIG, 16));
            cache.dealloc(b, layout(BIG, 16));
            let other = cache.alloc(layout(BIG + 1, 16));
            System.dealloc(other, layout(BIG + 1, 16));
            let again = cache.alloc(layout(BIG, 16));
            assert_eq!(again, b);
            cache.dealloc(again, layout(BIG, 16));
        }
        cache.set_limit(0);
    }

    /// `count` requests of sizes the cache never holds (each a miss), returned to the system.
    fn misses(cache: &BlockCache, count: usize) {
        for miss in 0..count {
            let other = layout(BIG + 64 + miss, 16);
            // SAFETY: allocated and freed with the same layout.
            unsafe { System.dealloc(cache.alloc(other), other) };
        }
    }

    #[test]
    fn a_size_requested_again_after_its_block_went_back_is_kept_longer() {
        let cache = BlockCache::new();
        let misses = |count| misses(&cache, count);
        unsafe {
            let a = cache.alloc(layout(BIG, 16));
            cache.dealloc(a, layout(BIG, 16));
            misses(BlockCache::MAX_MISSES as usize);
            assert_eq!(cache.held(), 0, "a size seen once goes back after MAX_MISSES");
            // Requested again: a miss that marks the size recurring.
            let b = cache.alloc(layout(BIG, 16));
            cache.dealloc(b, layout(BIG, 16));
            misses(BlockCache::MAX_MISSES_RECURRING as usize - 1);
            assert_eq!(cache.held(), BIG, "a recurring size outlives MAX_MISSES");
            let c = cache.alloc(layout(BIG, 16));
            assert_eq!(c, b);
            cache.dealloc(c, layout(BIG, 16));
            misses(BlockCache::MAX_MISSES_RECURRING as usize);
            assert_eq!(cache.held(), 0, "and goes back after MAX_MISSES_RECURRING");
        }
        cache.set_limit(0);
    }

    #[test]
    fn a_size_served_from_a_held_block_is_kept_longer() {
        let cache = BlockCache::new();
        unsafe {
            let a = cache.alloc(layout(BIG, 16));
            cache.dealloc(a, layout(BIG, 16));
            let b = cache.alloc(layout(BIG, 16)); // a hit: the size recurs
            cache.dealloc(b, layout(BIG, 16));
            misses(&cache, BlockCache::MAX_MISSES as usize);
            assert_eq!(cache.held(), BIG);
        }
        cache.set_limit(0);
    }

    #[test]
    fn realloc_keeps_contents_across_the_threshold() {
        let cache = BlockCache::new();
        unsafe {
            let small = cache.alloc(layout(4096, 8));
            for i in 0..4096 {
                *small.add(i) = (i % 251) as u8;
            }
            let grown = cache.realloc(small, layout(4096, 8), BIG);
            let shrunk = cache.realloc(grown, layout(BIG, 8), 4096);
            let bytes = std::slice::from_raw_parts(shrunk, 4096);
            assert!(bytes.iter().enumerate().all(|(i, &x)| x == (i % 251) as u8));
            cache.dealloc(shrunk, layout(4096, 8));
        }
        cache.set_limit(0);
    }

    #[test]
    fn a_held_block_is_not_handed_out_for_a_stricter_alignment_it_misses() {
        let cache = BlockCache::new();
        unsafe {
            let a = cache.alloc(layout(BIG, 16));
            cache.dealloc(a, layout(BIG, 16));
            let strict = 1 << 21;
            let b = cache.alloc(layout(BIG, strict));
            assert_eq!(b as usize % strict, 0);
            if a as usize % strict != 0 {
                assert_ne!(b, a);
            }
            cache.dealloc(b, layout(BIG, strict));
        }
        cache.set_limit(0);
    }
}
