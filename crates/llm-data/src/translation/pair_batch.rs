use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::{Dataset, DatasetError};
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::SentencePair;
use crate::dataset::IGNORED_LABEL;
use crate::tokenizer::TranslationTokenizer;

/// Sentence pairs encoded for an encoder–decoder: each source and target ending with the
/// end-of-sequence id, cut to at most `max_len` tokens (the cut keeps the end of sequence).
#[derive(Debug, Clone)]
pub struct EncodedPairs {
    items: Vec<PairItem>,
    truncated: usize,
}

/// One encoded pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairItem {
    pub source: Vec<u32>,
    pub target: Vec<u32>,
}

impl EncodedPairs {
    pub fn new(pairs: &[SentencePair], tokenizer: &TranslationTokenizer, max_len: usize) -> Self {
        assert!(max_len >= 2, "room for a token and the end of sequence");
        let mut truncated = 0;
        let mut cut = |mut ids: Vec<u32>| {
            if ids.len() > max_len {
                let eos = ids[ids.len() - 1];
                ids.truncate(max_len - 1);
                ids.push(eos);
                truncated += 1;
            }
            ids
        };
        let items = pairs
            .iter()
            .map(|p| PairItem { source: cut(tokenizer.encode_source(&p.source)), target: cut(tokenizer.encode_target(&p.target)) })
            .collect();
        Self { items, truncated }
    }

    /// How many sources or targets were cut.
    pub fn truncated(&self) -> usize {
        self.truncated
    }
}

impl Dataset<PairItem> for EncodedPairs {
    fn get(&self, index: usize) -> Result<PairItem, DatasetError> {
        self.items.get(index).cloned().ok_or_else(|| {
            DatasetError::new(crate::DataError::Dataset(format!("pair {index} out of range: the split has {}", self.items.len())))
        })
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}

/// A batch of pairs, each side padded to its longest.
#[derive(Debug, Clone)]
pub struct PairBatch {
    /// `[batch, s]`, padded with the pad id.
    pub source: Tensor<2, Int>,
    /// `[batch, s]`: 1 at real tokens, 0 at padding.
    pub source_mask: Tensor<2, Int>,
    /// `[batch, t]`: the target ids, padded with -100 (ignored by the loss).
    pub labels: Tensor<2, Int>,
}

/// Pads pairs into a [`PairBatch`].
#[derive(Debug, Clone)]
pub struct PairBatcher {
    pub pad_id: u32,
}

impl Batcher<PairItem, PairBatch> for PairBatcher {
    fn batch(&self, items: Vec<PairItem>, device: &Device) -> PairBatch {
        let b = items.len();
        let s = items.iter().map(|i| i.source.len()).max().unwrap_or(1);
        let t = items.iter().map(|i| i.target.len()).max().unwrap_or(1);
        let (mut source, mut mask, mut labels) = (Vec::with_capacity(b * s), Vec::with_capacity(b * s), Vec::with_capacity(b * t));
        for item in &items {
            for j in 0..s {
                let id = item.source.get(j);
                source.push(id.map_or(self.pad_id as i64, |&id| id as i64));
                mask.push(id.is_some() as i64);
            }
            labels.extend((0..t).map(|j| item.target.get(j).map_or(IGNORED_LABEL, |&id| id as i64)));
        }
        let tensor = |data: Vec<i64>, width: usize| Tensor::<2, Int>::from_data(TensorData::new(data, [b, width]), device);
        PairBatch { source: tensor(source, s), source_mask: tensor(mask, s), labels: tensor(labels, t) }
    }
}
