//! The main job (experiments/default.toml: GPT-2's vocabulary, batch 8 x 128 tokens, products
//! large enough for OpenBLAS where it is installed), shortened with --max-steps, under
//! hostile conditions:
//! - run twice with the same seed, it gives the same numbers, bit for bit;
//! - killed with SIGKILL at random steps and while writing a checkpoint, then resumed with
//!   `--resume`, it ends with the uninterrupted run's `metrics.csv` (every column but the
//!   measured throughput) and the same bytes in `model/model.safetensors`.
//!
//! CI installs OpenBLAS and sets LLM_EXPECT_OPENBLAS=1 (checked in vendored_flex_blas.rs),
//! so there the products are OpenBLAS's.

mod common;

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant, SystemTime};

use common::*;

const STEPS: &str = "9";
/// A checkpoint every 3 steps, so that a run killed after step 3 resumes from one.
const SETTINGS: [&str; 4] = ["--set", "checkpoint_every=3", "--set", "run.sample_tokens=5"];

fn start(out: &Path, resume: bool) -> Child {
    let out = out.to_str().unwrap();
    let args: Vec<&str> = if resume {
        vec!["train", "--resume", "--out", out]
    } else {
        [&["train", "--out", out, "--max-steps", STEPS][..], &SETTINGS].concat()
    };
    Command::new(env!("CARGO_BIN_EXE_llm"))
        .args(args)
        .env("LLM_DATA_DIR", data_dir())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child, what: &str) {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Steps `metrics.csv` has recorded.
fn steps_done(out: &Path) -> usize {
    std::fs::read_to_string(out.join("metrics.csv")).map_or(0, |csv| csv.lines().count().saturating_sub(1))
}

/// Whether a checkpoint is being written (its temporary directory exists).
fn writing_checkpoint(out: &Path) -> bool {
    std::fs::read_dir(out.join("checkpoints"))
        .is_ok_and(|entries| entries.filter_map(Result::ok).any(|e| e.file_name().to_string_lossy().starts_with(".tmp-step-")))
}

/// Starts the run in `out` and kills it with SIGKILL as soon as `now(out)`; panics if the
/// run ends first.
fn run_and_kill(out: &Path, what: &str, now: impl Fn(&Path) -> bool) {
    let mut child = start(out, false);
    let started = Instant::now();
    loop {
        if now(out) {
            child.kill().unwrap();
            child.wait().unwrap();
            return;
        }
        assert!(child.try_wait().unwrap().is_none(), "{what}: the run ended before it could be killed");
        assert!(started.elapsed() < Duration::from_secs(600), "{what}: no kill point reached");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The run's record: `metrics.csv` without its throughput column, and the model's bytes.
fn record(out: &Path) -> (Vec<String>, Vec<u8>) {
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let rows = csv.lines().map(|l| l.rsplit_once(',').unwrap().0.to_string()).collect();
    (rows, std::fs::read(out.join("model/model.safetensors")).unwrap())
}

#[test]
fn the_main_job_repeats_and_resumes_to_the_same_bits() {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("uninterrupted");
    finish(start(&reference, false), "the uninterrupted run");
    let (rows, model) = record(&reference);
    assert_eq!(rows.len(), 10, "a header and one row per step: {rows:?}");

    let again = dir.path().join("again");
    finish(start(&again, false), "the second run");
    let (again_rows, again_model) = record(&again);
    assert_eq!(again_rows, rows, "the same seed gives the same losses");
    assert!(again_model == model, "the same seed gives the same weights");

    // Two random steps after the first checkpoint (the seed is in the messages).
    let seed = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().subsec_nanos() as usize;
    // The checkpoint write killed is step 6's: step 3's is there to resume from.
    let kills = [("random step", 4 + seed % 5), ("another random step", 4 + (seed / 5) % 5), ("the checkpoint write of step", 6)];
    for (i, (what, step)) in kills.into_iter().enumerate() {
        let out = dir.path().join(format!("killed-{i}"));
        let label = format!("killed at {what} {step} (seed {seed})");
        if what.contains("checkpoint") {
            run_and_kill(&out, &label, |out| steps_done(out) >= step && writing_checkpoint(out));
        } else {
            run_and_kill(&out, &label, |out| steps_done(out) >= step);
        }
        finish(start(&out, true), &format!("resuming the run {label}"));
        let (resumed_rows, resumed_model) = record(&out);
        assert_eq!(resumed_rows, rows, "{label}: the resumed run's metrics.csv");
        assert!(resumed_model == model, "{label}: the resumed run's model.safetensors differs");
    }
}

/// A rate that makes the weights overflow: the run stops at the first non-finite loss with
/// an error naming the step and the checkpoint that is still good, and writes no checkpoint
/// of damaged weights.
#[test]
fn a_diverging_run_stops_at_the_step_and_keeps_its_last_good_checkpoint() {
    let model = tiny_model_dir();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let settings = sets(&["lr=1e30", "warmup_steps=0", "min_lr=none", "grad_clip=0", "checkpoint_every=1", "context_length=none", "run.keep_checkpoints=5"]);
    let fixed = ["train", "--init-from", model.path().to_str().unwrap(), "--out", out.to_str().unwrap(), "--max-steps", "6"];
    let err = fails(&args(&fixed, &settings));
    assert!(err.contains("not a finite number") && err.contains("step-0000000"), "{err}");
    let step: usize = err.split("step ").nth(1).and_then(|s| s.split(':').next()).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{err}"));
    let kept = format!("step-{:08}", step - 1);
    assert!(err.contains(&kept), "the error names the last checkpoint, {kept}: {err}");
    let checkpoints: Vec<String> = std::fs::read_dir(out.join("checkpoints")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(checkpoints.contains(&kept) && checkpoints.iter().all(|c| c <= &kept), "{checkpoints:?}");
    assert!(!out.join("model").exists(), "no model is saved from a run that failed");
}

/// A run that starts from a model directory records that model in `config.toml` (not the
/// preset's settings of the experiment file, which do not apply), and says so.
#[test]
fn a_run_from_a_model_records_the_model_it_trained() {
    let model = tiny_model_dir();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let output = llm(&["train", "--init-from", model.path().to_str().unwrap(), "--out", out.to_str().unwrap(), "--max-steps", "1", "--set", "context_length=16", "--set", "run.sample_tokens=0"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("model.emb_dim = 256 is not applied") && stderr.contains("whose emb_dim is 16"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "no terminal colour codes in a log that is not a terminal: {stderr:?}");
    let config = std::fs::read_to_string(out.join("config.toml")).unwrap();
    for line in ["emb_dim = 16", "context_length = 16", "n_layers = 1", "init_from = "] {
        assert!(config.contains(line), "config.toml should hold `{line}`: {config}");
    }
    assert!(!config.contains("preset"), "{config}");
}
