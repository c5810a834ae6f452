use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use burn::data::dataset::Dataset;
use burn::tensor::Device;
use llm_data::Tokenizer;
use llm_data::corpus::{DataDir, read_text_file};
use llm_data::dataset::{
    LmBatcher, LmWindows, TokenSource, cached_token_file, split_train_val,
};

use crate::dashboard_metrics::lm_metrics;
use crate::error::TrainError;
use crate::lm_task::LmTask;
use crate::loop_plan::LoopPlan;
use crate::run_dir::save_model_and_plot;
use crate::run_loaders::RunLoaders;
use crate::masked_lm::pretrain_masked_lm;
use crate::run_setup::{RunStart, run_kind, train};
use crate::translation::train_translation;
use crate::torch_replay::{shared_generator, with_torch_dropout};
use crate::{CausalLm, ExperimentConfig};
use llm_model::LanguageModel;
use llm_model::weights::ModelKind;

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
    /// Further figures of the run by name (a translation run's held-out `bleu` and `chrf`).
    pub scores: Vec<(&'static str, f64)>,
}

impl PretrainSummary {
    /// What a run reports once `plan`'s loop has ended: its last step, the run's wall time
    /// since `started`, where its model was saved, and `scores`.
    pub(crate) fn of<B>(
        plan: &LoopPlan<B>,
        started: Instant,
        model_dir: PathBuf,
        scores: Vec<(&'static str, f64)>,
    ) -> Result<Self, TrainError> {
        let (last, val_loss) = plan.last_step()?;
        Ok(Self {
            steps: last.step,
            tokens_seen: last.tokens_seen,
            train_loss: last.train_loss,
            val_loss,
            wall_s: started.elapsed().as_secs_f64(),
            model_dir,
            scores,
        })
    }
}

/// Pretrains a model of any family on raw text as chapter 5 of the book does, writing into
/// `options.out`: `config.toml` (before the first step), `metrics.csv`, `samples.txt`,
/// `checkpoints/`, Burn's metric logs, and at the end `loss.png` and `model/`, a Hugging
/// Face directory of the model's family.
///
/// A BERT configuration or directory is pretrained by masked-word prediction instead
/// ([`pretrain_masked_lm`]), a Marian one on sentence pairs ([`train_translation`]).
pub fn pretrain(config: &ExperimentConfig, options: &PretrainOptions) -> Result<PretrainSummary, TrainError> {
    match run_kind(config, options)? {
        ModelKind::Bert => return pretrain_masked_lm(config, options),
        ModelKind::Marian => return train_translation(config, options),
        ModelKind::Decoder(_) => {}
    }
    let started = Instant::now();
    let torch = shared_generator(config);
    let (mut start, model) = RunStart::new::<LanguageModel>(config, options, torch.as_ref())?;
    let model = start.resume(CausalLm::new(model))?.model;
    let model = CausalLm::new(match model {
        LanguageModel::Gpt2(gpt) => LanguageModel::Gpt2(with_torch_dropout(gpt, torch.as_ref())),
        decoder => decoder, // no dropout to replay
    });
    let context = start.context;
    let stride = config.data.stride.unwrap_or(context);

    let file = start.data_file.clone();
    let (train_tokens, val_tokens) = token_splits(config, &file, &start.tokenizer)?;
    let windows = |tokens: Arc<dyn TokenSource>, name: &str| {
        LmWindows::from_source(tokens, context, stride)
            .map_err(|e| TrainError::Invalid(format!("{}: {name} split: {e}", file.display())))
    };
    let train_ds = windows(train_tokens, "training")?;
    let val_ds = windows(val_tokens, "validation")?;
    let batches_per_epoch = start.batches_per_epoch(config, Dataset::len(&train_ds), &format!("windows of {context} tokens"))?;
    let loaders = RunLoaders::new(train_ds, val_ds, LmBatcher, config, &start.ad, &start.device, torch.as_ref());
    tracing::info!(context, stride, "pretraining");
    let task = LmTask {
        tokenizer: start.tokenizer.clone(),
        sample_prompt: config.run.sample_prompt.clone(),
        sample_tokens: config.run.sample_tokens,
        samples_path: options.out.join("samples.txt"),
    };
    let (model, plan) = train(config, options, &mut start, loaders, batches_per_epoch, task, model, lm_metrics)?;

    let model_dir = save_model_and_plot(&options.out, &model.model, &start.tokenizer)?;
    PretrainSummary::of(&plan, started, model_dir, Vec::new())
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

