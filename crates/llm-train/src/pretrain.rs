use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use burn::data::dataloader::DataLoader;
use burn::data::dataset::Dataset;
use burn::optim::{AdamWConfig, ModuleOptimizer};
use burn::tensor::Device;
use burn::train::metric::{LearningRateMetric, LossMetric};
use burn::train::{Learner, SupervisedTraining, TrainingStrategy};
use llm_data::Tokenizer;
use llm_data::corpus::{DataDir, read_text_file};
use llm_data::dataset::{
    EpochShuffled, LmBatch, LmBatcher, LmWindows, LoaderOptions, TokenSource, cached_token_file, lm_loader,
    split_train_val,
};
use llm_model::Gpt;
use llm_model::weights::{load_model, save_hf_dir, write_atomically};

use crate::checkpoint::{CHECKPOINTS_DIR, Checkpoint, latest_checkpoint};
use crate::dashboard_metrics::{LmPerplexity, TokensPerSecond};
use crate::error::TrainError;
use crate::lr_scheduler::ScheduleLr;
use crate::metrics_csv::{MetricsCsv, read_metrics};
use crate::plain_renderer::PlainRenderer;
use crate::plot::plot_losses;
use crate::strategy::{PretrainPlan, PretrainStrategy};
use crate::{CausalLm, ExperimentConfig, LrSchedule};

/// Where and how a pretraining run happens, besides its [`ExperimentConfig`].
#[derive(Debug, Clone)]
pub struct PretrainOptions {
    pub out: PathBuf,
    pub data_dir: DataDir,
    /// The training device (without autodiff; the run adds it).
    pub device: Device,
    /// Start from this model directory instead of a fresh model.
    pub init_from: Option<PathBuf>,
    /// Overrides the config's data set and file.
    pub data_file: Option<PathBuf>,
    /// Continue from the newest complete checkpoint in `out`.
    pub resume: bool,
    /// Start afresh in an `out` that holds an earlier run's checkpoints, deleting them.
    pub overwrite: bool,
}

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct PretrainSummary {
    pub steps: usize,
    pub tokens_seen: usize,
    pub train_loss: f64,
    pub val_loss: Option<f64>,
    pub wall_s: f64,
    pub model_dir: PathBuf,
}

