use burn::module::{Module, ModuleDisplay};
use burn::nn::{Linear, LinearConfig, RmsNorm};
use burn::tensor::{Device, Tensor};

use super::DecoderConfig;
use super::attention_lora::AttentionLora;
use super::weights::{HfWeights, put_linear};
use crate::ModelError;
use crate::grouped_attention::grouped_causal_attention;
use crate::kv_cache::LayerCache;
use crate::lora::{LoraAdapter, LoraConfig, adapted};
use crate::rope::apply_rotary;
use crate::weights::TensorMap;

/// What a decoder layer needs of a family's self-attention.
pub trait DecoderAttention: Module + ModuleDisplay + Sized {
    /// Freshly initialised projections for `config`.
    fn new(config: &DecoderConfig, device: &Device) -> Self;

    /// Attends each position to itself and those before it (including those in `cache`,
    /// which the call extends), with rotary positions from the `cos`/`sin` tables.
    ///
    /// # Shapes
    /// - x: `[batch, seq, emb_dim]`; cos, sin: `[1 or batch, 1, seq, head_dim]` ([`RopeConfig::tables`](crate::rope::RopeConfig::tables))
    /// - output: `[batch, seq, emb_dim]`
    fn forward(&self, x: Tensor<3>, cos: &Tensor<4>, sin: &Tensor<4>, cache: Option<LayerCache<'_>>) -> Tensor<3>;

    /// Takes this layer's weights, named under `prefix` (`layers.N.self_attn`).
    fn load(&mut self, weights: &mut HfWeights, prefix: &str) -> Result<(), ModelError>;

    /// Writes this layer's weights under `prefix`, as [`DecoderAttention::load`] reads them.
    fn save(&self, map: &mut TensorMap, prefix: &str);

    /// `[q_proj, k_proj, v_proj, o_proj]` and their LoRA adapters, if any.
    fn projections_mut(&mut self) -> ([&mut Linear; 4], &mut Option<AttentionLora>);

    /// The LoRA adapters, if any.
    fn lora(&self) -> Option<&AttentionLora>;

    /// Adds fresh LoRA adapters to the four projections (replacing any).
    fn with_lora(mut self, config: &LoraConfig, device: &Device) -> Self {
        let ([q, k, v, o], lora) = self.projections_mut();
        *lora = Some(AttentionLora::new([&*q, &*k, &*v, &*o], config, device));
        self
    }

    /// Folds the adapters into the projections and removes them.
    fn merge_lora(mut self) -> Self {
        let (projections, lora) = self.projections_mut();
        if let Some(adapters) = lora.take() {
            adapters.merge(projections);
        }
        self
    }
}

/// `linear(x)` (plus the adapter's update) cut into `heads` heads of `head_dim`:
/// `[batch, seq, d] -> [batch, heads, seq, head_dim]`.
pub fn project_heads(linear: &Linear, adapter: Option<&LoraAdapter>, x: Tensor<3>, heads: usize, head_dim: usize) -> Tensor<4> {
    let [b, t, _] = x.dims();
    adapted(linear, adapter, x).reshape([b, t, heads, head_dim]).swap_dims(1, 2)
}

/// The checkpoint names of the four projections, in the order the helpers below take them.
pub(super) const PROJECTION_NAMES: [&str; 4] = ["q_proj", "k_proj", "v_proj", "o_proj"];

/// Fresh bias-free projections `[q_proj, k_proj, v_proj, o_proj]` for `config` (keys and
/// values for `n_kv_heads` heads only).
pub fn new_projections(config: &DecoderConfig, device: &Device) -> [Linear; 4] {
    let linear = |d_in, d_out| LinearConfig::new(d_in, d_out).with_bias(false).with_initializer(config.initializer()).init(device);
    let (d, hd) = (config.emb_dim, config.head_dim);
    [linear(d, config.n_heads * hd), linear(d, config.n_kv_heads * hd), linear(d, config.n_kv_heads * hd), linear(config.n_heads * hd, d)]
}

/// Takes `[q_proj, k_proj, v_proj, o_proj]` from `weights` under `prefix`.
pub fn load_projections(weights: &mut HfWeights, prefix: &str, projections: [&mut Linear; 4]) -> Result<(), ModelError> {
    for (linear, name) in projections.into_iter().zip(PROJECTION_NAMES) {
        weights.linear(linear, &format!("{prefix}.{name}"))?;
    }
    Ok(())
}

/// Writes `[q_proj, k_proj, v_proj, o_proj]` under `prefix`, as [`load_projections`] reads them.
pub fn save_projections(map: &mut TensorMap, prefix: &str, projections: [&Linear; 4]) {
    for (linear, name) in projections.into_iter().zip(PROJECTION_NAMES) {
        put_linear(map, &format!("{prefix}.{name}"), linear);
    }
}

/// Head counts and width of grouped-query attention.
#[derive(Debug, Clone, Copy)]
pub struct HeadShape {
    pub n_heads: usize,
    pub n_kv_heads: usize,
    pub head_dim: usize,
}

/// Self-attention with grouped key/value heads through `[q_proj, k_proj, v_proj, o_proj]`
/// (each with its LoRA adapter when `lora` holds them): queries and keys optionally normalised per head (`qk_norms`, Qwen3's), then rotated by the
/// `cos`/`sin` tables, then attended causally (extending `cache`).
///
/// # Shapes
/// - x: `[batch, seq, emb_dim]`; cos, sin: `[1 or batch, 1, seq, head_dim]` ([`RopeConfig::tables`](crate::rope::RopeConfig::tables)); output: `[batch, seq, emb_dim]`
pub fn rotary_self_attention(
    projections: [&Linear; 4],
    lora: Option<&AttentionLora>,
    qk_norms: Option<[&RmsNorm; 2]>,
    shape: HeadShape,
    x: Tensor<3>,
    rotary: (&Tensor<4>, &Tensor<4>),
    cache: Option<LayerCache<'_>>,
) -> Tensor<3> {
    let [q_proj, k_proj, v_proj, o_proj] = projections;
    let [q_lora, k_lora, v_lora, o_lora] = match lora {
        Some(adapters) => adapters.each().map(Some),
        None => [None; 4],
    };
    let HeadShape { n_heads, n_kv_heads, head_dim } = shape;
    let mut q = project_heads(q_proj, q_lora, x.clone(), n_heads, head_dim); // [b, h, t, hd]
    let mut k = project_heads(k_proj, k_lora, x.clone(), n_kv_heads, head_dim); // [b, kv, t, hd]
    let v = project_heads(v_proj, v_lora, x, n_kv_heads, head_dim);
    if let Some([q_norm, k_norm]) = qk_norms {
        (q, k) = (q_norm.forward(q), k_norm.forward(k));
    }
    let (cos, sin) = rotary;
    let context = grouped_causal_attention(apply_rotary(q, cos, sin), apply_rotary(k, cos, sin), v, cache); // [b, t, h · hd]
    adapted(o_proj, o_lora, context)
}
