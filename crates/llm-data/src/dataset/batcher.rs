use burn::data::dataloader::batcher::Batcher;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::LmItem;

/// A batch of language-modelling windows.
#[derive(Debug, Clone)]
pub struct LmBatch {
    /// `[batch, seq]`
    pub inputs: Tensor<2, Int>,
    /// `[batch, seq]`: `inputs` shifted by one token.
    pub targets: Tensor<2, Int>,
}

/// Stacks [`LmItem`]s of equal length into an [`LmBatch`].
#[derive(Debug, Clone, Default)]
pub struct LmBatcher;

impl Batcher<LmItem, LmBatch> for LmBatcher {
    fn batch(&self, items: Vec<LmItem>, device: &Device) -> LmBatch {
        let (b, t) = (items.len(), items[0].input.len());
        let stack = |pick: fn(&LmItem) -> &Vec<u32>| {
            let data: Vec<i64> = items
                .iter()
                .flat_map(|item| pick(item).iter().map(|&id| id as i64))
                .collect();
            Tensor::<2, Int>::from_data(TensorData::new(data, [b, t]), device)
        };
        LmBatch {
            inputs: stack(|i| &i.input),
            targets: stack(|i| &i.target),
        }
    }
}
