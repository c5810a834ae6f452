//! The DPO objective on a tiny model: ln 2 when the policy is the reference, and a step
//! that raises the chosen response's log-probability and lowers the rejected one's.

use burn::data::dataloader::batcher::Batcher;
use burn::optim::AdamWConfig;
use burn::tensor::{Device, Tensor, TensorData};
use burn::train::{InferenceStep, TrainStep};
use llm_data::instruction::{PreferenceBatch, PreferenceBatcher, PreferenceItem};
use llm_model::{CausalModel, GptConfig, LanguageModel};
use llm_model::loss::sequence_logprobs;
use llm_train::dpo::{DpoObjective, dpo_loss};

fn tiny() -> GptConfig {
    GptConfig {
        vocab_size: 40,
        context_length: 16,
        emb_dim: 16,
        n_heads: 2,
        n_layers: 1,
        dropout: 0.0,
        qkv_bias: false,
        tie_embeddings: false,
        layer_norm_eps: 1e-5,
    }
}

fn batch(device: &Device) -> PreferenceBatch {
    let items = vec![
        PreferenceItem { chosen: vec![1, 2, 3, 10, 11, 12], rejected: vec![1, 2, 3, 20, 21], prompt_len: 1 },
        PreferenceItem { chosen: vec![4, 5, 13, 14, 15], rejected: vec![4, 5, 22, 23, 24, 25], prompt_len: 1 },
    ];
    PreferenceBatcher { pad_token_id: 0, allowed_max_length: None, mask_prompt: true }.batch(items, device)
}

fn logprobs(model: &DpoObjective, batch: &PreferenceBatch) -> (f64, f64) {
    let lp = |ids: &burn::tensor::Tensor<2, burn::tensor::Int>, mask: &Tensor<2>| {
        sequence_logprobs(model.policy.forward(ids.clone()), ids.clone(), mask.clone(), false).sum().into_scalar::<f64>()
    };
    (lp(&batch.chosen, &batch.chosen_mask), lp(&batch.rejected, &batch.rejected_mask))
}

#[test]
fn loss_is_ln2_when_the_policy_is_the_reference() {
    let device = Device::flex().autodiff();
    device.seed(5);
    let gpt = LanguageModel::Gpt2(tiny().init(&device).unwrap());
    let model = DpoObjective::new(gpt.clone(), gpt, 0.1, false);
    let out = InferenceStep::step(&model, batch(&device));
    let loss = out.loss.into_scalar::<f64>();
    assert!((loss - std::f64::consts::LN_2).abs() < 1e-6, "{loss}");
    let rewards: Vec<f32> = out.output.into_data().iter::<f32>().collect();
    assert!(rewards.iter().all(|r| r.abs() < 1e-5), "zero rewards: {rewards:?}");

    // By hand: margins of 2 and -1 nats with β = 0.5.
    let t = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [2]), &Device::flex());
    let loss = dpo_loss(t(vec![-1.0, -3.0]), t(vec![-3.0, -2.0]), t(vec![0.0, 0.0]), t(vec![0.0, 0.0]), 0.5);
    let expected = (-(1.0f64 / (1.0 + (-1.0f64).exp())).ln() - (1.0 / (1.0 + 0.5f64.exp())).ln()) / 2.0;
    assert!((loss.into_scalar::<f64>() - expected).abs() < 1e-6);
}

#[test]
fn a_step_prefers_the_chosen_responses() {
    let device = Device::flex().autodiff();
    device.seed(5);
    let gpt = LanguageModel::Gpt2(tiny().init(&device).unwrap());
    let model = DpoObjective::new(gpt.clone(), gpt, 0.1, false);
    let batch = batch(&device);
    let (chosen0, rejected0) = logprobs(&model, &batch);
    let mut optim = AdamWConfig::new().with_epsilon(1e-8).init();
    let out = TrainStep::step(&model, batch.clone());
    let model = model.optimize(&mut optim, 1e-2.into(), out.grads);
    let (chosen1, rejected1) = logprobs(&model, &batch);
    assert!(chosen1 > chosen0, "chosen up: {chosen0} -> {chosen1}");
    assert!(rejected1 < rejected0, "rejected down: {rejected0} -> {rejected1}");
    // The reference did not move: its rewards are now the policy's gain.
    let out = InferenceStep::step(&model, batch);
    assert!(out.loss.into_scalar::<f64>() < std::f64::consts::LN_2);
}
