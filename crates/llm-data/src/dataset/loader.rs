use std::sync::Arc;

use burn::data::dataloader::{BatchDataLoader, BatchStrategy, DataLoader, batcher::Batcher};
use burn::data::dataset::Dataset;
use burn::tensor::Device;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Fixed-size batches that drop a final partial batch (PyTorch's `drop_last=True`).
#[derive(Debug)]
pub struct DropLastStrategy<I> {
    items: Vec<I>,
    batch_size: usize,
}

impl<I> DropLastStrategy<I> {
    pub fn new(batch_size: usize) -> Self {
        Self {
            items: Vec::with_capacity(batch_size),
            batch_size,
        }
    }
}

impl<I: Send + Sync + 'static> BatchStrategy<I> for DropLastStrategy<I> {
    fn add(&mut self, item: I) {
        self.items.push(item);
    }

    fn batch(&mut self, force: bool) -> Option<Vec<I>> {
        if self.items.len() < self.batch_size {
            if force {
                self.items.clear();
            }
            return None;
        }
        Some(std::mem::replace(
            &mut self.items,
            Vec::with_capacity(self.batch_size),
        ))
    }

    fn clone_dyn(&self) -> Box<dyn BatchStrategy<I>> {
        Box::new(Self::new(self.batch_size))
    }

    fn batch_size(&self) -> Option<usize> {
        Some(self.batch_size)
    }
}

/// How a data loader batches its dataset.
#[derive(Debug, Clone)]
pub struct LoaderOptions {
    pub batch_size: usize,
    /// Reshuffle every epoch with a generator seeded once with this (`None`: keep order).
    pub shuffle_seed: Option<u64>,
    pub drop_last: bool,
}

/// A Burn data loader over `dataset`, as the book's `create_dataloader_v1`.
pub fn lm_loader<I, O, D, B>(dataset: D, batcher: B, options: &LoaderOptions, device: &Device) -> Arc<dyn DataLoader<O>>
where
    I: Send + Sync + Clone + std::fmt::Debug + 'static,
    O: Send + Clone + std::fmt::Debug + 'static,
    D: Dataset<I> + 'static,
    B: Batcher<I, O> + 'static,
{
    let strategy: Box<dyn BatchStrategy<I>> = if options.drop_last {
        Box::new(DropLastStrategy::new(options.batch_size))
    } else {
        Box::new(burn::data::dataloader::FixBatchStrategy::new(options.batch_size))
    };
    Arc::new(BatchDataLoader::new(
        strategy,
        Arc::new(dataset),
        Arc::new(batcher),
        device.clone(),
        options.shuffle_seed.map(StdRng::seed_from_u64),
    ))
}
