//! The encoder commands on the BERT fixtures of llm-model (`make_bert_fixtures.py`):
//! `fill-mask` against `transformers`' fill-mask pipeline, `convert` to directories that
//! `transformers` loads with the same outputs, and the errors of wrong input.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fails, ok};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../llm-model/tests/fixtures").join(name)
}

fn pipeline_output() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("bert-mlm/fill_mask.json")).unwrap()).unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_tokenizer_encodes_as_the_pipeline_does() {
    // [CLS] ... [SEP] from the tokenizer.json's post-processor, [MASK] as one token,
    // nothing added twice.
    let expected = pipeline_output();
    let tokenizer = llm_data::Tokenizer::from_file(&fixture("bert-mlm/tokenizer.json")).unwrap();
    let ids = tokenizer.encode_for_model(expected["text"].as_str().unwrap());
    let expected: Vec<u32> = expected["input_ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
    assert_eq!(ids, expected);
}

#[test]
fn fill_mask_ranks_as_the_transformers_pipeline() {
    let expected = pipeline_output();
    let text = expected["text"].as_str().unwrap();
    let out = ok(&["fill-mask", "--model", path(&fixture("bert-mlm")), "--text", text, "--top-k", "5", "--json"]);
    let ours: Value = serde_json::from_str(&out).unwrap();
    let (ours, theirs) = (ours["predictions"].as_array().unwrap(), expected["predictions"].as_array().unwrap());
    assert_eq!(ours.len(), 5);
    let mut worst = 0f64;
    for (a, b) in ours.iter().zip(theirs) {
        assert_eq!(a["id"], b["token"], "{out}");
        assert_eq!(a["token"], b["token_str"]);
        assert_eq!(a["sequence"], b["sequence"]);
        worst = worst.max((a["score"].as_f64().unwrap() - b["score"].as_f64().unwrap()).abs());
    }
    eprintln!("fill-mask scores: max |ours - pipeline| = {worst:e}");
    assert!(worst < 1e-4, "scores differ by {worst}");

    // The default output: a line per candidate.
    let lines = ok(&["fill-mask", "--model", path(&fixture("bert-mlm")), "--text", text, "--top-k", "2"]);
    let first = &theirs[0];
    let expected_line = format!("token={} id={} score=", first["token_str"].as_str().unwrap(), first["token"]);
    assert!(lines.lines().count() == 2 && lines.starts_with(&expected_line), "{lines}");
}

#[test]
fn several_masks_get_candidates_each() {
    let out = ok(&["fill-mask", "--model", path(&fixture("bert-mlm")), "--text", "The [MASK] of the [MASK].", "--top-k", "3", "--json"]);
    let value: Value = serde_json::from_str(&out).unwrap();
    let masks = value["masks"].as_array().unwrap();
    assert_eq!(masks.len(), 2);
    assert_eq!((masks[0]["position"].as_u64(), masks[1]["position"].as_u64()), (Some(2), Some(5)));
    for mask in masks {
        let scores: Vec<f64> = mask["predictions"].as_array().unwrap().iter().map(|p| p["score"].as_f64().unwrap()).collect();
        assert!(scores.len() == 3 && scores.windows(2).all(|w| w[0] >= w[1]) && scores[0] < 1.0, "{scores:?}");
    }
}

#[test]
fn fill_mask_refuses_what_it_cannot_do_in_one_line() {
    let mlm = fixture("bert-mlm");
    let error = fails(&["fill-mask", "--model", path(&mlm), "--text", "no mask here"]);
    assert!(error.contains("--text: no `[MASK]`"), "{error}");
    let error = fails(&["fill-mask", "--model", path(&fixture("bert-cls")), "--text", "a [MASK]"]);
    assert!(error.contains("BertForSequenceClassification has no masked-LM head"), "{error}");
    let error = fails(&["fill-mask", "--model", path(&fixture("qwen3")), "--text", "a [MASK]"]);
    assert!(error.contains("fill-mask needs a BERT model"), "{error}");
    let error = fails(&["fill-mask", "--model", path(&mlm), "--text", "a [MASK]", "--top-k", "0"]);
    assert!(error.contains("--top-k"), "{error}");
    let long = "word ".repeat(80) + "[MASK]";
    let error = fails(&["fill-mask", "--model", path(&mlm), "--text", &long]);
    assert!(error.contains("more than the model's 64 positions"), "{error}");
    // A decoder command on an encoder says what the encoder is for.
    let error = fails(&["generate", "--model", path(&mlm), "--prompt", "x"]);
    assert!(error.contains("a BERT encoder") && error.contains("fill-mask"), "{error}");
}

#[test]
fn converted_directories_give_transformers_the_same_outputs() {
    let Some(python) = std::env::var_os("LLM_PYTHON") else {
        assert!(std::env::var_os("CI").is_none(), "CI must set LLM_PYTHON (scripts/setup-python.sh)");
        eprintln!("LLM_PYTHON is not set: skipping the transformers check (run scripts/setup-python.sh)");
        return;
    };
    let script = fixture("check_hf_bert_load.py");
    for name in ["bert-mlm", "bert-cls"] {
        let out = tempfile::tempdir().unwrap();
        let printed = ok(&["convert", "--model", path(&fixture(name)), "--out", path(out.path()), "--json"]);
        assert!(printed.contains("\"architecture\""), "{printed}");
        let run = Command::new(&python).arg(&script).arg(out.path()).arg(fixture(name)).output().unwrap();
        assert!(run.status.success(), "{name}: {}", String::from_utf8_lossy(&run.stderr));
        let report: Value = serde_json::from_slice(&run.stdout).unwrap();
        let diff = report["max_diff"].as_f64().unwrap();
        eprintln!("{name} converted, loaded by transformers: max |logits - reference| = {diff:e}");
        assert!(diff < 1e-4, "{name}: {report}");
        if name == "bert-mlm" {
            let expected = pipeline_output();
            let ids: Vec<&Value> = expected["predictions"].as_array().unwrap().iter().map(|p| &p["token"]).collect();
            assert_eq!(report["fill_ids"].as_array().unwrap().iter().collect::<Vec<_>>(), ids, "the pipeline on the converted directory");
        }
    }
}

fn translation_reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("marian/tokenizer_reference.json")).unwrap()).unwrap()
}

