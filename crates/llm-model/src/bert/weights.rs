//! A BERT model's tensors under `transformers`' names without the `bert.` prefix
//! (`embeddings.word_embeddings.weight`, `encoder.layer.N.attention.self.query.weight`,
//! `pooler.dense.weight`, `cls.predictions.transform.dense.weight`, `classifier.weight`),
//! linear weights in `nn.Linear`'s `[out, in]` layout (Burn's `Linear` holds `[in, out]`).

use burn::tensor::Device;

use super::{Bert, BertArchitecture, BertConfig};
use crate::ModelError;
use crate::weights::hf_layers::{HfLayers, put_layer_norm, put_linear};
use crate::weights::{TensorMap, host};

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
        let mut take = HfLayers { map: &mut map, device };
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
        let e = &self.embeddings;
        map.insert("embeddings.word_embeddings.weight", host(&e.word_embeddings.weight.val()));
        map.insert("embeddings.position_embeddings.weight", host(&e.position_embeddings.weight.val()));
        map.insert("embeddings.token_type_embeddings.weight", host(&e.token_type_embeddings.weight.val()));
        put_layer_norm(&mut map, "embeddings.LayerNorm", &e.layer_norm);
        for (i, layer) in self.layers.iter().enumerate() {
            let p = format!("encoder.layer.{i}");
            let a = &layer.attention;
            put_linear(&mut map, &format!("{p}.attention.self.query"), &a.query);
            put_linear(&mut map, &format!("{p}.attention.self.key"), &a.key);
            put_linear(&mut map, &format!("{p}.attention.self.value"), &a.value);
            put_linear(&mut map, &format!("{p}.attention.output.dense"), &a.output);
            put_layer_norm(&mut map, &format!("{p}.attention.output.LayerNorm"), &a.layer_norm);
            put_linear(&mut map, &format!("{p}.intermediate.dense"), &layer.intermediate);
            put_linear(&mut map, &format!("{p}.output.dense"), &layer.output);
            put_layer_norm(&mut map, &format!("{p}.output.LayerNorm"), &layer.layer_norm);
        }
        if let Some(pooler) = &self.pooler {
            put_linear(&mut map, "pooler.dense", &pooler.dense);
        }
        if let Some(head) = &self.mlm_head {
            put_linear(&mut map, "cls.predictions.transform.dense", &head.dense);
            put_layer_norm(&mut map, "cls.predictions.transform.LayerNorm", &head.layer_norm);
            map.insert("cls.predictions.bias", host(&head.bias.val()));
        }
        if let Some(classifier) = &self.classifier {
            put_linear(&mut map, "classifier", classifier);
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
