use burn::config::Config;
use burn::module::Module;
use burn::nn::{Gelu, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

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
}

impl MlpConfig {
    pub fn init(&self, device: &Device) -> Mlp {
        let hidden = self.expansion * self.d_model;
        Mlp {
            c_fc: LinearConfig::new(self.d_model, hidden).init(device),
            c_proj: LinearConfig::new(hidden, self.d_model).init(device),
            // GPT-2 (and the book) use the tanh approximation of GELU.
            act: Gelu::new_approximate(),
        }
    }
}

impl Mlp {
    /// `[batch, seq, d_model] -> [batch, seq, d_model]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.c_proj.forward(self.act.forward(self.c_fc.forward(x)))
    }
}
