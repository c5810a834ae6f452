use std::sync::Arc;

/// A sequence of token ids that windows are cut from: in memory, or a memory-mapped token
/// file ([`MappedTokens`](super::MappedTokens)) for corpora larger than RAM.
pub trait TokenSource: Send + Sync + std::fmt::Debug {
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tokens `start..start + out.len()` into `out`; the range is within `len()`.
    fn read_into(&self, start: usize, out: &mut [u32]);

    /// Tokens `start..end` as a vector.
    fn read(&self, start: usize, end: usize) -> Vec<u32> {
        let mut out = vec![0; end - start];
        self.read_into(start, &mut out);
        out
    }
}

impl TokenSource for [u32] {
    fn len(&self) -> usize {
        <[u32]>::len(self)
    }

    fn read_into(&self, start: usize, out: &mut [u32]) {
        out.copy_from_slice(&self[start..start + out.len()]);
    }
}

impl TokenSource for Vec<u32> {
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn read_into(&self, start: usize, out: &mut [u32]) {
        self.as_slice().read_into(start, out)
    }
}

/// Shares a source.
impl<T: TokenSource + ?Sized> TokenSource for Arc<T> {
    fn len(&self) -> usize {
        (**self).len()
    }

    fn read_into(&self, start: usize, out: &mut [u32]) {
        (**self).read_into(start, out)
    }
}
