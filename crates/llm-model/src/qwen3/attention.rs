use burn::module::Module;
use burn::nn::{Linear, LinearConfig, RmsNorm, RmsNormConfig};
use burn::tensor::{Device, Tensor};

use crate::ModelError;
use crate::decoder::{DecoderAttention, DecoderConfig, HfWeights, project_heads, put_linear, put_rms_norm};
use crate::grouped_attention::grouped_causal_attention;
use crate::kv_cache::LayerKv;
use crate::rope::apply_rotary;
use crate::rows::on_rows;
use crate::weights::TensorMap;

/// Qwen3's self-attention: Llama's, with every query and key head normalised (RMSNorm over
/// the head, `q_norm` and `k_norm`) before the rotary positions, and a head width of its own
/// (`head_dim`, not `emb_dim / n_heads`).
#[derive(Module, Debug)]
pub struct Qwen3Attention {
    pub q_proj: Linear,
    pub k_proj: Linear,
    pub v_proj: Linear,
    pub o_proj: Linear,
    pub q_norm: RmsNorm,
    pub k_norm: RmsNorm,
    pub n_heads: usize,
    pub n_kv_heads: usize,
    pub head_dim: usize,
}

impl DecoderAttention for Qwen3Attention {
    fn new(config: &DecoderConfig, device: &Device) -> Self {
        let linear = |d_in, d_out| LinearConfig::new(d_in, d_out).with_bias(false).init(device);
        let norm = || RmsNormConfig::new(config.head_dim).with_epsilon(config.rms_norm_eps).init(device);
        let (d, hd) = (config.emb_dim, config.head_dim);
        Self {
            q_proj: linear(d, config.n_heads * hd),
            k_proj: linear(d, config.n_kv_heads * hd),
            v_proj: linear(d, config.n_kv_heads * hd),
            o_proj: linear(config.n_heads * hd, d),
            q_norm: norm(),
            k_norm: norm(),
            n_heads: config.n_heads,
            n_kv_heads: config.n_kv_heads,
            head_dim: hd,
        }
    }

    fn forward(&self, x: Tensor<3>, cos: &Tensor<2>, sin: &Tensor<2>, cache: Option<&mut LayerKv>) -> Tensor<3> {
        let hd = self.head_dim;
        let q = self.q_norm.forward(project_heads(&self.q_proj, x.clone(), self.n_heads, hd)); // [b, h, t, hd]
        let k = self.k_norm.forward(project_heads(&self.k_proj, x.clone(), self.n_kv_heads, hd)); // [b, kv, t, hd]
        let v = project_heads(&self.v_proj, x, self.n_kv_heads, hd);
        let context = grouped_causal_attention(apply_rotary(q, cos, sin), apply_rotary(k, cos, sin), v, cache);
        on_rows(context, |c| self.o_proj.forward(c))
    }

    fn load(&mut self, weights: &mut HfWeights, prefix: &str) -> Result<(), ModelError> {
        for (linear, name) in [(&mut self.q_proj, "q_proj"), (&mut self.k_proj, "k_proj"), (&mut self.v_proj, "v_proj"), (&mut self.o_proj, "o_proj")] {
            weights.linear(linear, &format!("{prefix}.{name}"))?;
        }
        weights.rms_norm(&mut self.q_norm, &format!("{prefix}.q_norm"))?;
        weights.rms_norm(&mut self.k_norm, &format!("{prefix}.k_norm"))
    }

    fn save(&self, map: &mut TensorMap, prefix: &str) {
        for (linear, name) in [(&self.q_proj, "q_proj"), (&self.k_proj, "k_proj"), (&self.v_proj, "v_proj"), (&self.o_proj, "o_proj")] {
            put_linear(map, &format!("{prefix}.{name}"), linear);
        }
        put_rms_norm(map, &format!("{prefix}.q_norm"), &self.q_norm);
        put_rms_norm(map, &format!("{prefix}.k_norm"), &self.k_norm);
    }
}
