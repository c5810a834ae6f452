//! The data loaders every recipe builds from its training and validation sets.

use std::sync::Arc;

use burn::data::dataloader::DataLoader;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::tensor::Device;
use llm_data::dataset::{EpochOrder, EpochShuffled, LoaderOptions, lm_loader};
use llm_model::SharedTorchGenerator;

use crate::ExperimentConfig;
use crate::torch_replay::loader_order;

/// A recipe's loaders, batched by `config.data.batch_size`.
pub(crate) struct RunLoaders<O> {
    /// Training batches on the autodiff device, in each epoch's order (shuffled with the
    /// run's seed when `data.shuffle`); a final partial batch is dropped, as the book does.
    pub train: Arc<dyn DataLoader<O>>,
    /// Validation batches for the Learner's validation pass.
    pub valid: Arc<dyn DataLoader<O>>,
    /// Training batches for the loop's periodic loss estimate: unshuffled, or with
    /// PyTorch's generator what the book's code reads (a fresh shuffle each time).
    pub train_eval: Arc<dyn DataLoader<O>>,
    /// Validation batches for the loop's periodic loss estimate.
    pub val_eval: Arc<dyn DataLoader<O>>,
    /// Sets the epoch whose order `train` reads.
    pub train_order: EpochOrder,
    /// Set before each estimate: the orders `train_eval` and `val_eval` read.
    pub train_eval_order: EpochOrder,
    pub val_eval_order: EpochOrder,
    /// The generator the orders are drawn from, if PyTorch's.
    pub torch: Option<SharedTorchGenerator>,
}

impl<O: Send + Clone + std::fmt::Debug + 'static> RunLoaders<O> {
    /// With `torch` (PyTorch's generator, `rng = "torch"`), every order is drawn from it
    /// as the book's `DataLoader`s draw.
    #[allow(clippy::too_many_arguments)]
    pub fn new<I, D, B>(
        train: D,
        validation: D,
        batcher: B,
        config: &ExperimentConfig,
        ad: &Device,
        device: &Device,
        torch: Option<&SharedTorchGenerator>,
    ) -> Self
    where
        I: Send + Sync + Clone + std::fmt::Debug + 'static,
        D: Dataset<I> + Clone + 'static,
        B: Batcher<I, O> + Clone + 'static,
    {
        let options = |drop_last| LoaderOptions { batch_size: config.data.batch_size, shuffle_seed: None, drop_last };
        let shuffle = config.data.shuffle;
        let (n_train, n_val) = (train.len(), validation.len());
        let (train_order, train_eval_order, val_eval_order) = match torch {
            Some(g) => (loader_order(g, n_train, shuffle), loader_order(g, n_train, shuffle), loader_order(g, n_val, false)),
            None => (EpochOrder::new(n_train, shuffle.then_some(config.seed)), EpochOrder::new(n_train, None), EpochOrder::new(n_val, None)),
        };
        let ordered = |ds: D, order: &EpochOrder| EpochShuffled::with_order(ds, order.clone());
        Self {
            train: lm_loader(ordered(train.clone(), &train_order), batcher.clone(), &options(true), ad),
            valid: lm_loader(validation.clone(), batcher.clone(), &options(false), device),
            train_eval: lm_loader(ordered(train, &train_eval_order), batcher.clone(), &options(true), device),
            val_eval: lm_loader(ordered(validation, &val_eval_order), batcher, &options(false), device),
            train_order,
            train_eval_order,
            val_eval_order,
            torch: torch.cloned(),
        }
    }
}
