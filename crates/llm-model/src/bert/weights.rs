//! A BERT model's tensors under `transformers`' names without the `bert.` prefix
//! (`embeddings.word_embeddings.weight`, `encoder.layer.N.attention.self.query.weight`,
//! `pooler.dense.weight`, `cls.predictions.transform.dense.weight`, `classifier.weight`),
//! linear weights in `nn.Linear`'s `[out, in]` layout (Burn's `Linear` holds `[in, out]`).

use burn::module::Param;
use burn::nn::{Embedding, LayerNorm, Linear};
use burn::tensor::{Device, Tensor, TensorData};

use super::{Bert, BertArchitecture, BertConfig};
use crate::ModelError;
use crate::weights::{TensorMap, host};

struct Taker<'a> {
    map: &'a mut TensorMap,
    device: &'a Device,
}

impl Taker<'_> {
    fn param<const D: usize>(&mut self, name: &str, shape: &[usize]) -> Result<Param<Tensor<D>>, ModelError> {
        let t = self.map.take(name, shape)?;
        Ok(Param::from_data(TensorData::new(t.data, t.shape), self.device))
    }

    fn linear(&mut self, linear: &mut Linear, name: &str) -> Result<(), ModelError> {
        let [d_in, d_out] = linear.weight.lazy_shape().dims();
        let weight = self.map.take(&format!("{name}.weight"), &[d_out, d_in])?.transpose();
        linear.weight = Param::from_data(TensorData::new(weight.data, weight.shape), self.device);
        linear.bias = Some(self.param(&format!("{name}.bias"), &[d_out])?);
        Ok(())
    }

    fn norm(&mut self, norm: &mut LayerNorm, name: &str) -> Result<(), ModelError> {
        let [d] = norm.gamma.lazy_shape().dims();
        norm.gamma = self.param(&format!("{name}.weight"), &[d])?;
        norm.beta = Some(self.param(&format!("{name}.bias"), &[d])?);
        Ok(())
    }

    fn embedding(&mut self, embedding: &mut Embedding, name: &str) -> Result<(), ModelError> {
        let shape = embedding.weight.lazy_shape().dims::<2>();
        embedding.weight = self.param(&format!("{name}.weight"), &shape)?;
        Ok(())
    }
}

impl Bert {
    /// The model of `config` and `architecture` with the weights of `map` (every tensor
    /// there, nothing else; a pooler is kept when the map has one).
    pub fn from_tensor_map(
        config: &BertConfig,
        architecture: BertArchitecture,
        mut map: TensorMap,
        device: &Device,
    ) -> Result<Self, ModelError> {
        let mut model = config.init(architecture, device)?;
        if model.pooler.is_none() && map.contains("pooler.dense.weight") {
            model.pooler = Some(super::Pooler::new(config, device));
        }
        let mut take = Taker { map: &mut map, device };
        let e = &mut model.embeddings;
        take.embedding(&mut e.word_embeddings, "embeddings.word_embeddings")?;
        take.embedding(&mut e.position_embeddings, "embeddings.position_embeddings")?;
        take.embedding(&mut e.token_type_embeddings, "embeddings.token_type_embeddings")?;
        take.norm(&mut e.layer_norm, "embeddings.LayerNorm")?;
        for (i, layer) in model.layers.iter_mut().enumerate() {
            let p = format!("encoder.layer.{i}");
            let a = &mut layer.attention;
            take.linear(&mut a.query, &format!("{p}.attention.self.query"))?;
            take.linear(&mut a.key, &format!("{p}.attention.self.key"))?;
            take.linear(&mut a.value, &format!("{p}.attention.self.value"))?;
            take.linear(&mut a.output, &format!("{p}.attention.output.dense"))?;
            take.norm(&mut a.layer_norm, &format!("{p}.attention.output.LayerNorm"))?;
            take.linear(&mut layer.intermediate, &format!("{p}.intermediate.dense"))?;
            take.linear(&mut layer.output, &format!("{p}.output.dense"))?;
            take.norm(&mut layer.layer_norm, &format!("{p}.output.LayerNorm"))?;
        }
        if let Some(pooler) = model.pooler.as_mut() {
            take.linear(&mut pooler.dense, "pooler.dense")?;
        }
        if let Some(head) = model.mlm_head.as_mut() {
            take.linear(&mut head.dense, "cls.predictions.transform.dense")?;
            take.norm(&mut head.layer_norm, "cls.predictions.transform.LayerNorm")?;
            head.bias = take.param("cls.predictions.bias", &[config.vocab_size])?;
        }
        if let Some(classifier) = model.classifier.as_mut() {
            take.linear(classifier, "classifier")?;
        }
        map.finish()?;
        Ok(model)
    }

