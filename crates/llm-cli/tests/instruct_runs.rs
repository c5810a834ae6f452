//! `llm finetune instruct` and `llm eval instruct` end to end on a tiny model and synthetic
//! records.

mod common;

use common::*;

/// The `[model]` table of a tiny GPT in the book's layout.
const TINY_GPT: &str = r#"
preset = "gpt-config-124m"
context_length = 64
emb_dim = 32
n_heads = 2
n_layers = 1
dropout = 0.0
"#;

/// An instruction-tuning experiment with the network of `model` (a `[model]` table's body).
fn instruct_experiment(model: &str) -> String {
    format!(
        r#"
seed = 3
[model]
{model}
[data]
batch_size = 4
[optimizer]
lr = 3e-3
weight_decay = 0.0
[run]
epochs = 2
eval_every = 4
eval_batches = 2
sample_tokens = 5
[instruct]
max_new_tokens = 8
"#
    )
}

#[test]
fn finetune_answers_the_test_records_and_eval_scores_them() {
    finetune_and_score(&instruct_experiment(TINY_GPT));
}

#[test]
fn a_qwen3_network_is_instruction_tuned_through_the_same_recipe() {
    let out = finetune_and_score(&instruct_experiment(&tiny_decoder("qwen3-0.6b", 64, 1)));
    let config = std::fs::read_to_string(out.path().join("run/model/config.json")).unwrap();
    assert!(config.contains("\"model_type\": \"qwen3\""), "{config}");
    // The preference recipe starts from the tuned Qwen3 model and keeps its family, here
    // training LoRA adapters on its seven projections, merged into the saved model.
    let (model, dpo) = (out.path().join("run/model"), out.path().join("dpo"));
    let lora = ["--set", "dpo.trainable=lora", "--set", "lora.rank=8", "--set", "lora.alpha=16"];
    let rows = dpo_run(&dpo, &[&["--init-from", model.to_str().unwrap()][..], &lora].concat());
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    assert!(last[9] > first[9], "the validation margin grows: {rows:?}");
    let config = std::fs::read_to_string(dpo.join("model/config.json")).unwrap();
    assert!(config.contains("\"model_type\": \"qwen3\""), "{config}");
    let tuned_weights = std::fs::read(dpo.join("model/model.safetensors")).unwrap();
    assert_ne!(tuned_weights, std::fs::read(model.join("model.safetensors")).unwrap(), "the merged adapters changed the weights");
    assert!(!dpo.join("model/adapter.safetensors").exists(), "a plain model directory");
}

#[test]
fn a_trainable_setting_a_language_model_cannot_have_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tiny.toml");
    std::fs::write(&config, instruct_experiment(TINY_GPT)).unwrap();
    let (config, out) = (config.display().to_string(), dir.path().join("run").display().to_string());
    let err = fails(&["finetune", "instruct", "--config", &config, "--set", "instruct.trainable=head", "--out", &out]);
    assert!(err.contains("instruct.trainable must be \"all\" or \"lora\""), "{err}");
    let err = fails(&["finetune", "instruct", "--config", &config, "--set", "instruct.trainable=lora", "--out", &out]);
    assert!(err.contains("instruct.trainable = \"lora\" needs a [lora] section"), "{err}");
    let err = fails(&["finetune", "instruct", "--config", &config, "--set", "instruct.pad_token_id=60000", "--out", &out]);
    assert!(err.contains("`instruct.pad_token_id` = 60000 is not a token of this gpt2 model's vocabulary of 50257"), "{err}");
}

/// Fine-tunes `experiment` on 40 synthetic records, checks the run and scores its answers;
/// returns the directory that holds the run (`run/`).
fn finetune_and_score(experiment: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tiny.toml");
    std::fs::write(&config, experiment).unwrap();
    let data = dir.path().join("records.json");
    let records: Vec<serde_json::Value> = (0..40)
        .map(|i| serde_json::json!({"instruction": format!("Repeat the number {i}."), "input": if i % 2 == 0 { "" } else { "twice" }, "output": format!("{i} {i}")}))
        .collect();
    std::fs::write(&data, serde_json::to_string(&records).unwrap()).unwrap();
    let out = dir.path().join("run");
    let (config, data, out_s) = (config.display().to_string(), data.display().to_string(), out.display().to_string());
    let stdout = ok(&["finetune", "instruct", "--config", &config, "--data-file", &data, "--out", &out_s]);
    assert!(stdout.contains("responses="), "{stdout}");
    // 40 records: 34 train, 4 test, 2 validation; 34 / 4 = 8 steps per epoch, 2 epochs.
    assert_eq!(column(&out, "train_loss").len(), 16);
    let samples = std::fs::read_to_string(out.join("samples.txt")).unwrap();
    assert!(samples.contains("### Instruction:\nRepeat the number 38.") || samples.contains("### Instruction: Repeat the number 38."), "{samples}");

    let responses: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(out.join("test-responses.json")).unwrap()).unwrap();
    assert_eq!(responses.len(), 4, "the test split");
    assert_eq!(responses[0]["instruction"], "Repeat the number 34.");
    assert!(responses.iter().all(|r| r["model_response"].is_string()));

    let path = out.join("test-responses.json").display().to_string();
    let model = out.join("model").display().to_string();
    let scores = ok(&["eval", "instruct", "--responses", &path, "--model", &model]);
    let value = |key: &str| -> f64 {
        scores.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).unwrap_or_else(|| panic!("{key} in {scores}")).parse().unwrap()
    };
    assert_eq!(value("records"), 4.0);
    assert!((0.0..=1.0).contains(&value("rouge_l")));
    let loss = value("loss");
    assert!(loss > 0.0 && loss < 10.9, "below an untrained model's ln(50257) = 10.8: {loss}");

    // A responses file whose records lack `model_response` is refused by name.
    std::fs::write(&path, serde_json::to_string(&records[..2]).unwrap()).unwrap();
    let err = fails(&["eval", "instruct", "--responses", &path]);
    assert!(err.contains("record 0 has no string `model_response`"), "{err}");
    dir
}

