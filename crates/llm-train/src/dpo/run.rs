use llm_model::{CausalModel, LanguageModel};
use std::path::PathBuf;
use std::time::Instant;

use burn::module::Module;
use burn::train::SupervisedTraining;
use burn::train::metric::{LearningRateMetric, LossMetric};
use llm_data::instruction::PreferenceBatcher;
use serde::Serialize;

use super::{DpoObjective, DpoTask, load_preference_data};
use crate::error::TrainError;
use crate::run_dir::save_model_and_plot;
use crate::run_loaders::RunLoaders;
use crate::run_setup::{RunStart, check_pad_token, train};
use crate::trainable::trainable_language_model;
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
    let (mut start, policy) = RunStart::new::<LanguageModel>(config, options, None)?;
    check_pad_token(section.pad_token_id, policy.vocab_size(), policy.family().model_type(), "dpo.pad_token_id")?;
    // The reference is the starting policy, frozen; a resumed run loads both.
    let reference = policy.clone();
    let policy = trainable_language_model(policy, section.trainable, config.lora.as_ref(), &start.ad)?;
    let model = start.resume(DpoObjective::new(policy, reference, section.beta, section.average_logprobs))?;
    let tokenizer = start.tokenizer.clone();
    let data = load_preference_data(&start.data_file, &tokenizer, section.template, section.split_seed)?;
    if data.validation.items.is_empty() {
        return Err(TrainError::Invalid(format!(
            "{}: no validation pairs: DPO evaluates its rewards on at least one",
            start.data_file.display()
        )));
    }
    let batches_per_epoch = start.batches_per_epoch(config, data.train.items.len(), "pairs")?;
    let batcher = PreferenceBatcher {
        pad_token_id: section.pad_token_id,
        allowed_max_length: Some(section.allowed_max_length.unwrap_or(start.context).min(start.context)),
        mask_prompt: section.mask_prompt,
    };
    tracing::info!(train = data.train.items.len(), validation = data.validation.items.len(), beta = section.beta, "DPO");
    let loaders = RunLoaders::new(data.train.clone(), data.validation.clone(), batcher, config, &start.ad, &start.device, None);
    let task = DpoTask {
        tokenizer: tokenizer.clone(),
        train_eval: loaders.train_eval.clone(),
        val_eval: loaders.val_eval.clone(),
        eval_batches: config.run.eval_batches,
        csv_path: out.join("dpo.csv"),
    };
    let metrics = |training: SupervisedTraining<DpoObjective>| {
        training
            .metric_train_numeric(LossMetric::new())
            .metric_valid_numeric(LossMetric::new())
            .metric_train_numeric(LearningRateMetric::new())
    };
    let (model, plan) = train(config, options, &mut start, loaders, batches_per_epoch, task, model, metrics)?;
    let policy = model.policy.valid().merge_lora();
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
