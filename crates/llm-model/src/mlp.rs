use burn::config::Config;
use burn::module::Module;
use burn::nn::{Gelu, Linear, LinearConfig};
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
    pub act: Gelu,
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
            // GPT-2 (and the book) use the tanh approximation of GELU.
            act: Gelu::new_approximate(),
            lora: None,
        }
    }
}

impl Mlp {
    /// `[batch, seq, d_model] -> [batch, seq, d_model]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let lora = self.lora.as_ref();
        let hidden = self.act.forward(adapted(&self.c_fc, lora.map(|l| &l.fc), x));
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
