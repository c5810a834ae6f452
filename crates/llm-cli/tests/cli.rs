//! The `llm` binary end to end, as the README uses it (on tiny settings).

mod common;

use std::path::{Path, PathBuf};

use common::*;

use llm_data::Tokenizer;
use llm_model::generation::{GenerateOptions, generate, strip_stop};
use llm_model::weights::load_model;

fn model_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../llm-model/tests/fixtures").join(name)
}

/// The greedy continuation of `prompt` by the model in `dir`, computed here through the
/// library, as `llm generate` prints it (without the end-of-text token, then a newline).
fn greedy_text(dir: &Path, prompt: &str, max_new_tokens: usize) -> String {
    let gpt = load_model(dir, &burn::tensor::Device::flex()).unwrap();
    let tokenizer = Tokenizer::gpt2();
    let options = GenerateOptions { max_new_tokens, stop_tokens: tokenizer.end_of_text().into_iter().collect(), ..Default::default() };
    let ids = strip_stop(generate(&gpt, &tokenizer.encode(prompt), &options, |_| {}), &options.stop_tokens);
    format!("{}\n", tokenizer.decode(&ids))
}

#[test]
fn tokenize_and_decode_the_books_sentence() {
    let ids = ok(&["tokenize", "--text", "Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace."]);
    assert_eq!(ids.trim(), "15496 11 466 345 588 8887 30 220 50256 554 262 4252 18250 8812 2114 286 617 34680 27271 13");
    assert_eq!(ok(&["tokenize", "--decode", "--text", "15496 11 466 345 588 8887 30"]).trim_end(), "Hello, do you like tea?");
    let ids = ok(&["tokenize", "--file", &verdict()]);
    assert_eq!(ids.split_whitespace().count(), 5145);
}

#[test]
fn tokenize_train_writes_a_tokenizer_that_loads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tok.json");
    let out_s = out.display().to_string();
    let printed = ok(&["tokenize", "train", "--file", &verdict(), "--vocab-size", "400", "--out", &out_s]);
    assert!(printed.contains("vocab_size=400"), "{printed}");
    let ids = ok(&["tokenize", "--tokenizer", &out_s, "--text", "I had always thought Jack Gisburn"]);
    let text = ok(&["tokenize", "--tokenizer", &out_s, "--decode", "--text", ids.trim()]);
    assert_eq!(text.trim_end(), "I had always thought Jack Gisburn");
    // BERT's WordPiece: lower-cased, and `tokenize` shows the text's own ids (no [CLS]/[SEP]).
    let printed = ok(&["tokenize", "train", "--kind", "wordpiece", "--file", &verdict(), "--vocab-size", "800", "--out", &out_s]);
    assert!(printed.contains("vocab_size="), "{printed}");
    let ids = ok(&["tokenize", "--tokenizer", &out_s, "--text", "I had always thought Jack Gisburn"]);
    assert!(ids.split_whitespace().all(|id| id.parse::<u32>().unwrap() > 4), "no special token: {ids}");
    let text = ok(&["tokenize", "--tokenizer", &out_s, "--decode", "--text", ids.trim()]);
    assert_eq!(text.trim_end(), "i had always thought jack gisburn");
}

#[test]
fn generate_is_reproducible_and_the_cache_changes_nothing() {
    let model = tiny_model_dir();
    let m = model.path().to_str().unwrap();
    let base = ["generate", "--model", m, "--prompt", "Every effort moves you", "--max-new-tokens", "40"];
    let greedy = ok(&base);
    assert_eq!(greedy, greedy_text(model.path(), "Every effort moves you", 40), "the library's greedy tokens");
    assert_eq!(greedy, ok(&[&base[..], &["--no-cache"]].concat()), "greedy with and without KV cache");
    let sample = |seed: &str| ok(&[&base[..], &["--temperature", "1.0", "--top-k", "50", "--top-p", "0.95", "--seed", seed]].concat());
    assert_eq!(sample("7"), sample("7"), "same seed, same sample");
    assert_ne!(sample("7"), sample("8"), "another seed, another sample");
}

