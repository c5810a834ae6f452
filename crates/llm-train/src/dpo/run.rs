use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use burn::module::Module;
use burn::train::Learner;
use burn::train::metric::{LearningRateMetric, LossMetric};
use llm_data::instruction::PreferenceBatcher;
use serde::Serialize;

use super::{DpoObjective, DpoTask, load_preference_data};
use crate::error::TrainError;
use crate::lr_scheduler::ScheduleLr;
use crate::run_loaders::RunLoaders;
use crate::run_setup::{adamw, data_file, init_from, initial_model, loop_plan, save_model_and_plot, start_run};
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
            let (policy, tokenizer) = initial_model(config, init_from(config, options).as_deref(), &ad, None)?;
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
    let loaders = RunLoaders::new(data.train.clone(), data.validation.clone(), batcher, config, &ad, &device, None);
    let (plan, schedule) = loop_plan(config, options, &ad, checkpoint, batches_per_epoch, &loaders)?;
    let plan = Arc::new(plan);
    let task = Arc::new(DpoTask {
        tokenizer: tokenizer.clone(),
        train_eval: loaders.train_eval.clone(),
        val_eval: loaders.val_eval.clone(),
        eval_batches: config.run.eval_batches,
        csv_path: out.join("dpo.csv"),
    });
    let result = supervised_training(out, loaders.train, loaders.valid, TrainLoop { plan: plan.clone(), task })
        .metric_train_numeric(LossMetric::new())
        .metric_valid_numeric(LossMetric::new())
        .metric_train_numeric(LearningRateMetric::new())
        .num_epochs(config.run.epochs)
        .launch(Learner::new(model, adamw(config), ScheduleLr::new(schedule)));
    let policy = plan.outcome(result)?.policy.valid();
    let model_dir = save_model_and_plot(out, &policy, &tokenizer)?;
    let (last, val_loss) = plan.last_step()?;
    Ok(DpoSummary {
        steps: last.step,
        train_loss: last.train_loss,
        val_loss,
        train_pairs: data.train.items.len(),
        validation_pairs: data.validation.items.len(),
        wall_s: started.elapsed().as_secs_f64(),
        model_dir,
    })
}
