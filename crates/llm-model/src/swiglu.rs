//! The gated feed-forward of Llama and Qwen3: `down_proj(silu(gate_proj(x)) · up_proj(x))`,
//! no biases. burn-nn's `SwiGlu` holds the gate and the up projection as `linear_inner` and
//! `linear_outer` and leaves out the down projection; here the fields carry the checkpoints'
//! names.

use burn::module::Module;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::activation::silu;
use burn::tensor::{Device, Tensor};

use crate::lora::{LoraAdapter, LoraConfig, adapted, merge_into};
use crate::rows::on_rows;

#[derive(Module, Debug)]
pub struct SwiGluMlp {
    pub gate_proj: Linear,
    pub up_proj: Linear,
    pub down_proj: Linear,
    /// LoRA adapters of the three projections, when fine-tuning with them.
    pub lora: Option<SwiGluLora>,
}

/// One LoRA adapter per projection of a [`SwiGluMlp`].
#[derive(Module, Debug)]
pub struct SwiGluLora {
    pub gate_proj: LoraAdapter,
    pub up_proj: LoraAdapter,
    pub down_proj: LoraAdapter,
}

impl SwiGluMlp {
    /// Fresh projections `d_model -> hidden -> d_model`, their weights drawn by `initializer`.
    pub fn new(d_model: usize, hidden: usize, initializer: &Initializer, device: &Device) -> Self {
        let linear = |d_in, d_out| LinearConfig::new(d_in, d_out).with_bias(false).with_initializer(initializer.clone()).init(device);
        Self { gate_proj: linear(d_model, hidden), up_proj: linear(d_model, hidden), down_proj: linear(hidden, d_model), lora: None }
    }

    /// `[batch, seq, d_model] -> [batch, seq, d_model]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let lora = self.lora.as_ref();
        on_rows(x, |x| {
            let gate = adapted(&self.gate_proj, lora.map(|l| &l.gate_proj), x.clone());
            let gated = silu(gate) * adapted(&self.up_proj, lora.map(|l| &l.up_proj), x); // [rows, hidden]
            adapted(&self.down_proj, lora.map(|l| &l.down_proj), gated)
        })
    }

    /// Adds fresh LoRA adapters (replacing any).
    pub fn with_lora(mut self, config: &LoraConfig, device: &Device) -> Self {
        self.lora = Some(SwiGluLora {
            gate_proj: LoraAdapter::for_linear(&self.gate_proj, config, device),
            up_proj: LoraAdapter::for_linear(&self.up_proj, config, device),
            down_proj: LoraAdapter::for_linear(&self.down_proj, config, device),
        });
        self
    }

    /// Folds the adapters into the weights and removes them.
    pub fn merge_lora(mut self) -> Self {
        if let Some(lora) = self.lora.take() {
            self.gate_proj = merge_into(self.gate_proj, lora.gate_proj.delta());
            self.up_proj = merge_into(self.up_proj, lora.up_proj.delta());
            self.down_proj = merge_into(self.down_proj, lora.down_proj.delta());
        }
        self
    }

    /// The adapters, named by the projection they adapt (`gate_proj`, `up_proj`, `down_proj`).
    pub fn adapters_mut(&mut self) -> Vec<(&'static str, &mut LoraAdapter)> {
        match &mut self.lora {
            Some(l) => vec![("gate_proj", &mut l.gate_proj), ("up_proj", &mut l.up_proj), ("down_proj", &mut l.down_proj)],
            None => Vec::new(),
        }
    }
}
