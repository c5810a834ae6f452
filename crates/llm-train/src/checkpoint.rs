//! Training checkpoints: model, optimizer and scheduler state, step and data position, in
//! `RUN/checkpoints/step-NNNNNNNN/`.
//!
//! A checkpoint is written into a hidden temporary directory, every file synced, and then
//! renamed into place, so a directory named `step-*` is always complete: a run killed while
//! writing leaves only a temporary directory, which resume ignores and the next save removes.
//! `state.json` records the sha256 of every file beside it, so a file damaged later (a
//! disk error, a copy cut short) is found before resuming, and resume falls back to the
//! previous checkpoint with a warning naming the damaged one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::optim::{ModuleOptimizer, OptimizerRecord};
use burn::store::ModuleRecord;
use llm_data::Tokenizer;
use llm_data::corpus::sha256_file;
use llm_model::ModelConfig;
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::position::Position;
use crate::torch_replay::DrawPosition;

pub const CHECKPOINTS_DIR: &str = "checkpoints";
const STATE_FILE: &str = "state.json";
const MODEL_FILE: &str = "model.bpk";
const OPTIMIZER_FILE: &str = "optimizer.bpk";
const TOKENIZER_FILE: &str = "tokenizer.json";

/// Where a run stands at a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingState {
    /// Optimizer steps done.
    pub step: usize,
    /// The epoch in progress (1-based) and how many of its batches were consumed.
    pub epoch: usize,
    pub batches_in_epoch: usize,
    pub tokens_seen: usize,
    /// The learning-rate scheduler's position: the step whose rate comes next.
    pub scheduler_step: usize,
    /// The model's family and architecture, to rebuild it before loading the weights.
    pub model: ModelConfig,
    /// `gpt2`, or `tokenizer.json` when the checkpoint holds the run's own tokenizer.
    pub tokenizer: String,
    /// What the recipe needs to rebuild its model around the architecture before loading
    /// the weights (a classifier's head, pooling and adapters), in the recipe's own form.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "classifier")]
    pub recipe: Option<serde_json::Value>,
    /// PyTorch's generator's position, for a run that replays the book's draws.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torch_draws: Option<DrawPosition>,
    /// The sha256 (hex) of each file of the checkpoint, by name (empty in checkpoints
    /// written before checksums were recorded).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sha256: BTreeMap<String, String>,
}

impl TrainingState {
    /// The state of a run at `position` (the scheduler's position is the step).
    pub fn at(position: &Position, model: ModelConfig, tokenizer: &Tokenizer, recipe: Option<serde_json::Value>) -> Self {
        Self {
            step: position.step,
            epoch: position.epoch,
            batches_in_epoch: position.batches_in_epoch,
            tokens_seen: position.tokens_seen,
            scheduler_step: position.step,
            model,
            tokenizer: tokenizer_kind(tokenizer),
            recipe,
            torch_draws: position.torch_draws,
            sha256: BTreeMap::new(),
        }
    }

    /// Where the run stood.
    pub fn position(&self) -> Position {
        Position {
            step: self.step,
            epoch: self.epoch,
            batches_in_epoch: self.batches_in_epoch,
            tokens_seen: self.tokens_seen,
            torch_draws: self.torch_draws,
        }
    }
}

/// A complete checkpoint on disk.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub dir: PathBuf,
    pub state: TrainingState,
}

