use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};

use super::DecoderConfig;
use super::weights::HfWeights;
use crate::ModelError;
use crate::kv_cache::LayerKv;
use crate::rows::on_rows;
use crate::weights::TensorMap;

/// What a decoder layer needs of a family's self-attention.
pub trait DecoderAttention: Module + Sized {
    /// Freshly initialised projections for `config`.
    fn new(config: &DecoderConfig, device: &Device) -> Self;

    /// Attends each position to itself and those before it (including those in `cache`,
    /// which the call extends), with rotary positions from the `cos`/`sin` tables.
    ///
    /// # Shapes
    /// - x: `[batch, seq, emb_dim]`; cos, sin: `[seq, head_dim]`
    /// - output: `[batch, seq, emb_dim]`
    fn forward(&self, x: Tensor<3>, cos: &Tensor<2>, sin: &Tensor<2>, cache: Option<&mut LayerKv>) -> Tensor<3>;

    /// Takes this layer's weights, named under `prefix` (`layers.N.self_attn`).
    fn load(&mut self, weights: &mut HfWeights, prefix: &str) -> Result<(), ModelError>;

    /// Writes this layer's weights under `prefix`, as [`DecoderAttention::load`] reads them.
    fn save(&self, map: &mut TensorMap, prefix: &str);
}

/// `linear(x)` cut into `heads` heads of `head_dim`: `[batch, seq, d] -> [batch, heads, seq, head_dim]`.
pub fn project_heads(linear: &Linear, x: Tensor<3>, heads: usize, head_dim: usize) -> Tensor<4> {
    let [b, t, _] = x.dims();
    on_rows(x, |x| linear.forward(x)).reshape([b, t, heads, head_dim]).swap_dims(1, 2)
}
