use burn::module::{Module, Param};
use burn::nn::Embedding;
use burn::tensor::{Bool, Device, Int, Tensor};

use super::{DecoderLayer, EncoderLayer, MarianConfig, sinusoidal_positions};
use crate::dropout::Dropout;
use crate::masked_attention::padding_mask;
use crate::matrix_dtype::{embed, matmul_weight};
use crate::rows::on_rows;

/// The original transformer's encoder–decoder as OPUS-MT's Marian models have it: one
/// embedding table shared by the encoder, the decoder and the output head (scaled by
/// `√d_model` on the way in), sinusoidal positions, post-norm layers, and a bias on the
/// final logits.
#[derive(Module, Debug)]
pub struct Marian {
    /// HF's `model.shared`, `[vocab, d]`.
    pub shared: Embedding,
    pub encoder: Vec<EncoderLayer>,
    pub decoder: Vec<DecoderLayer>,
    /// `[vocab]`
    pub final_logits_bias: Param<Tensor<1>>,
    pub dropout: Dropout,
    #[module(skip)]
    config: MarianConfig,
}

/// The encoder's output for a batch of sources, computed once per translation.
#[derive(Debug, Clone)]
pub struct EncodedSource {
    /// `[batch, s, d]`
    pub hidden: Tensor<3>,
    /// `[batch, s]`, true at padding; `None` when no source is padded.
    pub padding: Option<Tensor<2, Bool>>,
}

impl EncodedSource {
    /// Its rows `rows` (repeating a source for several beams, or reordering them).
    pub fn select(&self, rows: &[usize]) -> Self {
        let device = self.hidden.device();
        let index: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
        let index = Tensor::<1, Int>::from_data(index.as_slice(), &device);
        Self {
            hidden: self.hidden.clone().select(0, index.clone()),
            padding: self.padding.clone().map(|p| p.select(0, index)),
        }
    }
}

/// A decoder's keys and values: each layer's own past positions, and the encoder's output
/// projected once for its cross-attention.
#[derive(Debug, Clone)]
pub struct DecoderCache {
    own: Vec<Option<(Tensor<4>, Tensor<4>)>>,
    source: Vec<(Tensor<4>, Tensor<4>)>,
    source_padding: Option<Tensor<2, Bool>>,
    len: usize,
}

impl DecoderCache {
    /// Positions decoded so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keeps the rows `rows`, in that order (the beams that go on).
    pub fn select(&mut self, rows: &[usize]) {
        let Some(device) = self.source.first().map(|(k, _)| k.device()) else { return };
        let index: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
        let index = Tensor::<1, Int>::from_data(index.as_slice(), &device);
        let pick = |(k, v): &(Tensor<4>, Tensor<4>)| (k.clone().select(0, index.clone()), v.clone().select(0, index.clone()));
        self.own = self.own.iter().map(|kv| kv.as_ref().map(pick)).collect();
        self.source = self.source.iter().map(pick).collect();
        self.source_padding = self.source_padding.clone().map(|p| p.select(0, index.clone()));
    }
}

impl Marian {
    pub(crate) fn new(config: &MarianConfig, device: &Device) -> Self {
        Self {
            shared: config.hf_init().embedding(config.vocab_size, config.d_model, device),
            encoder: (0..config.encoder_layers).map(|_| EncoderLayer::new(config, device)).collect(),
            decoder: (0..config.decoder_layers).map(|_| DecoderLayer::new(config, device)).collect(),
            final_logits_bias: Param::from_tensor(Tensor::zeros([config.vocab_size], device)),
            dropout: Dropout::new(config.dropout),
            config: config.clone(),
        }
    }

    pub fn config(&self) -> &MarianConfig {
        &self.config
    }

    fn device(&self) -> Device {
        self.shared.weight.device()
    }

