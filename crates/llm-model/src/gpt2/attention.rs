use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Bool, Device, Tensor};

use crate::dropout::Dropout;
use crate::grouped_attention::grouped_causal_attention;
use crate::kv_cache::LayerCache;
use crate::lora::{LoraAdapter, LoraConfig, adapted, merge_into};
use crate::matrix_dtype::linear_forward;
use crate::rows::on_rows;

#[derive(Config, Debug)]
pub struct CausalSelfAttentionConfig {
    pub d_model: usize,
    pub n_heads: usize,
    #[config(default = 0.0)]
    pub dropout: f64,
    #[config(default = true)]
    pub qkv_bias: bool,
}

/// Causal multi-head self-attention with GPT-2's fused query/key/value projection.
///
/// `c_attn` holds `[W_query | W_key | W_value]` side by side (`[d_model, 3 d_model]`), as
/// GPT-2 checkpoints store it; `c_proj` is the book's `out_proj`.
#[derive(Module, Debug)]
pub struct CausalSelfAttention {
    pub c_attn: Linear,
    pub c_proj: Linear,
    pub attn_dropout: Dropout,
    pub n_heads: usize,
    /// LoRA adapters, when fine-tuning with them.
    pub lora: Option<AttentionLora>,
}

/// LoRA adapters of an attention layer: one each for the query, key and value projections
/// (as the book's separate `W_query`, `W_key`, `W_value`) and one for the output.
#[derive(Module, Debug)]
pub struct AttentionLora {
    pub query: LoraAdapter,
    pub key: LoraAdapter,
    pub value: LoraAdapter,
    pub proj: LoraAdapter,
}

impl CausalSelfAttentionConfig {
    pub fn init(&self, device: &Device) -> CausalSelfAttention {
        CausalSelfAttention {
            c_attn: LinearConfig::new(self.d_model, 3 * self.d_model)
                .with_bias(self.qkv_bias)
                .init(device),
            c_proj: LinearConfig::new(self.d_model, self.d_model).init(device),
            attn_dropout: Dropout::new(self.dropout),
            n_heads: self.n_heads,
            lora: None,
        }
    }
}

impl CausalSelfAttention {
    /// Attends each position to itself and the positions before it, including those held
    /// in `cache` (which is extended by this call's keys and values).
    ///
    /// # Shapes
    /// - x: `[batch, seq, d_model]`
    /// - output: `[batch, seq, d_model]`
    pub fn forward(&self, x: Tensor<3>, cache: Option<LayerCache<'_>>) -> Tensor<3> {
        let [b, t, d] = x.dims();
        let (h, hd) = (self.n_heads, d / self.n_heads);
        let device = x.device();

        let qkv = on_rows(x, |x| {
            let qkv = linear_forward(&self.c_attn, x.clone()); // [b·t, 3d]
            match &self.lora {
                Some(lora) => {
                    let parts = [&lora.query, &lora.key, &lora.value].map(|a| a.forward(x.clone()));
                    qkv + Tensor::cat(parts.to_vec(), 1)
                }
                None => qkv,
            }
        }); // [b, t, 3d]
        let heads = |i: usize| {
            qkv.clone()
                .narrow(2, i * d, d)
                .reshape([b, t, h, hd])
                .swap_dims(1, 2) // [b, h, t, hd]
        };
        let (q, k, v) = (heads(0), heads(1), heads(2));
        let (k, v) = match cache {
            Some(LayerCache::PerRow(caches)) => {
                // Sequences decoded together (inference, so no dropout): each row attends to
                // its own cache, as grouped attention with one query head per key head does.
                let context = grouped_causal_attention(q, k, v, Some(LayerCache::PerRow(caches)));
                return adapted(&self.c_proj, self.lora.as_ref().map(|l| &l.proj), context);
            }
            Some(LayerCache::Shared(cache)) => cache.append(k, v),
            None => (k, v),
        };
        let s = k.dims()[2]; // past + t
        let past = s - t;

        let scores = q.matmul(k.swap_dims(2, 3)) / (hd as f64).sqrt(); // [b, h, t, s]
        // Query i sits at position past + i and may see keys 0..=past + i.
        let hidden = Tensor::<2, Bool>::tril_mask([t, s], past as i64, &device)
            .unsqueeze::<4>()
            .expand([b, h, t, s]);
        let weights = softmax(scores.mask_fill(hidden, f32::NEG_INFINITY), 3);
        let weights = self.attn_dropout.forward(weights);

        let context = weights.matmul(v).swap_dims(1, 2).reshape([b, t, d]); // [b, t, d]
        adapted(&self.c_proj, self.lora.as_ref().map(|l| &l.proj), context)
    }

    /// Adds fresh LoRA adapters (replacing any).
    pub fn with_lora(mut self, config: &LoraConfig, device: &Device) -> Self {
        let d = self.c_proj.weight.dims()[0];
        let adapter = || LoraAdapter::new(d, d, config, device);
        self.lora = Some(AttentionLora {
            query: adapter(),
            key: adapter(),
            value: adapter(),
            proj: adapter(),
        });
        self
    }

    /// Folds the adapters into the projection weights and removes them.
    pub fn merge_lora(mut self) -> Self {
        if let Some(lora) = self.lora.take() {
            let qkv = Tensor::cat(vec![lora.query.delta(), lora.key.delta(), lora.value.delta()], 1);
            self.c_attn = merge_into(self.c_attn, qkv);
            self.c_proj = merge_into(self.c_proj, lora.proj.delta());
        }
        self
    }
}
