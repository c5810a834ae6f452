//! `llm bench`: one workload on one backend, timed as `cargo xtask bench` needs it (one
//! process per workload, so that its peak resident memory is its own).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::tensor::{Device, Int, Tensor, TensorData};
use burn::train::TrainStep;
use llm_data::dataset::LmBatch;
use llm_model::matrix_dtype::with_bf16_matrices;
use llm_model::presets::init_preset;
use llm_model::weights::WeightDtype;
use llm_model::{CausalModel, GptConfig, LanguageModel, TorchGenerator};
use llm_model::generation::{GenerateOptions, generate};
use llm_train::CausalLm;
use llm_train::fused_adamw::FusedAdamW;

use crate::cli::{BenchArgs, GlobalArgs, Workload};

/// New tokens and prompt length of the generation workloads.
const NEW_TOKENS: usize = 200;
const PROMPT: usize = 10;

pub fn run(args: BenchArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let device = super::selected_device(global)?;
    let backend = super::selected_backend(global);
    anyhow::ensure!(args.repeats >= 1, "--repeats must be at least 1");
    let samples = match args.workload {
        Workload::Train124m => train(book_124m(256), 2, &device, args.repeats)?,
        Workload::TrainSmall => train(small(), 8, &device, args.repeats)?,
        Workload::Generate124mKv => decode(true, &device, args.repeats)?,
        Workload::Generate124mNocache => decode(false, &device, args.repeats)?,
        Workload::GenerateQwen3Kv => decode_preset("qwen3-0.6b", args.dtype, &device, args.repeats)?,
        Workload::GenerateLlama32Kv => decode_preset("llama-3.2-1b", args.dtype, &device, args.repeats)?,
    };
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let mut pairs = vec![
        ("workload", args.workload.name().into()),
        ("backend", backend.to_string().into()),
        ("tokens_per_s", round(median(&samples)).into()),
        ("peak_rss_mib", peak_rss_mib().map_or(serde_json::Value::Null, |m| ((m * 10.0).round() / 10.0).into())),
        ("repeats", args.repeats.into()),
        // Each repeat's own figure, in order: `cargo xtask bench` pools them across rounds.
        ("samples", samples.iter().map(|&x| round(x)).collect::<Vec<_>>().into()),
    ];
    #[cfg(feature = "flex")]
    if backend == crate::backend::Backend::Flex {
        // Which library multiplied flex's large matrices: OpenBLAS where installed, else gemm.
        pairs.push(("products", crate::backend::flex_products().into()));
    }
    super::print_results(global, &pairs);
    Ok(())
}

/// GPT_CONFIG_124M (dropout 0.1, no QKV bias, separate output head) at `context`.
fn book_124m(context: usize) -> GptConfig {
    GptConfig {
        context_length: context,
        ..GptConfig::gpt_config_124m()
    }
}

/// The small config of the main job: emb 256, 4 layers, 4 heads, context 128.
fn small() -> GptConfig {
    GptConfig {
        context_length: 128,
        emb_dim: 256,
        n_heads: 4,
        n_layers: 4,
        ..GptConfig::gpt_config_124m()
    }
}

/// Seconds of each of `repeats` calls of `f`, after one call of `warm_up`.
fn timed_seconds(
    repeats: usize,
    warm_up: impl FnOnce() -> anyhow::Result<()>,
    mut f: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<Vec<f64>> {
    warm_up()?;
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed().as_secs_f64());
    }
    Ok(times)
}

/// The median (of an even count, the mean of the middle two), as Python's `statistics.median`.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let half = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[half] } else { (sorted[half - 1] + sorted[half]) / 2.0 }
}

fn ids(device: &Device, batch: usize, len: usize, salt: usize) -> Tensor<2, Int> {
    let data: Vec<i64> = (0..batch * len).map(|i| ((i + salt) * 7919 % 50257) as i64).collect();
    Tensor::from_data(TensorData::new(data, [batch, len]), device)
}

