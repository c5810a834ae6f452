use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Record indices of the book's instruction split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstructionSplits {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
    pub validation: Vec<usize>,
}

/// The book's split of `n` records: the first `int(0.85 n)` train, the next `int(0.1 n)`
/// test, the rest validate (1,100 records: 935 / 110 / 55), after a seeded shuffle when
/// `shuffle_seed` is given (the book does not shuffle).
pub fn split_instructions(n: usize, shuffle_seed: Option<u64>) -> InstructionSplits {
    let mut order: Vec<usize> = (0..n).collect();
    if let Some(seed) = shuffle_seed {
        order.shuffle(&mut StdRng::seed_from_u64(seed));
    }
    let train_end = (n as f64 * 0.85) as usize;
    let test_end = train_end + (n as f64 * 0.1) as usize;
    InstructionSplits {
        train: order[..train_end].to_vec(),
        test: order[train_end..test_end].to_vec(),
        validation: order[test_end..].to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn book_sizes() {
        let s = split_instructions(1100, None);
        assert_eq!((s.train.len(), s.test.len(), s.validation.len()), (935, 110, 55));
        assert_eq!(s.train[..3], [0, 1, 2]);
        assert_eq!(s.test[0], 935);
        assert_eq!(s.validation[0], 1045);
        let shuffled = split_instructions(1100, Some(1));
        assert_ne!(shuffled.train[..10], s.train[..10]);
    }
}