    /// The model's tensors, named and laid out as [`Bert::from_tensor_map`] reads them.
    pub fn to_tensor_map(&self) -> TensorMap {
        let mut map = TensorMap::new();
        let linear = |map: &mut TensorMap, name: &str, linear: &Linear| {
            map.insert(format!("{name}.weight"), host(&linear.weight.val()).transpose());
            if let Some(bias) = &linear.bias {
                map.insert(format!("{name}.bias"), host(&bias.val()));
            }
        };
        let norm = |map: &mut TensorMap, name: &str, norm: &LayerNorm| {
            map.insert(format!("{name}.weight"), host(&norm.gamma.val()));
            if let Some(beta) = &norm.beta {
                map.insert(format!("{name}.bias"), host(&beta.val()));
            }
        };
        let e = &self.embeddings;
        map.insert("embeddings.word_embeddings.weight", host(&e.word_embeddings.weight.val()));
        map.insert("embeddings.position_embeddings.weight", host(&e.position_embeddings.weight.val()));
        map.insert("embeddings.token_type_embeddings.weight", host(&e.token_type_embeddings.weight.val()));
        norm(&mut map, "embeddings.LayerNorm", &e.layer_norm);
        for (i, layer) in self.layers.iter().enumerate() {
            let p = format!("encoder.layer.{i}");
            let a = &layer.attention;
            linear(&mut map, &format!("{p}.attention.self.query"), &a.query);
            linear(&mut map, &format!("{p}.attention.self.key"), &a.key);
            linear(&mut map, &format!("{p}.attention.self.value"), &a.value);
            linear(&mut map, &format!("{p}.attention.output.dense"), &a.output);
            norm(&mut map, &format!("{p}.attention.output.LayerNorm"), &a.layer_norm);
            linear(&mut map, &format!("{p}.intermediate.dense"), &layer.intermediate);
            linear(&mut map, &format!("{p}.output.dense"), &layer.output);
            norm(&mut map, &format!("{p}.output.LayerNorm"), &layer.layer_norm);
        }
        if let Some(pooler) = &self.pooler {
            linear(&mut map, "pooler.dense", &pooler.dense);
        }
        if let Some(head) = &self.mlm_head {
            linear(&mut map, "cls.predictions.transform.dense", &head.dense);
            norm(&mut map, "cls.predictions.transform.LayerNorm", &head.layer_norm);
            map.insert("cls.predictions.bias", host(&head.bias.val()));
        }
        if let Some(classifier) = &self.classifier {
            linear(&mut map, "classifier", classifier);
        }
        map
    }
}

/// The tensors of a BERT checkpoint under [`Bert::from_tensor_map`]'s names: the `bert.`
/// prefix taken off, the original release's `LayerNorm.gamma` / `beta` renamed `weight` /
/// `bias`, and what the model does not use dropped: the tied decoder's copies
/// (`cls.predictions.decoder.*`, when equal to the embeddings and the bias), the
/// next-sentence head (`cls.seq_relationship.*`) and the `position_ids` buffer.
pub(crate) fn canonical_bert_tensors(map: TensorMap) -> TensorMap {
    let mut canonical = TensorMap::new();
    for (name, tensor) in map.into_iter() {
        let name = name.strip_prefix("bert.").unwrap_or(&name);
        let name = match (name.strip_suffix("LayerNorm.gamma"), name.strip_suffix("LayerNorm.beta")) {
            (Some(stem), _) => format!("{stem}LayerNorm.weight"),
            (_, Some(stem)) => format!("{stem}LayerNorm.bias"),
            _ => name.to_string(),
        };
        canonical.insert(name, tensor);
    }
    let same = |map: &TensorMap, a: &str, b: &str| match (map.get(a), map.get(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    };
    if same(&canonical, "cls.predictions.decoder.weight", "embeddings.word_embeddings.weight") {
        canonical.discard(|n| n == "cls.predictions.decoder.weight");
    }
    if same(&canonical, "cls.predictions.decoder.bias", "cls.predictions.bias") {
        canonical.discard(|n| n == "cls.predictions.decoder.bias");
    }
    if canonical.names().any(|n| n.starts_with("cls.seq_relationship.")) {
        tracing::info!("the checkpoint's next-sentence head (cls.seq_relationship) is not used");
        canonical.discard(|n| n.starts_with("cls.seq_relationship."));
    }
    canonical.discard(|n| n == "embeddings.position_ids");
    canonical
}

/// The architecture a checkpoint's tensors make: a classifier, else a masked-LM head, else
/// the bare encoder.
pub(crate) fn architecture_of(map: &TensorMap) -> BertArchitecture {
    if let Some(classifier) = map.get("classifier.weight") {
        BertArchitecture::SequenceClassification { num_labels: classifier.shape[0] }
    } else if map.contains("cls.predictions.transform.dense.weight") {
        BertArchitecture::MaskedLm
    } else {
        BertArchitecture::Model
    }
}
