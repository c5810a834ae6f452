//! BERT against `transformers`: the fixtures of `fixtures/make_bert_fixtures.py` (a tiny
//! random `BertForMaskedLM` and `BertForSequenceClassification`, a padded batch of a
//! sentence pair and a single sentence) and the logits `transformers` computed for them.

mod common;

use std::collections::HashMap;
use std::path::Path;

use burn::tensor::{Int, Tensor, TensorData};
use common::{device, fixture, reference_floats, reference_ints, to_vec};
use llm_model::weights::{WeightDtype, load_bert_dir, read_safetensors, save_bert_dir, write_safetensors};
use llm_model::{Bert, BertArchitecture, BertInput};

/// f32 sums in another order than PyTorch's over two layers of width 32: a few ulps of
/// values of order 10. 1e-4 is the bound.
const TOLERANCE: f32 = 1e-4;

fn batch(dir: &Path) -> BertInput {
    let device = device();
    let tensor = |name: &str| {
        let (data, shape) = reference_ints(dir, name);
        Tensor::<2, Int>::from_data(TensorData::new(data, [shape[0], shape[1]]), &device)
    };
    BertInput {
        ids: tensor("input_ids"),
        token_types: Some(tensor("token_type_ids")),
        attention_mask: Some(tensor("attention_mask")),
    }
}

fn max_diff(ours: &[f32], reference: &[f32]) -> f32 {
    assert_eq!(ours.len(), reference.len());
    ours.iter().zip(reference).fold(0f32, |m, (a, b)| m.max((a - b).abs()))
}

fn mlm_logits(model: &Bert, dir: &Path) -> Vec<f32> {
    to_vec(model.mlm_logits(&batch(dir)).unwrap())
}

#[test]
fn masked_lm_logits_match_transformers_on_a_padded_batch_of_a_pair_and_a_sentence() {
    let dir = fixture("bert-mlm");
    let model = load_bert_dir(&dir, &device()).unwrap();
    assert_eq!(model.architecture(), BertArchitecture::MaskedLm);
    let (reference, shape) = reference_floats(&dir, "logits");
    let ours = mlm_logits(&model, &dir);
    let (_, ids_shape) = reference_ints(&dir, "input_ids");
    assert_eq!(shape, vec![2, ids_shape[1], 600]);
    let diff = max_diff(&ours, &reference);
    eprintln!("masked-LM logits: max |ours - transformers| = {diff:e}");
    assert!(diff < TOLERANCE, "max |ours - transformers| = {diff:e}");
}

#[test]
fn classification_logits_match_transformers() {
    let dir = fixture("bert-cls");
    let model = load_bert_dir(&dir, &device()).unwrap();
    assert_eq!(model.architecture(), BertArchitecture::SequenceClassification { num_labels: 3 });
    let (reference, _) = reference_floats(&dir, "logits");
    let ours = to_vec(model.classify(&batch(&dir)).unwrap());
    let diff = max_diff(&ours, &reference);
    eprintln!("classification logits: max |ours - transformers| = {diff:e}");
    assert!(diff < TOLERANCE, "max |ours - transformers| = {diff:e}: {ours:?} vs {reference:?}");
    let err = model.mlm_logits(&batch(&dir)).unwrap_err().to_string();
    assert!(err.contains("BertForSequenceClassification has no masked-LM head"), "{err}");
}

#[test]
fn padding_does_not_change_the_real_positions() {
    // The second row alone, unpadded, gives the same logits as in the padded batch.
    let dir = fixture("bert-mlm");
    let model = load_bert_dir(&dir, &device()).unwrap();
    let (ids, shape) = reference_ints(&dir, "input_ids");
    let (mask, _) = reference_ints(&dir, "attention_mask");
    let t = shape[1];
    let real = mask[t..].iter().filter(|&&m| m == 1).count();
    assert!(real < t, "the second row is padded");
    let alone: Vec<u32> = ids[t..t + real].iter().map(|&i| i as u32).collect();
    let alone = to_vec(model.mlm_logits(&BertInput::single(&alone, &device())).unwrap());
    let batched = mlm_logits(&model, &dir);
    let diff = max_diff(&alone, &batched[t * 600..(t + real) * 600]);
    assert!(diff < 1e-5, "padded vs alone: {diff:e}");
}

