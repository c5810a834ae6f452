use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use burn::data::dataset::{Dataset, DatasetError};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Draws the order of the next epoch (given its number) from a generator the caller owns.
pub type OrderDraw = Arc<dyn Fn(usize) -> Vec<usize> + Send + Sync>;

/// The order a dataset is read in during one epoch. Seeded, it is a permutation fixed by the
/// seed and the epoch number alone, so that a run resumed in epoch `e` reads exactly what an
/// uninterrupted run reads there; drawn, it comes from the caller's generator each time an
/// epoch is set (PyTorch's `DataLoader` draws from the global generator each time it is
/// iterated); without either, it is the dataset's own.
#[derive(Clone)]
pub struct EpochOrder {
    source: Source,
    len: usize,
    permutation: Arc<RwLock<Vec<usize>>>,
    /// The epoch last set (0 before the first).
    epoch: Arc<AtomicUsize>,
}

#[derive(Clone)]
enum Source {
    Identity,
    Seeded(u64),
    Drawn(OrderDraw),
}

impl std::fmt::Debug for EpochOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match self.source {
            Source::Identity => "identity".to_string(),
            Source::Seeded(seed) => format!("seeded({seed})"),
            Source::Drawn(_) => "drawn".to_string(),
        };
        f.debug_struct("EpochOrder").field("source", &source).field("len", &self.len).finish()
    }
}

impl EpochOrder {
    pub fn new(len: usize, seed: Option<u64>) -> Self {
        Self::with_source(len, seed.map_or(Source::Identity, Source::Seeded))
    }

    /// An order that `draw` decides at every [`set_epoch`](Self::set_epoch); `draw` must
    /// return a permutation of `0..len`.
    pub fn drawn(len: usize, draw: OrderDraw) -> Self {
        Self::with_source(len, Source::Drawn(draw))
    }

    fn with_source(len: usize, source: Source) -> Self {
        Self { source, len, permutation: Arc::new(RwLock::new((0..len).collect())), epoch: Arc::new(AtomicUsize::new(0)) }
    }

    /// Fixes the order for `epoch` (1-based) for every reader of this order.
    ///
    /// # Panics
    /// If a drawn order is not a permutation of the dataset's indices.
    pub fn set_epoch(&self, epoch: usize) {
        let order = match &self.source {
            Source::Identity => (0..self.len).collect(),
            Source::Seeded(seed) => {
                let mut order: Vec<usize> = (0..self.len).collect();
                let mut rng = StdRng::seed_from_u64(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                order.shuffle(&mut rng);
                order
            }
            Source::Drawn(draw) => {
                let order = draw(epoch);
                assert!(is_permutation(&order, self.len), "a drawn epoch order must permute 0..{}", self.len);
                order
            }
        };
        *self.permutation.write().expect("epoch order lock") = order;
        self.epoch.store(epoch, Ordering::SeqCst);
    }

    /// The epoch last set by [`set_epoch`](Self::set_epoch) (0 before the first), for data
    /// that changes with the epoch (masked-LM examples masked afresh each epoch).
    pub fn epoch(&self) -> usize {
        self.epoch.load(Ordering::SeqCst)
    }

    fn index(&self, i: usize) -> Option<usize> {
        self.permutation.read().expect("epoch order lock").get(i).copied()
    }
}

fn is_permutation(order: &[usize], len: usize) -> bool {
    let mut seen = vec![false; len];
    order.len() == len && order.iter().all(|&i| i < len && !std::mem::replace(&mut seen[i], true))
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

    /// Wraps `inner`, read in `order`.
    pub fn with_order(inner: D, order: EpochOrder) -> Self {
        Self { inner, order }
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

    #[test]
    fn drawn_order_is_drawn_at_each_epoch() {
        let calls = Arc::new(RwLock::new(0usize));
        let counter = calls.clone();
        let order = EpochOrder::drawn(
            3,
            Arc::new(move |epoch| {
                *counter.write().unwrap() += 1;
                if epoch % 2 == 0 { vec![2, 1, 0] } else { vec![1, 2, 0] }
            }),
        );
        let ds = EpochShuffled::with_order(InMemDataset::new(vec![10u32, 11, 12]), order.clone());
        order.set_epoch(1);
        assert_eq!(read(&ds), [11, 12, 10]);
        order.set_epoch(2);
        assert_eq!(read(&ds), [12, 11, 10]);
        assert_eq!(*calls.read().unwrap(), 2);
    }

    #[test]
    #[should_panic(expected = "must permute")]
    fn drawn_order_must_be_a_permutation() {
        EpochOrder::drawn(3, Arc::new(|_| vec![0, 0, 1])).set_epoch(1);
    }
}
