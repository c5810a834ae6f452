/// NumPy's legacy `RandomState` (MT19937), as far as pandas' `DataFrame.sample` uses it:
/// `permutation(n)`. With it, the book's `df.sample(..., random_state=123)` calls give the
/// same rows here as in Python.
#[derive(Debug, Clone)]
pub struct NumpyRandomState {
    mt: rand_mt::Mt,
}

impl NumpyRandomState {
    /// `np.random.RandomState(seed)` (MT19937's reference `init_genrand`).
    pub fn new(seed: u32) -> Self {
        Self { mt: rand_mt::Mt::new(seed) }
    }

    /// MT19937's next 32-bit output.
    pub fn next_u32(&mut self) -> u32 {
        self.mt.next_u32()
    }

    /// A uniform integer in `0..=max` by masked rejection (NumPy's legacy `random_interval`).
    fn interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        let mask = u32::MAX >> max.leading_zeros();
        loop {
            let value = self.next_u32() & mask;
            if value <= max {
                return value;
            }
        }
    }

    /// `RandomState.permutation(n)`: a Fisher–Yates shuffle of `0..n` from the end.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut items: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.interval(i as u32) as usize;
            items.swap(i, j);
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use super::NumpyRandomState;

    #[test]
    fn matches_numpy() {
        // MT19937's reference output (mt19937ar, default seed 5489): 3499211612.
        assert_eq!(NumpyRandomState::new(5489).next_u32(), 3_499_211_612);
        // python: np.random.RandomState(123).permutation(10)
        assert_eq!(NumpyRandomState::new(123).permutation(10), vec![4, 0, 7, 5, 8, 3, 1, 6, 9, 2]);
    }
}
