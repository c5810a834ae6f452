//! LoRA adapters of a decoder's four attention projections.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::Device;

use super::attention::PROJECTION_NAMES;
use crate::lora::{LoraAdapter, LoraConfig, merge_into};

/// One adapter each for `q_proj`, `k_proj`, `v_proj` and `o_proj`.
#[derive(Module, Debug)]
pub struct AttentionLora {
    pub q_proj: LoraAdapter,
    pub k_proj: LoraAdapter,
    pub v_proj: LoraAdapter,
    pub o_proj: LoraAdapter,
}

impl AttentionLora {
    /// Fresh adapters beside `[q_proj, k_proj, v_proj, o_proj]`.
    pub fn new(projections: [&Linear; 4], config: &LoraConfig, device: &Device) -> Self {
        let [q_proj, k_proj, v_proj, o_proj] = projections.map(|linear| LoraAdapter::for_linear(linear, config, device));
        Self { q_proj, k_proj, v_proj, o_proj }
    }

    /// The adapters in the order of `[q_proj, k_proj, v_proj, o_proj]`.
    pub fn each(&self) -> [&LoraAdapter; 4] {
        [&self.q_proj, &self.k_proj, &self.v_proj, &self.o_proj]
    }

    /// The adapters named by the projection they adapt.
    pub fn named_mut(&mut self) -> Vec<(&'static str, &mut LoraAdapter)> {
        PROJECTION_NAMES.into_iter().zip([&mut self.q_proj, &mut self.k_proj, &mut self.v_proj, &mut self.o_proj]).collect()
    }

    /// Adds each adapter's update to its projection's weight.
    pub fn merge(self, projections: [&mut Linear; 4]) {
        for (linear, adapter) in projections.into_iter().zip([self.q_proj, self.k_proj, self.v_proj, self.o_proj]) {
            *linear = merge_into(linear.clone(), adapter.delta());
        }
    }
}
