//! The classification head, LoRA adapters and classifier directories, over a body of each
//! family (a tiny GPT; the Llama, Qwen3 and BERT checkpoints of `fixtures/`).

mod common;

use burn::module::{Module, Param};
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use common::{relative_error, to_vec};
use llm_model::lora::trainable_params;
use llm_model::weights::{ClassifierMeta, load_bert_dir, load_classifier_dir, load_language_model, save_classifier_dir};
use llm_model::{CausalModel, Classifier, ClassifierBody, GptConfig, LanguageModel, LoraConfig, Pooling};

fn tiny() -> GptConfig {
    GptConfig {
        vocab_size: 64,
        context_length: 16,
        emb_dim: 32,
        n_heads: 4,
        n_layers: 2,
        dropout: 0.0,
        qkv_bias: true,
        tie_embeddings: false,
        layer_norm_eps: 1e-5,
    }
}

fn tiny_gpt(device: &Device) -> LanguageModel {
    LanguageModel::Gpt2(tiny().init(device).unwrap())
}

fn classifier(pooling: Pooling, device: &Device) -> Classifier {
    device.seed(7);
    Classifier::new(tiny_gpt(device), 3, pooling, device).unwrap()
}

/// A body of each family with the pooling it is used with: the tiny GPT, the Llama and
/// Qwen3 fixtures (last token), and the BERT fixture (its `[CLS]` pooler, fresh here).
fn bodies(device: &Device) -> Vec<(&'static str, ClassifierBody, Pooling)> {
    device.seed(7);
    let fixture_model = |name| ClassifierBody::from(load_language_model(&common::fixture(name), device).unwrap());
    vec![
        ("gpt2", tiny_gpt(device).into(), Pooling::LastToken),
        ("llama", fixture_model("llama-tied"), Pooling::LastToken),
        ("qwen3", fixture_model("qwen3"), Pooling::LastToken),
        ("bert", load_bert_dir(&common::fixture("bert-mlm"), device).unwrap().into(), Pooling::Cls),
    ]
}

/// The decoder under a classifier built on one.
fn decoder(model: &Classifier) -> &LanguageModel {
    match &model.body {
        ClassifierBody::Decoder(m) => m,
        ClassifierBody::Bert(_) => panic!("a decoder body"),
    }
}

fn batch(device: &Device) -> (Tensor<2, Int>, Tensor<1, Int>) {
    // Two texts of 3 and 5 tokens, padded with 63 to 6.
    let ids = TensorData::new(vec![5i64, 9, 2, 63, 63, 63, 1, 2, 3, 4, 5, 63], [2, 6]);
    (Tensor::from_data(ids, device), Tensor::from_data(TensorData::new(vec![2i64, 4], [2]), device))
}

/// Gives every adapter's `B` random values, as training would.
fn perturb(mut model: Classifier, device: &Device) -> Classifier {
    let random = |p: &Param<Tensor<2>>| Param::from_tensor(Tensor::random(p.dims(), Distribution::Normal(0.0, 0.05), device));
    for (_, a) in model.body.adapters_mut() {
        a.b = random(&a.b);
    }
    let head = model.head_lora.as_mut().unwrap();
    head.b = random(&head.b);
    model
}

#[test]
fn last_token_pooling_ignores_padding() {
    let device = common::device();
    let model = classifier(Pooling::LastToken, &device);
    let (ids, last) = batch(&device);
    let padded = to_vec(model.forward(ids, last));
    // The first text alone, unpadded, gives the same logits: causal attention never lets
    // its last real token see the padding after it.
    let alone = Tensor::from_data(TensorData::new(vec![5i64, 9, 2], [1, 3]), &device);
    let expected = to_vec(model.forward(alone, Tensor::from_data(TensorData::new(vec![2i64], [1]), &device)));
    assert!(relative_error(&padded[..3], &expected) < 1e-5);

    // Mean pooling averages the real tokens only.
    let mean = Classifier::new(tiny_gpt(&device), 3, Pooling::Mean, &device).unwrap();
    let (ids, last) = batch(&device);
    let logits = to_vec(mean.forward(ids.clone(), last));
    let hidden = decoder(&mean).hidden(ids, None);
    let first = hidden.clone().narrow(0, 0, 1).narrow(1, 0, 3).mean_dim(1).reshape([1, 32]);
    let second = hidden.narrow(0, 1, 1).narrow(1, 0, 5).mean_dim(1).reshape([1, 32]);
    let expected = to_vec(mean.head.forward(Tensor::cat(vec![first, second], 0)));
    assert!(relative_error(&logits, &expected) < 1e-5);

    let book = Classifier::new(tiny_gpt(&device), 3, Pooling::LastPosition, &device).unwrap();
    let (ids, last) = batch(&device);
    let logits = book.forward(ids.clone(), last);
    let hidden = decoder(&book).hidden(ids, None).narrow(1, 5, 1).reshape([2, 32]);
    assert!(relative_error(&to_vec(logits), &to_vec(book.head.forward(hidden))) < 1e-6);
}

