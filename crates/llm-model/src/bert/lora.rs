//! LoRA (Hu et al., 2021) on a BERT encoder, as the book's appendix E puts it on GPT-2:
//! adapters beside every projection of a layer (the attention's query, key, value and
//! output, the feed-forward's intermediate and output), the layers' own weights frozen.

use burn::module::Module;
use burn::tensor::Device;

use super::{Bert, BertLayer};
use crate::lora::{LoraAdapter, LoraConfig, merge_into};

/// The adapters of one [`BertLayer`].
#[derive(Module, Debug)]
pub struct BertLayerLora {
    pub query: LoraAdapter,
    pub key: LoraAdapter,
    pub value: LoraAdapter,
    /// Beside `attention.output.dense`.
    pub attention_output: LoraAdapter,
    pub intermediate: LoraAdapter,
    /// Beside `output.dense`.
    pub output: LoraAdapter,
}

impl BertLayerLora {
    fn new(layer: &BertLayer, config: &LoraConfig, device: &Device) -> Self {
        let a = &layer.attention;
        let fresh = |linear| LoraAdapter::for_linear(linear, config, device);
        Self {
            query: fresh(&a.query),
            key: fresh(&a.key),
            value: fresh(&a.value),
            attention_output: fresh(&a.output),
            intermediate: fresh(&layer.intermediate),
            output: fresh(&layer.output),
        }
    }

    /// `layer` with every adapter folded into its projection.
    fn merge(self, mut layer: BertLayer) -> BertLayer {
        let a = &mut layer.attention;
        a.query = merge_into(a.query.clone(), self.query.delta());
        a.key = merge_into(a.key.clone(), self.key.delta());
        a.value = merge_into(a.value.clone(), self.value.delta());
        a.output = merge_into(a.output.clone(), self.attention_output.delta());
        layer.intermediate = merge_into(layer.intermediate, self.intermediate.delta());
        layer.output = merge_into(layer.output, self.output.delta());
        layer
    }

    /// The adapters by the name of the projection they sit beside, in HF's layer naming.
    fn named_mut(&mut self) -> [(&'static str, &mut LoraAdapter); 6] {
        [
            ("attention.self.query", &mut self.query),
            ("attention.self.key", &mut self.key),
            ("attention.self.value", &mut self.value),
            ("attention.output.dense", &mut self.attention_output),
            ("intermediate.dense", &mut self.intermediate),
            ("output.dense", &mut self.output),
        ]
    }
}

impl Bert {
    /// Freezes every weight and adds fresh adapters to every layer's projections: only the
    /// adapters train.
    pub fn with_lora(mut self, config: &LoraConfig, device: &Device) -> Self {
        self = self.no_grad();
        for layer in &mut self.layers {
            layer.lora = Some(BertLayerLora::new(layer, config, device));
        }
        self
    }

    /// Folds every adapter into the weights.
    pub fn merge_lora(mut self) -> Self {
        self.layers = self
            .layers
            .into_iter()
            .map(|mut layer| match layer.lora.take() {
                Some(lora) => lora.merge(layer),
                None => layer,
            })
            .collect();
        self
    }

    pub fn has_lora(&self) -> bool {
        self.layers.iter().any(|l| l.lora.is_some())
    }

    /// Every adapter with the name its tensors are stored under
    /// (`encoder.layer.N.attention.self.query.lora`, ...).
    pub fn adapters_mut(&mut self) -> Vec<(String, &mut LoraAdapter)> {
        let mut out = Vec::new();
        for (i, layer) in self.layers.iter_mut().enumerate() {
            if let Some(lora) = &mut layer.lora {
                for (name, adapter) in lora.named_mut() {
                    out.push((format!("encoder.layer.{i}.{name}.lora"), adapter));
                }
            }
        }
        out
    }

    /// Every weight frozen but the last layer's and the pooler's.
    pub fn with_last_layer_trainable(self) -> Self {
        let mut bert = self.no_grad();
        if let Some(last) = bert.layers.pop() {
            bert.layers.push(last.set_require_grad(true));
        }
        bert.pooler = bert.pooler.map(|p| p.set_require_grad(true));
        bert
    }
}
