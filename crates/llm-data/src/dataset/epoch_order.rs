use std::sync::{Arc, RwLock};

use burn::data::dataset::{Dataset, DatasetError};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// The order a dataset is read in during one epoch: a permutation fixed by a seed and the
/// epoch number alone, so that a run resumed in epoch `e` reads exactly what an
/// uninterrupted run reads there. Without a seed the order is the dataset's own.
#[derive(Debug, Clone)]
pub struct EpochOrder {
    seed: Option<u64>,
    len: usize,
    permutation: Arc<RwLock<Vec<usize>>>,
}

impl EpochOrder {
    pub fn new(len: usize, seed: Option<u64>) -> Self {
        Self {
            seed,
            len,
            permutation: Arc::new(RwLock::new((0..len).collect())),
        }
    }

    /// Fixes the order for `epoch` (1-based) for every reader of this order.
    pub fn set_epoch(&self, epoch: usize) {
        let mut order: Vec<usize> = (0..self.len).collect();
        if let Some(seed) = self.seed {
            let mut rng = StdRng::seed_from_u64(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            order.shuffle(&mut rng);
        }
        *self.permutation.write().expect("epoch order lock") = order;
    }

    fn index(&self, i: usize) -> Option<usize> {
        self.permutation.read().expect("epoch order lock").get(i).copied()
    }
}

/// `inner` read through an [`EpochOrder`].
#[derive(Debug, Clone)]
pub struct EpochShuffled<D> {
    inner: D,
    order: EpochOrder,
}

impl<D> EpochShuffled<D> {
    /// Wraps `inner`; the returned order handle sets the epoch.
    pub fn new<I>(inner: D, seed: Option<u64>) -> (Self, EpochOrder)
    where
        D: Dataset<I>,
    {
        let order = EpochOrder::new(inner.len(), seed);
        (
            Self {
                inner,
                order: order.clone(),
            },
            order,
        )
    }
}

impl<I, D: Dataset<I>> Dataset<I> for EpochShuffled<D> {
    fn get(&self, index: usize) -> Result<I, DatasetError> {
        match self.order.index(index) {
            Some(i) => self.inner.get(i),
            None => Err(DatasetError::new(crate::DataError::Dataset(format!(
                "item {index} out of range: the dataset has {} items",
                self.inner.len()
            )))),
        }
    }

    fn len(&self) -> usize {
        self.inner.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::data::dataset::InMemDataset;

    fn read(ds: &EpochShuffled<InMemDataset<u32>>) -> Vec<u32> {
        (0..ds.len()).map(|i| ds.get(i).unwrap()).collect()
    }

    #[test]
    fn order_depends_only_on_seed_and_epoch() {
        let items: Vec<u32> = (0..20).collect();
        let (ds, order) = EpochShuffled::new(InMemDataset::new(items.clone()), Some(7));
        order.set_epoch(1);
        let first = read(&ds);
        order.set_epoch(2);
        let second = read(&ds);
        assert_ne!(first, second, "each epoch reshuffles");
        let mut sorted = second.clone();
        sorted.sort();
        assert_eq!(sorted, items, "a permutation");
        // A fresh order (a resumed run) set straight to epoch 2 reads the same.
        let (again, order) = EpochShuffled::new(InMemDataset::new(items.clone()), Some(7));
        order.set_epoch(2);
        assert_eq!(read(&again), second);
        let (plain, order) = EpochShuffled::new(InMemDataset::new(items.clone()), None);
        order.set_epoch(3);
        assert_eq!(read(&plain), items);
        assert!(plain.get(20).is_err());
    }
}