/// Saves a checkpoint of `model` and `optimizer` under `run_dir`, keeping the newest `keep`
/// checkpoints (at least one). Returns its directory.
pub fn save_checkpoint<M: Module>(
    run_dir: &Path,
    state: &TrainingState,
    model: &M,
    optimizer: &ModuleOptimizer,
    tokenizer: &Tokenizer,
    keep: usize,
) -> Result<PathBuf, TrainError> {
    let root = run_dir.join(CHECKPOINTS_DIR);
    std::fs::create_dir_all(&root).map_err(|e| TrainError::io(&root, e))?;
    let name = format!("step-{:08}", state.step);
    let tmp = root.join(format!(".tmp-{name}-{}", std::process::id()));
    remove_stale_temporaries(&root)?;
    std::fs::create_dir_all(&tmp).map_err(|e| TrainError::io(&tmp, e))?;

    let record_error = |path: &Path, e: burn::store::RecordError| TrainError::Invalid(format!("{}: {e}", path.display()));
    let model_path = tmp.join(MODEL_FILE);
    model.clone().into_record().save(&model_path).map_err(|e| record_error(&model_path, e))?;
    let optim_path = tmp.join(OPTIMIZER_FILE);
    optimizer.to_record().save(&optim_path).map_err(|e| record_error(&optim_path, e))?;
    if state.tokenizer == TOKENIZER_FILE {
        tokenizer.save(&tmp.join(TOKENIZER_FILE))?;
    }
    let mut state = state.clone();
    for file in [MODEL_FILE, OPTIMIZER_FILE, TOKENIZER_FILE] {
        let path = tmp.join(file);
        if path.is_file() {
            state.sha256.insert(file.to_string(), sha256_file(&path)?);
        }
    }
    let json = serde_json::to_string_pretty(&state).expect("the state serializes");
    std::fs::write(tmp.join(STATE_FILE), json).map_err(|e| TrainError::io(tmp.join(STATE_FILE), e))?;
    for file in [MODEL_FILE, OPTIMIZER_FILE, STATE_FILE, TOKENIZER_FILE] {
        sync(&tmp.join(file))?;
    }

    let dir = root.join(&name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| TrainError::io(&dir, e))?;
    }
    std::fs::rename(&tmp, &dir).map_err(|e| TrainError::io(&dir, e))?;
    sync(&root)?;
    prune(&root, keep.max(1))?;
    tracing::info!(dir = %dir.display(), "checkpoint saved");
    Ok(dir)
}

/// The newest complete checkpoint of a run whose files are intact, if any; a damaged newer
/// one is skipped with a warning that names it.
pub fn latest_checkpoint(run_dir: &Path) -> Result<Option<Checkpoint>, TrainError> {
    let root = run_dir.join(CHECKPOINTS_DIR);
    let mut dirs = checkpoint_dirs(&root)?;
    while let Some((_, dir)) = dirs.pop() {
        match Checkpoint::open(&dir).and_then(|c| c.verify().map(|()| c)) {
            Ok(checkpoint) => return Ok(Some(checkpoint)),
            Err(e) => tracing::warn!("skipping checkpoint {}: {e}; taking an older one", dir.display()),
        }
    }
    Ok(None)
}

impl Checkpoint {
    pub fn open(dir: &Path) -> Result<Self, TrainError> {
        let path = dir.join(STATE_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| TrainError::io(&path, e))?;
        let state: TrainingState = serde_json::from_str(&text)
            .map_err(|e| TrainError::Invalid(format!("{}: not a checkpoint state: {e}", path.display())))?;
        for file in [MODEL_FILE, OPTIMIZER_FILE] {
            if !dir.join(file).is_file() {
                return Err(TrainError::Invalid(format!("{}: missing {file}", dir.display())));
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            state,
        })
    }


    /// Checks every file against the sha256 `state.json` recorded for it.
    pub fn verify(&self) -> Result<(), TrainError> {
        for (file, expected) in &self.state.sha256 {
            let path = self.dir.join(file);
            if !path.is_file() {
                return Err(TrainError::Invalid(format!("{}: missing", path.display())));
            }
            if &sha256_file(&path)? != expected {
                return Err(TrainError::Invalid(format!(
                    "{}: its contents do not match the sha256 recorded in {STATE_FILE} (damaged or cut short)",
                    path.display()
                )));
            }
        }
        Ok(())
    }

