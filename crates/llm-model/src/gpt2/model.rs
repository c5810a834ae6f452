use burn::module::Module;
use burn::nn::{
    Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear,
    LinearConfig,
};
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::block::Block;
use crate::dropout::Dropout;
use crate::matrix_dtype::embed;
use crate::output_head::vocabulary_logits;
use crate::torch_rng::SharedTorchGenerator;
use crate::lora::{LoraAdapter, LoraConfig};
use crate::kv_cache::ModelCache;
use crate::{GptConfig, KvCache, ModelError};

/// The GPT model of the book (chapter 4), laid out as GPT-2 checkpoints are.
///
/// Field names are the Hugging Face GPT-2 tensor names (`wte`, `wpe`, `h.N.attn.c_attn`,
/// `ln_f`, `lm_head`), so [`crate::weights`] maps checkpoints one to one. The book's names
/// map as: `tok_emb`→`wte`, `pos_emb`→`wpe`, `trf_blocks`→`h`, `att.W_query|W_key|W_value`
/// →`attn.c_attn` (concatenated), `att.out_proj`→`attn.c_proj`, `ff.layers.0|2`→
/// `mlp.c_fc|c_proj`, `norm1|norm2`→`ln_1|ln_2`, `final_norm`→`ln_f`, `out_head`→`lm_head`.
#[derive(Module, Debug)]
pub struct Gpt {
    pub wte: Embedding,
    pub wpe: Embedding,
    pub drop: Dropout,
    pub h: Vec<Block>,
    pub ln_f: LayerNorm,
    /// `None` when the output head is tied to `wte`.
    pub lm_head: Option<Linear>,
    #[module(skip)]
    config: GptConfig,
}

impl GptConfig {
    /// A freshly initialised model (PyTorch's default initialisation, as in the book:
    /// embeddings `N(0, 1)`, linear layers Kaiming-uniform).
    pub fn init(&self, device: &Device) -> Result<Gpt, ModelError> {
        self.validate()?;
        Ok(Gpt {
            wte: EmbeddingConfig::new(self.vocab_size, self.emb_dim).init(device),
            wpe: EmbeddingConfig::new(self.context_length, self.emb_dim).init(device),
            drop: Dropout::new(self.dropout),
            h: (0..self.n_layers).map(|_| Block::new(self, device)).collect(),
            ln_f: LayerNormConfig::new(self.emb_dim)
                .with_epsilon(self.layer_norm_eps)
                .init(device),
            lm_head: (!self.tie_embeddings).then(|| {
                LinearConfig::new(self.emb_dim, self.vocab_size)
                    .with_bias(false)
                    .init(device)
            }),
            config: self.clone(),
        })
    }
}

impl Gpt {
    pub fn config(&self) -> &GptConfig {
        &self.config
    }

    /// Next-token logits for every position.
    ///
    /// # Shapes
    /// - ids: `[batch, seq]` with `seq <= context_length`
    /// - output: `[batch, seq, vocab_size]`
    pub fn forward(&self, ids: Tensor<2, Int>) -> Tensor<3> {
        self.logits(self.hidden(ids, None))
    }

    /// Like [`forward`](Self::forward) for the tokens that follow those already in `cache`,
    /// which this call extends. Logits equal those of a full forward pass over all tokens.
    pub fn forward_cached(&self, ids: Tensor<2, Int>, cache: &mut KvCache) -> Tensor<3> {
        self.logits(self.hidden(ids, Some(cache)))
    }

    /// Final-norm hidden states, `[batch, seq, emb_dim]` (what classification heads read).
    pub fn hidden(&self, ids: Tensor<2, Int>, cache: Option<&mut KvCache>) -> Tensor<3> {
        self.hidden_in(ids, ModelCache::from_option(cache))
    }

    /// Final-norm hidden states of one new token per row (`ids`: `[rows, 1]`), row `r`
    /// continuing the sequence `caches[r]` holds: `[rows, 1, emb_dim]`.
    pub fn hidden_rows(&self, ids: Tensor<2, Int>, caches: &mut [&mut KvCache]) -> Tensor<3> {
        self.hidden_in(ids, ModelCache::PerRow(caches))
    }

