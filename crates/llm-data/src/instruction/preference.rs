use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::{Dataset, DatasetError};
use burn::tensor::{Device, Int, Tensor, TensorData};

/// One preference pair: the prompt followed by the chosen response, and by the rejected one.
#[derive(Debug, Clone, PartialEq)]
pub struct PreferenceItem {
    pub chosen: Vec<u32>,
    pub rejected: Vec<u32>,
    /// Tokens of the prompt alone.
    pub prompt_len: usize,
}

/// A batch of preference pairs; masks are 1 on the response tokens that count.
#[derive(Debug, Clone)]
pub struct PreferenceBatch {
    /// `[batch, seq]`
    pub chosen: Tensor<2, Int>,
    pub rejected: Tensor<2, Int>,
    /// `[batch, seq]`, 0 or 1.
    pub chosen_mask: Tensor<2>,
    pub rejected_mask: Tensor<2>,
}

/// The collated rows of a preference batch: ids and masks of the chosen and the rejected
/// sequences.
pub type PreferenceRows = (Vec<Vec<i64>>, Vec<Vec<i64>>, Vec<Vec<f32>>, Vec<Vec<f32>>);

/// The book's DPO `custom_collate_fn`: chosen and rejected sequences padded with `pad` to
/// one common length (the longest plus one), masks 1 on real tokens, and with
/// `mask_prompt` 0 on the prompt and the two tokens after it, as the book masks; then cut
/// to `allowed_max_length`.
pub fn collate_preferences(
    items: &[PreferenceItem],
    pad: u32,
    allowed_max_length: Option<usize>,
    mask_prompt: bool,
) -> PreferenceRows {
    let longest = items.iter().flat_map(|i| [i.chosen.len(), i.rejected.len()]).max().unwrap_or(0) + 1;
    let cut = allowed_max_length.unwrap_or(usize::MAX).min(longest);
    let row = |seq: &[u32], prompt_len: usize| {
        let mut ids: Vec<i64> = seq.iter().map(|&i| i as i64).collect();
        ids.resize(longest, pad as i64);
        let mut mask: Vec<f32> = (0..longest).map(|i| if i < seq.len() { 1.0 } else { 0.0 }).collect();
        if mask_prompt {
            mask.iter_mut().take(prompt_len + 2).for_each(|m| *m = 0.0);
        }
        ids.truncate(cut);
        mask.truncate(cut);
        (ids, mask)
    };
    let (mut chosen, mut rejected, mut chosen_mask, mut rejected_mask) = (vec![], vec![], vec![], vec![]);
    for item in items {
        let (ids, mask) = row(&item.chosen, item.prompt_len);
        chosen.push(ids);
        chosen_mask.push(mask);
        let (ids, mask) = row(&item.rejected, item.prompt_len);
        rejected.push(ids);
        rejected_mask.push(mask);
    }
    (chosen, rejected, chosen_mask, rejected_mask)
}

/// [`collate_preferences`] as a Burn batcher.
#[derive(Debug, Clone)]
pub struct PreferenceBatcher {
    pub pad_token_id: u32,
    pub allowed_max_length: Option<usize>,
    pub mask_prompt: bool,
}

impl Batcher<PreferenceItem, PreferenceBatch> for PreferenceBatcher {
    fn batch(&self, items: Vec<PreferenceItem>, device: &Device) -> PreferenceBatch {
        let (chosen, rejected, chosen_mask, rejected_mask) =
            collate_preferences(&items, self.pad_token_id, self.allowed_max_length, self.mask_prompt);
        let (b, t) = (chosen.len(), chosen[0].len());
        let ids = |rows: Vec<Vec<i64>>| Tensor::<2, Int>::from_data(TensorData::new(rows.concat(), [b, t]), device);
        let mask = |rows: Vec<Vec<f32>>| Tensor::<2>::from_data(TensorData::new(rows.concat(), [b, t]), device);
        PreferenceBatch {
            chosen: ids(chosen),
            rejected: ids(rejected),
            chosen_mask: mask(chosen_mask),
            rejected_mask: mask(rejected_mask),
        }
    }
}

/// The tokenized pairs of one split.
#[derive(Debug, Clone)]
pub struct PreferenceTexts {
    pub items: Vec<PreferenceItem>,
}

impl Dataset<PreferenceItem> for PreferenceTexts {
    fn get(&self, index: usize) -> Result<PreferenceItem, DatasetError> {
        self.items.get(index).cloned().ok_or_else(|| {
            DatasetError::new(crate::DataError::Dataset(format!("pair {index} out of range: the split has {}", self.items.len())))
        })
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_both_sides_to_one_length_and_masks_the_prompt() {
        let items = vec![
            PreferenceItem { chosen: vec![1, 2, 3, 4, 5], rejected: vec![1, 2, 3, 9], prompt_len: 1 },
            PreferenceItem { chosen: vec![6, 7, 8], rejected: vec![6, 7, 8, 8, 8, 8], prompt_len: 1 },
        ];
        let (chosen, rejected, cm, rm) = collate_preferences(&items, 0, None, true);
        // The longest sequence has 6 tokens: every row is 7 long.
        assert_eq!(chosen[0], vec![1, 2, 3, 4, 5, 0, 0]);
        assert_eq!(rejected[1], vec![6, 7, 8, 8, 8, 8, 0]);
        // Prompt (1 token) and the 2 after it masked, padding masked.
        assert_eq!(cm[0], vec![0., 0., 0., 1., 1., 0., 0.]);
        assert_eq!(rm[0], vec![0., 0., 0., 1., 0., 0., 0.]);
        assert_eq!(cm[1], vec![0., 0., 0., 0., 0., 0., 0.]);
        let (chosen, _, cm, _) = collate_preferences(&items, 0, Some(4), false);
        assert_eq!(chosen[0], vec![1, 2, 3, 4]);
        assert_eq!(cm[1], vec![1., 1., 1., 0.]);
    }
}