#[test]
fn saved_directories_load_back_to_the_same_model() {
    for name in ["bert-mlm", "bert-cls"] {
        let dir = fixture(name);
        let model = load_bert_dir(&dir, &device()).unwrap();
        let out = tempfile::tempdir().unwrap();
        save_bert_dir(&model, out.path(), WeightDtype::F32).unwrap();
        let saved: HashMap<String, _> = read_safetensors(&out.path().join("model.safetensors")).unwrap().into_iter().collect();
        let original: HashMap<String, _> = read_safetensors(&dir.join("model.safetensors")).unwrap().into_iter().collect();
        assert_eq!(saved, original, "{name}: the tensors written are transformers' (names, shapes, values)");
        let again = load_bert_dir(out.path(), &device()).unwrap();
        assert_eq!(again.architecture(), model.architecture());
        let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.path().join("config.json")).unwrap()).unwrap();
        assert_eq!(config["model_type"], "bert");
        assert_eq!(config["architectures"][0], model.architecture().class_name());
    }
}

#[test]
fn the_original_checkpoint_naming_loads_too() {
    // google-research's BERT as first converted: LayerNorm gamma/beta, the tied decoder
    // stored again, the next-sentence head and the position_ids buffer.
    let dir = fixture("bert-mlm");
    let out = tempfile::tempdir().unwrap();
    let map = read_safetensors(&dir.join("model.safetensors")).unwrap();
    let embeddings = map.get("bert.embeddings.word_embeddings.weight").unwrap().clone();
    let bias = map.get("cls.predictions.bias").unwrap().clone();
    let mut tensors: Vec<(String, _)> = map
        .into_iter()
        .map(|(name, t)| (name.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"), t))
        .collect();
    let h = embeddings.shape[1];
    tensors.push(("cls.predictions.decoder.weight".into(), embeddings));
    tensors.push(("cls.predictions.decoder.bias".into(), bias));
    tensors.push(("cls.seq_relationship.weight".into(), llm_model::weights::HostTensor::new(vec![2, h], vec![0.5; 2 * h])));
    tensors.push(("cls.seq_relationship.bias".into(), llm_model::weights::HostTensor::new(vec![2], vec![0.0; 2])));
    write_safetensors(&out.path().join("model.safetensors"), &tensors, HashMap::new()).unwrap();
    std::fs::copy(dir.join("config.json"), out.path().join("config.json")).unwrap();
    let model = load_bert_dir(out.path(), &device()).unwrap();
    let original = load_bert_dir(&dir, &device()).unwrap();
    assert_eq!(mlm_logits(&model, &dir), mlm_logits(&original, &dir));
}

#[test]
fn configurations_it_does_not_compute_are_refused_by_name() {
    let dir = fixture("bert-mlm");
    for (key, value, expected) in [
        ("hidden_act", serde_json::json!("relu"), "hidden_act `relu`"),
        ("position_embedding_type", serde_json::json!("relative_key"), "position_embedding_type `relative_key`"),
        ("num_attention_heads", serde_json::json!(5), "not a multiple of num_attention_heads 5"),
    ] {
        let out = tempfile::tempdir().unwrap();
        let mut config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
        config[key] = value;
        std::fs::write(out.path().join("config.json"), config.to_string()).unwrap();
        std::fs::copy(dir.join("model.safetensors"), out.path().join("model.safetensors")).unwrap();
        let err = load_bert_dir(out.path(), &device()).unwrap_err().to_string();
        assert!(err.contains("config.json") && err.contains(expected), "{err}");
    }
}
