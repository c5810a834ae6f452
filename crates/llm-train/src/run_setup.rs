//! What every recipe does around its own part: the start of a run (`RunStart`: the run
//! directory, seeding, the network and tokenizer, the data file, a checkpoint to resume
//! from) and the loop itself (`train`: optimizer, schedule, plan, Burn's Learner).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use burn::train::{Learner, SupervisedTraining};
use llm_data::Tokenizer;
use llm_data::tokenizer::{TokenizerKind, train_tokenizer};
use llm_model::weights::{ModelKind, model_kind};
use llm_model::{Family, SharedTorchGenerator};

use crate::checkpoint::Checkpoint;
use crate::config::RngSource;
use crate::error::TrainError;
use crate::fused_adamw::FusedAdamW;
use crate::loop_plan::LoopPlan;
use crate::lr_scheduler::ScheduleLr;
use crate::metrics_csv::MetricsCsv;
use crate::run_dir::{prepare_run_dir, record_config};
use crate::run_loaders::RunLoaders;
use crate::run_network::RunNetwork;
use crate::train_loop::{TrainLoop, supervised_training};
use crate::train_task::TrainTask;
use crate::{ExperimentConfig, LrSchedule, PretrainOptions};

/// Where a recipe's run starts.
pub(crate) struct RunStart {
    /// The newest complete checkpoint when resuming; [`train`] takes it.
    pub checkpoint: Option<Checkpoint>,
    /// The training device with autodiff, seeded.
    pub ad: Device,
    /// The same device without autodiff, for evaluation.
    pub device: Device,
    pub tokenizer: Tokenizer,
    /// The longest sequence the run feeds the model: `model.context_length`, at most the
    /// model's own (a model started from a directory may be trained on shorter windows).
    pub context: usize,
    /// The text or records to train on.
    pub data_file: PathBuf,
}

impl RunStart {
    /// Prepares `options.out` and writes the resolved `config.toml`, seeds the device, and
    /// builds the network to train, of the kind the recipe asks for: of the checkpoint's
    /// architecture (its weights come with [`RunStart::resume`]), `init_from`'s model, or a
    /// fresh one of the config's; with `torch` (PyTorch's generator, `rng = "torch"`) a
    /// fresh GPT draws the book's initial weights.
    pub fn new<N: RunNetwork>(
        config: &ExperimentConfig,
        options: &PretrainOptions,
        torch: Option<&SharedTorchGenerator>,
    ) -> Result<(Self, N), TrainError> {
        let checkpoint = prepare_run_dir(&options.out, options)?;
        let ad = options.device.clone().autodiff();
        // A resumed run reseeds by its step: dropout masks then differ from an uninterrupted
        // run's (the backend's generator state is not saved); without dropout it is exact.
        ad.seed(config.seed.wrapping_add(checkpoint.as_ref().map_or(0, |c| c.state.step as u64)));
        let data_file = data_file(config, options)?;
        let (model, tokenizer) = match &checkpoint {
            Some(c) => {
                tracing::info!(dir = %c.dir.display(), step = c.state.step, "resuming");
                N::check_kind(c.state.model.kind(), &c.dir.display().to_string())?;
                (N::fresh(&c.state.model, &ad, None)?, c.tokenizer()?)
            }
            None => initial_model(config, init_from(config, options).as_deref(), &data_file, &ad, torch)?,
        };
        // What config.toml records is what runs: a model started from a directory is that
        // model, whatever the preset's settings said.
        let mut recorded = config.clone();
        if let (None, Some(dir)) = (&checkpoint, init_from(config, options)) {
            recorded.model = config.model.starting_from(&dir.display().to_string(), &N::config(&model))?;
        }
        // ... and trains on the data it was given, which `--resume` then reads again.
        if let Some(file) = &options.data_file {
            recorded.data.file = Some(file.display().to_string());
        }
        record_config(&options.out, &recorded)?;
        let own = N::context_length(&model);
        let context = match recorded.model.context_length()? {
            Some(c) if c <= own => c,
            _ => own,
        };
        let start = Self {
            checkpoint,
            ad,
            device: options.device.clone(),
            tokenizer,
            context,
            data_file,
        };
        Ok((start, model))
    }