#[test]
fn translate_decodes_as_transformers_generate() {
    let reference = translation_reference();
    let translation = &reference["translation"];
    let text = translation["text"].as_str().unwrap();
    let marian = fixture("marian");
    for (name, beams) in [("greedy", "1"), ("beam", "4")] {
        let out = ok(&["translate", "--model", path(&marian), "--text", text, "--beams", beams, "--max-new-tokens", "16", "--json"]);
        let ours: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(ours["ids"], translation[name]["ids"], "{name}: {out}");
        assert_eq!(ours["text"], translation[name]["text"], "{name}");
        assert_eq!(ours["finish_reason"], "stop");
    }
    // Plain output: the text, then loss= for a reference.
    let out = ok(&["translate", "--model", path(&marian), "--text", text, "--reference", translation["reference"].as_str().unwrap()]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], translation["greedy"]["text"].as_str().unwrap());
    let loss: f64 = lines[1].strip_prefix("loss=").unwrap().parse().unwrap();
    let expected = translation["reference_loss"].as_f64().unwrap();
    eprintln!("reference loss: {loss} vs transformers {expected}");
    assert!((loss - expected).abs() / expected < 1e-4, "loss {loss} vs {expected}");
}

#[test]
fn sampled_translations_follow_the_seed() {
    let marian = fixture("marian");
    let sample = |seed: &str| ok(&["translate", "--model", path(&marian), "--text", "It was no great surprise", "--temperature", "1.5", "--seed", seed, "--json"]);
    let (a, b) = (sample("1"), sample("1"));
    assert_eq!(a, b, "the same seed, the same sample");
    let draws: std::collections::HashSet<String> = (2..6).map(|seed| sample(&seed.to_string())).collect();
    assert!(draws.len() > 1, "four seeds gave one sample: {draws:?}");
}

