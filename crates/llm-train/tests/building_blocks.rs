//! The pretraining building blocks on a tiny model: the objective's loss and one AdamW
//! step, and global-norm clipping with exact values.

use burn::data::dataloader::batcher::Batcher;
use burn::nn::LinearConfig;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor};
use burn::train::TrainStep;
use llm_data::dataset::{LmBatcher, LmItem};
use llm_model::{CausalModel, GptConfig, LanguageModel};
use llm_model::loss::cross_entropy;
use llm_train::{CausalLm, clip_global_norm};

fn tiny() -> GptConfig {
    GptConfig {
        vocab_size: 50,
        context_length: 8,
        emb_dim: 16,
        n_heads: 2,
        n_layers: 1,
        dropout: 0.0,
        qkv_bias: false,
        tie_embeddings: false,
        layer_norm_eps: 1e-5,
    }
}

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f64>()
}

#[test]
fn adamw_steps_on_the_objective_lower_the_loss() {
    let device = Device::flex().autodiff();
    device.seed(3);
    let model = CausalLm::new(LanguageModel::Gpt2(tiny().init(&device).unwrap()));
    let items: Vec<LmItem> = (0..4u32)
        .map(|i| {
            let ids: Vec<u32> = (0..9).map(|j| (i * 7 + j * 3) % 50).collect();
            LmItem { input: ids[..8].to_vec(), target: ids[1..].to_vec() }
        })
        .collect();
    let batch = LmBatcher.batch(items, &device);
    // PyTorch's AdamW: eps 1e-8, decoupled weight decay 0.1.
    let mut optim = AdamWConfig::new().with_epsilon(1e-8).with_weight_decay(0.1).init();
    let first = model.step(batch.clone());
    let loss0 = scalar(first.item.loss.clone());
    let expected = scalar(cross_entropy(model.model.forward(batch.inputs.clone()), batch.targets.clone(), None));
    assert!((loss0 - expected).abs() < 1e-6, "the objective's loss is the model's cross-entropy");
    let mut model = model.optimize(&mut optim, 1e-2.into(), first.grads);
    for _ in 0..4 {
        let out = model.step(batch.clone());
        model = model.optimize(&mut optim, 1e-2.into(), out.grads);
    }
    let loss5 = scalar(model.step(batch).item.loss);
    assert!(loss5 < loss0 - 0.5, "five steps on one batch: {loss0} -> {loss5}");
}

#[test]
fn clipping_scales_all_gradients_by_one_global_factor() {
    let device = Device::flex().autodiff();
    let linear = LinearConfig::new(2, 2).init(&device);
    let x = Tensor::<2>::from_floats([[1.0, 2.0], [3.0, 4.0]], &device);
    // loss = sum(W x + b): dL/dW[i][j] = sum over rows of x[:, i] = [4, 6] per column, dL/db = 2.
    let loss = linear.forward(x).sum();
    let mut grads = GradientsParams::from_grads(loss.backward(), &linear);
    let norm_w = (2.0f64 * (4.0 * 4.0 + 6.0 * 6.0)).sqrt();
    let norm = (norm_w * norm_w + 2.0 * 4.0).sqrt(); // sqrt(104 + 8)
    let before = clip_global_norm(&linear, &mut grads, 1.0).unwrap();
    assert!((before - norm).abs() < 1e-5, "{before} vs {norm}");
    let coef = 1.0 / (norm + 1e-6);
    let gw: Vec<f32> = grads.get::<2>(linear.weight.id).unwrap().into_data().iter::<f32>().collect();
    let gb: Vec<f32> = grads.get::<1>(linear.bias.as_ref().unwrap().id).unwrap().into_data().iter::<f32>().collect();
    for (g, e) in gw.iter().zip([4.0, 4.0, 6.0, 6.0]) {
        assert!((*g as f64 - e * coef).abs() < 1e-6, "{gw:?}");
    }
    assert!(gb.iter().all(|g| (*g as f64 - 2.0 * coef).abs() < 1e-6), "{gb:?}");
    // Under the limit nothing changes.
    let after = clip_global_norm(&linear, &mut grads, 10.0).unwrap();
    assert!((after - 1.0).abs() < 1e-4);
}
