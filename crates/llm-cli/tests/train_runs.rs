//! `llm train` runs end to end: parity with the book's PyTorch loop, resume after SIGKILL,
//! gradient accumulation, and the run directory's guard rails.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn book_ch05() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments/book-ch05.toml").display().to_string()
}

#[test]
fn twenty_steps_match_the_books_pytorch_loop() {
    // fixtures/make_book_loop.py: llms-from-scratch's GPTModel trained 20 steps by the
    // book's loop (torch.optim.AdamW lr 5e-3, weight decay 0.1, dropout 0, no shuffle),
    // from the weights in book-loop/model.pth.
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("book-loop/losses.json")).unwrap()).unwrap();
    let expected: Vec<f64> = reference["losses"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let model = fixture("book-loop");
    let verdict = verdict();
    let settings = sets(&[
        "context_length=32", "batch_size=4", "stride=32", "dropout=0", "shuffle=false", "lr=5e-3",
        "weight_decay=0.1", "warmup_steps=0", "grad_clip=0", "eval_every=0", "run.sample_tokens=3",
    ]);
    let fixed = [
        "train", "--config", &book_ch05(), "--init-from", model.to_str().unwrap(), "--data-file", &verdict,
        "--out", out.to_str().unwrap(), "--max-steps", "20",
    ];
    ok(&args(&fixed, &settings));
    let ours: Vec<f64> = column(&out, "train_loss").iter().map(|v| v.parse().unwrap()).collect();
    assert_eq!(ours.len(), 20);
    // Both sides compute in f32; summation order differs (different kernels), which moves
    // losses by ~1e-6 per step. 1e-3 would still catch a wrong AdamW (bias correction,
    // coupled weight decay), a wrong batch or a wrong learning rate within a few steps.
    let worst = ours.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(worst < 1e-3, "largest step difference {worst:.2e}\nours  {ours:?}\ntorch {expected:?}");
    assert!(expected[0] - expected[19] > 0.5, "the reference trace moves");
}

#[test]
fn the_books_run_with_dropout_and_shuffling_is_replayed_draw_for_draw() {
    // fixtures/make_book_loop.py, `replay`: the book's own `train_model_simple` for 3 epochs
    // from book-loop/model.pth after `torch.manual_seed(123)`, with dropout 0.1, a shuffled
    // training loader and evaluations every 5 steps on 2 batches: every mask, shuffle and
    // evaluation batch drawn from PyTorch's global generator, which `rng = "torch"` replays.
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("book-loop/losses-replay.json")).unwrap()).unwrap();
    let floats = |key: &str| -> Vec<f64> { reference[key].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect() };
    let (expected, expected_val) = (floats("losses"), floats("eval_val_losses"));
    let dir = tempfile::tempdir().unwrap();
    let model = fixture("book-loop");
    let verdict = verdict();
    let run = |name: &str, rng: &str| {
        let out = dir.path().join(name);
        let settings = sets(&[
            "context_length=32", "batch_size=16", "stride=32", "dropout=0.1", "shuffle=true", "lr=5e-3",
            "weight_decay=0.1", "warmup_steps=0", "grad_clip=0", "eval_every=5", "run.eval_batches=2", "epochs=3",
            "run.sample_tokens=3", &format!("rng={rng}"),
        ]);
        let fixed = [
            "train", "--config", &book_ch05(), "--init-from", model.to_str().unwrap(), "--data-file", &verdict,
            "--out", out.to_str().unwrap(),
        ];
        ok(&args(&fixed, &settings));
        let losses: Vec<f64> = column(&out, "train_loss").iter().map(|v| v.parse().unwrap()).collect();
        let val: Vec<f64> = column(&out, "val_loss").iter().filter(|v| !v.is_empty()).map(|v| v.parse().unwrap()).collect();
        (losses, val)
    };
    let worst = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);

    let (ours, ours_val) = run("torch", "torch");
    assert_eq!((ours.len(), ours_val.len()), (expected.len(), expected_val.len()));
    // The same masks and batches: what differs is f32 summation order, as in the test
    // above (~1e-6 per step). One mask or batch out of step moves a loss by ~1e-2 or more.
    let (step_diff, val_diff) = (worst(&ours, &expected), worst(&ours_val, &expected_val));
    println!("replay: largest step difference {step_diff:.2e}, validation {val_diff:.2e} over {} steps", ours.len());
    assert!(step_diff < 1e-3, "largest step difference {step_diff:.2e}\nours  {ours:?}\ntorch {expected:?}");
    assert!(val_diff < 1e-3, "largest validation difference {val_diff:.2e}\nours  {ours_val:?}\ntorch {expected_val:?}");

    // Control: Burn's generators draw other masks and orders, and the trace parts ways.
    let (burn, _) = run("burn", "burn");
    let burn_diff = worst(&burn, &expected);
    println!("Burn's generators: largest step difference {burn_diff:.2e}");
    assert!(burn_diff > 1e-2, "without the replay the traces should differ");
}

