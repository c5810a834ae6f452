//! `llm chat` with messages piped on standard input, one a line: each reply is what
//! `llm generate --temperature 0` gives for the conversation rendered so far; `/reset` starts
//! over, `/system` sets the system message, `/exit` ends; a conversation that outgrows the
//! context loses its oldest turns with a note.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

/// A tiny GPT-2 model (random weights, GPT-2's tokenizer) with a context of `context`.
fn model_dir(context: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = llm_model::GptConfig { context_length: context, emb_dim: 32, n_heads: 2, n_layers: 2, ..llm_model::GptConfig::gpt2_small() };
    let device = burn::tensor::Device::flex();
    device.seed(11);
    llm_model::weights::save_hf_dir(&config.init(&device).unwrap(), dir.path()).unwrap();
    dir
}

/// `llm chat` on `model` with `input` piped in; its stdout and stderr.
fn chat(model: &std::path::Path, input: &str, extra: &[&str]) -> (String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_llm"))
        .args(["chat", "--model", model.to_str().unwrap(), "--temperature", "0", "--max-new-tokens", "6"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// `generate`'s greedy reply (6 tokens) to `prompt`.
fn reply(model: &std::path::Path, prompt: &str) -> String {
    let out = ok(&["generate", "--model", model.to_str().unwrap(), "--prompt", prompt, "--max-new-tokens", "6", "--temperature", "0", "--json"]);
    serde_json::from_str::<serde_json::Value>(&out).unwrap()["text"].as_str().unwrap().to_string()
}

const PREAMBLE: &str = "Below is an instruction that describes a task. Write a response that appropriately completes the request.";

#[test]
fn piped_messages_get_the_replies_generate_gives_and_commands_work() {
    let dir = model_dir(256);
    let model = dir.path();
    let (out, _) = chat(model, "Name a colour.\nAnd another.\n/reset\n/system Be brief.\nName a colour.\n/exit\nNot read.\n", &[]);
    let first = reply(model, &format!("{PREAMBLE}\n\n### Instruction:\nName a colour.\n\n### Response:\n"));
    let second = reply(
        model,
        &format!("{PREAMBLE}\n\n### Instruction:\nName a colour.\n\n### Response:\n{first}\n\n### Instruction:\nAnd another.\n\n### Response:\n"),
    );
    let third = reply(model, "Be brief.\n\n### Instruction:\nName a colour.\n\n### Response:\n");
    assert_eq!(out, format!("{first}\n{second}\n{third}\n"), "three replies, then /exit");
}

#[test]
fn a_conversation_longer_than_the_context_drops_its_oldest_turns() {
    // Context 64: the preamble and two exchanges do not fit beside a 6-token reply.
    let dir = model_dir(64);
    let (out, err) = chat(dir.path(), "One two three four five.\nSix seven eight nine ten.\nEleven twelve.\n", &[]);
    assert!(out.lines().count() >= 3, "a reply to each of the three messages: {out}");
    assert!(err.contains("its oldest turn was dropped"), "{err}");
}
