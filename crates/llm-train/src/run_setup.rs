//! What every recipe does before its first step: the run directory, the resolved config,
//! seeding, the starting model, the data file, the optimizer, the schedule and the loop's
//! plan (fresh or from the newest checkpoint).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use llm_data::Tokenizer;
use llm_model::{Gpt, SharedTorchGenerator};
use llm_model::weights::{load_model, save_hf_dir, write_atomically};

use crate::checkpoint::{CHECKPOINTS_DIR, Checkpoint, latest_checkpoint};
use crate::error::TrainError;
use crate::fused_adamw::FusedAdamW;
use crate::metrics_csv::{MetricsCsv, read_metrics};
use crate::plot::plot_losses;
use crate::run_loaders::RunLoaders;
use crate::train_loop::LoopPlan;
use crate::config::RngSource;
use crate::torch_replay::with_torch_dropout;
use crate::{ExperimentConfig, LrSchedule, PretrainOptions};

/// Prepares `options.out` (see [`prepare_run_dir`]), writes the resolved `config.toml`,
/// and seeds the autodiff device it returns with the checkpoint to resume from.
pub(crate) fn start_run(config: &ExperimentConfig, options: &PretrainOptions) -> Result<(Option<Checkpoint>, Device), TrainError> {
    let out = &options.out;
    let checkpoint = prepare_run_dir(out, options)?;
    let resolved = toml::to_string(config).map_err(|e| TrainError::Invalid(e.to_string()))?;
    write_atomically(&out.join("config.toml"), resolved.as_bytes())?;
    let ad = options.device.clone().autodiff();
    // A resumed run reseeds by its step: dropout masks then differ from an uninterrupted
    // run's (the backend's generator state is not saved); without dropout it is exact.
    ad.seed(config.seed.wrapping_add(checkpoint.as_ref().map_or(0, |c| c.state.step as u64)));
    Ok((checkpoint, ad))
}

/// `--data-file`, else the config's `data.file`, else its data set from the data directory.
pub(crate) fn data_file(config: &ExperimentConfig, options: &PretrainOptions) -> Result<PathBuf, TrainError> {
    Ok(match (&options.data_file, &config.data.file) {
        (Some(f), _) => f.clone(),
        (None, Some(f)) => PathBuf::from(f),
        (None, None) => options.data_dir.fetch(&config.data.dataset)?,
    })
}

/// The loop's plan and learning-rate schedule for a run of `batches_per_epoch` batches per
/// epoch; the optimizer state and `metrics.csv` continue from `checkpoint` when resuming.
#[allow(clippy::too_many_arguments)]
pub(crate) fn loop_plan<B>(
    config: &ExperimentConfig,
    options: &PretrainOptions,
    ad: &Device,
    checkpoint: Option<Checkpoint>,
    batches_per_epoch: usize,
    loaders: &RunLoaders<B>,
) -> Result<(LoopPlan<B>, LrSchedule), TrainError> {
    let accumulation = config.optimizer.grad_accumulation;
    let steps_per_epoch = batches_per_epoch.div_ceil(accumulation);
    let total_steps = (config.run.epochs * steps_per_epoch).min(config.run.max_steps.unwrap_or(usize::MAX));
    let schedule = schedule(config, total_steps);
    tracing::info!(?schedule, total_steps, accumulation, "training");
    let optimizer = match &checkpoint {
        Some(c) => c.load_optimizer(adamw(config))?,
        None => adamw(config),
    };
    let csv_path = options.out.join("metrics.csv");
    let csv = match &checkpoint {
        Some(c) => MetricsCsv::resume(&csv_path, c.state.step)?,
        None => MetricsCsv::create(&csv_path)?,
    };
    let plan = LoopPlan {
        device: ad.clone(),
        run_dir: options.out.clone(),
        schedule: schedule.clone(),
        grad_clip: config.optimizer.grad_clip,
        grad_accumulation: accumulation,
        batches_per_epoch,
        eval_every: config.run.eval_every,
        eval_batches: config.run.eval_batches,
        checkpoint_every: config.run.checkpoint_every,
        keep_checkpoints: config.run.keep_checkpoints,
        max_steps: config.run.max_steps,
        train_order: loaders.train_order.clone(),
        train_eval: loaders.train_eval.clone(),
        val_eval: loaders.val_eval.clone(),
        train_eval_order: loaders.train_eval_order.clone(),
        val_eval_order: loaders.val_eval_order.clone(),
        torch: loaders.torch.clone(),
        csv: Mutex::new(csv),
        optimizer: Mutex::new(Some(optimizer)),
        resume: checkpoint.map(|c| c.state),
        failure: Mutex::new(None),
    };
    Ok((plan, schedule))
}