    /// `model` (built around the network [`RunStart::new`] gave) with the checkpoint's
    /// weights when resuming.
    pub fn resume<M: Module>(&self, model: M) -> Result<M, TrainError> {
        match &self.checkpoint {
            Some(c) => c.load_into(model),
            None => Ok(model),
        }
    }

    /// Full batches per epoch of `examples` training examples (a final partial batch is
    /// dropped); an error naming the data file when there is not one (`what` says what the
    /// examples are: "texts", "windows of 128 tokens").
    pub fn batches_per_epoch(&self, config: &ExperimentConfig, examples: usize, what: &str) -> Result<usize, TrainError> {
        let batch_size = config.data.batch_size;
        match examples / batch_size {
            0 => Err(TrainError::Invalid(format!(
                "{}: the training split has {examples} {what}, fewer than one batch of {batch_size}",
                self.data_file.display()
            ))),
            batches => Ok(batches),
        }
    }
}

/// Trains `model` with `task`'s part of the loop on `loaders` (`batches_per_epoch` full
/// batches an epoch) through Burn's Learner, with the dashboard metrics `metrics` adds;
/// returns the trained model and the loop's plan (its last step's metrics).
#[allow(clippy::too_many_arguments)]
pub(crate) fn train<T: TrainTask>(
    config: &ExperimentConfig,
    options: &PretrainOptions,
    start: &mut RunStart,
    loaders: RunLoaders<T::Batch>,
    batches_per_epoch: usize,
    task: T,
    model: T::Model,
    metrics: impl FnOnce(SupervisedTraining<T::Model>) -> SupervisedTraining<T::Model>,
) -> Result<(T::Model, Arc<LoopPlan<T::Batch>>), TrainError> {
    let (plan, schedule) = loop_plan(config, options, &start.ad, start.checkpoint.take(), batches_per_epoch, &loaders)?;
    let plan = Arc::new(plan);
    let train_loop = TrainLoop { plan: plan.clone(), task: Arc::new(task) };
    // Logging goes where the caller's tracing subscriber sends it (the CLI: stderr).
    let result = metrics(supervised_training(&options.out, loaders.train, loaders.valid, train_loop))
        .num_epochs(config.run.epochs)
        .launch(Learner::new(model, adamw(config), ScheduleLr::new(schedule)));
    let model = plan.outcome(result)?;
    Ok((model, plan))
}

/// `--data-file`, else the config's `data.file`, else its data set from the data directory.
fn data_file(config: &ExperimentConfig, options: &PretrainOptions) -> Result<PathBuf, TrainError> {
    Ok(match (&options.data_file, &config.data.file) {
        (Some(f), _) => f.clone(),
        (None, Some(f)) => PathBuf::from(f),
        (None, None) => options.data_dir.fetch(&config.data.dataset)?,
    })
}