/// A preference-tuning experiment; its model is the tiny GPT unless `--init-from` names one.
const TINY_DPO: &str = r#"
seed = 3
[model]
preset = "gpt-config-124m"
context_length = 64
emb_dim = 32
n_heads = 2
n_layers = 1
dropout = 0.0
[data]
batch_size = 4
[optimizer]
lr = 1e-3
weight_decay = 0.01
[run]
epochs = 1
eval_every = 2
eval_batches = 2
sample_tokens = 0
checkpoint_every = 2
[dpo]
beta = 0.1
"#;

/// Runs TINY_DPO (with `extra` arguments) into `out` on 40 polite/rude preference pairs;
/// returns the rows of its `dpo.csv`.
fn dpo_run(out: &std::path::Path, extra: &[&str]) -> Vec<Vec<f64>> {
    let dir = out.with_extension("inputs");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("dpo.toml");
    std::fs::write(&config, TINY_DPO).unwrap();
    let data = dir.join("prefs.json");
    let records: Vec<serde_json::Value> = (0..40)
        .map(|i| serde_json::json!({"instruction": format!("Answer politely ({i})."), "input": "", "output": "Sure.", "chosen": "Certainly, happy to help.", "rejected": "No. Go away."}))
        .collect();
    std::fs::write(&data, serde_json::to_string(&records).unwrap()).unwrap();
    let (config, data, out_s) = (config.display().to_string(), data.display().to_string(), out.display().to_string());
    let mut args = vec!["finetune", "dpo", "--config", &config, "--data-file", &data, "--out", &out_s];
    args.extend(extra);
    let stdout = ok(&args);
    assert!(stdout.contains("train_loss="), "{stdout}");
    // 34 training pairs: 8 steps of 4; evaluations after steps 1, 3, 5, 7.
    assert_eq!(column(out, "train_loss").len(), 8);
    let csv = std::fs::read_to_string(out.join("dpo.csv")).unwrap();
    let rows: Vec<Vec<f64>> = csv.lines().skip(1).map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), 4, "{csv}");
    rows
}

#[test]
fn dpo_widens_the_reward_margin() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let rows = dpo_run(&out, &[]);
    let csv = format!("{rows:?}");
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    // Columns: step, epoch, train_loss, val_loss, train chosen/rejected/margin, val chosen/rejected/margin.
    assert!((first[2] - std::f64::consts::LN_2).abs() < 0.05, "starts near ln 2: {csv}");
    assert!(last[9] > first[9] && last[9] > 0.0, "the validation margin grows: {csv}");
    assert!(last[3] < first[3], "validation loss falls: {csv}");
    assert!(out.join("model/model.safetensors").is_file());

    let config = out.with_extension("inputs").join("dpo.toml").display().to_string();
    let out_s = out.display().to_string();
    let err = fails(&["finetune", "dpo", "--config", &config, "--data-file", &verdict(), "--out", &out_s, "--overwrite"]);
    assert!(err.contains("the-verdict.txt"), "{err}");
    let plain = dir.path().join("plain.json");
    std::fs::write(&plain, r#"[{"instruction": "a", "output": "b"}]"#).unwrap();
    let err = fails(&["finetune", "dpo", "--config", &config, "--data-file", plain.to_str().unwrap(), "--out", &out_s, "--overwrite"]);
    assert!(err.contains("record 0 has no string `chosen`"), "{err}");
}

#[test]
fn a_missing_start_model_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run").display().to_string();
    let err = fails(&["finetune", "instruct", "--init-from", "/nonexistent/model", "--out", &out]);
    assert!(err.contains("/nonexistent/model") && err.contains("no such model directory"), "{err}");
}

#[test]
fn a_resumed_dpo_run_matches_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dpo.toml");
    std::fs::write(&config, TINY_DPO).unwrap();
    let data = dir.path().join("prefs.json");
    let records: Vec<serde_json::Value> = (0..40)
        .map(|i| serde_json::json!({"instruction": format!("Say {i}."), "output": "ok", "chosen": format!("{i}"), "rejected": "no"}))
        .collect();
    std::fs::write(&data, serde_json::to_string(&records).unwrap()).unwrap();
    let out = dir.path().join("run");
    let (config, data, out_s) = (config.display().to_string(), data.display().to_string(), out.display().to_string());
    let lora = ["--set", "dpo.trainable=lora", "--set", "lora.rank=4", "--set", "lora.alpha=8"];
    for trainable in [&[][..], &lora] {
        ok(&[&["finetune", "dpo", "--config", &config, "--data-file", &data, "--out", &out_s, "--overwrite"][..], trainable].concat());
        let whole = column(&out, "train_loss");
        assert_eq!(whole.len(), 8);
        ok(&[&["finetune", "dpo", "--config", &config, "--data-file", &data, "--out", &out_s, "--overwrite", "--max-steps", "4"][..], trainable].concat());
        // The reference (and the adapters) are restored from the checkpoint too: the losses
        // after step 4 agree.
        ok(&["finetune", "dpo", "--resume", "--out", &out_s, "--data-file", &data, "--max-steps", "8"]);
        assert_eq!(column(&out, "train_loss"), whole, "{trainable:?}");
    }
}
