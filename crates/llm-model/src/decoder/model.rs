use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig, RmsNorm, RmsNormConfig};
use burn::tensor::{Device, Int, Tensor};

use super::{DecoderAttention, DecoderBlock, DecoderConfig};
use crate::output_head::vocabulary_logits;
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
    /// A freshly initialised decoder with attention `A` (Burn's default initialisation).
    pub fn init<A: DecoderAttention>(&self, device: &Device) -> Result<Decoder<A>, ModelError> {
        self.validate()?;
        Ok(Decoder {
            embed_tokens: EmbeddingConfig::new(self.vocab_size, self.emb_dim).init(device),
            layers: (0..self.n_layers).map(|_| DecoderBlock::new(self, device)).collect(),
            norm: RmsNormConfig::new(self.emb_dim).with_epsilon(self.rms_norm_eps).init(device),
            lm_head: (!self.tie_embeddings)
                .then(|| LinearConfig::new(self.emb_dim, self.vocab_size).with_bias(false).init(device)),
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
    pub fn hidden(&self, ids: Tensor<2, Int>, mut cache: Option<&mut KvCache>) -> Tensor<3> {
        let [_, t] = ids.dims();
        let past = cache.as_ref().map_or(0, |c| c.len());
        let (cos, sin) = self.config.rope.tables(self.config.head_dim, past, t, &ids.device());
        let mut x = self.embed_tokens.forward(ids); // [b, t, d]
        for (i, layer) in self.layers.iter().enumerate() {
            let layer_cache = cache.as_deref_mut().map(|c| &mut c.layers[i]);
            x = layer.forward(x, &cos, &sin, layer_cache);
        }
        if let Some(cache) = cache {
            cache.advance(t);
        }
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
}