/// Training tokens per second: forward, backward and an AdamW step on a batch. Like the
/// PyTorch side (`torch.manual_seed(123); GPTModel(cfg)`), the initial weights and every
/// dropout mask come from PyTorch's generator (`rng = "torch"`): both sides draw the same
/// numbers the same way.
fn train(config: GptConfig, batch: usize, device: &Device, repeats: usize) -> anyhow::Result<Vec<f64>> {
    let ad = device.clone().autodiff();
    let generator = Arc::new(Mutex::new(TorchGenerator::new(123)));
    let gpt = config.init_torch(&mut generator.lock().expect("torch generator lock"), &ad)?;
    let context = config.context_length;
    let mut model = Some(CausalLm::new(LanguageModel::Gpt2(gpt.with_torch_dropout(generator))));
    // The optimizer `llm train` uses: PyTorch's AdamW (lr 4e-4 below, weight decay 0.1).
    let mut optim = FusedAdamW::new(0.9, 0.999, 1e-8, 0.1).init();
    let data = LmBatch {
        inputs: ids(&ad, batch, context, 0),
        targets: ids(&ad, batch, context, 1),
    };
    let mut step = || {
        let current = model.take().expect("the model is put back after each step");
        let out = current.step(data.clone());
        let stepped = current.optimize(&mut optim, 4e-4.into(), out.grads);
        // Reading one weight back waits for the update on asynchronous backends.
        if let LanguageModel::Gpt2(gpt) = &stepped.model {
            let _ = gpt.wte.weight.val().slice([0..1, 0..1]).into_data();
        }
        model = Some(stepped);
        Ok(())
    };
    step()?; // warm-up
    let seconds = timed_seconds(repeats, || Ok(()), step)?;
    Ok(seconds.iter().map(|s| (batch * context) as f64 / s).collect())
}

/// Greedy decoding tokens per second: 200 new tokens after a 10-token prompt.
fn decode(use_cache: bool, device: &Device, repeats: usize) -> anyhow::Result<Vec<f64>> {
    device.seed(123);
    let gpt = book_124m(1024).init(device)?.with_dropout(0.0);
    let prompt: Vec<u32> = (0..PROMPT as u32).map(|i| i * 4999 % 50257).collect();
    let options = GenerateOptions {
        max_new_tokens: NEW_TOKENS,
        use_cache,
        ..Default::default()
    };
    // Warm-up: a short generation (allocations, kernels), not the full 200 tokens.
    let short = GenerateOptions {
        max_new_tokens: 8,
        ..options.clone()
    };
    let warm_up = || {
        generate(&gpt, &prompt, &short, |_| {});
        Ok(())
    };
    let seconds = timed_seconds(repeats, warm_up, || {
        let out = generate(&gpt, &prompt, &options, |_| {});
        anyhow::ensure!(out.len() == NEW_TOKENS, "generated {} tokens", out.len());
        Ok(())
    })?;
    Ok(seconds.iter().map(|s| NEW_TOKENS as f64 / s).collect())
}

/// New tokens of the family decoding workloads (the first one ends the prompt's pass).
const FAMILY_NEW_TOKENS: usize = 64;

/// Cached greedy decoding of a preset's shape with random weights (matrices in `dtype`):
/// tokens per second from the first new token to the last, so that the prompt's pass is not
/// counted.
fn decode_preset(preset: &str, dtype: WeightDtype, device: &Device, repeats: usize) -> anyhow::Result<Vec<f64>> {
    device.seed(123);
    let model = match dtype {
        WeightDtype::F32 => init_preset(preset, device)?,
        WeightDtype::Bf16 => with_bf16_matrices(init_preset(preset, device)?),
    };
    let vocab = model.vocab_size() as u32;
    let prompt: Vec<u32> = (0..PROMPT as u32).map(|i| i * 4999 % vocab).collect();
    let options = GenerateOptions { max_new_tokens: FAMILY_NEW_TOKENS, use_cache: true, ..Default::default() };
    let decode_rate = |options: &GenerateOptions| {
        let mut first: Option<Instant> = None;
        let out = generate(&model, &prompt, options, |_| {
            first.get_or_insert_with(Instant::now);
        });
        let seconds = first.map_or(f64::NAN, |t| t.elapsed().as_secs_f64());
        (out.len(), (out.len().saturating_sub(1)) as f64 / seconds)
    };
    // Warm-up: the weights' first use (Burn initialises them lazily) and a few steps.
    decode_rate(&GenerateOptions { max_new_tokens: 8, ..options.clone() });
    (0..repeats)
        .map(|_| {
            let (generated, rate) = decode_rate(&options);
            anyhow::ensure!(generated == FAMILY_NEW_TOKENS, "generated {generated} tokens");
            Ok(rate)
        })
        .collect()
}

/// The process's peak resident memory (VmHWM), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
