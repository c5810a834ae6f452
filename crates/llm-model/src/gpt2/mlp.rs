use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

use crate::lora::{LoraAdapter, LoraConfig, adapted, merge_into};

#[derive(Config, Debug)]
pub struct MlpConfig {
    pub d_model: usize,
    /// Hidden width as a multiple of `d_model`. Default: 4 (GPT-2).
    #[config(default = 4)]
    pub expansion: usize,
}

/// GPT-2's feed-forward network: `c_proj(gelu_tanh(c_fc(x)))`.
#[derive(Module, Debug)]
pub struct Mlp {
    pub c_fc: Linear,
    pub c_proj: Linear,
    /// LoRA adapters of `c_fc` and `c_proj`, when fine-tuning with them.
    pub lora: Option<MlpLora>,
}

#[derive(Module, Debug)]
pub struct MlpLora {
    pub fc: LoraAdapter,
    pub proj: LoraAdapter,
}

impl MlpConfig {
    pub fn init(&self, device: &Device) -> Mlp {
        let hidden = self.expansion * self.d_model;
        Mlp {
            c_fc: LinearConfig::new(self.d_model, hidden).init(device),
            c_proj: LinearConfig::new(hidden, self.d_model).init(device),
            lora: None,
        }
    }
}

impl Mlp {
    /// `[batch, seq, d_model] -> [batch, seq, d_model]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let lora = self.lora.as_ref();
        let hidden = gelu_tanh(adapted(&self.c_fc, lora.map(|l| &l.fc), x));
        adapted(&self.c_proj, lora.map(|l| &l.proj), hidden)
    }

    /// Adds fresh LoRA adapters (replacing any).
    pub fn with_lora(mut self, config: &LoraConfig, device: &Device) -> Self {
        let [d, hidden] = self.c_fc.weight.dims();
        self.lora = Some(MlpLora {
            fc: LoraAdapter::new(d, hidden, config, device),
            proj: LoraAdapter::new(hidden, d, config, device),
        });
        self
    }

    /// Folds the adapters into the weights and removes them.
    pub fn merge_lora(mut self) -> Self {
        if let Some(lora) = self.lora.take() {
            self.c_fc = merge_into(self.c_fc, lora.fc.delta());
            self.c_proj = merge_into(self.c_proj, lora.proj.delta());
        }
        self
    }
}

/// GELU with the tanh approximation that GPT-2 and the book use,
/// `0.5 x (1 + tanh(u))` with `u = sqrt(2/pi) (x + 0.044715 x^3)`, computed as the equal
/// `x * sigmoid(2u)` (because `1 + tanh(u) = 2 sigmoid(2u)`): six element-wise ops instead of
/// eight, and no `powf` or `tanh`, which CPU backends evaluate through scalar libm calls.
pub fn gelu_tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    const TWO_SQRT_2_OVER_PI: f64 = 2.0 * core::f64::consts::FRAC_2_SQRT_PI * core::f64::consts::FRAC_1_SQRT_2;
    const CUBIC: f64 = TWO_SQRT_2_OVER_PI * 0.044715;
    let two_u = x.clone() * (x.clone() * x.clone() * CUBIC + TWO_SQRT_2_OVER_PI);
    x * sigmoid(two_u)
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Tensor, TensorData};

    use super::gelu_tanh;

    #[test]
    fn gelu_tanh_equals_the_tanh_formula() {
        let device = Device::flex();
        let xs: Vec<f32> = (-400..=400).map(|i| i as f32 * 0.025).collect(); // -10..10
        let expected: Vec<f32> = xs
            .iter()
            .map(|&x| {
                let x = x as f64;
                let u = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
                (0.5 * x * (1.0 + u.tanh())) as f32
            })
            .collect();
        let out = gelu_tanh(Tensor::<1>::from_data(TensorData::new(xs.clone(), [xs.len()]), &device));
        let got: Vec<f32> = out.into_data().iter::<f32>().collect();
        let err = got.iter().zip(&expected).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        // f32 arithmetic against an f64 reference, values up to 10: a few ulps.
        assert!(err < 2e-6, "max abs error {err:e}");
    }
}