#[test]
fn perplexity_prints_tokens_loss_and_perplexity() {
    let model = tiny_model_dir();
    let m = model.path().to_str().unwrap();
    let out = ok(&["perplexity", "--model", m, "--file", &verdict()]);
    let get = |key: &str| -> f64 {
        out.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).unwrap().parse().unwrap()
    };
    assert_eq!(get("tokens"), 5144.0, "every token but the first is predicted");
    let (loss, ppl) = (get("loss"), get("perplexity"));
    assert!((ppl - loss.exp()).abs() / ppl < 1e-3, "{out}");
    // An untrained model is near uniform over 50,257 tokens: ln(50257) = 10.8.
    assert!((9.0..13.0).contains(&loss), "{out}");
    // Without --file: the default data set (the-verdict) from the data directory.
    let json = ok(&["perplexity", "--model", m, "--context", "16", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["tokens"], 5144);
    let err = fails(&["perplexity", "--model", m, "--file", &verdict(), "--context", "64"]);
    assert!(err.contains("--context") && err.contains("32"), "{err}");
}

#[test]
fn presets_build_a_fresh_seeded_model() {
    // Chapter 4: the book's GPTModel, untrained, generating from a prompt.
    let run = |model: &str, seed: &str| ok(&["generate", "--model", model, "--prompt", "Hello, I am", "--max-new-tokens", "4", "--seed", seed]);
    let text = run("gpt-config-124m", "123");
    // `convert` of the same preset and seed writes the same fresh model: its directory
    // continues the prompt with the same tokens, and another seed gives another model.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("untrained");
    ok(&["convert", "--model", "gpt-config-124m", "--seed", "123", "--out", saved.to_str().unwrap()]);
    assert_eq!(text, run(saved.to_str().unwrap(), "7"), "a seed fixes the initialisation");
    assert_eq!(text, greedy_text(&saved, "Hello, I am", 4));
    assert_ne!(text, run("gpt-config-124m", "124"), "another seed, another model");
    let out = ok(&["perplexity", "--model", "gpt2-small", "--file", &verdict(), "--context", "32", "--batch-size", "8"]);
    assert!(out.contains("tokens=5144"), "{out}");
    let err = fails(&["generate", "--model", "gpt7", "--prompt", "x"]);
    assert!(err.contains("gpt7") && err.contains("gpt-config-124m"), "{err}");
}

#[test]
fn convert_writes_a_hugging_face_directory() {
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("gpt2-dir");
    let printed = ok(&["convert", "--model", model_fixture("book").to_str().unwrap(), "--out", dest.to_str().unwrap()]);
    assert!(printed.contains("out="), "{printed}");
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        assert!(dest.join(file).is_file(), "{file}");
    }
    let device = burn::tensor::Device::flex();
    let ids = burn::tensor::Tensor::<2, burn::tensor::Int>::from_data([[1i64, 2, 3, 4, 5]], &device);
    let a: Vec<f32> = load_model(&model_fixture("book"), &device).unwrap().forward(ids.clone()).into_data().iter::<f32>().collect();
    let b: Vec<f32> = load_model(&dest, &device).unwrap().forward(ids).into_data().iter::<f32>().collect();
    let diff = a.iter().zip(&b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(diff < 1e-5, "converted model differs by {diff}");
}

#[test]
fn errors_are_one_line() {
    let err = fails(&["generate", "--model", "/no/such/model", "--prompt", "hi"]);
    assert!(err.contains("/no/such/model"), "{err}");
    let model = tiny_model_dir();
    let m = model.path().to_str().unwrap();
    let err = fails(&["generate", "--model", m, "--prompt", ""]);
    assert!(err.contains("--prompt"), "{err}");
    let err = fails(&["generate", "--model", model_fixture("hf-tied").to_str().unwrap(), "--prompt", "hi"]);
    assert!(err.contains("50257") && err.contains("512"), "tokenizer larger than the model: {err}");
    let err = fails(&["tokenize", "--file", "/no/such/file.txt"]);
    assert!(err.contains("/no/such/file.txt"), "{err}");
    let err = fails(&["generate", "--model", m, "--prompt", "hi", "--backend", "cuda"]);
    assert!(err.contains("cargo xtask") && err.contains("--backend cuda"), "{err}");
}

