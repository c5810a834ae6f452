use std::sync::Arc;

use burn::data::dataset::{Dataset, DatasetError};

use super::TokenSource;
use crate::DataError;

/// One training example: `max_length` token ids and the same ids shifted by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LmItem {
    pub input: Vec<u32>,
    pub target: Vec<u32>,
}

/// The book's `GPTDatasetV1`: windows of `max_length` tokens every `stride` tokens,
/// each with its next-token targets.
#[derive(Debug, Clone)]
pub struct LmWindows {
    tokens: Arc<dyn TokenSource>,
    max_length: usize,
    stride: usize,
    len: usize,
}

impl LmWindows {
    /// Windows start at `0, stride, 2·stride, …` while a full window and its shifted
    /// target fit (`range(0, len(ids) - max_length, stride)` in the book).
    pub fn new(tokens: Vec<u32>, max_length: usize, stride: usize) -> Result<Self, DataError> {
        Self::from_source(Arc::new(tokens), max_length, stride)
    }

    /// Windows over any token source, e.g. a memory-mapped token file.
    pub fn from_source(tokens: Arc<dyn TokenSource>, max_length: usize, stride: usize) -> Result<Self, DataError> {
        if max_length == 0 || stride == 0 {
            return Err(DataError::Dataset(format!(
                "max_length and stride must be at least 1 (got max_length={max_length}, stride={stride})"
            )));
        }
        if tokens.len() <= max_length {
            return Err(DataError::Dataset(format!(
                "the text has {} tokens; one window of context {max_length} needs at least {}",
                tokens.len(),
                max_length + 1
            )));
        }
        let len = (tokens.len() - max_length).div_ceil(stride);
        Ok(Self {
            tokens,
            max_length,
            stride,
            len,
        })
    }

    pub fn max_length(&self) -> usize {
        self.max_length
    }

    pub fn num_tokens(&self) -> usize {
        self.tokens.len()
    }
}

impl Dataset<LmItem> for LmWindows {
    fn get(&self, index: usize) -> Result<LmItem, DatasetError> {
        if index >= self.len {
            return Err(DatasetError::new(DataError::Dataset(format!(
                "window {index} out of range: the dataset has {} windows",
                self.len
            ))));
        }
        let start = index * self.stride;
        let mut input = self.tokens.read(start, start + self.max_length + 1);
        let target = input[1..].to_vec();
        input.pop();
        Ok(LmItem { input, target })
    }

    fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_as_the_book() {
        // ids 0..10, max_length 4, stride 4: starts 0 and 4 (range(0, 6, 4)).
        let ds = LmWindows::new((0..10).collect::<Vec<u32>>(), 4, 4).unwrap();
        assert_eq!(ds.len(), 2);
        let first = ds.get(0).unwrap();
        assert_eq!(first.input, vec![0, 1, 2, 3]);
        assert_eq!(first.target, vec![1, 2, 3, 4]);
        assert_eq!(ds.get(1).unwrap().input, vec![4, 5, 6, 7]);
        assert!(ds.get(2).is_err());
        // stride 1: range(0, 6) → 6 windows; the last one ends at the last token.
        let ds = LmWindows::new((0..10).collect::<Vec<u32>>(), 4, 1).unwrap();
        assert_eq!(ds.len(), 6);
        assert_eq!(ds.get(5).unwrap().target, vec![6, 7, 8, 9]);
    }

    #[test]
    fn too_short_text_says_how_many_tokens() {
        let err = LmWindows::new(vec![1, 2, 3], 4, 4).unwrap_err().to_string();
        assert!(err.contains("3 tokens") && err.contains("at least 5"), "{err}");
    }
}