#[test]
fn translate_refuses_what_it_cannot_do_in_one_line() {
    let marian = fixture("marian");
    let error = fails(&["translate", "--model", path(&marian), "--text", "x", "--beams", "2", "--temperature", "1"]);
    assert!(error.contains("beam search is deterministic"), "{error}");
    let error = fails(&["translate", "--model", path(&marian), "--text", "x", "--max-new-tokens", "65"]);
    assert!(error.contains("--max-new-tokens 65: the model has 64 target positions"), "{error}");
    let error = fails(&["translate", "--model", path(&marian), "--text", &"word ".repeat(80)]);
    assert!(error.contains("--text") && error.contains("more than the model's 64 positions"), "{error}");
    let error = fails(&["translate", "--model", path(&marian), "--text", "x", "--beams", "0"]);
    assert!(error.contains("--beams"), "{error}");
    let error = fails(&["translate", "--model", path(&fixture("bert-mlm")), "--text", "x"]);
    assert!(error.contains("translate needs an encoder-decoder model"), "{error}");
    let error = fails(&["generate", "--model", path(&marian), "--prompt", "x"]);
    assert!(error.contains("a Marian encoder-decoder") && error.contains("translate"), "{error}");
    let empty = tempfile::tempdir().unwrap();
    for file in ["config.json", "model.safetensors"] {
        std::fs::copy(marian.join(file), empty.path().join(file)).unwrap();
    }
    let error = fails(&["translate", "--model", path(empty.path()), "--text", "x"]);
    assert!(error.contains("no tokenizer") && error.contains("source.spm"), "{error}");
}

#[test]
fn a_converted_marian_directory_gives_transformers_the_same_outputs() {
    let Some(python) = std::env::var_os("LLM_PYTHON") else {
        assert!(std::env::var_os("CI").is_none(), "CI must set LLM_PYTHON (scripts/setup-python.sh)");
        eprintln!("LLM_PYTHON is not set: skipping the transformers check (run scripts/setup-python.sh)");
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let printed = ok(&["convert", "--model", path(&fixture("marian")), "--out", path(out.path()), "--json"]);
    assert!(printed.contains("MarianMTModel"), "{printed}");
    let run = Command::new(&python).arg(fixture("check_hf_marian_load.py")).arg(out.path()).arg(fixture("marian")).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    let diff = report["max_diff"].as_f64().unwrap();
    eprintln!("marian converted, loaded by transformers: max |logits - reference| = {diff:e}");
    assert!(diff < 1e-4, "{report}");
    let greedy = &translation_reference()["translation"]["greedy"];
    assert_eq!(report["greedy_ids"], greedy["ids"]);
    assert_eq!(report["greedy_text"], greedy["text"]);
}

#[test]
fn translate_uses_the_directory_s_number_of_beams() {
    // OPUS-MT directories say num_beams = 4 (in config.json, or generation_config.json).
    let reference = translation_reference();
    let translation = &reference["translation"];
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture("marian")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let config_path = dir.path().join("config.json");
    let mut config: Value = serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    config["num_beams"] = 4.into();
    std::fs::write(&config_path, config.to_string()).unwrap();
    let text = translation["text"].as_str().unwrap();
    let out: Value = serde_json::from_str(&ok(&["translate", "--model", path(dir.path()), "--text", text, "--max-new-tokens", "16", "--json"])).unwrap();
    assert_eq!(out["ids"], translation["beam"]["ids"]);
    let out: Value = serde_json::from_str(&ok(&["translate", "--model", path(dir.path()), "--text", text, "--max-new-tokens", "16", "--beams", "1", "--json"])).unwrap();
    assert_eq!(out["ids"], translation["greedy"]["ids"], "--beams overrides it");
}
