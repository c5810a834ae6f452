use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};

use crate::ModelError;
use crate::decoder::{
    AttentionLora, DecoderAttention, DecoderConfig, HeadShape, HfWeights, load_projections, new_projections, rotary_self_attention, save_projections,
};
use crate::kv_cache::LayerCache;
use crate::weights::TensorMap;

/// Llama's self-attention: separate query, key and value projections (keys and values for
/// `n_kv_heads` heads only), rotary positions on queries and keys, grouped-query attention.
#[derive(Module, Debug)]
pub struct LlamaAttention {
    pub q_proj: Linear,
    pub k_proj: Linear,
    pub v_proj: Linear,
    pub o_proj: Linear,
    /// LoRA adapters of the four projections, when fine-tuning with them.
    pub lora: Option<AttentionLora>,
    pub n_heads: usize,
    pub n_kv_heads: usize,
    pub head_dim: usize,
}

impl DecoderAttention for LlamaAttention {
    fn new(config: &DecoderConfig, device: &Device) -> Self {
        let [q_proj, k_proj, v_proj, o_proj] = new_projections(config, device);
        Self { q_proj, k_proj, v_proj, o_proj, lora: None, n_heads: config.n_heads, n_kv_heads: config.n_kv_heads, head_dim: config.head_dim }
    }

    fn forward(&self, x: Tensor<3>, cos: &Tensor<4>, sin: &Tensor<4>, cache: Option<LayerCache<'_>>) -> Tensor<3> {
        let shape = HeadShape { n_heads: self.n_heads, n_kv_heads: self.n_kv_heads, head_dim: self.head_dim };
        rotary_self_attention([&self.q_proj, &self.k_proj, &self.v_proj, &self.o_proj], self.lora.as_ref(), None, shape, x, (cos, sin), cache)
    }

    fn load(&mut self, weights: &mut HfWeights, prefix: &str) -> Result<(), ModelError> {
        load_projections(weights, prefix, [&mut self.q_proj, &mut self.k_proj, &mut self.v_proj, &mut self.o_proj])
    }

    fn save(&self, map: &mut TensorMap, prefix: &str) {
        save_projections(map, prefix, [&self.q_proj, &self.k_proj, &self.v_proj, &self.o_proj]);
    }

    fn projections_mut(&mut self) -> ([&mut Linear; 4], &mut Option<AttentionLora>) {
        ([&mut self.q_proj, &mut self.k_proj, &mut self.v_proj, &mut self.o_proj], &mut self.lora)
    }

    fn lora(&self) -> Option<&AttentionLora> {
        self.lora.as_ref()
    }
}
