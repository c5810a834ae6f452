use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::{Dataset, DatasetError};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::dataset::LmBatch;

/// Targets the loss skips (PyTorch's default `ignore_index`).
pub const IGNORE_INDEX: i64 = -100;

/// One tokenized training text and how many of its tokens are the prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct InstructionItem {
    pub ids: Vec<u32>,
    pub prompt_len: usize,
}

/// The book's `custom_collate_fn`: append one end-of-text (`pad`) to every item, pad the
/// batch to its longest item with `pad`, inputs = all but the last token, targets = all but
/// the first, every target equal to `pad` except the first of each row set to
/// `IGNORE_INDEX`, then (an option of the book's exercise 7.2) the targets inside the
/// prompt ignored too, and both cut to `allowed_max_length`.
pub fn collate(
    items: &[InstructionItem],
    pad: u32,
    allowed_max_length: Option<usize>,
    mask_prompt: bool,
) -> (Vec<Vec<i64>>, Vec<Vec<i64>>) {
    let longest = items.iter().map(|i| i.ids.len() + 1).max().unwrap_or(1);
    let pad = pad as i64;
    let mut inputs = Vec::with_capacity(items.len());
    let mut targets = Vec::with_capacity(items.len());
    for item in items {
        let mut padded: Vec<i64> = item.ids.iter().map(|&i| i as i64).collect();
        padded.resize(longest, pad);
        let mut input = padded[..longest - 1].to_vec();
        let mut target = padded[1..].to_vec();
        let mut seen_pad = false;
        for t in &mut target {
            if *t == pad {
                if seen_pad {
                    *t = IGNORE_INDEX;
                }
                seen_pad = true;
            }
        }
        if mask_prompt {
            for t in target.iter_mut().take(item.prompt_len.saturating_sub(1)) {
                *t = IGNORE_INDEX;
            }
        }
        if let Some(max) = allowed_max_length {
            input.truncate(max);
            target.truncate(max);
        }
        inputs.push(input);
        targets.push(target);
    }
    (inputs, targets)
}

/// [`collate`] as a Burn batcher producing next-token batches.
#[derive(Debug, Clone)]
pub struct InstructionBatcher {
    pub pad_token_id: u32,
    pub allowed_max_length: Option<usize>,
    pub mask_prompt: bool,
}

impl Batcher<InstructionItem, LmBatch> for InstructionBatcher {
    fn batch(&self, items: Vec<InstructionItem>, device: &Device) -> LmBatch {
        let (inputs, targets) = collate(&items, self.pad_token_id, self.allowed_max_length, self.mask_prompt);
        let (b, t) = (inputs.len(), inputs[0].len());
        let tensor = |rows: Vec<Vec<i64>>| {
            Tensor::<2, Int>::from_data(TensorData::new(rows.concat(), [b, t]), device)
        };
        LmBatch {
            inputs: tensor(inputs),
            targets: tensor(targets),
        }
    }
}

/// The tokenized texts of one split.
#[derive(Debug, Clone)]
pub struct InstructionTexts {
    pub items: Vec<InstructionItem>,
}

impl Dataset<InstructionItem> for InstructionTexts {
    fn get(&self, index: usize) -> Result<InstructionItem, DatasetError> {
        self.items.get(index).cloned().ok_or_else(|| {
            DatasetError::new(crate::DataError::Dataset(format!(
                "record {index} out of range: the split has {}",
                self.items.len()
            )))
        })
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Vec<InstructionItem> {
        [vec![0, 1, 2, 3, 4], vec![5, 6], vec![7, 8, 9]]
            .into_iter()
            .map(|ids| InstructionItem { ids, prompt_len: 2 })
            .collect()
    }

    const I: i64 = IGNORE_INDEX;

    #[test]
    fn the_books_toy_batch() {
        // The book's listing 7.5 output.
        let (inputs, targets) = collate(&toy(), 50256, None, false);
        assert_eq!(inputs, vec![vec![0, 1, 2, 3, 4], vec![5, 6, 50256, 50256, 50256], vec![7, 8, 9, 50256, 50256]]);
        assert_eq!(targets, vec![vec![1, 2, 3, 4, 50256], vec![6, 50256, I, I, I], vec![8, 9, 50256, I, I]]);
    }

    #[test]
    fn truncation_and_prompt_masking() {
        let (inputs, targets) = collate(&toy(), 50256, Some(3), false);
        assert_eq!(inputs, vec![vec![0, 1, 2], vec![5, 6, 50256], vec![7, 8, 9]]);
        assert_eq!(targets, vec![vec![1, 2, 3], vec![6, 50256, I], vec![8, 9, 50256]]);
        // A prompt of 2 tokens: the target predicting its second token is ignored.
        let (_, targets) = collate(&toy(), 50256, None, true);
        assert_eq!(targets, vec![vec![I, 2, 3, 4, 50256], vec![I, 50256, I, I, I], vec![I, 9, 50256, I, I]]);
    }
}
