//! A run's directory: prepared before the first step (the resolved `config.toml`, an earlier
//! run refused or cleared), and what a language-model run leaves there at the end
//! (`model/`, `loss.png`).

use std::path::{Path, PathBuf};

use llm_data::Tokenizer;
use llm_model::weights::write_atomically;

use crate::checkpoint::{CHECKPOINTS_DIR, Checkpoint, latest_checkpoint};
use crate::error::TrainError;
use crate::metrics_csv::read_metrics;
use crate::plot::plot_losses;
use crate::run_network::RunNetwork;
use crate::{ExperimentConfig, PretrainOptions};


/// Writes the configuration the run uses as `out/config.toml`, before its first step.
pub(crate) fn record_config(out: &Path, config: &ExperimentConfig) -> Result<(), TrainError> {
    let resolved = toml::to_string(config).map_err(|e| TrainError::Invalid(e.to_string()))?;
    Ok(write_atomically(&out.join("config.toml"), resolved.as_bytes())?)
}

/// Returns the checkpoint to resume from. A fresh run refuses a directory holding an earlier
/// run's checkpoints unless told to overwrite them (then removes them). Nothing is created:
/// the directory appears with the run's `config.toml` (`record_config`).
pub(crate) fn prepare_run_dir(out: &Path, options: &PretrainOptions) -> Result<Option<Checkpoint>, TrainError> {
    if out.exists() && !out.is_dir() {
        return Err(TrainError::Invalid(format!("{}: exists and is not a directory (--out names a run directory)", out.display())));
    }
    let latest = latest_checkpoint(out)?;
    match (options.resume, latest) {
        (true, Some(c)) => Ok(Some(c)),
        (true, None) => Err(TrainError::Invalid(format!(
            "{}: no complete checkpoint to resume from (run without --resume to start)",
            out.join(CHECKPOINTS_DIR).display()
        ))),
        (false, Some(c)) if !options.overwrite => Err(TrainError::Invalid(format!(
            "{} already holds a run (checkpoint at step {}): continue it with --resume, or start over with --overwrite",
            out.display(),
            c.state.step
        ))),
        (false, _) => {
            for old in [CHECKPOINTS_DIR, "samples.txt", "loss.png"] {
                let path = out.join(old);
                let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
                match removed {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(TrainError::io(&path, e)),
                    _ => {}
                }
            }
            Ok(None)
        }
    }
}

/// `out/loss.png`, drawn from the run's `metrics.csv`.
pub(crate) fn plot_run(out: &Path) -> Result<(), TrainError> {
    plot_losses(&read_metrics(&out.join("metrics.csv"))?, &out.join("loss.png"))
}

/// The end of a pretraining run: `out/model` (Hugging Face files and the tokenizer) and
/// `out/loss.png`; returns the model directory.
pub(crate) fn save_model_and_plot<N: RunNetwork>(out: &Path, model: &N, tokenizer: &Tokenizer) -> Result<PathBuf, TrainError> {
    let model_dir = out.join("model");
    model.save(&model_dir)?;
    tokenizer.save_to_dir(&model_dir)?;
    plot_run(out)?;
    Ok(model_dir)
}