/// The loop's plan and learning-rate schedule for a run of `batches_per_epoch` batches per
/// epoch; the optimizer state and `metrics.csv` continue from `checkpoint` when resuming.
fn loop_plan<B>(
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
        batch_size: config.data.batch_size,
        eval_every: config.run.eval_every,
        eval_batches: config.run.eval_batches,
        checkpoint_every: config.run.checkpoint_every,
        checkpoint_interval: std::time::Duration::from_secs_f64(config.run.checkpoint_minutes * 60.0),
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

/// PyTorch's AdamW: eps 1e-8, betas (0.9, 0.999), decoupled weight decay on every parameter
/// (fused into one pass per parameter on flex).
pub fn adamw(config: &ExperimentConfig) -> ModuleOptimizer {
    let o = &config.optimizer;
    FusedAdamW::new(o.beta1 as f32, o.beta2 as f32, o.eps as f32, o.weight_decay as f32).init()
}

/// What a run trains: the kind of the model directory it starts from, else of the config's
/// preset (a decoder when neither says).
pub(crate) fn run_kind(config: &ExperimentConfig, options: &PretrainOptions) -> Result<ModelKind, TrainError> {
    match init_from(config, options) {
        Some(dir) if dir.is_dir() => Ok(model_kind(&dir)?),
        _ if config.model.preset.is_some() => Ok(config.model_config()?.kind()),
        _ => Ok(ModelKind::Decoder(Family::Gpt2)),
    }
}

/// `--init-from`, else the config's `model.init_from`.
fn init_from(config: &ExperimentConfig, options: &PretrainOptions) -> Option<PathBuf> {
    options.init_from.clone().or_else(|| config.model.init_from.as_ref().map(PathBuf::from))
}

/// The model a fresh run starts from: `init_from`'s (of the recipe's kind), else a new one
/// of the config's with the config's tokenizer ([`fresh_tokenizer`]); with `torch`
/// (PyTorch's generator, `rng = "torch"`) a new GPT draws the book's initial weights.
fn initial_model<N: RunNetwork>(
    config: &ExperimentConfig,
    init_from: Option<&Path>,
    data_file: &Path,
    device: &Device,
    torch: Option<&SharedTorchGenerator>,
) -> Result<(N, Tokenizer), TrainError> {
    if config.rng == RngSource::Torch && torch.is_none() {
        return Err(TrainError::Invalid(
            "rng = \"torch\" replays the book's pretraining loop and is for `llm train` only; fine-tuning draws from Burn's generators (rng = \"burn\")".into(),
        ));
    }
    match init_from {
        Some(dir) => {
            if !dir.exists() {
                return Err(TrainError::Invalid(format!(
                    "{}: no such model directory to start from: make it first (the experiment file's header says how) or pass --init-from DIR",
                    dir.display()
                )));
            }
            let model = N::load_checked(dir, device)?;
            let model = match config.model.dropout()? {
                Some(p) => model.with_dropout(p)?,
                None => model,
            };
            Ok((model, Tokenizer::for_model_dir(dir)?))
        }
        None => {
            let model_config = config.model_config()?;
            N::check_kind(model_config.kind(), &format!("model.preset = {:?}", config.model.preset.as_deref().unwrap_or("")))?;
            let tokenizer = fresh_tokenizer(config, data_file, model_config.vocab_size())?;
            Ok((N::fresh(&model_config, device, torch)?, tokenizer))
        }
    }
}

/// The tokenizer of a fresh model: `data.tokenizer` names GPT-2's (`gpt2`, the default), a
/// kind to train on the data file with at most the model's `vocab_size` tokens (`bpe`,
/// `wordpiece`, `unigram`), or a `tokenizer.json` (or a directory holding one).
fn fresh_tokenizer(config: &ExperimentConfig, data_file: &Path, vocab_size: usize) -> Result<Tokenizer, TrainError> {
    let name = config.data.tokenizer.as_deref().unwrap_or("gpt2");
    if name == "gpt2" {
        return Ok(Tokenizer::gpt2());
    }
    let tokenizer = match TokenizerKind::parse(name) {
        Some(kind) => {
            tracing::info!(kind = name, vocab_size, file = %data_file.display(), "training the tokenizer");
            train_tokenizer(data_file, kind, vocab_size, false)?
        }
        None => {
            let path = Path::new(name);
            let file = if path.is_dir() { path.join("tokenizer.json") } else { path.to_path_buf() };
            if !file.is_file() {
                return Err(TrainError::Invalid(format!(
                    "data.tokenizer = {name:?}: expected gpt2, bpe, wordpiece, unigram or a tokenizer.json file or directory"
                )));
            }
            Tokenizer::from_file(&file)?
        }
    };
    if tokenizer.vocab_size() > vocab_size {
        return Err(TrainError::Invalid(format!(
            "data.tokenizer = {name:?} has {} tokens, more than the model's vocab_size of {vocab_size}",
            tokenizer.vocab_size()
        )));
    }
    Ok(tokenizer)
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

/// An error naming `field` when `pad` is not a token of a `model_type` model's vocabulary
/// of `vocab` (the book pads with GPT-2's `<|endoftext|>`, 50256, which a smaller
/// vocabulary does not have).
pub(crate) fn check_pad_token(pad: u32, vocab: usize, model_type: &str, field: &str) -> Result<(), TrainError> {
    if pad as usize >= vocab {
        return Err(TrainError::Invalid(format!(
            "`{field}` = {pad} is not a token of this {model_type} model's vocabulary of {vocab} (set it to the tokenizer's padding or end-of-text id)"
        )));
    }
    Ok(())
}