/// Creates the run directory; returns the checkpoint to resume from. A fresh run refuses a
/// directory holding an earlier run's checkpoints unless told to overwrite them.
pub(crate) fn prepare_run_dir(out: &Path, options: &PretrainOptions) -> Result<Option<Checkpoint>, TrainError> {
    std::fs::create_dir_all(out).map_err(|e| TrainError::io(out, e))?;
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

/// PyTorch's AdamW: eps 1e-8, betas (0.9, 0.999), decoupled weight decay on every parameter
/// (fused into one pass per parameter on flex).
pub fn adamw(config: &ExperimentConfig) -> ModuleOptimizer {
    let o = &config.optimizer;
    FusedAdamW::new(o.beta1 as f32, o.beta2 as f32, o.eps as f32, o.weight_decay as f32).init()
}

/// `--init-from`, else the config's `model.init_from`.
pub(crate) fn init_from(config: &ExperimentConfig, options: &PretrainOptions) -> Option<PathBuf> {
    options.init_from.clone().or_else(|| config.model.init_from.as_ref().map(PathBuf::from))
}

/// The model a fresh run starts from: `init_from`'s, else a new one of the config's; with
/// `torch` (PyTorch's generator, `rng = "torch"`) a new one draws the book's initial
/// weights, and either draws its dropout masks from it.
pub(crate) fn initial_model(
    config: &ExperimentConfig,
    init_from: Option<&Path>,
    device: &Device,
    torch: Option<&SharedTorchGenerator>,
) -> Result<(Gpt, Tokenizer), TrainError> {
    if config.rng == RngSource::Torch && torch.is_none() {
        return Err(TrainError::Invalid(
            "rng = \"torch\" replays the book's pretraining loop and is for `llm train` only; fine-tuning draws from Burn's generators (rng = \"burn\")".into(),
        ));
    }
    let (gpt, tokenizer) = match init_from {
        Some(dir) => {
            if !dir.exists() {
                return Err(TrainError::Invalid(format!(
                    "{}: no such model directory to start from: make it first (the experiment file's header says how) or pass --init-from DIR",
                    dir.display()
                )));
            }
            let gpt = load_model(dir, device)?;
            let gpt = match config.model.dropout {
                Some(p) => gpt.with_dropout(p),
                None => gpt,
            };
            (gpt, Tokenizer::for_model_dir(dir)?)
        }
        None => {
            let model = config.model_config()?;
            let gpt = match torch {
                Some(generator) => model.init_torch(&mut generator.lock().expect("torch generator lock"), device)?,
                None => model.init(device)?,
            };
            (gpt, Tokenizer::gpt2())
        }
    };
    Ok((with_torch_dropout(gpt, torch), tokenizer))
}

/// The config's schedule over a run of `total_steps`.
pub(crate) fn schedule(config: &ExperimentConfig, total_steps: usize) -> LrSchedule {
    let s = &config.schedule;
    let peak = config.optimizer.lr;
    let warmup_steps = s
        .warmup_fraction
        .map_or(s.warmup_steps, |f| (f * total_steps as f64) as usize);
    match s.min_lr {
        None if warmup_steps == 0 => LrSchedule::Constant { lr: peak },
        min_lr => {
            let min_lr = min_lr.unwrap_or(peak);
            LrSchedule::WarmupCosine {
                initial_lr: s.initial_lr.unwrap_or(min_lr),
                peak_lr: peak,
                min_lr,
                warmup_steps,
                total_steps,
            }
        }
    }
}

/// `out/loss.png`, drawn from the run's `metrics.csv`.
pub(crate) fn plot_run(out: &Path) -> Result<(), TrainError> {
    plot_losses(&read_metrics(&out.join("metrics.csv"))?, &out.join("loss.png"))
}

/// The end of a language-model run: `out/model` (Hugging Face files and the tokenizer) and
/// `out/loss.png`; returns the model directory.
pub(crate) fn save_model_and_plot(out: &Path, gpt: &Gpt, tokenizer: &Tokenizer) -> Result<PathBuf, TrainError> {
    let model_dir = out.join("model");
    save_hf_dir(gpt, &model_dir)?;
    tokenizer.save_to_dir(&model_dir)?;
    plot_run(out)?;
    Ok(model_dir)
}