/// Pretrains a GPT on raw text as chapter 5 of the book does, writing into `options.out`:
/// `config.toml` (before the first step), `metrics.csv`, `samples.txt`, `checkpoints/`,
/// Burn's metric logs, and at the end `loss.png` and `model/`, a Hugging Face GPT-2
/// directory.
pub fn pretrain(config: &ExperimentConfig, options: &PretrainOptions) -> Result<PretrainSummary, TrainError> {
    let started = Instant::now();
    let out = &options.out;
    let checkpoint = prepare_run_dir(out, options)?;
    let resolved = toml::to_string(config).map_err(|e| TrainError::Invalid(e.to_string()))?;
    write_atomically(&out.join("config.toml"), resolved.as_bytes())?;

    let device = options.device.clone();
    let ad = device.clone().autodiff();
    // A resumed run reseeds by its step: dropout masks then differ from an uninterrupted
    // run's (the backend's generator state is not saved); without dropout it is exact.
    ad.seed(config.seed.wrapping_add(checkpoint.as_ref().map_or(0, |c| c.state.step as u64)));
    let (gpt, tokenizer) = match &checkpoint {
        Some(c) => {
            tracing::info!(dir = %c.dir.display(), step = c.state.step, "resuming");
            (c.load_model(&ad)?, c.tokenizer()?)
        }
        None => initial_model(config, options.init_from.as_deref(), &ad)?,
    };
    let context = match (options.init_from.is_some(), config.model.context_length) {
        (true, Some(c)) => c.min(gpt.config().context_length),
        _ => gpt.config().context_length,
    };
    let stride = config.data.stride.unwrap_or(context);

    let file = match (&options.data_file, &config.data.file) {
        (Some(f), _) => f.clone(),
        (None, Some(f)) => PathBuf::from(f),
        (None, None) => options.data_dir.fetch(&config.data.dataset)?,
    };
    let (train_tokens, val_tokens) = token_splits(config, &file, &tokenizer)?;
    let windows = |tokens: Arc<dyn TokenSource>, name: &str| {
        LmWindows::from_source(tokens, context, stride)
            .map_err(|e| TrainError::Invalid(format!("{}: {name} split: {e}", file.display())))
    };
    let train_ds = windows(train_tokens, "training")?;
    let val_ds = windows(val_tokens, "validation")?;
    let batch_size = config.data.batch_size;
    let batches_per_epoch = Dataset::len(&train_ds) / batch_size;
    if batches_per_epoch == 0 {
        return Err(TrainError::Invalid(format!(
            "{}: the training split has {} windows of {context} tokens, fewer than one batch of {batch_size}",
            file.display(),
            Dataset::len(&train_ds)
        )));
    }

    let plain = |drop_last| LoaderOptions {
        batch_size,
        shuffle_seed: None,
        drop_last,
    };
    let (train_shuffled, train_order) = EpochShuffled::new(train_ds.clone(), config.data.shuffle.then_some(config.seed));
    let train_loader = lm_loader(train_shuffled, LmBatcher, &plain(true), &ad);
    let valid_loader = lm_loader(val_ds.clone(), LmBatcher, &plain(false), &device);
    let train_eval: Arc<dyn DataLoader<LmBatch>> = lm_loader(train_ds, LmBatcher, &plain(true), &device);
    let val_eval: Arc<dyn DataLoader<LmBatch>> = lm_loader(val_ds, LmBatcher, &plain(false), &device);

    let accumulation = config.optimizer.grad_accumulation;
    let steps_per_epoch = batches_per_epoch.div_ceil(accumulation);
    let total_steps = (config.run.epochs * steps_per_epoch).min(config.run.max_steps.unwrap_or(usize::MAX));
    let schedule = schedule(config, total_steps);
    tracing::info!(?schedule, total_steps, context, stride, accumulation, "pretraining");
    let optimizer = match &checkpoint {
        Some(c) => c.load_optimizer(adamw(config))?,
        None => adamw(config),
    };
    let csv_path = out.join("metrics.csv");
    let csv = match &checkpoint {
        Some(c) => MetricsCsv::resume(&csv_path, c.state.step)?,
        None => MetricsCsv::create(&csv_path)?,
    };
    let plan = Arc::new(PretrainPlan {
        device: ad.clone(),
        run_dir: out.clone(),
        schedule: schedule.clone(),
        grad_clip: config.optimizer.grad_clip,
        grad_accumulation: accumulation,
        batches_per_epoch,
        eval_every: config.run.eval_every,
        eval_batches: config.run.eval_batches,
        checkpoint_every: config.run.checkpoint_every,
        keep_checkpoints: config.run.keep_checkpoints,
        max_steps: config.run.max_steps,
        train_order,
        train_eval,
        val_eval,
        tokenizer: tokenizer.clone(),
        sample_prompt: config.run.sample_prompt.clone(),
        sample_tokens: config.run.sample_tokens,
        samples_path: out.join("samples.txt"),
        csv: Mutex::new(csv),
        optimizer: Mutex::new(Some(optimizer)),
        resume: checkpoint.map(|c| c.state),
        failure: Mutex::new(None),
    });
    let model = CausalLm::new(gpt);
    // Logging goes where the caller's tracing subscriber sends it (the CLI: stderr).
    let mut training = SupervisedTraining::new(out, train_loader, valid_loader).with_application_logger(None);
    if !std::io::stdout().is_terminal() {
        training = training.renderer(Box::new(PlainRenderer::new(Duration::from_secs(10))));
    }
    let result = training
        .with_training_strategy(TrainingStrategy::Custom(Arc::new(PretrainStrategy { plan: plan.clone() })))
        .metric_train_numeric(LossMetric::new())
        .metric_valid_numeric(LossMetric::new())
        .metric_train_numeric(LmPerplexity::default())
        .metric_valid_numeric(LmPerplexity::default())
        .metric_train_numeric(LearningRateMetric::new())
        .metric_train_numeric(TokensPerSecond::default())
        .num_epochs(config.run.epochs)
        .launch(Learner::new(model, adamw(config), ScheduleLr::new(schedule)));
    if let Some(error) = plan.failure.lock().expect("failure lock").take() {
        return Err(error);
    }
    if let Some(error) = result.error {
        return Err(TrainError::Interrupted(error.to_string()));
    }

    let model_dir = out.join("model");
    save_hf_dir(&result.model.gpt, &model_dir)?;
    tokenizer.save_to_dir(&model_dir)?;
    plot_losses(&read_metrics(&csv_path)?, &out.join("loss.png"))?;
    let csv = plan.csv.lock().expect("csv lock");
    let last = csv.last.clone().ok_or_else(|| TrainError::Invalid("no training step ran".into()))?;
    Ok(PretrainSummary {
        steps: last.step,
        tokens_seen: last.tokens_seen,
        train_loss: last.train_loss,
        val_loss: csv.last_val_loss,
        wall_s: started.elapsed().as_secs_f64(),
        model_dir,
    })
}