/// Tiny settings on top of the default experiment: 9 batches per epoch, warm-up + cosine,
/// shuffled, a checkpoint every 4 steps.
fn resumable() -> Vec<String> {
    sets(&[
        "model.emb_dim=64", "model.n_layers=2", "model.n_heads=2", "context_length=64", "batch_size=8",
        "stride=64", "eval_every=5", "run.eval_batches=1", "run.sample_tokens=3", "epochs=5",
        "checkpoint_every=4",
    ])
}

#[test]
fn a_run_killed_with_sigkill_resumes_to_the_same_losses() {
    killed_run_resumes_exactly(&[]);
}

/// Llama and Qwen3 networks train through the same loop: checkpoints record the family, a
/// killed run resumes to the same losses, and the model written at the end is a directory of
/// the family that `generate` continues text with.
#[test]
fn llama_and_qwen3_runs_resume_exactly_and_write_their_family() {
    for (experiment, model_type) in [("llama-verdict", "llama"), ("qwen3-verdict", "qwen3")] {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../experiments/{experiment}.toml"));
        let dir = killed_run_resumes_exactly(&["--config", config.to_str().unwrap(), "model.hidden_dim=128"]);
        let model = dir.path().join("b/model");
        let written = std::fs::read_to_string(model.join("config.json")).unwrap();
        assert!(written.contains(&format!("\"model_type\": \"{model_type}\"")), "{experiment}: {written}");
        let state = std::fs::read_to_string(dir.path().join("b/checkpoints/step-00000040/state.json")).unwrap();
        assert!(state.contains(&format!("\"family\": \"{model_type}\"")) || state.contains(&format!("\"family\":\"{model_type}\"")), "{state}");
        let continued = ok(&["generate", "--model", model.to_str().unwrap(), "--prompt", "Every effort moves you", "--max-new-tokens", "5", "--json"]);
        assert!(continued.contains("\"generated_tokens\":5"), "{experiment}: {continued}");
    }
}

/// Replaying PyTorch's draws, a resumed run draws the same dropout masks and shuffles as an
/// uninterrupted one (Burn's generators are reseeded by step instead: exact only without
/// dropout, as the default experiment has).
fn experiment(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../experiments/{name}.toml")).display().to_string()
}

