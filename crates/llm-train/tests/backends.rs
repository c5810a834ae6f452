//! One training step of the recipe code on every backend compiled into the tests (flex,
//! ndarray; wgpu on lavapipe with llm-cli's default features; tch with `--features
//! llm-cli/tch`): the book's fixture model, the chapter 5 optimizer (`experiments/book-ch05.toml`:
//! AdamW, PyTorch's semantics, weight decay 0.1), global-norm clipping at 1.0 and two steps
//! give the same weights and the same losses as on flex.
//!
//! Tolerances: losses 1e-5 relative (f32 kernels a few ULPs apart, as in llm-model's
//! backends test). Weights: AdamW's first steps move each weight by about lr * sign(gradient),
//! so a gradient that is zero up to rounding can move a weight by up to 2 lr more on one backend
//! than on another; the updated weights are compared to 1e-4 relative to their largest
//! magnitude, and at most one weight in 10,000 may differ by more (none did when this was
//! written).

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Int, Tensor, TensorData};
use burn::train::TrainStep;
use llm_data::dataset::LmBatch;
use llm_model::LanguageModel;
use llm_model::weights::load_model;
use llm_train::run_setup::adamw;
use llm_train::{CausalLm, ExperimentConfig, clip_global_norm};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[path = "../../llm-model/tests/support/devices.rs"]
mod devices;

/// Token ids 0.. of the fixture's vocabulary in a fixed pattern, as inputs and next tokens.
fn batch(device: &Device, vocab: usize) -> LmBatch {
    let (b, t) = (2, 8);
    let ids: Vec<i64> = (0..b * (t + 1)).map(|i| ((i * 37 + 11) % vocab) as i64).collect();
    let rows = |offset: usize| -> Vec<i64> {
        (0..b).flat_map(|r| ids[r * (t + 1) + offset..r * (t + 1) + offset + t].to_vec()).collect()
    };
    let tensor = |v: Vec<i64>| Tensor::<2, Int>::from_data(TensorData::new(v, [b, t]), device);
    LmBatch { inputs: tensor(rows(0)), targets: tensor(rows(1)) }
}

struct Trace {
    losses: Vec<f32>,
    weights: Vec<f32>,
}

fn train_two_steps(device: &Device) -> Trace {
    let config = ExperimentConfig::load(&workspace().join("experiments/book-ch05.toml"), &[]).unwrap();
    let device = device.clone().autodiff();
    let fixture = workspace().join("crates/llm-model/tests/fixtures/book");
    let gpt = load_model(&fixture, &device).unwrap().with_dropout(0.0);
    let vocab = gpt.config().vocab_size;
    let mut model = CausalLm::new(LanguageModel::Gpt2(gpt));
    let mut optim = adamw(&config);
    let data = batch(&device, vocab);
    let mut losses = Vec::new();
    for _ in 0..2 {
        let mut out = model.step(data.clone());
        losses.push(out.item.loss.clone().into_scalar::<f32>());
        clip_global_norm(&model, &mut out.grads, 1.0).unwrap();
        model = model.optimize(&mut optim, 1e-3.into(), out.grads);
    }
    losses.push(model.forward_loss(data).loss.into_scalar::<f32>());
    let LanguageModel::Gpt2(gpt) = &model.model else { unreachable!("a GPT-2 model") };
    let mut weights: Vec<f32> = gpt.h[0].attn.c_attn.weight.val().into_data().iter::<f32>().collect();
    weights.extend(gpt.wte.weight.val().into_data().iter::<f32>());
    Trace { losses, weights }
}

#[test]
fn two_training_steps_agree_across_backends() {
    let traces: Vec<(String, Trace)> = devices::test_backends().into_iter().map(|(n, d)| (n, train_two_steps(&d))).collect();
    let (_, flex) = &traces[0];
    assert!(flex.losses[2] < flex.losses[0], "the steps lower the loss: {:?}", flex.losses);
    let scale = flex.weights.iter().fold(0f32, |m, w| m.max(w.abs()));
    for (name, trace) in &traces[1..] {
        for (ours, reference) in trace.losses.iter().zip(&flex.losses) {
            assert!((ours - reference).abs() <= 1e-5 * reference.abs(), "{name}: losses {:?} vs flex {:?}", trace.losses, flex.losses);
        }
        let diffs: Vec<f32> = trace.weights.iter().zip(&flex.weights).map(|(a, b)| (a - b).abs() / scale).collect();
        let worst = diffs.iter().fold(0f32, |m, d| m.max(*d));
        let outliers = diffs.iter().filter(|d| **d > 1e-4).count();
        eprintln!("{name}: losses {:?} (flex {:?}); weights within {worst:e}, {outliers} over 1e-4", trace.losses, flex.losses);
        assert!(outliers * 10_000 <= diffs.len(), "{name}: {outliers} of {} weights differ from flex's by more than 1e-4", diffs.len());
    }
}