#[test]
fn lora_starts_as_a_no_op_and_merges_exactly_in_every_family() {
    let device = common::device();
    for (family, body, pooling) in bodies(&device) {
        let model = Classifier::new(body, 3, pooling, &device).unwrap();
        let (ids, last) = batch(&device);
        let before = to_vec(model.forward(ids.clone(), last.clone()));
        let lora = model.with_lora(&LoraConfig { rank: 4, alpha: 8.0 }, &device);
        assert!(lora.has_lora(), "{family}");
        assert_eq!(to_vec(lora.forward(ids.clone(), last.clone())), before, "{family}: B = 0: outputs unchanged");

        let trained = perturb(lora, &device);
        let unmerged = to_vec(trained.forward(ids.clone(), last.clone()));
        assert!(relative_error(&unmerged, &before) > 1e-3, "{family}: the perturbed adapters change the logits");
        let merged = trained.clone().merge_lora();
        assert!(!merged.has_lora(), "{family}");
        // f32 sums in a different order: agreement to ~1e-6 of the logits' scale.
        assert!(relative_error(&to_vec(merged.forward(ids.clone(), last.clone())), &unmerged) < 1e-5, "{family}");

        // Saved merged (a plain directory of the body's family) and unmerged (base + adapter
        // file): same logits.
        let meta = ClassifierMeta {
            labels: vec!["a".into(), "b".into(), "c".into()],
            pooling,
            max_length: 6,
            pad_token_id: 63,
            lora: Some(LoraConfig { rank: 4, alpha: 8.0 }),
        };
        for merge in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            save_classifier_dir(&trained, &meta, dir.path(), merge).unwrap();
            assert_eq!(dir.path().join("adapter.safetensors").exists(), !merge);
            let (loaded, loaded_meta) = load_classifier_dir(dir.path(), &device).unwrap();
            assert_eq!(loaded.body.model_type(), family);
            assert_eq!(loaded.has_lora(), !merge);
            assert_eq!(loaded_meta.lora.is_some(), !merge);
            let logits = to_vec(loaded.forward(ids.clone(), last.clone()));
            assert!(relative_error(&logits, &unmerged) < 1e-5, "{family}: merge={merge}");
        }
    }
}

#[test]
fn llama_and_qwen3_adapt_all_seven_projections() {
    // The Llama fixture: 2 layers, hidden 64, 4 query heads and 2 key/value heads of 16, a
    // feed-forward of 160. Rank 4 adapts each `[d_in, d_out]` projection with
    // 4 (d_in + d_out) parameters: q_proj and o_proj 4 (64 + 64), k_proj and v_proj
    // 4 (64 + 32), gate_proj, up_proj and down_proj 4 (64 + 160): 4480 a layer, 8960 in
    // all, and 4 (64 + 2) = 264 for a 2-class head.
    // The Qwen3 fixture: heads of 32 (4 query, 2 key/value heads: 128 and 64 wide), a
    // feed-forward of 128: 4 (2 (64 + 128) + 2 (64 + 64) + 3 (64 + 128)) = 4864 a layer.
    let device = Device::flex().autodiff();
    for (family, expected_params, adapters) in [("llama-tied", 8960 + 264, 14), ("qwen3", 2 * 4864 + 264, 14)] {
        let body = load_language_model(&common::fixture(family), &device).unwrap();
        let model = Classifier::new(body, 2, Pooling::LastToken, &device).unwrap().with_lora(&LoraConfig { rank: 4, alpha: 8.0 }, &device);
        assert_eq!(trainable_params(&model), expected_params, "{family}");
        let mut body = model.body;
        let names: Vec<String> = body.adapters_mut().into_iter().map(|(name, _)| name).collect();
        assert_eq!(names.len(), adapters, "{family}: 7 adapters in each of 2 layers");
        for projection in ["q_proj", "k_proj", "v_proj", "o_proj"] {
            assert!(names.contains(&format!("layers.1.self_attn.lora_{projection}")), "{family}: {names:?}");
        }
        for projection in ["gate_proj", "up_proj", "down_proj"] {
            assert!(names.contains(&format!("layers.1.mlp.lora_{projection}")), "{family}: {names:?}");
        }
    }
}

