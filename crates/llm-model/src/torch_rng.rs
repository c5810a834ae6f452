//! PyTorch's CPU random generator, as far as the book's code draws from it: module
//! initialisation, dropout and `DataLoader` shuffling.
//!
//! `torch.manual_seed(seed)` seeds an MT19937 (the reference `init_genrand` with the seed's
//! low 32 bits); ATen turns its 32-bit outputs into floats by keeping 24 bits
//! (`uniform_real_distribution<float>`), fills `uniform_` tensors in memory order, and
//! fills `normal_` tensors of 16 or more elements with Box–Muller over blocks of 16 uniforms
//! (`normal_fill`). Drawing the same tensors in the same order as a PyTorch module's
//! constructor gives that module's initial weights; drawing dropout masks (`bernoulli_`)
//! and `DataLoader` shuffles in the book's order gives the book's training run.

use std::sync::{Arc, Mutex};

use crate::mt19937::Mt19937;

/// Words drawn per bulk fill of the element-wise fills below (16 KiB on the stack).
const BLOCK: usize = 4096;

/// One generator shared by everything a run draws (PyTorch's global default generator).
pub type SharedTorchGenerator = Arc<Mutex<TorchGenerator>>;

/// A generator that draws what `torch.manual_seed(seed)` followed by `uniform_`,
/// `normal_`, `bernoulli_`, `random_` and `randperm` calls draw on the CPU.
#[derive(Debug, Clone)]
pub struct TorchGenerator {
    mt: Mt19937,
    seed: u64,
    draws: u64,
}

impl TorchGenerator {
    /// `torch.manual_seed(seed)`; like PyTorch, only the low 32 bits of the seed count.
    pub fn new(seed: u64) -> Self {
        Self { mt: Mt19937::new(seed as u32), seed, draws: 0 }
    }

    /// The generator of `seed` after `draws` 32-bit draws (a resumed run's position).
    pub fn at(seed: u64, draws: u64) -> Self {
        let mut g = Self::new(seed);
        g.mt.discard(draws);
        g.draws = draws;
        g
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// 32-bit draws made so far.
    pub fn draws(&self) -> u64 {
        self.draws
    }

    /// MT19937's next output (ATen's `random()`).
    pub fn next_u32(&mut self) -> u32 {
        self.draws += 1;
        self.mt.next_u32()
    }

    /// The next `out.len()` draws, in order.
    fn fill_u32(&mut self, out: &mut [u32]) {
        self.draws += out.len() as u64;
        self.mt.fill(out);
    }

    /// ATen's `random64()`: two draws, the first in the high half.
    pub fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        (hi << 32) | u64::from(self.next_u32())
    }

    /// `torch.empty((), dtype=torch.int64).random_().item()`: what `DataLoader` iterators
    /// and `RandomSampler` draw as seeds.
    pub fn random_int64(&mut self) -> u64 {
        self.next_u64() % (1u64 << 63)
    }

    /// `torch.randperm(n, generator=g)` on the CPU: a Fisher–Yates shuffle from the front.
    pub fn randperm(&mut self, n: usize) -> Vec<usize> {
        let mut items: Vec<usize> = (0..n).collect();
        for i in 0..n.saturating_sub(1) {
            let z = self.next_u32() as usize % (n - i);
            items.swap(i, i + z);
        }
        items
    }

    /// The noise of PyTorch's CPU dropout, `empty_like(x).bernoulli_(keep).div_(keep)`:
    /// per element a 53-bit uniform double from two draws, kept when below `keep`; kept
    /// elements hold `1 / keep`, dropped ones 0.
    pub fn dropout_noise(&mut self, len: usize, keep: f64) -> Vec<f32> {
        let scale = (1.0 / keep) as f32;
        // u = bits · 2^-53 exactly, so u < keep exactly when the integer bits are below
        // keep · 2^53 (exact in f64), that is below its ceiling: an integer comparison.
        let threshold = (keep * (1u64 << 53) as f64).ceil() as u64;
        let mut noise = Vec::with_capacity(len);
        let mut words = [0u32; BLOCK];
        let mut left = len;
        while left > 0 {
            let n = left.min(BLOCK / 2);
            self.fill_u32(&mut words[..2 * n]);
            noise.extend(words[..2 * n].chunks_exact(2).map(|pair| {
                let bits = (u64::from(pair[0]) << 32) | u64::from(pair[1]);
                if bits & ((1 << 53) - 1) < threshold { scale } else { 0.0 }
            }));
            left -= n;
        }
        noise
    }