/// A BERT encoder pretrained by masked-word prediction (experiments/bert-small.toml, made
/// tiny and without dropout) goes through the same loop: a killed run resumes to the same
/// losses, checkpoints record the family, the first loss is that of a uniform guess over
/// the vocabulary, and the model written at the end is a BertForMaskedLM that `fill-mask`
/// reads. The tokenizer is the BERT fixture's, so that both runs have the same one.
#[test]
fn masked_lm_pretraining_resumes_exactly_and_writes_a_model_fill_mask_reads() {
    let tokenizer = Path::new(env!("CARGO_MANIFEST_DIR")).join("../llm-model/tests/fixtures/bert-mlm/tokenizer.json");
    let config = experiment("bert-small");
    let verdict = verdict();
    let settings = sets(&[
        "model.vocab_size=600", "model.hidden_size=32", "model.num_hidden_layers=2", "model.num_attention_heads=2",
        "model.intermediate_size=64", "model.max_position_embeddings=32", "model.hidden_dropout_prob=0",
        "model.attention_probs_dropout_prob=0", "batch_size=8", "eval_every=5", "run.eval_batches=1", "epochs=5",
        "checkpoint_every=4", "run.keep_checkpoints=2",
    ]);
    let mut settings = settings;
    settings.push(format!("data.tokenizer={}", tokenizer.display()));
    let dir = resumes_exactly(&["--config", &config, "--data-file", &verdict], &settings);
    let b = dir.path().join("b");
    let written = std::fs::read_to_string(b.join("model/config.json")).unwrap();
    assert!(written.contains("\"model_type\": \"bert\"") && written.contains("BertForMaskedLM"), "{written}");
    let state = std::fs::read_to_string(b.join("checkpoints/step-00000040/state.json")).unwrap();
    assert!(state.contains("\"family\": \"bert\""), "{state}");
    let losses: Vec<f64> = column(&b, "train_loss").iter().map(|v| v.parse().unwrap()).collect();
    // Fresh weights of std 0.02 give near-uniform logits: ln 600 = 6.40.
    assert!((losses[0] - 600f64.ln()).abs() < 0.2, "first loss {}", losses[0]);
    assert!(losses[39] < losses[0] - 0.5, "the loss falls: {losses:?}");
    let samples = std::fs::read_to_string(b.join("samples.txt")).unwrap();
    assert!(samples.lines().any(|l| l.starts_with("epoch 1: to be, or not to [MASK]: that is the question → ")), "{samples}");
    let out = ok(&["fill-mask", "--model", b.join("model").to_str().unwrap(), "--text", "I had always [MASK] him.", "--json"]);
    let predictions: serde_json::Value = serde_json::from_str(&out).unwrap();
    let predictions = predictions["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), 5);
    assert!(predictions.iter().all(|p| p["id"].as_u64().unwrap() < 600 && p["score"].as_f64().unwrap() > 0.0));
}

/// A Marian encoder–decoder trained on sentence pairs (experiments/translate-small.toml,
/// made tiny and without dropout, on a TSV of the verdict's sentences and their words in
/// reverse order) resumes exactly, scores its held-out pairs at the end, and writes a model
/// whose greedy translation by `translate` is the one the run scored.
#[test]
fn translation_training_resumes_exactly_and_scores_its_held_out_pairs() {
    let work = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(verdict()).unwrap().replace('\n', " ");
    let mut tsv = String::new();
    for sentence in text.split(['.', '?', '!']).map(str::trim) {
        let words: Vec<&str> = sentence.split_whitespace().collect();
        if (3..=12).contains(&words.len()) && !sentence.contains('\t') {
            let reversed: Vec<&str> = words.iter().rev().copied().collect();
            tsv.push_str(&format!("{}\t{}\n", words.join(" "), reversed.join(" ")));
        }
    }
    let pairs_file = work.path().join("pairs.tsv");
    std::fs::write(&pairs_file, &tsv).unwrap();
    let pairs = tsv.lines().count();
    let tokenizer = llm_data::tokenizer::train_tokenizer(&pairs_file, llm_data::tokenizer::TokenizerKind::Unigram, 300, false).unwrap();
    let tokenizer_file = work.path().join("tokenizer.json");
    tokenizer.save(&tokenizer_file).unwrap();

    let config = experiment("translate-small");
    let mut settings = sets(&[
        "model.vocab_size=300", "model.d_model=32", "model.encoder_layers=1", "model.decoder_layers=1",
        "model.encoder_attention_heads=2", "model.decoder_attention_heads=2", "model.encoder_ffn_dim=64",
        "model.decoder_ffn_dim=64", "model.max_position_embeddings=64", "model.dropout=0", "data.train_ratio=0.9", "lr=3e-3",
        "batch_size=8", "eval_every=5", "run.eval_batches=1", "epochs=5", "checkpoint_every=4", "run.keep_checkpoints=2",
    ]);
    settings.push(format!("data.tokenizer={}", tokenizer_file.display()));
    let dir = resumes_exactly(&["--config", &config, "--data-file", pairs_file.to_str().unwrap()], &settings);
    let b = dir.path().join("b");
    let written = std::fs::read_to_string(b.join("model/config.json")).unwrap();
    assert!(written.contains("\"model_type\": \"marian\""), "{written}");
    let losses: Vec<f64> = column(&b, "train_loss").iter().map(|v| v.parse().unwrap()).collect();
    assert!((losses[0] - 300f64.ln()).abs() < 0.3, "first loss {}", losses[0]);
    assert!(losses[39] < losses[0] - 0.5, "the loss falls: {losses:?}");

    let held_out = pairs - (0.9 * pairs as f64) as usize;
    let translations = std::fs::read_to_string(b.join("translations.tsv")).unwrap();
    let rows: Vec<Vec<&str>> = translations.lines().skip(1).map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), held_out, "every held-out pair is translated");
    assert!(rows.iter().all(|r| r.len() == 3));
    let scores: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(b.join("scores.json")).unwrap()).unwrap();
    assert_eq!(scores["sentences"].as_u64(), Some(held_out as u64));
    for score in ["bleu", "chrf"] {
        let value = scores[score].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&value), "{score} {value}");
    }
    let out = ok(&["translate", "--model", b.join("model").to_str().unwrap(), "--text", rows[0][0], "--json"]);
    let translated: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(translated["text"].as_str(), Some(rows[0][2]), "the command translates as the run scored");
}

