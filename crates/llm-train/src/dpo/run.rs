use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use burn::data::dataloader::DataLoader;
use burn::module::Module;
use burn::train::Learner;
use burn::train::metric::{LearningRateMetric, LossMetric};
use llm_data::dataset::{EpochShuffled, LoaderOptions, lm_loader};
use llm_data::instruction::{PreferenceBatch, PreferenceBatcher, PreferenceTexts};
use llm_model::weights::save_hf_dir;
use serde::Serialize;

use super::{DpoObjective, DpoTask, load_preference_data};
use crate::error::TrainError;
use crate::lr_scheduler::ScheduleLr;
use crate::metrics_csv::read_metrics;
use crate::plot::plot_losses;
use crate::run_setup::{adamw, data_file, init_from, initial_model, loop_plan, start_run};
use crate::train_loop::{TrainLoop, supervised_training};
use crate::{ExperimentConfig, PretrainOptions};

/// What a finished DPO run reports.
#[derive(Debug, Clone, Serialize)]
pub struct DpoSummary {
    pub steps: usize,
    pub train_loss: f64,
    pub val_loss: Option<f64>,
    pub train_pairs: usize,
    pub validation_pairs: usize,
    pub wall_s: f64,
    pub model_dir: PathBuf,
}

/// DPO as the book's bonus notebook: policy and frozen reference both start from the
/// model (`--init-from`, an instruction-tuned directory); the loop evaluates loss and
/// rewards every `eval_every` steps (`dpo.csv`); the tuned policy is saved to `model/`.
pub fn finetune_dpo(config: &ExperimentConfig, options: &PretrainOptions) -> Result<DpoSummary, TrainError> {
    let started = Instant::now();
    let section = config.dpo.clone().ok_or_else(|| {
        TrainError::Invalid("preference tuning needs a [dpo] section in the config (see experiments/dpo-offline.toml)".into())
    })?;
    let out = &options.out;
    let (checkpoint, ad) = start_run(config, options)?;
    let device = options.device.clone();
    let (policy, reference, tokenizer) = match &checkpoint {
        Some(c) => (c.state.model.init(&ad)?, c.state.model.init(&ad)?, c.tokenizer()?),
        None => {
            let (policy, tokenizer) = initial_model(config, init_from(config, options).as_deref(), &ad)?;
            (policy.clone(), policy, tokenizer)
        }
    };
    let context = policy.config().context_length;
    let mut model = DpoObjective::new(policy, reference, section.beta, section.average_logprobs);
    if let Some(c) = &checkpoint {
        model = c.load_into(model)?;
    }
    let file = data_file(config, options)?;
    let data = load_preference_data(&file, &tokenizer, section.template, section.split_seed)?;
    let batch_size = config.data.batch_size;
    let batches_per_epoch = data.train.items.len() / batch_size;
    if batches_per_epoch == 0 || data.validation.items.is_empty() {
        return Err(TrainError::Invalid(format!(
            "{}: {} training and {} validation pairs: need at least one batch of {batch_size} and one validation pair",
            file.display(),
            data.train.items.len(),
            data.validation.items.len()
        )));
    }
    let batcher = PreferenceBatcher {
        pad_token_id: section.pad_token_id,
        allowed_max_length: Some(section.allowed_max_length.unwrap_or(context).min(context)),
        mask_prompt: section.mask_prompt,
    };
    tracing::info!(train = data.train.items.len(), validation = data.validation.items.len(), beta = section.beta, "DPO");
    let options_for = |drop_last| LoaderOptions { batch_size, shuffle_seed: None, drop_last };
    let loader = |pairs: &PreferenceTexts, drop_last, device| -> Arc<dyn DataLoader<PreferenceBatch>> {
        lm_loader(pairs.clone(), batcher.clone(), &options_for(drop_last), device)
    };
    let (train_shuffled, train_order) = EpochShuffled::new(data.train.clone(), config.data.shuffle.then_some(config.seed));
    let train_loader = lm_loader(train_shuffled, batcher.clone(), &options_for(true), &ad);
    let valid_loader = loader(&data.validation, false, &device);
    let (train_eval, val_eval) = (loader(&data.train, true, &device), loader(&data.validation, false, &device));
    let (plan, schedule) =
        loop_plan(config, options, &ad, checkpoint, batches_per_epoch, train_order, train_eval.clone(), val_eval.clone())?;
    let plan = Arc::new(plan);
    let task = Arc::new(DpoTask {
        tokenizer: tokenizer.clone(),
        train_eval,
        val_eval,
        eval_batches: config.run.eval_batches,
        csv_path: out.join("dpo.csv"),
    });
    let result = supervised_training(out, train_loader, valid_loader, TrainLoop { plan: plan.clone(), task })
        .metric_train_numeric(LossMetric::new())
        .metric_valid_numeric(LossMetric::new())
        .metric_train_numeric(LearningRateMetric::new())
        .num_epochs(config.run.epochs)
        .launch(Learner::new(model, adamw(config), ScheduleLr::new(schedule)));
    if let Some(error) = plan.take_failure() {
        return Err(error);
    }
    if let Some(error) = result.error {
        return Err(TrainError::Interrupted(error.to_string()));
    }
    let policy = result.model.policy.valid();
    let model_dir = out.join("model");
    save_hf_dir(&policy, &model_dir)?;
    tokenizer.save_to_dir(&model_dir)?;
    plot_losses(&read_metrics(&out.join("metrics.csv"))?, &out.join("loss.png"))?;
    let csv = plan.csv.lock().expect("csv lock");
    let last = csv.last.clone().ok_or_else(|| TrainError::Invalid("no training step ran".into()))?;
    Ok(DpoSummary {
        steps: last.step,
        train_loss: last.train_loss,
        val_loss: csv.last_val_loss,
        train_pairs: data.train.items.len(),
        validation_pairs: data.validation.items.len(),
        wall_s: started.elapsed().as_secs_f64(),
        model_dir,
    })
}
