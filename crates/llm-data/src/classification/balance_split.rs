use super::NumpyRandomState;

/// Shares of a data set for training and validation; the test split gets the rest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitFractions {
    pub train: f64,
    pub validation: f64,
}

impl Default for SplitFractions {
    /// The book's 70 % / 10 % (/ 20 % test).
    fn default() -> Self {
        Self { train: 0.7, validation: 0.1 }
    }
}

/// Row indices of the three splits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSplits {
    pub train: Vec<usize>,
    pub validation: Vec<usize>,
    pub test: Vec<usize>,
}

/// Undersamples every class to the size of the smallest one, as the book's
/// `create_balanced_dataset` does: classes in order of first appearance, each larger class
/// sampled with `df.sample(n, random_state=seed)` (a fresh NumPy `RandomState(seed)` per
/// class), the others kept whole and in file order; the classes are then concatenated.
///
/// Returns indices into `labels`.
pub fn balance_classes(labels: &[&str], seed: u32) -> Vec<usize> {
    let mut classes: Vec<(&str, Vec<usize>)> = Vec::new();
    for (row, &label) in labels.iter().enumerate() {
        match classes.iter_mut().find(|(name, _)| *name == label) {
            Some((_, rows)) => rows.push(row),
            None => classes.push((label, vec![row])),
        }
    }
    let smallest = classes.iter().map(|(_, rows)| rows.len()).min().unwrap_or(0);
    classes
        .into_iter()
        .flat_map(|(_, rows)| {
            if rows.len() > smallest {
                let picked = NumpyRandomState::new(seed).permutation(rows.len());
                picked[..smallest].iter().map(|&i| rows[i]).collect()
            } else {
                rows
            }
        })
        .collect()
}

/// The book's `random_split`: shuffle with `df.sample(frac=1, random_state=seed)`, then the
/// first `int(n · train)` rows train, the next `int(n · validation)` validate, the rest test.
pub fn split_rows(rows: &[usize], fractions: SplitFractions, seed: u32) -> TextSplits {
    let n = rows.len();
    let shuffled: Vec<usize> = NumpyRandomState::new(seed).permutation(n).into_iter().map(|i| rows[i]).collect();
    let train_end = ((n as f64 * fractions.train) as usize).min(n);
    let val_end = (train_end + (n as f64 * fractions.validation) as usize).min(n);
    TextSplits {
        train: shuffled[..train_end].to_vec(),
        validation: shuffled[train_end..val_end].to_vec(),
        test: shuffled[val_end..].to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balancing_keeps_the_smallest_class_whole() {
        let labels = ["a", "b", "a", "a", "c", "b", "a", "c"];
        let rows = balance_classes(&labels, 123);
        assert_eq!(rows.len(), 6, "three classes of two");
        // b and c have two rows: kept whole and in order, after a's sample.
        assert_eq!(&rows[2..], &[1, 5, 4, 7]);
        assert!(rows[..2].iter().all(|&r| labels[r] == "a"));
    }

    #[test]
    fn split_sizes_follow_the_book() {
        let rows: Vec<usize> = (0..1494).collect();
        let s = split_rows(&rows, SplitFractions::default(), 123);
        assert_eq!((s.train.len(), s.validation.len(), s.test.len()), (1045, 149, 300));
        let mut all: Vec<usize> = s.train.iter().chain(&s.validation).chain(&s.test).copied().collect();
        all.sort();
        assert_eq!(all, rows);
    }
}