/// `--set` keys that shrink the default experiment to seconds.
const TINY_RUN: [&str; 20] = [
    "--set", "model.emb_dim=32", "--set", "model.n_layers=1", "--set", "model.n_heads=2",
    "--set", "context_length=32", "--set", "batch_size=4", "--set", "stride=32",
    "--set", "eval_every=2", "--set", "run.eval_batches=1", "--set", "run.sample_tokens=5",
    "--set", "epochs=1",
];

#[test]
fn train_writes_a_run_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let out_s = out.to_str().unwrap();
    let printed = ok(&[&["train", "--out", out_s, "--max-steps", "3"][..], &TINY_RUN].concat());
    assert!(printed.contains("steps=3"), "{printed}");
    assert!(printed.contains(&format!("model={out_s}/model")), "{printed}");

    let config = std::fs::read_to_string(out.join("config.toml")).unwrap();
    assert!(config.contains("emb_dim = 32") && config.contains("max_steps = 3"), "{config}");
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "step,epoch,tokens_seen,train_loss,val_loss,lr,tokens_per_s");
    assert_eq!(rows.len(), 4, "one row per optimizer step: {csv}");
    let fields = |i: usize| rows[i].split(',').map(str::to_string).collect::<Vec<_>>();
    assert_eq!(fields(1)[..3], ["1", "1", "128"]);
    assert!(!fields(1)[4].is_empty() && fields(2)[4].is_empty() && !fields(3)[4].is_empty(), "evaluation after steps 1 and 3: {csv}");
    let loss: f64 = fields(1)[3].parse().unwrap();
    assert!((9.0..13.0).contains(&loss), "an untrained model starts near ln(50257): {csv}");
    let samples = std::fs::read_to_string(out.join("samples.txt")).unwrap();
    assert!(samples.starts_with("epoch 1: Every effort moves you"), "{samples}");

    let model = load_model(&out.join("model"), &burn::tensor::Device::flex()).unwrap();
    assert_eq!((model.config().emb_dim, model.config().context_length), (32, 32));
    let text = ok(&["generate", "--model", &format!("{out_s}/model"), "--prompt", "Every effort", "--max-new-tokens", "3"]);
    assert_eq!(text, greedy_text(&out.join("model"), "Every effort", 3), "the saved model generates as the library does");
}

