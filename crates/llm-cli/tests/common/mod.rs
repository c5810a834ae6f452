//! Running the `llm` binary from tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn llm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llm"))
        .args(args)
        .env("LLM_DATA_DIR", data_dir())
        .output()
        .unwrap()
}

pub fn ok(args: &[&str]) -> String {
    let out = llm(args);
    assert!(out.status.success(), "llm {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail; returns its stderr, which must be one line.
pub fn fails(args: &[&str]) -> String {
    let out = llm(args);
    assert!(!out.status.success(), "llm {args:?} should fail");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "one error line expected: {stderr}");
    lines[0].to_string()
}

pub fn data_dir() -> PathBuf {
    // Tests run in their crate's directory; a relative `LLM_DATA_DIR` is meant from the
    // workspace root, where `cargo test --workspace` is run (joining an absolute path keeps it).
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    match std::env::var_os("LLM_DATA_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("../shared/data"),
    }
}

pub fn verdict() -> String {
    data_dir().join("the-verdict.txt").display().to_string()
}

/// `column` of every row of a run's metrics.csv.
pub fn column(run: &Path, column: &str) -> Vec<String> {
    let csv = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header.iter().position(|h| *h == column).unwrap();
    lines.map(|l| l.split(',').nth(i).unwrap().to_string()).collect()
}

pub fn args<'a>(fixed: &[&'a str], sets: &'a [String]) -> Vec<&'a str> {
    let mut all = fixed.to_vec();
    for set in sets {
        all.extend(["--set", set.as_str()]);
    }
    all
}

pub fn sets(pairs: &[&str]) -> Vec<String> {
    pairs.iter().map(|s| s.to_string()).collect()
}

/// A random-weight GPT with GPT-2's vocabulary, saved as a model directory (untied, so
/// its untrained logits are near uniform as the book's are).
pub fn tiny_model_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = llm_model::GptConfig {
        vocab_size: 50257,
        context_length: 32,
        emb_dim: 16,
        n_heads: 2,
        n_layers: 1,
        dropout: 0.0,
        qkv_bias: true,
        tie_embeddings: false,
        layer_norm_eps: 1e-5,
    };
    let gpt = config.init(&burn::tensor::Device::flex()).unwrap();
    llm_model::weights::save_hf_dir(&gpt, dir.path()).unwrap();
    dir
}


/// The `[model]` table of a tiny network of `preset`'s family (Llama or Qwen3: RMSNorm,
/// rotary positions, grouped-query attention with 2 query heads and 1 key/value head of
/// 16, a SwiGLU feed-forward of 64) over GPT-2's vocabulary.
pub fn tiny_decoder(preset: &str, context_length: usize, n_layers: usize) -> String {
    format!(
        r#"
preset = "{preset}"
vocab_size = 50257
context_length = {context_length}
emb_dim = 32
n_heads = 2
n_kv_heads = 1
head_dim = 16
hidden_dim = 64
n_layers = {n_layers}
"#
    )
}