/// Creates the run directory; returns the checkpoint to resume from. A fresh run refuses a
/// directory holding an earlier run's checkpoints unless told to overwrite them.
fn prepare_run_dir(out: &Path, options: &PretrainOptions) -> Result<Option<Checkpoint>, TrainError> {
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

/// Training and validation tokens: the text split 90/10 by characters as the book does,
/// or, with `data.token_cache`, a memory-mapped token file split by tokens.
fn token_splits(
    config: &ExperimentConfig,
    file: &Path,
    tokenizer: &Tokenizer,
) -> Result<(Arc<dyn TokenSource>, Arc<dyn TokenSource>), TrainError> {
    let ratio = config.data.train_ratio;
    if let Some(cache) = &config.data.token_cache {
        let tokens = cached_token_file(file, tokenizer, Path::new(cache))?;
        let cut = (ratio * tokens.len() as f64) as usize;
        tracing::info!(tokens = tokens.len(), train = cut, "memory-mapped token file");
        return Ok((Arc::new(tokens.slice(0, cut)), Arc::new(tokens.slice(cut, tokens.len()))));
    }
    let text = read_text_file(file)?;
    let (train_text, val_text) = split_train_val(&text, ratio);
    Ok((Arc::new(tokenizer.encode(train_text)), Arc::new(tokenizer.encode(val_text))))
}

/// PyTorch's AdamW: eps 1e-8, betas (0.9, 0.999), decoupled weight decay on every parameter.
fn adamw(config: &ExperimentConfig) -> ModuleOptimizer {
    let o = &config.optimizer;
    AdamWConfig::new()
        .with_beta_1(o.beta1 as f32)
        .with_beta_2(o.beta2 as f32)
        .with_epsilon(o.eps as f32)
        .with_weight_decay(o.weight_decay as f32)
        .init()
}

fn initial_model(
    config: &ExperimentConfig,
    init_from: Option<&Path>,
    device: &Device,
) -> Result<(Gpt, Tokenizer), TrainError> {
    match init_from {
        Some(dir) => {
            let gpt = load_model(dir, device)?;
            let gpt = match config.model.dropout {
                Some(p) => gpt.with_dropout(p),
                None => gpt,
            };
            Ok((gpt, Tokenizer::for_model_dir(dir)?))
        }
        None => Ok((config.model_config()?.init(device)?, Tokenizer::gpt2())),
    }
}

/// The config's schedule over a run of `total_steps`.
fn schedule(config: &ExperimentConfig, total_steps: usize) -> LrSchedule {
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
