//! Fresh weights as `transformers`' `_init_weights` draws them for BERT and Marian: linear
//! and embedding weights from N(0, std²) (`initializer_range`, `init_std`: 0.02 in the
//! published configs), biases zero. Burn's defaults (Kaiming-uniform linears, N(0, 1)
//! embeddings) would start a model whose output head is tied to its embeddings with logits
//! of the size of the hidden width.

use burn::module::Param;
use burn::nn::{Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig};
use burn::tensor::Device;

/// The standard deviation when a `config.json` does not give one.
pub const DEFAULT_STD: f64 = 0.02;

/// How a model's fresh weights are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HfInit {
    pub std: f64,
}

impl HfInit {
    /// The standard deviation under `key` of a `config.json`'s other keys, else 0.02.
    pub fn from_extra(extra: &serde_json::Map<String, serde_json::Value>, key: &str) -> Self {
        Self { std: extra.get(key).and_then(|v| v.as_f64()).unwrap_or(DEFAULT_STD) }
    }

    fn initializer(self) -> Initializer {
        Initializer::Normal { mean: 0.0, std: self.std }
    }

    /// A `[d_in] -> [d_out]` linear layer with bias.
    pub fn linear(self, d_in: usize, d_out: usize, device: &Device) -> Linear {
        let mut linear = LinearConfig::new(d_in, d_out).with_initializer(self.initializer()).init(device);
        linear.bias = linear.bias.map(|b| Param::from_tensor(b.val().zeros_like()));
        linear
    }

    pub fn embedding(self, n: usize, d: usize, device: &Device) -> Embedding {
        EmbeddingConfig::new(n, d).with_initializer(self.initializer()).init(device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_weights_of_the_given_spread_and_zero_biases() {
        let device = Device::flex();
        let init = HfInit::from_extra(&serde_json::Map::new(), "initializer_range");
        assert_eq!(init.std, DEFAULT_STD);
        let linear = init.linear(256, 512, &device);
        let w: Vec<f32> = linear.weight.val().into_data().iter::<f32>().collect();
        let std = (w.iter().map(|x| x * x).sum::<f32>() / w.len() as f32).sqrt();
        assert!((std - 0.02).abs() < 0.001, "{std}");
        assert!(linear.bias.unwrap().val().into_data().iter::<f32>().all(|b| b == 0.0));
        let extra = serde_json::json!({"init_std": 0.1});
        let wide = HfInit::from_extra(extra.as_object().unwrap(), "init_std").embedding(1000, 64, &device);
        let e: Vec<f32> = wide.weight.val().into_data().iter::<f32>().collect();
        let std = (e.iter().map(|x| x * x).sum::<f32>() / e.len() as f32).sqrt();
        assert!((std - 0.1).abs() < 0.005, "{std}");
    }
}
