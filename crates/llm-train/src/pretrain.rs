use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::data::dataloader::DataLoader;
use burn::data::dataset::Dataset;
use burn::optim::AdamWConfig;
use burn::tensor::Device;
use burn::train::metric::{LearningRateMetric, LossMetric};
use burn::train::{Learner, SupervisedTraining, TrainingStrategy};
use llm_data::Tokenizer;
use llm_data::corpus::{DataDir, read_text_file};
use llm_data::dataset::{LmBatch, LmBatcher, LmWindows, LoaderOptions, lm_loader, split_train_val};
use llm_model::weights::{load_model, save_hf_dir, write_atomically};
use llm_model::Gpt;

use crate::error::TrainError;
use crate::lr_scheduler::ScheduleLr;
use crate::metrics_csv::MetricsCsv;
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
/// `config.toml` (before the first step), `metrics.csv`, `samples.txt`, Burn's metric logs,
/// and at the end `model/`, a Hugging Face GPT-2 directory.
pub fn pretrain(config: &ExperimentConfig, options: &PretrainOptions) -> Result<PretrainSummary, TrainError> {
    let started = Instant::now();
    if config.optimizer.grad_accumulation != 1 {
        return Err(TrainError::Invalid(
            "optimizer.grad_accumulation > 1 is not supported by the pretraining loop yet".into(),
        ));
    }
    let out = &options.out;
    std::fs::create_dir_all(out).map_err(|e| TrainError::io(out, e))?;
    let resolved = toml::to_string(config).map_err(|e| TrainError::Invalid(e.to_string()))?;
    write_atomically(&out.join("config.toml"), resolved.as_bytes())?;

    let device = options.device.clone();
    let ad = device.clone().autodiff();
    ad.seed(config.seed);
    let (gpt, tokenizer) = initial_model(config, options.init_from.as_deref(), &ad)?;
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
    let text = read_text_file(&file)?;
    let (train_text, val_text) = split_train_val(&text, config.data.train_ratio);
    let windows = |part: &str, name: &str| {
        LmWindows::new(tokenizer.encode(part), context, stride).map_err(|e| {
            TrainError::Invalid(format!("{}: {name} split ({} characters): {e}", file.display(), part.chars().count()))
        })
    };
    let train_ds = windows(train_text, "training")?;
    let val_ds = windows(val_text, "validation")?;
    let batch_size = config.data.batch_size;
    let train_batches = Dataset::len(&train_ds) / batch_size;
    if train_batches == 0 {
        return Err(TrainError::Invalid(format!(
            "{}: the training split has {} windows of {context} tokens, fewer than one batch of {batch_size}",
            file.display(),
            Dataset::len(&train_ds)
        )));
    }

    let plain = |shuffle: Option<u64>, drop_last| LoaderOptions { batch_size, shuffle_seed: shuffle, drop_last };
    let shuffle = config.data.shuffle.then_some(config.seed);
    let train_loader = lm_loader(train_ds.clone(), LmBatcher, &plain(shuffle, true), &ad);
    let valid_loader = lm_loader(val_ds.clone(), LmBatcher, &plain(None, false), &device);
    let train_eval: Arc<dyn DataLoader<LmBatch>> = lm_loader(train_ds, LmBatcher, &plain(None, true), &device);
    let val_eval: Arc<dyn DataLoader<LmBatch>> = lm_loader(val_ds, LmBatcher, &plain(None, false), &device);

    let total_steps = (config.run.epochs * train_batches).min(config.run.max_steps.unwrap_or(usize::MAX));
    let schedule = schedule(config, total_steps);
    tracing::info!(?schedule, total_steps, context, stride, "pretraining");
    let plan = Arc::new(PretrainPlan {
        device: ad.clone(),
        schedule: schedule.clone(),
        grad_clip: config.optimizer.grad_clip,
        eval_every: config.run.eval_every,
        eval_batches: config.run.eval_batches,
        max_steps: config.run.max_steps,
        train_eval,
        val_eval,
        tokenizer: tokenizer.clone(),
        sample_prompt: config.run.sample_prompt.clone(),
        sample_tokens: config.run.sample_tokens,
        samples_path: out.join("samples.txt"),
        csv: Mutex::new(MetricsCsv::create(&out.join("metrics.csv"))?),
        failure: Mutex::new(None),
    });
    let o = &config.optimizer;
    // PyTorch's AdamW: eps 1e-8, betas (0.9, 0.999), decoupled weight decay on every parameter.
    let optim = AdamWConfig::new()
        .with_beta_1(o.beta1 as f32)
        .with_beta_2(o.beta2 as f32)
        .with_epsilon(o.eps as f32)
        .with_weight_decay(o.weight_decay as f32)
        .init();
    let model = CausalLm::new(gpt);
    let result = SupervisedTraining::new(out, train_loader, valid_loader)
        .with_training_strategy(TrainingStrategy::Custom(Arc::new(PretrainStrategy { plan: plan.clone() })))
        .metric_train_numeric(LossMetric::new())
        .metric_valid_numeric(LossMetric::new())
        .metric_train_numeric(LearningRateMetric::new())
        .num_epochs(config.run.epochs)
        .launch(Learner::new(model, optim, ScheduleLr::new(schedule)));
    if let Some(error) = plan.failure.lock().expect("failure lock").take() {
        return Err(error);
    }
    if let Some(error) = result.error {
        return Err(TrainError::Interrupted(error.to_string()));
    }

    let model_dir = out.join("model");
    save_hf_dir(&result.model.gpt, &model_dir)?;
    tokenizer.save_to_dir(&model_dir)?;
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