    /// One draw of `uniform_(from, to)` on a float32 tensor (what the tests compare the
    /// bulk fills with).
    #[cfg(test)]
    fn uniform(&mut self, from: f32, to: f32) -> f32 {
        uniform_from(self.next_u32(), from, to)
    }

    /// `tensor.uniform_(from, to)` over a contiguous float32 tensor.
    pub fn fill_uniform(&mut self, data: &mut [f32], from: f32, to: f32) {
        let mut words = [0u32; BLOCK];
        for chunk in data.chunks_mut(BLOCK) {
            let words = &mut words[..chunk.len()];
            self.fill_u32(words);
            for (value, &word) in chunk.iter_mut().zip(words.iter()) {
                *value = uniform_from(word, from, to);
            }
        }
    }

    /// `tensor.normal_(mean, std)` over a contiguous float32 tensor.
    ///
    /// Tensors of fewer than 16 elements take another path in PyTorch (one Box–Muller pair
    /// per element, caching the second value); module initialisation never draws those.
    ///
    /// # Panics
    /// If `data` has fewer than 16 elements.
    pub fn fill_normal(&mut self, data: &mut [f32], mean: f32, std: f32) {
        let n = data.len();
        assert!(n >= 16, "fill_normal draws PyTorch's normal_fill, which needs 16 or more elements, got {n}");
        self.fill_uniform(data, 0.0, 1.0);
        for block in data.chunks_exact_mut(16) {
            box_muller_16(block, mean, std);
        }
        if n % 16 != 0 {
            // PyTorch redraws the last 16 values (overlapping the last full block).
            let tail = &mut data[n - 16..];
            self.fill_uniform(tail, 0.0, 1.0);
            box_muller_16(tail, mean, std);
        }
    }
}

/// ATen's `uniform_real_distribution<float>`: 24 random bits scaled in double precision,
/// then rounded to f32.
#[inline]
fn uniform_from(word: u32, from: f32, to: f32) -> f32 {
    let x = f64::from(word & 0x00ff_ffff) * (1.0 / f64::from(1u32 << 24));
    (x * f64::from(to - from) + f64::from(from)) as f32
}

/// ATen's `normal_fill_16`: pairs element `j` with `j + 8` of 16 uniforms.
fn box_muller_16(data: &mut [f32], mean: f32, std: f32) {
    for j in 0..8 {
        let u1 = 1.0 - data[j]; // [0, 1) -> (0, 1] for the logarithm
        let u2 = data[j + 8];
        let radius = (-2.0 * u1.ln()).sqrt();
        let theta = (2.0 * std::f64::consts::PI) as f32 * u2;
        data[j] = radius * theta.cos() * std + mean;
        data[j + 8] = radius * theta.sin() * std + mean;
    }
}

#[cfg(test)]
mod tests {
    use super::TorchGenerator;

    // Reference values: torch 2.9.0, `torch.manual_seed(123)` then, in that order,
    // `torch.empty(4).uniform_(0, 1)`, `torch.empty(3).uniform_(-0.125, 0.125)`,
    // `torch.empty(20).normal_()`.
    const UNIFORM: [f32; 4] = [0.296_111_94, 0.516_562_3, 0.251_670_72, 0.688_556_8];
    const SYMMETRIC: [f32; 3] = [-0.106_506_884, 0.091_630_49, -0.090_855_03];
    const NORMAL: [f32; 20] = [
        -0.379_169_8, 0.468_862_9, 0.752_492_1, -0.642_166, -1.806_052_7, 1.895_967_4, -0.175_040_9,
        1.368_908_2, -1.603_270_2, -1.324_957_4, 0.178_428_44, -2.133_753, 0.795_326_1, 0.998_542_5,
        0.221_249_36, 1.831_893_8, -0.337_838_8, 0.880_544_3, 1.554_158_6, 0.626_616_06,
    ];