    fn hidden_in(&self, ids: Tensor<2, Int>, mut cache: ModelCache<'_, '_>) -> Tensor<3> {
        let [_, t] = ids.dims();
        let starts = cache.starts();
        let past = starts.iter().copied().max().unwrap_or(0);
        assert!(
            past + t <= self.config.context_length,
            "sequence of {} tokens exceeds the context length {}",
            past + t,
            self.config.context_length
        );
        let positions: Vec<i64> = starts.iter().flat_map(|&s| (s..s + t).map(|p| p as i64)).collect();
        let positions = Tensor::<2, Int>::from_data(TensorData::new(positions, [starts.len(), t]), &ids.device()); // [1 or b, t]
        let x = embed(&self.wte, ids) + embed(&self.wpe, positions); // [b, t, d]
        let mut x = self.drop.forward(x);
        for (i, block) in self.h.iter().enumerate() {
            x = block.forward(x, cache.layer(i));
        }
        cache.advance(t);
        self.ln_f.forward(x)
    }

    /// Projects hidden states to vocabulary logits: `[b, t, d] -> [b, t, vocab]`.
    pub fn logits(&self, hidden: Tensor<3>) -> Tensor<3> {
        vocabulary_logits(hidden, self.lm_head.as_ref(), &self.wte)
    }

    /// The same model with dropout probability `p` everywhere (e.g. 0 to fine-tune or
    /// compare a loaded checkpoint deterministically).
    pub fn with_dropout(mut self, p: f64) -> Self {
        assert!((0.0..1.0).contains(&p), "dropout must be in [0, 1), got {p}");
        self.for_each_dropout(|d| d.prob = p);
        self.config.dropout = p;
        self
    }

    /// The same model drawing every dropout mask from `generator`, as PyTorch draws the
    /// book's model's (in the order of its forward pass: embeddings, then per block the
    /// attention weights and the two residual branches).
    pub fn with_torch_dropout(mut self, generator: SharedTorchGenerator) -> Self {
        self.for_each_dropout(|d| d.set_torch_generator(generator.clone()));
        self
    }

    /// Every dropout layer of the model.
    fn for_each_dropout(&mut self, mut f: impl FnMut(&mut Dropout)) {
        f(&mut self.drop);
        for block in &mut self.h {
            f(&mut block.attn.attn_dropout);
            f(&mut block.resid_dropout);
        }
    }

    /// Adds fresh LoRA adapters to every attention and feed-forward layer.
    pub fn with_lora(mut self, config: &LoraConfig, device: &Device) -> Self {
        self.h = self
            .h
            .into_iter()
            .map(|mut block| {
                block.attn = block.attn.with_lora(config, device);
                block.mlp = block.mlp.with_lora(config, device);
                block
            })
            .collect();
        self
    }

    /// Folds every LoRA adapter into its layer's weights: a plain model again.
    pub fn merge_lora(mut self) -> Self {
        self.h = self
            .h
            .into_iter()
            .map(|mut block| {
                block.attn = block.attn.merge_lora();
                block.mlp = block.mlp.merge_lora();
                block
            })
            .collect();
        self
    }

    /// Whether any layer carries LoRA adapters.
    pub fn has_lora(&self) -> bool {
        self.h.iter().any(|b| b.attn.lora.is_some() || b.mlp.lora.is_some())
    }

    /// Every LoRA adapter, named as classifier directories store them
    /// (`h.N.attn.lora_query`, `lora_key`, `lora_value`, `lora_proj`; `h.N.mlp.lora_fc`, `lora_proj`).
    pub fn adapters_mut(&mut self) -> Vec<(String, &mut LoraAdapter)> {
        let mut out = Vec::new();
        for (i, block) in self.h.iter_mut().enumerate() {
            if let Some(l) = &mut block.attn.lora {
                for (part, a) in [("query", &mut l.query), ("key", &mut l.key), ("value", &mut l.value), ("proj", &mut l.proj)] {
                    out.push((format!("h.{i}.attn.lora_{part}"), a));
                }
            }
            if let Some(l) = &mut block.mlp.lora {
                out.push((format!("h.{i}.mlp.lora_fc"), &mut l.fc));
                out.push((format!("h.{i}.mlp.lora_proj"), &mut l.proj));
            }
        }
        out
    }

    /// Every weight frozen but the last block's and the final norm's (the book's chapter 6).
    pub fn with_last_layer_trainable(self) -> Self {
        let mut gpt = self.no_grad();
        if let Some(last) = gpt.h.pop() {
            gpt.h.push(last.set_require_grad(true));
        }
        gpt.ln_f = gpt.ln_f.set_require_grad(true);
        gpt
    }

    /// The model without its language-modelling head (a classifier reads the hidden
    /// states); its config then says the head is tied, so a rebuilt model has none either.
    pub fn without_lm_head(mut self) -> Self {
        self.lm_head = None;
        self.config.tie_embeddings = true;
        self
    }

    /// An empty cache sized for this model.
    pub fn new_cache(&self) -> KvCache {
        KvCache::new(self.config.n_layers)
    }
}