#[test]
fn lora_trainable_parameters_match_the_book() {
    // GPT-2 small with a 2-class head and rank-16 adapters: the book's appendix E counts
    // 2,666,528 trainable parameters (q, k, v, out_proj, both feed-forward layers, head).
    let device = Device::flex().autodiff();
    let gpt = LanguageModel::Gpt2(GptConfig::gpt2_small().init(&device).unwrap());
    let model = Classifier::new(gpt, 2, Pooling::LastPosition, &device).unwrap();
    let total = model.num_params();
    assert_eq!(trainable_params(&model), total, "fresh: everything trains");
    let lora = model.with_lora(&LoraConfig { rank: 16, alpha: 16.0 }, &device);
    assert_eq!(trainable_params(&lora), 2_666_528);
    assert_eq!(lora.num_params(), total + 2_666_528);
}

#[test]
fn a_bert_classifier_pools_cls_under_a_padding_mask_and_adapts_all_six_projections() {
    let device = common::device();
    device.seed(7);
    let bert = || load_bert_dir(&common::fixture("bert-mlm"), &device).unwrap();
    let model = Classifier::new(bert(), 3, Pooling::Cls, &device).unwrap();
    let ClassifierBody::Bert(body) = &model.body else { panic!("a BERT body") };
    assert!(body.mlm_head.is_none() && body.pooler.is_some(), "a BertModel: the masked-LM head gives way to a pooler");
    // The padded first text gives the logits it gives alone: the attention mask hides the
    // padding from every position (BERT attends both ways).
    let (ids, last) = batch(&device);
    let padded = to_vec(model.forward(ids, last));
    let alone = Tensor::from_data(TensorData::new(vec![5i64, 9, 2], [1, 3]), &device);
    let expected = to_vec(model.forward(alone, Tensor::from_data(TensorData::new(vec![2i64], [1]), &device)));
    assert!(relative_error(&padded[..3], &expected) < 1e-5, "{padded:?} vs {expected:?}");
    // Mean pooling works on BERT too; [CLS] pooling needs BERT's pooler.
    Classifier::new(bert(), 3, Pooling::Mean, &device).unwrap();
    let err = Classifier::new(tiny_gpt(&device), 3, Pooling::Cls, &device).unwrap_err().to_string();
    assert!(err.contains("cls") && err.contains("gpt2"), "{err}");

    // Rank 4 on the fixture (2 layers, hidden 32, feed-forward 64): query, key, value and
    // attention output 4 (32 + 32) each, intermediate 4 (32 + 64), output 4 (64 + 32):
    // 1792 a layer, and 4 (32 + 2) = 136 for a 2-class head.
    let device = Device::flex().autodiff();
    let bert = load_bert_dir(&common::fixture("bert-mlm"), &device).unwrap();
    let lora = Classifier::new(bert, 2, Pooling::Cls, &device).unwrap().with_lora(&LoraConfig { rank: 4, alpha: 8.0 }, &device);
    assert_eq!(trainable_params(&lora), 2 * 1792 + 136);
    let mut body = lora.body;
    let names: Vec<String> = body.adapters_mut().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names.len(), 12);
    for projection in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense"] {
        assert!(names.contains(&format!("encoder.layer.1.{projection}.lora")), "{names:?}");
    }
}