    #[test]
    fn draws_what_torch_draws() {
        let mut g = TorchGenerator::new(123);
        let mut u = [0.0; 4];
        g.fill_uniform(&mut u, 0.0, 1.0);
        // Uniform draws are integer arithmetic and one rounding: bit-exact.
        assert_eq!(u, UNIFORM);
        let mut s = [0.0; 3];
        g.fill_uniform(&mut s, -0.125, 0.125);
        assert_eq!(s, SYMMETRIC);
        let mut n = [0.0; 20];
        g.fill_normal(&mut n, 0.0, 1.0);
        // 20 elements: one block of 16, then the last 16 redrawn. PyTorch evaluates
        // log/cos/sin with SLEEF's vectorised f32 functions, Rust with libm: 1-2 ulp apart.
        for (ours, torch) in n.iter().zip(NORMAL) {
            assert!((ours - torch).abs() <= 1e-6, "{ours} vs {torch}");
        }
    }

    #[test]
    fn seed_keeps_low_32_bits_as_torch_does() {
        let mut a = TorchGenerator::new((1 << 32) + 5);
        let mut b = TorchGenerator::new(5);
        assert_eq!(a.uniform(0.0, 1.0), b.uniform(0.0, 1.0));
    }

    #[test]
    fn dropout_noise_is_torchs() {
        // torch.manual_seed(11); F.dropout(torch.ones(40), 0.25, training=True)
        let noise = TorchGenerator::new(11).dropout_noise(40, 0.75);
        let dropped: Vec<usize> = (0..40).filter(|&i| noise[i] == 0.0).collect();
        assert_eq!(dropped, [1, 8, 10, 16, 18, 21, 22, 23, 25, 27, 35]);
        assert!(noise.iter().all(|&v| v == 0.0 || v == 1.333_333_4));
    }

    #[test]
    fn bulk_draws_are_single_draws() {
        // Dropout noise and uniform fills draw in blocks; element by element, as defined
        // above, from a generator whose pairs of words straddle the 624-word state blocks
        // (an odd number of draws first).
        let mut g = TorchGenerator::new(3);
        let mut single = TorchGenerator::new(3);
        g.next_u32();
        single.next_u32();
        // keep · 2^53 is an integer for 0.9 and has a fraction for 0.3 (below one half).
        for keep in [0.9, 0.3] {
            let noise = g.dropout_noise(5000, keep);
            let expected: Vec<f32> = (0..5000)
                .map(|_| {
                    let u = (single.next_u64() & ((1 << 53) - 1)) as f64 / (1u64 << 53) as f64;
                    if u < keep { (1.0 / keep) as f32 } else { 0.0 }
                })
                .collect();
            assert_eq!(noise, expected, "keep {keep}");
        }
        let mut uniform = vec![0.0; 9000];
        g.fill_uniform(&mut uniform, -0.5, 0.5);
        let expected: Vec<f32> = (0..9000).map(|_| single.uniform(-0.5, 0.5)).collect();
        assert_eq!(uniform, expected);
        assert_eq!(g.draws(), single.draws());
        assert_eq!(g.next_u32(), single.next_u32());
    }

    #[test]
    fn randperm_and_data_loader_draws_are_torchs() {
        // g = torch.Generator(); g.manual_seed(5); torch.randperm(10, generator=g)
        assert_eq!(TorchGenerator::new(5).randperm(10), [1, 4, 9, 6, 3, 5, 0, 2, 8, 7]);
        // torch.manual_seed(21); two epochs of DataLoader(range(7), batch_size=2,
        // shuffle=True, drop_last=True), each followed by one pass over an unshuffled
        // DataLoader, then torch.empty(1).uniform_(): every iterator draws a base seed,
        // a shuffling one also its sampler's seed.
        let mut g = TorchGenerator::new(21);
        let mut epochs = Vec::new();
        for _ in 0..2 {
            g.next_u64();
            let seed = g.random_int64();
            let order = TorchGenerator::new(seed).randperm(7);
            epochs.push(order[..6].chunks(2).map(<[usize]>::to_vec).collect::<Vec<_>>());
            g.next_u64();
        }
        assert_eq!(epochs, [[[6, 3], [2, 0], [1, 4]], [[3, 5], [2, 6], [0, 4]]]);
        assert_eq!(g.uniform(0.0, 1.0), 0.381_603_84);
    }

    #[test]
    fn at_resumes_a_generator() {
        let mut g = TorchGenerator::new(9);
        g.randperm(50);
        let mut resumed = TorchGenerator::at(9, g.draws());
        assert_eq!(resumed.next_u64(), g.next_u64());
    }
}
