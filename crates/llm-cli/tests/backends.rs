//! `--backend` end to end: every backend compiled into the test binary (flex, ndarray and
//! wgpu with the default features; wgpu runs on lavapipe where there is no GPU) computes the
//! same perplexity and trains the same few steps as flex, through the same commands.
//! `LLM_TEST_SKIP_BACKENDS=wgpu` leaves one out on a machine without Vulkan.
//!
//! Tolerance 1e-3 absolute on losses printed with 4 decimals: the backends' f32 kernels
//! differ by a few ULPs (llm-model's backends test bounds logits to 1e-5 relative), so the
//! printed values differ at most in their last digit.

mod common;

use std::path::Path;

use common::*;
use llm_model::GptConfig;
use llm_model::weights::save_hf_dir;

/// The backends compiled into `llm` (this crate's features), but those named in
/// `LLM_TEST_SKIP_BACKENDS`.
fn backends() -> Vec<String> {
    let skip = std::env::var("LLM_TEST_SKIP_BACKENDS").unwrap_or_default();
    let compiled = [
        ("flex", cfg!(feature = "flex")),
        ("ndarray", cfg!(feature = "ndarray")),
        ("wgpu", cfg!(feature = "wgpu")),
        ("tch", cfg!(feature = "tch")),
        ("cuda", cfg!(feature = "cuda")),
    ];
    compiled
        .into_iter()
        .filter(|&(name, on)| on && !skip.split(',').any(|s| s.trim() == name))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// One random model for every backend (each backend's own initialisation would differ).
fn start_model() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = GptConfig {
        vocab_size: 50257,
        context_length: 32,
        emb_dim: 32,
        n_heads: 2,
        n_layers: 2,
        dropout: 0.0,
        qkv_bias: true,
        tie_embeddings: false,
        layer_norm_eps: 1e-5,
    };
    let device = burn::tensor::Device::flex();
    device.seed(5);
    save_hf_dir(&config.init(&device).unwrap(), dir.path()).unwrap();
    dir
}

fn value(out: &str, key: &str) -> f64 {
    out.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).unwrap_or_else(|| panic!("no {key}= in {out}")).parse().unwrap()
}

#[test]
fn every_backend_computes_the_same_perplexity() {
    let model = start_model();
    let m = model.path().to_str().unwrap();
    let losses: Vec<(String, f64)> = backends()
        .into_iter()
        .map(|b| {
            let out = ok(&["perplexity", "--model", m, "--file", &verdict(), "--context", "32", "--backend", &b]);
            (b, value(&out, "loss"))
        })
        .collect();
    let (_, flex) = &losses[0];
    for (backend, loss) in &losses {
        assert!((loss - flex).abs() <= 1e-3, "{backend}: loss {loss}, flex {flex}");
    }
}

#[test]
fn every_backend_trains_the_same_steps() {
    let model = start_model();
    let dir = tempfile::tempdir().unwrap();
    let m = model.path().to_str().unwrap();
    let settings = sets(&[
        "context_length=32", "batch_size=4", "stride=32", "dropout=0", "lr=5e-3", "warmup_steps=0",
        "grad_clip=1.0", "eval_every=2", "run.eval_batches=1", "run.sample_tokens=3", "epochs=1",
    ]);
    let traces = train_on_every_backend(dir.path(), m, "4", &settings);
    let (_, flex_train, flex_val) = &traces[0];
    assert_eq!(flex_train.len(), 4);
    assert!(flex_val.len() >= 2 && flex_val[flex_val.len() - 1] < flex_val[0], "the steps train: {flex_val:?}");
    assert_flex_losses(&traces);
}

/// `llm train --init-from start` for `steps` steps on every backend, each in its own run
/// directory under `dir`: (backend, training losses, validation losses).
fn train_on_every_backend(dir: &Path, start: &str, steps: &str, settings: &[String]) -> Vec<(String, Vec<f64>, Vec<f64>)> {
    backends()
        .into_iter()
        .map(|b| {
            let out = dir.join(&b);
            let fixed = ["train", "--init-from", start, "--out", out.to_str().unwrap(), "--max-steps", steps, "--backend", &b];
            ok(&args(&fixed, settings));
            let numbers = |name: &str| column(&out, name).iter().filter(|v| !v.is_empty()).map(|v| v.parse().unwrap()).collect();
            (b, numbers("train_loss"), numbers("val_loss"))
        })
        .collect()
}

/// Every backend's losses within 1e-3 of flex's (the first trace).
fn assert_flex_losses(traces: &[(String, Vec<f64>, Vec<f64>)]) {
    let (_, flex_train, flex_val) = &traces[0];
    let close = |a: &[f64], b: &[f64]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-3);
    for (backend, train, val) in traces {
        assert!(close(train, flex_train), "{backend}: train losses {train:?}, flex {flex_train:?}");
        assert!(close(val, flex_val), "{backend}: validation losses {val:?}, flex {flex_val:?}");
    }
}

/// The main job (experiments/default.toml) from one set of weights: its steps feed GPT-2's
/// 50,257-token vocabulary batches of 8 x 128 tokens, whose logits (206 MB in f32) are more
/// than lavapipe binds as one buffer (128 MiB); the loss is computed in blocks of logits,
/// so it runs on wgpu too, with flex's losses.
#[test]
fn the_main_job_runs_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    let start = dir.path().join("start");
    let config = GptConfig { context_length: 128, emb_dim: 256, n_heads: 4, n_layers: 4, dropout: 0.0, ..GptConfig::gpt_config_124m() };
    let device = burn::tensor::Device::flex();
    device.seed(7);
    save_hf_dir(&config.init(&device).unwrap(), &start).unwrap();
    let traces = train_on_every_backend(dir.path(), start.to_str().unwrap(), "2", &sets(&["run.eval_batches=1", "run.sample_tokens=2"]));
    let (_, flex_train, flex_val) = &traces[0];
    assert_eq!((flex_train.len(), flex_val.len()), (2, 1), "two steps, one evaluation");
    assert_flex_losses(&traces);
}
