use burn::module::Module;
use burn::nn::{Linear, RmsNorm, RmsNormConfig};
use burn::tensor::{Device, Tensor};

use crate::ModelError;
use crate::decoder::{
    AttentionLora, DecoderAttention, DecoderConfig, HeadShape, HfWeights, load_projections, new_projections, put_rms_norm, rotary_self_attention,
    save_projections,
};
use crate::kv_cache::LayerCache;
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
    /// LoRA adapters of the four projections, when fine-tuning with them.
    pub lora: Option<AttentionLora>,
    pub q_norm: RmsNorm,
    pub k_norm: RmsNorm,
    pub n_heads: usize,
    pub n_kv_heads: usize,
    pub head_dim: usize,
}

impl DecoderAttention for Qwen3Attention {
    fn new(config: &DecoderConfig, device: &Device) -> Self {
        let [q_proj, k_proj, v_proj, o_proj] = new_projections(config, device);
        let norm = || RmsNormConfig::new(config.head_dim).with_epsilon(config.rms_norm_eps).init(device);
        Self {
            q_proj,
            k_proj,
            v_proj,
            o_proj,
            lora: None,
            q_norm: norm(),
            k_norm: norm(),
            n_heads: config.n_heads,
            n_kv_heads: config.n_kv_heads,
            head_dim: config.head_dim,
        }
    }

    fn forward(&self, x: Tensor<3>, cos: &Tensor<4>, sin: &Tensor<4>, cache: Option<LayerCache<'_>>) -> Tensor<3> {
        let shape = HeadShape { n_heads: self.n_heads, n_kv_heads: self.n_kv_heads, head_dim: self.head_dim };
        let projections = [&self.q_proj, &self.k_proj, &self.v_proj, &self.o_proj];
        rotary_self_attention(projections, self.lora.as_ref(), Some([&self.q_norm, &self.k_norm]), shape, x, (cos, sin), cache)
    }

    fn load(&mut self, weights: &mut HfWeights, prefix: &str) -> Result<(), ModelError> {
        load_projections(weights, prefix, [&mut self.q_proj, &mut self.k_proj, &mut self.v_proj, &mut self.o_proj])?;
        weights.rms_norm(&mut self.q_norm, &format!("{prefix}.q_norm"))?;
        weights.rms_norm(&mut self.k_norm, &format!("{prefix}.k_norm"))
    }

    fn save(&self, map: &mut TensorMap, prefix: &str) {
        save_projections(map, prefix, [&self.q_proj, &self.k_proj, &self.v_proj, &self.o_proj]);
        put_rms_norm(map, &format!("{prefix}.q_norm"), &self.q_norm);
        put_rms_norm(map, &format!("{prefix}.k_norm"), &self.k_norm);
    }

    fn projections_mut(&mut self) -> ([&mut Linear; 4], &mut Option<AttentionLora>) {
        ([&mut self.q_proj, &mut self.k_proj, &mut self.v_proj, &mut self.o_proj], &mut self.lora)
    }

    fn lora(&self) -> Option<&AttentionLora> {
        self.lora.as_ref()
    }
}
