use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig, RmsNorm, RmsNormConfig};
use burn::tensor::{Device, Int, Tensor};

use super::{DecoderAttention, DecoderBlock, DecoderConfig};
use crate::lora::{LoraAdapter, LoraConfig};
use crate::matrix_dtype::embed;
use crate::output_head::vocabulary_logits;
use crate::kv_cache::ModelCache;
use crate::{KvCache, ModelError};

/// A decoder of the Llama or Qwen3 family, with the family's attention `A`. Field names are
/// the Hugging Face tensor names without the `model.` prefix (`embed_tokens`,
/// `layers.N.self_attn.q_proj`, `layers.N.mlp.gate_proj`, `norm`, and `lm_head` beside them).
#[derive(Module, Debug)]
pub struct Decoder<A> {
    pub embed_tokens: Embedding,
    pub layers: Vec<DecoderBlock<A>>,
    pub norm: RmsNorm,
    /// `None` when the output head is tied to `embed_tokens`.
    pub lm_head: Option<Linear>,
    #[module(skip)]
    config: DecoderConfig,
}

impl DecoderConfig {
    /// A freshly initialised decoder with attention `A`: every projection and the embedding
    /// drawn from N(0, 0.02²), the norms at 1, as `transformers` initialises Llama and Qwen3
    /// (`_init_weights` with the published `initializer_range`).
    pub fn init<A: DecoderAttention>(&self, device: &Device) -> Result<Decoder<A>, ModelError> {
        self.validate()?;
        Ok(Decoder {
            embed_tokens: EmbeddingConfig::new(self.vocab_size, self.emb_dim).with_initializer(self.initializer()).init(device),
            layers: (0..self.n_layers).map(|_| DecoderBlock::new(self, device)).collect(),
            norm: RmsNormConfig::new(self.emb_dim).with_epsilon(self.rms_norm_eps).init(device),
            lm_head: (!self.tie_embeddings).then(|| {
                LinearConfig::new(self.emb_dim, self.vocab_size).with_bias(false).with_initializer(self.initializer()).init(device)
            }),
            config: self.clone(),
        })
    }
}

impl<A: DecoderAttention> Decoder<A> {
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// Final-norm hidden states of `ids` (the tokens after those in `cache`, which this
    /// call extends).
    ///
    /// # Shapes
    /// - ids: `[batch, seq]`; output: `[batch, seq, emb_dim]`
    pub fn hidden(&self, ids: Tensor<2, Int>, cache: Option<&mut KvCache>) -> Tensor<3> {
        self.hidden_in(ids, ModelCache::from_option(cache))
    }

    /// Final-norm hidden states of one new token per row (`ids`: `[rows, 1]`), row `r`
    /// continuing the sequence `caches[r]` holds (each at its own position): `[rows, 1, emb_dim]`.
    pub fn hidden_rows(&self, ids: Tensor<2, Int>, caches: &mut [&mut KvCache]) -> Tensor<3> {
        self.hidden_in(ids, ModelCache::PerRow(caches))
    }

    fn hidden_in(&self, ids: Tensor<2, Int>, mut cache: ModelCache<'_, '_>) -> Tensor<3> {
        let [_, t] = ids.dims();
        let (cos, sin) = self.config.rope.tables(self.config.head_dim, &cache.starts(), t, &ids.device());
        let mut x = embed(&self.embed_tokens, ids); // [b, t, d]
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x, &cos, &sin, cache.layer(i));
        }
        cache.advance(t);
        self.norm.forward(x)
    }

    /// `[b, t, d] -> [b, t, vocab]`
    pub fn logits(&self, hidden: Tensor<3>) -> Tensor<3> {
        vocabulary_logits(hidden, self.lm_head.as_ref(), &self.embed_tokens)
    }

    /// An empty cache sized for this model.
    pub fn new_cache(&self) -> KvCache {
        KvCache::new(self.config.n_layers)
    }

    /// Adds fresh LoRA adapters to every attention and feed-forward projection
    /// (`q_proj`, `k_proj`, `v_proj`, `o_proj`, `gate_proj`, `up_proj`, `down_proj`).
    pub fn with_lora(mut self, config: &LoraConfig, device: &Device) -> Self {
        self.layers = self.layers.into_iter().map(|layer| layer.with_lora(config, device)).collect();
        self
    }

    /// Folds every adapter into its projection's weight: a plain model again.
    pub fn merge_lora(mut self) -> Self {
        self.layers = self.layers.into_iter().map(DecoderBlock::merge_lora).collect();
        self
    }

    /// Every LoRA adapter, named `layers.N.self_attn.lora_q_proj`, …, `layers.N.mlp.lora_down_proj`.
    pub fn adapters_mut(&mut self) -> Vec<(String, &mut LoraAdapter)> {
        let layers = self.layers.iter_mut().enumerate();
        layers.flat_map(|(i, layer)| layer.adapters_mut().into_iter().map(move |(name, a)| (format!("layers.{i}.{name}"), a))).collect()
    }

    /// Whether any layer carries LoRA adapters.
    pub fn has_lora(&self) -> bool {
        self.layers.iter().any(|l| l.self_attn.lora().is_some() || l.mlp.lora.is_some())
    }

    /// The model without its output head (a classifier reads the hidden states); its config
    /// then says the head is tied, so a rebuilt model has none either.
    pub fn without_lm_head(mut self) -> Self {
        self.lm_head = None;
        self.config.tie_embeddings = true;
        self
    }

    /// Every weight frozen but the last layer's and the final norm's.
    pub fn with_last_layer_trainable(self) -> Self {
        let mut model = self.no_grad();
        if let Some(last) = model.layers.pop() {
            model.layers.push(last.set_require_grad(true));
        }
        model.norm = model.norm.set_require_grad(true);
        model
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Distribution, Int, Tensor};

    use crate::CausalModel;
    use crate::llama::{Llama, llama_3_2_1b};
    use crate::loss::next_token_loss;

    #[test]
    fn a_fresh_decoder_predicts_every_token_about_equally() {
        // With transformers' N(0, 0.02²) weights the tied head's logits start near zero: the
        // loss of random text is about ln(vocab), where training from scratch should start.
        let device = burn::tensor::Device::flex();
        device.seed(7);
        let config = super::DecoderConfig {
            vocab_size: 512, context_length: 32, emb_dim: 64, n_layers: 2, n_heads: 4, n_kv_heads: 2, head_dim: 16, hidden_dim: 128,
            ..llama_3_2_1b()
        };
        let model: Llama = config.init(&device).unwrap();
        let ids = Tensor::<2, Int>::random([4, 17], Distribution::Uniform(0.0, 512.0), &device);
        let (inputs, targets) = (ids.clone().narrow(1, 0, 16), ids.narrow(1, 1, 16));
        let loss: f32 = next_token_loss(&model, inputs, targets, None).into_scalar();
        let uniform = (512f32).ln();
        assert!((loss - uniform).abs() < 0.1, "initial loss {loss}, ln(vocab) {uniform}");
        assert_eq!(model.vocab_size(), 512);
    }
}