#[test]
fn a_run_replaying_torchs_draws_resumes_to_the_same_losses_with_dropout() {
    killed_run_resumes_exactly(&["rng=torch", "dropout=0.1"]);
}

/// `extra`: settings over [`resumable`], and `--config FILE` first to start from another
/// experiment. Returns the directory holding the uninterrupted run `a` and the resumed one `b`.
fn killed_run_resumes_exactly(extra: &[&str]) -> tempfile::TempDir {
    let (config, extra) = match extra {
        ["--config", file, rest @ ..] => (vec!["--config", *file], rest),
        _ => (vec![], extra),
    };
    let mut settings = resumable();
    settings.extend(sets(extra));
    resumes_exactly(&config, &settings)
}

/// Runs `train` with the flags `config` and `settings` (which must checkpoint at step 12) to
/// 40 steps uninterrupted (`a`), and again killed after its checkpoint at step 12 then
/// resumed (`b`): the same losses, evaluations and rates step for step.
fn resumes_exactly(config: &[&str], settings: &[String]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let run = |out: &Path| {
        let fixed = [&["train", "--out", out.to_str().unwrap(), "--max-steps", "40"][..], config].concat();
        args(&fixed, settings).into_iter().map(String::from).collect::<Vec<_>>()
    };
    let printed = ok(&run(&a).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(printed.contains("steps=40"), "{printed}");

    // The same run, killed with SIGKILL right after its third checkpoint.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_llm"))
        .args(run(&b))
        .env("LLM_DATA_DIR", data_dir())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let third = b.join("checkpoints/step-00000012");
    let started = Instant::now();
    while !third.exists() {
        assert!(started.elapsed() < Duration::from_secs(300), "no checkpoint at step 12");
        assert!(child.try_wait().unwrap().is_none(), "the run ended before its checkpoint at step 12");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(!b.join("model").exists(), "the run was killed before it finished");
    let written = column(&b, "step").len();
    assert!(written < 40, "killed after {written} steps");

    let printed = ok(&["train", "--resume", "--out", b.to_str().unwrap()]);
    assert!(printed.contains("steps=40"), "{printed}");
    // Every step's loss, and every evaluation, as in the uninterrupted run.
    assert_eq!(column(&b, "step"), column(&a, "step"));
    assert_eq!(column(&b, "train_loss"), column(&a, "train_loss"));
    assert_eq!(column(&b, "val_loss"), column(&a, "val_loss"));
    assert_eq!(column(&b, "lr"), column(&a, "lr"));
    assert!(b.join("loss.png").is_file() && b.join("model/model.safetensors").is_file());
    let checkpoints: Vec<String> = std::fs::read_dir(b.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(checkpoints.len(), 2, "the newest two are kept: {checkpoints:?}");
    assert!(checkpoints.contains(&"step-00000040".to_string()), "{checkpoints:?}");

    // A finished run is not overwritten by accident.
    let err = fails(&run(&a).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("--resume") && err.contains("--overwrite"), "{err}");
    let err = fails(&["train", "--resume", "--out", dir.path().join("none").to_str().unwrap()]);
    assert!(err.contains("config.toml"), "{err}");
    dir
}

#[test]
fn gradient_accumulation_averages_like_one_larger_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (big, accumulated) = (dir.path().join("big"), dir.path().join("acc"));
    let common = ["shuffle=false", "eval_every=0", "run.sample_tokens=0", "checkpoint_every=0"];
    let mut base = resumable();
    base.extend(common.iter().map(|s| s.to_string()));
    let mut one = base.clone();
    one.push("batch_size=8".into());
    let mut two = base.clone();
    two.extend(["batch_size=4".to_string(), "grad_accumulation=2".to_string()]);
    ok(&args(&["train", "--out", big.to_str().unwrap(), "--max-steps", "6"], &one));
    ok(&args(&["train", "--out", accumulated.to_str().unwrap(), "--max-steps", "6"], &two));
    assert_eq!(column(&big, "tokens_seen"), column(&accumulated, "tokens_seen"));
    let losses = |run: &Path| column(run, "train_loss").iter().map(|v| v.parse::<f64>().unwrap()).collect::<Vec<_>>();
    let (x, y) = (losses(&big), losses(&accumulated));
    assert_eq!(x.len(), 6);
    // Mean of two half-batch means = the full batch's mean; only f32 summation order differs.
    for (a, b) in x.iter().zip(&y) {
        assert!((a - b).abs() < 1e-4, "{x:?} vs {y:?}");
    }
}
