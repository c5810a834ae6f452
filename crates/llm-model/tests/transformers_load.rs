//! `transformers.AutoModelForCausalLM.from_pretrained` loads what `save_language_model`
//! writes, for every family, and computes the reference loss (1e-4 relative, as in
//! `parity.rs`).
//!
//! Needs the Python environment of `scripts/setup-python.sh`: set `LLM_PYTHON` to its
//! interpreter (CI does). Without it the test fails under CI and says so elsewhere.

mod common;

use std::process::Command;

use common::*;
use llm_model::weights::{load_language_model, save_language_model};

#[test]
fn transformers_loads_saved_directories() {
    let Some(python) = std::env::var_os("LLM_PYTHON") else {
        assert!(std::env::var_os("CI").is_none(), "CI must set LLM_PYTHON (scripts/setup-python.sh)");
        eprintln!("LLM_PYTHON is not set: skipping the transformers check (run scripts/setup-python.sh)");
        return;
    };
    let script = fixture("check_hf_load.py");
    // hf-untied: transformers' own file; book: a model.pth turned into a GPT-2 directory,
    // with the zero QKV bias that GPT-2's Conv1D needs; llama-untied: read from the
    // transformers 5 config form, written in 4's; qwen3-sharded: bf16 shards written as one
    // f32 file.
    for name in ["hf-tied", "hf-untied", "book", "llama-untied", "qwen3-sharded"] {
        let src = fixture(name);
        let out = tempfile::tempdir().unwrap();
        save_language_model(&load_language_model(&src, &device()).unwrap(), out.path()).unwrap();
        std::fs::copy(src.join("reference.safetensors"), out.path().join("reference.safetensors")).unwrap();
        let output = Command::new(&python).arg(&script).arg(out.path()).output().unwrap();
        assert!(output.status.success(), "{name}: {}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8(output.stdout).unwrap();
        let loss: f32 = stdout.trim().strip_prefix("loss=").unwrap().parse().unwrap();
        let expected = reference(&src).loss;
        let err = (loss - expected).abs() / expected;
        println!("{name}: transformers loss {loss:.6} vs reference {expected:.6} ({err:.1e})");
        assert!(err < 1e-4, "{name}: transformers computes {loss}, reference {expected}");
    }
}