    /// Token embeddings (scaled) plus the positions `start..`, `[batch, t, d]`.
    fn embed(&self, ids: Tensor<2, Int>, start: usize) -> Tensor<3> {
        let [_, t] = ids.dims();
        let d = self.config.d_model;
        let scale = if self.config.scale_embedding { (d as f64).sqrt() } else { 1.0 };
        let positions = sinusoidal_positions(start, t, d, &self.device()).unsqueeze::<3>();
        self.dropout.forward(embed(&self.shared, ids) * scale + positions)
    }

    /// Runs the encoder over `ids` (`[batch, s]`); `attention_mask` (`[batch, s]`, 1 at real
    /// tokens, 0 at padding) when the sources are padded.
    pub fn encode(&self, ids: Tensor<2, Int>, attention_mask: Option<Tensor<2, Int>>) -> EncodedSource {
        let padding = attention_mask.map(|m| m.equal_elem(0));
        let mut x = self.embed(ids, 0);
        for layer in &self.encoder {
            x = layer.forward(x, padding.as_ref().map(padding_mask));
        }
        EncodedSource { hidden: x, padding }
    }

    /// An empty decoder cache for `source` (its cross-attention keys and values computed).
    pub fn decoder_cache(&self, source: &EncodedSource) -> DecoderCache {
        DecoderCache {
            own: vec![None; self.decoder.len()],
            source: self.decoder.iter().map(|layer| layer.encoder_attn.keys_values(source.hidden.clone())).collect(),
            source_padding: source.padding.clone(),
            len: 0,
        }
    }

    /// The decoder's logits for `ids` (`[batch, t]`, the target positions after those in
    /// `cache`), extending `cache`: `[batch, t, vocab]`.
    pub fn decode(&self, ids: Tensor<2, Int>, cache: &mut DecoderCache) -> Tensor<3> {
        let [_, t] = ids.dims();
        let past = cache.len;
        let device = self.device();
        let mut x = self.embed(ids, past);
        // Position past + i sees keys 0..=past + i.
        let causal = (t > 1).then(|| Tensor::<2, Bool>::tril_mask([t, past + t], past as i64, &device).unsqueeze::<4>());
        let source_hidden = cache.source_padding.as_ref().map(padding_mask);
        for (i, layer) in self.decoder.iter().enumerate() {
            let (out, own) = layer.forward(x, cache.own[i].take(), causal.clone(), cache.source[i].clone(), source_hidden.clone());
            cache.own[i] = Some(own);
            x = out;
        }
        cache.len += t;
        self.logits(x)
    }

    /// The output head: the shared embeddings transposed, plus the final logits bias.
    pub fn logits(&self, hidden: Tensor<3>) -> Tensor<3> {
        let weight = self.shared.weight.val();
        let bias = self.final_logits_bias.val();
        on_rows(hidden, |x| matmul_weight(x, weight.transpose()) + bias.unsqueeze())
    }

    /// Teacher-forced logits: the decoder fed `decoder_start_token_id` then `labels` shifted
    /// right (what `transformers` does with `labels`; `-100` entries fed as padding).
    ///
    /// # Shapes
    /// - source ids, attention mask: `[batch, s]`; labels: `[batch, t]`
    /// - output: `[batch, t, vocab]`
    pub fn teacher_forced_logits(&self, source: Tensor<2, Int>, attention_mask: Option<Tensor<2, Int>>, labels: Tensor<2, Int>) -> Tensor<3> {
        let [b, t] = labels.dims();
        let start = Tensor::<2, Int>::full([b, 1], self.config.decoder_start_token_id as i64, &labels.device());
        let shifted = Tensor::cat(vec![start, labels.narrow(1, 0, t - 1)], 1);
        let ignored = shifted.clone().equal_elem(-100);
        let inputs = shifted.mask_fill(ignored, self.config.pad_token_id as i64);
        let encoded = self.encode(source, attention_mask);
        self.decode(inputs, &mut self.decoder_cache(&encoded))
    }
}
