//! Rotary position embeddings (RoPE) as Llama and Qwen3 checkpoints expect them.
//!
//! Each head's vector is split in halves and the pair `(x_i, x_{i + d/2})` is rotated by the
//! angle `position · inv_freq_i` (`rotate_half`, what `transformers` and the book's
//! `apply_rope` do), with Llama 3's frequency scaling where the config asks for it.
//! burn-nn's `RotaryEncoding` rotates interleaved pairs `(x_{2i}, x_{2i+1})` (Meta's original
//! layout): with it every `q_proj` and `k_proj` of a Hugging Face checkpoint would have to be
//! permuted on load and back on save, so the half-split form lives here.

use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// How a family turns positions into rotation angles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RopeConfig {
    /// The base wavelength (`rope_theta`): 500,000 for Llama 3, 1,000,000 for Qwen3.
    pub theta: f64,
    /// Llama 3's rescaling of the low frequencies (`rope_type = "llama3"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llama3: Option<Llama3Scaling>,
}

/// Llama 3.1's frequency scaling (`transformers`' `_compute_llama3_parameters`): wavelengths
/// longer than `original_context / low_freq_factor` are stretched by `factor`, those shorter
/// than `original_context / high_freq_factor` kept, the ones between interpolated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Llama3Scaling {
    pub factor: f64,
    pub low_freq_factor: f64,
    pub high_freq_factor: f64,
    pub original_context: usize,
}

impl RopeConfig {
    /// The inverse frequency of each of the `head_dim / 2` rotated pairs, in f32 as
    /// `transformers` computes them (`1 / theta^(2i / head_dim)`, then the scaling).
    pub fn inv_freq(&self, head_dim: usize) -> Vec<f32> {
        (0..head_dim / 2)
            .map(|i| {
                let exponent = (2 * i) as f32 / head_dim as f32;
                let inv = 1.0 / (self.theta as f32).powf(exponent);
                match &self.llama3 {
                    Some(scaling) => scaling.apply(inv),
                    None => inv,
                }
            })
            .collect()
    }

    /// `(cos, sin)` of the angles of positions `start..start + len` for each of `starts`
    /// (one start for a whole batch, or one per row), each `[starts, 1, len, head_dim]`: the
    /// angles repeated over both halves, shaped to broadcast over `[batch, heads, len, head_dim]`.
    pub fn tables(&self, head_dim: usize, starts: &[usize], len: usize, device: &Device) -> (Tensor<4>, Tensor<4>) {
        let inv_freq = self.inv_freq(head_dim);
        let half = head_dim / 2;
        let size = starts.len() * len * head_dim;
        let (mut cos, mut sin) = (Vec::with_capacity(size), Vec::with_capacity(size));
        for position in starts.iter().flat_map(|&start| start..start + len) {
            // The product in f32, as transformers' `inv_freq @ position_ids` computes it.
            let angles: Vec<f32> = inv_freq.iter().map(|f| f * position as f32).collect();
            for _half in 0..2 {
                cos.extend(angles.iter().map(|a| a.cos()));
                sin.extend(angles.iter().map(|a| a.sin()));
            }
        }
        debug_assert_eq!(cos.len(), starts.len() * len * 2 * half);
        let tensor = |values: Vec<f32>| Tensor::from_data(TensorData::new(values, [starts.len(), 1, len, head_dim]), device);
        (tensor(cos), tensor(sin))
    }
}

impl Llama3Scaling {
    fn apply(&self, inv_freq: f32) -> f32 {
        let (factor, low, high) = (self.factor as f32, self.low_freq_factor as f32, self.high_freq_factor as f32);
        let context = self.original_context as f32;
        let wavelen = 2.0 * std::f32::consts::PI / inv_freq;
        let (low_freq_wavelen, high_freq_wavelen) = (context / low, context / high);
        if wavelen > low_freq_wavelen {
            inv_freq / factor
        } else if wavelen < high_freq_wavelen {
            inv_freq
        } else {
            let smooth = (context / wavelen - low) / (high - low);
            (1.0 - smooth) * inv_freq / factor + smooth * inv_freq
        }
    }
}

/// `x` rotated by the tables' angles: `x · cos + rotate_half(x) · sin`, where
/// `rotate_half(x) = [-x2, x1]` for the halves `x1`, `x2` of each head.
///
/// # Shapes
/// - x: `[batch, heads, seq, head_dim]`; cos, sin: `[1 or batch, 1, seq, head_dim]`
///   ([`RopeConfig::tables`])
/// - output: `[batch, heads, seq, head_dim]`
pub fn apply_rotary(x: Tensor<4>, cos: &Tensor<4>, sin: &Tensor<4>) -> Tensor<4> {
    let [_, _, _, d] = x.dims();
    let half = d / 2;
    let x1 = x.clone().narrow(3, 0, half);
    let x2 = x.clone().narrow(3, half, half);
    let rotated = Tensor::cat(vec![x2.neg(), x1], 3);
    x * cos.clone() + rotated * sin.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_frequencies_follow_theta() {
        let rope = RopeConfig { theta: 10_000.0, llama3: None };
        let inv = rope.inv_freq(8);
        let expected = [1.0, 0.1, 0.01, 0.001];
        for (a, b) in inv.iter().zip(expected) {
            assert!((a - b).abs() <= 1e-6 * b.max(1e-3), "{inv:?}");
        }
    }

    #[test]
    fn llama3_scaling_keeps_high_frequencies_and_stretches_low_ones() {
        // Llama 3.2's published settings.
        let scaling = Llama3Scaling { factor: 32.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_context: 8192 };
        let rope = RopeConfig { theta: 500_000.0, llama3: Some(scaling) };
        let plain = RopeConfig { theta: 500_000.0, llama3: None }.inv_freq(64);
        let scaled = rope.inv_freq(64);
        // Wavelength 2π under 2048 (8192 / 4): unchanged; over 8192: divided by 32.
        assert_eq!(scaled[0], plain[0]);
        assert_eq!(scaled[31], plain[31] / 32.0);
        let between = (0..32).find(|&i| {
            let wavelen = 2.0 * std::f32::consts::PI / plain[i];
            wavelen > 2048.0 && wavelen < 8192.0
        });
        if let Some(i) = between {
            assert!(scaled[i] < plain[i] && scaled[i] > plain[i] / 32.0, "interpolated");
        }
    }

    #[test]
    fn rotation_keeps_norms_and_position_zero_is_the_identity() {
        let device = Device::flex();
        let rope = RopeConfig { theta: 10_000.0, llama3: None };
        let x = Tensor::<4>::from_data(TensorData::new((0..16).map(|i| i as f32 * 0.25 - 1.0).collect::<Vec<_>>(), [1, 1, 2, 8]), &device);
        let (cos, sin) = rope.tables(8, &[0], 2, &device);
        let y = apply_rotary(x.clone(), &cos, &sin);
        let (xs, ys): (Vec<f32>, Vec<f32>) = (x.into_data().iter().collect(), y.into_data().iter().collect());
        assert_eq!(&xs[..8], &ys[..8], "position 0 is not rotated");
        let norm = |v: &[f32]| v.iter().map(|a| a * a).sum::<f32>();
        assert!((norm(&xs[8..]) - norm(&ys[8..])).abs() < 1e-5, "a rotation keeps the norm");
    }
}
