//! Masked-LM training examples: a token stream cut into windows, each read as BERT reads a
//! text (`[CLS] window [SEP]`) and corrupted by a [`Masker`] seeded by the run's seed, the
//! window and the epoch. Following the training order's epoch ([`MaskedWindows::follow`]),
//! every epoch masks each window afresh (RoBERTa's dynamic masking: with static masks a
//! small corpus is memorised within a few epochs), and a resumed run draws the masks an
//! uninterrupted one draws; a split that follows no order (validation) keeps one fixed set
//! of masks, so its losses compare across evaluations.

use std::sync::{Arc, RwLock};

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::{Dataset, DatasetError};
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::{EpochOrder, LmBatch, MaskedSequence, Masker, MaskingConfig};
use crate::DataError;

/// Windows of a token stream as masked-LM examples.
#[derive(Debug, Clone)]
pub struct MaskedWindows {
    windows: Arc<Vec<Vec<u32>>>,
    masking: MaskingConfig,
    seed: u64,
    /// The order whose epoch the masks follow; shared by every clone (the loaders' copies).
    epochs: Arc<RwLock<Option<EpochOrder>>>,
}

impl MaskedWindows {
    /// Non-overlapping windows of `length - 2` tokens of `tokens`, each between `cls` and
    /// `sep` (so `length` tokens long), masked as `masking` says with `seed`; a shorter tail
    /// is left out.
    pub fn new(tokens: &[u32], length: usize, cls: u32, sep: u32, masking: MaskingConfig, seed: u64) -> Result<Self, DataError> {
        if length < 3 {
            return Err(DataError::Dataset(format!("masked-LM windows of {length} tokens leave no room for text between [CLS] and [SEP]")));
        }
        let windows = tokens
            .chunks_exact(length - 2)
            .map(|window| std::iter::once(cls).chain(window.iter().copied()).chain(std::iter::once(sep)).collect())
            .collect();
        Ok(Self { windows: Arc::new(windows), masking, seed, epochs: Arc::new(RwLock::new(None)) })
    }

    /// Masks each window afresh in every epoch of `order` (this data set and all its clones).
    pub fn follow(&self, order: &EpochOrder) {
        *self.epochs.write().expect("masked windows lock") = Some(order.clone());
    }

    /// The masks of the epoch in progress (0 when following none).
    fn epoch(&self) -> usize {
        self.epochs.read().expect("masked windows lock").as_ref().map_or(0, EpochOrder::epoch)
    }
}

impl Dataset<MaskedSequence> for MaskedWindows {
    fn get(&self, index: usize) -> Result<MaskedSequence, DatasetError> {
        let window = self.windows.get(index).ok_or_else(|| {
            DatasetError::new(DataError::Dataset(format!("window {index} out of range: the dataset has {} windows", self.windows.len())))
        })?;
        let draw = (self.epoch() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
        Ok(Masker::new(self.masking.clone(), self.seed ^ draw).mask(window))
    }

    fn len(&self) -> usize {
        self.windows.len()
    }
}

/// Stacks masked windows of equal length into an [`LmBatch`]: `inputs` the corrupted ids,
/// `targets` the labels (`-100` where the loss ignores).
#[derive(Debug, Clone, Default)]
pub struct MaskedLmBatcher;

impl Batcher<MaskedSequence, LmBatch> for MaskedLmBatcher {
    fn batch(&self, items: Vec<MaskedSequence>, device: &Device) -> LmBatch {
        let (b, t) = (items.len(), items[0].inputs.len());
        let inputs: Vec<i64> = items.iter().flat_map(|i| i.inputs.iter().map(|&id| id as i64)).collect();
        let labels: Vec<i64> = items.iter().flat_map(|i| i.labels.iter().copied()).collect();
        let tensor = |data: Vec<i64>| Tensor::<2, Int>::from_data(TensorData::new(data, [b, t]), device);
        LmBatch { inputs: tensor(inputs), targets: tensor(labels) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::IGNORED_LABEL;

    #[test]
    fn windows_are_framed_masked_and_batched_with_their_labels() {
        let tokens: Vec<u32> = (10..110).collect();
        let windows = MaskedWindows::new(&tokens, 12, 2, 3, MaskingConfig::bert(4, 200, vec![0, 2, 3]), 7).unwrap();
        assert_eq!(windows.len(), 10, "100 tokens in windows of 10, framed to 12");
        let first = windows.get(0).unwrap();
        assert_eq!((first.inputs[0], first.inputs[11], first.inputs.len()), (2, 3, 12));
        let first_labels = first.labels.clone();
        for (i, item) in (0..windows.len()).map(|i| (i, windows.get(i).unwrap())) {
            for (j, (&input, &label)) in item.inputs.iter().zip(&item.labels).enumerate().skip(1).take(10) {
                let original = 10 + (i * 10 + j - 1) as u32;
                match label {
                    IGNORED_LABEL => assert_eq!(input, original, "an unchosen token is kept"),
                    label => assert_eq!(label, original as i64, "a chosen token's label is the original"),
                }
            }
        }
        let masks = |w: &MaskedWindows| (0..w.len()).map(|i| w.get(i).unwrap()).collect::<Vec<_>>();
        let chosen: usize = masks(&windows).iter().map(|m| m.labels.iter().filter(|&&l| l != IGNORED_LABEL).count()).sum();
        assert!((5..=30).contains(&chosen), "about 15 % of 100 tokens chosen: {chosen}");
        let again = MaskedWindows::new(&tokens, 12, 2, 3, MaskingConfig::bert(4, 200, vec![0, 2, 3]), 7).unwrap();
        assert_eq!(masks(&again), masks(&windows), "the same seed, the same masks");
        assert!(windows.get(10).is_err());
        assert!(MaskedWindows::new(&tokens, 2, 2, 3, MaskingConfig::bert(4, 200, vec![0, 2, 3]), 7).unwrap_err().to_string().contains("no room"));

        // Following an order, each epoch masks afresh, and returning to an epoch (a resumed
        // run) gives its masks again; the clones the loaders hold follow too.
        let order = EpochOrder::new(windows.len(), Some(1));
        let clone = windows.clone();
        windows.follow(&order);
        order.set_epoch(1);
        let first = masks(&clone);
        order.set_epoch(2);
        assert_ne!(masks(&clone), first, "a new epoch, new masks");
        order.set_epoch(1);
        assert_eq!(masks(&clone), first);

        let fixed = MaskedWindows::new(&tokens, 12, 2, 3, MaskingConfig::bert(4, 200, vec![0, 2, 3]), 7).unwrap();
        let batch = MaskedLmBatcher.batch(vec![fixed.get(0).unwrap(), fixed.get(1).unwrap()], &Device::flex());
        assert_eq!(batch.inputs.dims(), [2, 12]);
        let labels: Vec<i64> = batch.targets.into_data().iter::<i64>().collect();
        assert_eq!(&labels[..12], &first_labels[..]);
    }
}
