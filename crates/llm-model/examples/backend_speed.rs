//! Times the same model on the flex and ndarray CPU backends: a forward pass, a training
//! step's forward + backward, and cached greedy decoding.
//!
//! `cargo run -p llm-model --example backend_speed` (dependencies are built with opt-level 3
//! in every profile, so this measures Burn's kernels as a release build runs them).

use std::time::Instant;

use burn::tensor::{Device, Int, Tensor, TensorData};
use llm_model::GptConfig;
use llm_model::generation::{GenerateOptions, generate};
use llm_model::loss::cross_entropy;

fn batch(device: &Device, b: usize, t: usize) -> Tensor<2, Int> {
    let data: Vec<i64> = (0..b * t).map(|i| (i * 7919 % 50257) as i64).collect();
    Tensor::from_data(TensorData::new(data, [b, t]), device)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

#[allow(deprecated)]
fn main() {
    // The book's GPT_CONFIG_124M with context 256 and batch 2 (chapter 5's run).
    let config = GptConfig {
        context_length: 256,
        dropout: 0.0,
        ..GptConfig::gpt_config_124m()
    };
    let (b, t) = (2, 256);
    for (name, device) in [("flex", Device::flex()), ("ndarray", Device::ndarray())] {
        device.seed(1);
        let gpt = config.init(&device).unwrap();
        let ids = batch(&device, b, t);
        let _ = gpt.forward(ids.clone()).into_data(); // warm-up
        let forward = median((0..3).map(|_| {
            let start = Instant::now();
            let _ = gpt.forward(ids.clone()).into_data();
            start.elapsed().as_secs_f64()
        }).collect());

        let ad = device.clone().autodiff();
        let gpt_ad = config.init(&ad).unwrap();
        let ids_ad = batch(&ad, b, t);
        let step = || {
            let start = Instant::now();
            let logits = gpt_ad.forward(ids_ad.clone());
            let loss = cross_entropy(logits, ids_ad.clone(), None);
            let _grads = loss.backward();
            start.elapsed().as_secs_f64()
        };
        step();
        let train = median((0..3).map(|_| step()).collect());

        let prompt: Vec<u32> = (0..8).map(|i| i * 1000).collect();
        let options = GenerateOptions { max_new_tokens: 64, ..Default::default() };
        generate(&gpt, &prompt, &options, |_| {});
        let start = Instant::now();
        generate(&gpt, &prompt, &options, |_| {});
        let decode = 64.0 / start.elapsed().as_secs_f64();

        println!(
            "backend={name} forward_tokens_per_s={:.0} train_step_tokens_per_s={:.0} decode_tokens_per_s={:.1}",
            (b * t) as f64 / forward,
            (b * t) as f64 / train,
            decode
        );
    }
}
