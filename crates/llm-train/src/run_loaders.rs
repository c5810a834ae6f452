//! The data loaders every recipe builds from its training and validation sets.

use std::sync::Arc;

use burn::data::dataloader::DataLoader;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::tensor::Device;
use llm_data::dataset::{EpochOrder, EpochShuffled, LoaderOptions, lm_loader};

use crate::ExperimentConfig;

/// A recipe's loaders, batched by `config.data.batch_size`.
pub(crate) struct RunLoaders<O> {
    /// Training batches on the autodiff device, in each epoch's order (shuffled with the
    /// run's seed when `data.shuffle`); a final partial batch is dropped, as the book does.
    pub train: Arc<dyn DataLoader<O>>,
    /// Validation batches for the Learner's validation pass.
    pub valid: Arc<dyn DataLoader<O>>,
    /// Unshuffled training batches for the loop's periodic loss estimate.
    pub train_eval: Arc<dyn DataLoader<O>>,
    /// Validation batches for the loop's periodic loss estimate.
    pub val_eval: Arc<dyn DataLoader<O>>,
    /// Sets the epoch whose order `train` reads.
    pub train_order: EpochOrder,
}

impl<O: Send + Clone + std::fmt::Debug + 'static> RunLoaders<O> {
    pub fn new<I, D, B>(train: D, validation: D, batcher: B, config: &ExperimentConfig, ad: &Device, device: &Device) -> Self
    where
        I: Send + Sync + Clone + std::fmt::Debug + 'static,
        D: Dataset<I> + Clone + 'static,
        B: Batcher<I, O> + Clone + 'static,
    {
        let options = |drop_last| LoaderOptions { batch_size: config.data.batch_size, shuffle_seed: None, drop_last };
        let (shuffled, train_order) = EpochShuffled::new(train.clone(), config.data.shuffle.then_some(config.seed));
        Self {
            train: lm_loader(shuffled, batcher.clone(), &options(true), ad),
            valid: lm_loader(validation.clone(), batcher.clone(), &options(false), device),
            train_eval: lm_loader(train, batcher.clone(), &options(true), device),
            val_eval: lm_loader(validation, batcher, &options(false), device),
            train_order,
        }
    }
}