#[test]
fn train_refuses_bad_settings_in_one_line() {
    let err = fails(&["train", "--set", "learning_rate=1"]);
    assert!(err.contains("learning_rate") && err.contains("unknown key"), "{err}");
    let err = fails(&["train", "--set", "model.n_heads=5"]);
    assert!(err.contains("n_heads"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let short = dir.path().join("short.txt");
    std::fs::write(&short, "Only a few words here, far fewer than a window.").unwrap();
    let out = dir.path().join("run");
    let err = fails(&[&["train", "--data-file", short.to_str().unwrap(), "--out", out.to_str().unwrap()][..], &TINY_RUN].concat());
    assert!(err.contains("short.txt") && err.contains("tokens") && err.contains("needs at least 33"), "{err}");
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let err = fails(&["train", "--data-file", empty.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(err.contains("empty.txt") && err.contains("empty"), "{err}");
    let binary = dir.path().join("weights.bin");
    std::fs::write(&binary, [0u8, 159, 146, 150, 0, 1]).unwrap();
    let err = fails(&["train", "--data-file", binary.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(err.contains("weights.bin") && err.contains("binary"), "{err}");
    let err = fails(&["train", "--set", "batch_size=0"]);
    assert!(err.contains("batch_size"), "{err}");
    let err = fails(&["train", "--init-from", dir.path().to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(err.contains(dir.path().to_str().unwrap()), "a directory that holds no model: {err}");
    let err = fails(&["train", "--config", dir.path().join("nope.toml").to_str().unwrap()]);
    assert!(err.contains("nope.toml"), "{err}");
}

#[test]
fn bench_times_a_workload_and_reports_memory() {
    let printed = ok(&["bench", "--workload", "train-small", "--repeats", "2", "--json"]);
    let v: serde_json::Value = serde_json::from_str(printed.trim()).unwrap();
    assert_eq!(v["workload"], "train-small");
    assert_eq!(v["backend"], "flex");
    assert!(v["tokens_per_s"].as_f64().unwrap() > 0.0, "{v}");
    // Each repeat's figure, for `cargo xtask bench` to pool; the reported one is their median
    // (within the rounding to 0.01 of each figure).
    let samples: Vec<f64> = v["samples"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert_eq!(samples.len(), 2, "{v}");
    let median = (samples[0] + samples[1]) / 2.0;
    assert!((v["tokens_per_s"].as_f64().unwrap() - median).abs() <= 0.011, "{v}");
    // At least the model, its gradients and AdamW's two moments (4 x 17.5 M f32 = 268 MiB).
    assert!(v["peak_rss_mib"].as_f64().unwrap() > 250.0, "{v}");
}

#[test]
fn generate_json_reports_the_new_ids() {
    let model = tiny_model_dir();
    let m = model.path().to_str().unwrap();
    let out = ok(&["generate", "--model", m, "--prompt", "Every effort moves you", "--max-new-tokens", "8", "--json"]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let ids: Vec<u32> = v["ids"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as u32).collect();
    assert_eq!(v["prompt_tokens"], 4, "{v}");
    assert_eq!(v["generated_tokens"], ids.len(), "{v}");
    assert!(!ids.is_empty() && ids.len() <= 8, "{v}");
    assert_eq!(v["text"].as_str().unwrap(), Tokenizer::gpt2().decode(&ids), "{v}");
    assert_eq!(format!("{}\n", v["text"].as_str().unwrap()), greedy_text(model.path(), "Every effort moves you", 8));
    assert!(v["tokens_per_s"].as_f64().unwrap() > 0.0, "{v}");
}

/// The Llama and Qwen3 fixtures (vocabulary 512) with a byte-level BPE of 512 tokens
/// trained here, so that `llm` can feed them text.
fn family_dir(fixture: &str, tokenizer: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(model_fixture(fixture)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    std::fs::copy(tokenizer, dir.path().join("tokenizer.json")).unwrap();
    dir
}

#[test]
fn every_command_runs_a_llama_and_a_qwen3_directory() {
    let work = tempfile::tempdir().unwrap();
    let tokenizer = work.path().join("bpe-512.json");
    ok(&["tokenize", "train", "--file", &verdict(), "--vocab-size", "512", "--out", tokenizer.to_str().unwrap()]);
    for (fixture, model_type) in [("llama-tied", "llama"), ("qwen3-sharded", "qwen3")] {
        let dir = family_dir(fixture, &tokenizer);
        let d = dir.path().to_str().unwrap();
        let out = ok(&["generate", "--model", d, "--prompt", "I had always thought", "--max-new-tokens", "6", "--json"]);
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["generated_tokens"], 6, "{fixture}: {v}");
        let greedy = ok(&["generate", "--model", d, "--prompt", "I had always thought", "--max-new-tokens", "6"]);
        assert_eq!(greedy, format!("{}\n", v["text"].as_str().unwrap()), "{fixture}: streamed and --json agree");
        let scored = ok(&["perplexity", "--model", d, "--file", &verdict(), "--context", "64"]);
        assert!(scored.contains("tokens=") && scored.contains("loss="), "{fixture}: {scored}");
        let converted = work.path().join(format!("{fixture}-converted"));
        ok(&["convert", "--model", d, "--out", converted.to_str().unwrap()]);
        let config = std::fs::read_to_string(converted.join("config.json")).unwrap();
        assert!(config.contains(&format!("\"model_type\": \"{model_type}\"")), "{fixture}: {config}");
        let again = ok(&["generate", "--model", converted.to_str().unwrap(), "--prompt", "I had always thought", "--max-new-tokens", "6"]);
        assert_eq!(again, greedy, "{fixture}: the converted directory generates the same");
    }
}

/// A Llama or Qwen3 fixture's weights with the tokenizer files, chat template and
/// generation config of llm-data's chat fixture of the same family.
fn chat_dir(fixture: &str, chat: &str) -> tempfile::TempDir {
    let chat_files = Path::new(env!("CARGO_MANIFEST_DIR")).join("../llm-data/tests/fixtures/chat").join(chat);
    let dir = family_dir(fixture, &chat_files.join("tokenizer.json"));
    for entry in std::fs::read_dir(&chat_files).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

#[test]
fn chat_replies_are_the_greedy_tokens_of_transformers_on_the_rendered_conversation() {
    // make_chat_fixtures.py rendered [user] with apply_chat_template and let transformers
    // generate 12 greedy tokens from it, stopping at generation_config's end-of-sequence ids.
    for (fixture, chat, vars) in [("llama-tied", "llama3", &["--template-var", "date_string=06 Dec 2026"][..]), ("qwen3", "qwen3", &[])] {
        let dir = chat_dir(fixture, chat);
        let d = dir.path().to_str().unwrap();
        let expected: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("expected.json")).unwrap()).unwrap();
        let case = &expected["cases"][expected["greedy"]["case"].as_u64().unwrap() as usize];
        let user = case["messages"][0]["content"].as_str().unwrap();
        let mut reference: Vec<u64> = expected["greedy"]["ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        let args = [&["generate", "--model", d, "--chat", "--prompt", user, "--max-new-tokens", "12", "--json"][..], vars].concat();
        let v: serde_json::Value = serde_json::from_str(ok(&args).trim()).unwrap();
        assert_eq!(v["prompt_tokens"].as_u64().unwrap() as usize, case["ids"].as_array().unwrap().len(), "{chat}: {v}");
        let stops: Vec<u64> = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(dir.path().join("generation_config.json")).unwrap())
            .unwrap()["eos_token_id"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        if reference.last().is_some_and(|id| stops.contains(id)) {
            reference.pop(); // `--json` leaves out the final end-of-sequence token
        }
        let ids: Vec<u64> = v["ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(ids, reference, "{chat}: greedy reply ids");

        // convert --dtype bf16 keeps the conversation files: the same prompt, half the bytes.
        let converted = tempfile::tempdir().unwrap();
        let c = converted.path().to_str().unwrap();
        let printed = ok(&["convert", "--model", d, "--out", c, "--dtype", "bf16"]);
        assert!(printed.contains("dtype=bfloat16"), "{printed}");
        let size = |dir: &Path| std::fs::metadata(dir.join("model.safetensors")).unwrap().len() as f64;
        let ratio = size(converted.path()) / size(dir.path());
        assert!((0.45..0.55).contains(&ratio), "{chat}: bf16 file is {ratio:.3} of the f32 one");
        let args = [&["generate", "--model", c, "--chat", "--prompt", user, "--max-new-tokens", "2", "--json"][..], vars].concat();
        let again: serde_json::Value = serde_json::from_str(ok(&args).trim()).unwrap();
        assert_eq!(again["prompt_tokens"], v["prompt_tokens"], "{chat}: the converted directory renders the same prompt");
    }
    let refused = fails(&["convert", "--model", "gpt2-small", "--out", "/tmp/never-written", "--dtype", "f8"]);
    assert!(refused.contains("expected f32 or bf16"), "{refused}");
    let plain = tiny_model_dir();
    let refused = fails(&["generate", "--model", plain.path().to_str().unwrap(), "--chat", "--prompt", "hi"]);
    assert!(refused.contains("has no chat template") && refused.contains("leave out --chat"), "{refused}");
}
