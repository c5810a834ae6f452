//! The gated feed-forward of Llama and Qwen3: `down_proj(silu(gate_proj(x)) · up_proj(x))`,
//! no biases. burn-nn's `SwiGlu` holds the gate and the up projection as `linear_inner` and
//! `linear_outer` and leaves out the down projection; here the fields carry the checkpoints'
//! names.

use burn::module::Module;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::activation::silu;
use burn::tensor::{Device, Tensor};

use crate::rows::on_rows;

#[derive(Module, Debug)]
pub struct SwiGluMlp {
    pub gate_proj: Linear,
    pub up_proj: Linear,
    pub down_proj: Linear,
}

impl SwiGluMlp {
    /// Fresh projections `d_model -> hidden -> d_model`, their weights drawn by `initializer`.
    pub fn new(d_model: usize, hidden: usize, initializer: &Initializer, device: &Device) -> Self {
        let linear = |d_in, d_out| LinearConfig::new(d_in, d_out).with_bias(false).with_initializer(initializer.clone()).init(device);
        Self { gate_proj: linear(d_model, hidden), up_proj: linear(d_model, hidden), down_proj: linear(hidden, d_model) }
    }

    /// `[batch, seq, d_model] -> [batch, seq, d_model]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        on_rows(x, |x| {
            let gated = silu(self.gate_proj.forward(x.clone())) * self.up_proj.forward(x); // [rows, hidden]
            self.down_proj.forward(gated)
        })
    }
}
