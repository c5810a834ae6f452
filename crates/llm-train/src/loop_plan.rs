//! What the training loop does besides stepping the optimizer: the schedule, clipping and
//! accumulation, the evaluation and checkpoint cadence, the data orders, and where the loop
//! reports back (metrics, a failure of ours).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use burn::data::dataloader::DataLoader;
use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use burn::train::Interrupter;
use llm_data::dataset::EpochOrder;
use llm_model::SharedTorchGenerator;

use crate::checkpoint::TrainingState;
use crate::error::TrainError;
use crate::metrics_csv::{MetricsCsv, StepRecord};
use crate::position::Position;
use crate::torch_replay::{DrawPosition, draws, seek};
use crate::LrSchedule;

/// The loop's settings and shared state, for batches of type `B`.
pub struct LoopPlan<B> {
    pub device: Device,
    pub run_dir: PathBuf,
    pub schedule: LrSchedule,
    /// Global gradient-norm limit (0: off), applied after the warm-up.
    pub grad_clip: f64,
    /// Batches whose gradients are averaged into one optimizer step.
    pub grad_accumulation: usize,
    /// Full batches per epoch (the training loader drops a final partial batch).
    pub batches_per_epoch: usize,
    /// Items (windows, texts, pairs) per batch.
    pub batch_size: usize,
    pub eval_every: usize,
    pub eval_batches: usize,
    pub checkpoint_every: usize,
    /// Time between checkpoints, whatever the steps (zero: off).
    pub checkpoint_interval: std::time::Duration,
    pub keep_checkpoints: usize,
    pub max_steps: Option<usize>,
    /// Sets the training order of each epoch (seeded, so that a resumed run reads the same).
    pub train_order: EpochOrder,
    /// Training batches for the periodic train-loss estimate, read in `train_eval_order`.
    pub train_eval: Arc<dyn DataLoader<B>>,
    pub val_eval: Arc<dyn DataLoader<B>>,
    /// Set before each estimate (drawn from PyTorch's generator when replaying the book).
    pub train_eval_order: EpochOrder,
    pub val_eval_order: EpochOrder,
    /// PyTorch's generator when the run replays the book's draws (`rng = "torch"`).
    pub torch: Option<SharedTorchGenerator>,
    pub csv: Mutex<MetricsCsv>,
    /// The optimizer, with its state when resuming; the loop takes it.
    pub optimizer: Mutex<Option<ModuleOptimizer>>,
    /// Where a resumed run starts.
    pub resume: Option<TrainingState>,
    /// An error of ours (writing run files) that stopped the loop.
    pub failure: Mutex<Option<TrainError>>,
}

impl<B> LoopPlan<B> {
    /// Stops the loop with `error`, which [`LoopPlan::outcome`] then reports.
    pub(crate) fn fail(&self, error: TrainError, interrupter: &Interrupter) {
        interrupter.stop(Some(&error.to_string()));
        self.failure.lock().expect("failure lock").get_or_insert(error);
    }

    pub(crate) fn failed(&self) -> bool {
        self.failure.lock().expect("failure lock").is_some()
    }

    /// The trained model of a finished run, or what stopped it: an error of ours first (it
    /// names the file), else Burn's.
    pub fn outcome<M>(&self, result: burn::train::LearningResult<M>) -> Result<M, TrainError> {
        if let Some(error) = self.failure.lock().expect("failure lock").take() {
            return Err(error);
        }
        match result.error {
            Some(error) => Err(TrainError::Interrupted(error.to_string())),
            None => Ok(result.model),
        }
    }

    /// Whether the run has taken its last step.
    pub(crate) fn done(&self, step: usize) -> bool {
        self.max_steps.is_some_and(|max| step >= max)
    }

    /// Where the loop starts: the checkpoint's position when resuming.
    pub(crate) fn start(&self) -> Position {
        self.resume.as_ref().map_or_else(Position::start, TrainingState::position)
    }

    /// Fixes the order of the epoch `at` is in. A run replaying PyTorch's draws that resumes
    /// into this epoch draws its order again from where the epoch started, then continues
    /// from the checkpoint's position.
    pub(crate) fn start_epoch(&self, at: &mut Position, resuming: bool) {
        let Some(generator) = &self.torch else {
            self.train_order.set_epoch(at.epoch);
            return;
        };
        let resumed = at.torch_draws.filter(|_| resuming);
        if let Some(p) = resumed {
            seek(generator, p.epoch_start);
        }
        let epoch_start = draws(generator);
        self.train_order.set_epoch(at.epoch);
        match resumed {
            Some(p) => seek(generator, p.now),
            None => at.torch_draws = Some(DrawPosition { epoch_start, now: epoch_start }),
        }
    }

    /// The last optimizer step's metrics row and the last validation loss.
    pub fn last_step(&self) -> Result<(StepRecord, Option<f64>), TrainError> {
        let csv = self.csv.lock().expect("csv lock");
        let last = csv.last.clone().ok_or_else(|| TrainError::Invalid("no training step ran".into()))?;
        Ok((last, csv.last_val_loss))
    }
}
