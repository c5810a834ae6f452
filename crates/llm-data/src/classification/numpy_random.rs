/// NumPy's legacy `RandomState` (MT19937), as far as pandas' `DataFrame.sample` uses it:
/// `permutation(n)`. With it, the book's `df.sample(..., random_state=123)` calls give the
/// same rows here as in Python.
#[derive(Debug, Clone)]
pub struct NumpyRandomState {
    mt: [u32; 624],
    index: usize,
}

impl NumpyRandomState {
    /// `np.random.RandomState(seed)`.
    pub fn new(seed: u32) -> Self {
        let mut mt = [0u32; 624];
        mt[0] = seed;
        for i in 1..624 {
            mt[i] = 1_812_433_253u32.wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_add(i as u32);
        }
        Self { mt, index: 624 }
    }

    fn refill(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        for i in 0..624 {
            let y = (self.mt[i] & UPPER) | (self.mt[(i + 1) % 624] & LOWER);
            let mut next = self.mt[(i + 397) % 624] ^ (y >> 1);
            if y & 1 == 1 {
                next ^= 0x9908_b0df;
            }
            self.mt[i] = next;
        }
        self.index = 0;
    }

    /// MT19937's next 32-bit output.
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= 624 {
            self.refill();
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
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