    /// `module` (built with the checkpoint's architecture) with the checkpoint's weights
    /// (and parameter ids, which the optimizer state refers to).
    pub fn load_into<M: Module>(&self, module: M) -> Result<M, TrainError> {
        let path = self.dir.join(MODEL_FILE);
        let record = ModuleRecord::load(&path).map_err(|e| TrainError::Invalid(format!("{}: {e}", path.display())))?;
        module
            .try_load_record(record)
            .map_err(|e| TrainError::Invalid(format!("{}: {e}", path.display())))
    }

    /// `optimizer` with the checkpoint's state.
    pub fn load_optimizer(&self, optimizer: ModuleOptimizer) -> Result<ModuleOptimizer, TrainError> {
        let path = self.dir.join(OPTIMIZER_FILE);
        let record = OptimizerRecord::load(&path).map_err(|e| TrainError::Invalid(format!("{}: {e}", path.display())))?;
        Ok(optimizer.load_record(record))
    }

    pub fn tokenizer(&self) -> Result<Tokenizer, TrainError> {
        Ok(match self.state.tokenizer.as_str() {
            TOKENIZER_FILE => Tokenizer::from_file(&self.dir.join(TOKENIZER_FILE))?,
            _ => Tokenizer::gpt2(),
        })
    }
}

/// `tokenizer.json` for a tokenizer other than GPT-2's built-in one, else `gpt2`.
pub fn tokenizer_kind(tokenizer: &Tokenizer) -> String {
    match tokenizer {
        Tokenizer::Gpt2 => "gpt2".into(),
        Tokenizer::Hf(_) => TOKENIZER_FILE.into(),
    }
}

/// `step-*` directories by step, oldest first.
fn checkpoint_dirs(root: &Path) -> Result<Vec<(usize, PathBuf)>, TrainError> {
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(root).map_err(|e| TrainError::io(root, e))?;
    let mut dirs: Vec<(usize, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let step = name.strip_prefix("step-")?.parse().ok()?;
            Some((step, e.path()))
        })
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Deletes all but the newest `keep` complete checkpoints, and incomplete `step-*`
/// directories older than the newest complete one (what a deletion cut short leaves).
/// Each is renamed to a temporary name first, so a deletion cut short never leaves a
/// directory that looks like a checkpoint.
fn prune(root: &Path, keep: usize) -> Result<(), TrainError> {
    let dirs = checkpoint_dirs(root)?;
    let complete: Vec<(usize, PathBuf)> =
        dirs.iter().filter(|(_, dir)| Checkpoint::open(dir).is_ok()).cloned().collect();
    let Some(&(newest, _)) = complete.last() else {
        return Ok(());
    };
    let mut doomed: Vec<&PathBuf> = complete.iter().take(complete.len().saturating_sub(keep)).map(|(_, d)| d).collect();
    doomed.extend(
        dirs.iter()
            .filter(|(step, dir)| *step < newest && !complete.iter().any(|(_, c)| c == dir))
            .map(|(_, d)| d),
    );
    for dir in doomed {
        let name = dir.file_name().map_or("step".into(), |n| n.to_string_lossy().into_owned());
        let trash = root.join(format!(".tmp-deleting-{name}"));
        std::fs::rename(dir, &trash).map_err(|e| TrainError::io(dir, e))?;
        std::fs::remove_dir_all(&trash).map_err(|e| TrainError::io(&trash, e))?;
    }
    Ok(())
}

fn remove_stale_temporaries(root: &Path) -> Result<(), TrainError> {
    let entries = std::fs::read_dir(root).map_err(|e| TrainError::io(root, e))?;
    for entry in entries.filter_map(Result::ok) {
        if entry.file_name().to_string_lossy().starts_with(".tmp-") {
            let path = entry.path();
            std::fs::remove_dir_all(&path).map_err(|e| TrainError::io(&path, e))?;
        }
    }
    Ok(())
}

/// fsync a file or directory, if it exists.
fn sync(path: &Path) -> Result<(), TrainError> {
    match std::fs::File::open(path) {
        Ok(file) => file.sync_all().map_err(|e| TrainError::io(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(TrainError::io(path, e)),
    }
}
