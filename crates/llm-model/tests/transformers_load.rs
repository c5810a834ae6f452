//! `transformers.AutoModelForCausalLM.from_pretrained` loads what `save_language_model`
//! writes, for every family, and computes the reference loss (1e-4 relative, as in
//! `parity.rs`).
//!
//! Needs the Python environment of `scripts/setup-python.sh`: set `LLM_PYTHON` to its
//! interpreter (CI does). Without it the test fails under CI and says so elsewhere.

mod common;

use std::process::Command;

use common::*;
use llm_model::weights::{WeightDtype, load_language_model, save_language_model, save_language_model_as};

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
    // bf16 (`convert --dtype bf16`): transformers computes on the bf16 weights what llm
    // computes on them (both upcast to f32: the same 1e-4), and the rounding shows against
    // the f32 reference, so the file really holds bf16.
    for name in ["llama-untied", "qwen3"] {
        let src = fixture(name);
        let out = tempfile::tempdir().unwrap();
        save_language_model_as(&load_language_model(&src, &device()).unwrap(), out.path(), WeightDtype::Bf16).unwrap();
        std::fs::copy(src.join("reference.safetensors"), out.path().join("reference.safetensors")).unwrap();
        let config = std::fs::read_to_string(out.path().join("config.json")).unwrap();
        assert!(config.contains("\"torch_dtype\": \"bfloat16\""), "{name}: {config}");
        let output = Command::new(&python).arg(&script).arg(out.path()).output().unwrap();
        assert!(output.status.success(), "{name} bf16: {}", String::from_utf8_lossy(&output.stderr));
        let loss: f32 = String::from_utf8(output.stdout).unwrap().trim().strip_prefix("loss=").unwrap().parse().unwrap();
        let ours = reference_batch_loss(&load_language_model(out.path(), &device()).unwrap(), &reference(&src));
        let f32_loss = reference(&src).loss;
        let err = (loss - ours).abs() / ours;
        println!("{name} bf16: transformers loss {loss:.6} vs llm {ours:.6} ({err:.1e}); f32 reference {f32_loss:.6}");
        assert!(err < 1e-4, "{name} bf16: transformers computes {loss}, llm {ours}");
        assert!(loss != f32_loss, "{name} bf16: the loss of the f32 weights: nothing was rounded");
    }
}
