use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use burn::module::Module;
use burn::train::Learner;
use llm_data::instruction::InstructionBatcher;
use llm_model::weights::write_atomically;
use serde::Serialize;

use super::{generate_responses, load_instruct_data};
use crate::dashboard_metrics::lm_metrics;
use crate::error::TrainError;
use crate::lm_task::LmTask;
use crate::lr_scheduler::ScheduleLr;
use crate::run_loaders::RunLoaders;
use crate::run_setup::{adamw, data_file, init_from, initial_model, loop_plan, save_model_and_plot, start_run};
use crate::train_loop::{TrainLoop, supervised_training};
use crate::{CausalLm, ExperimentConfig, PretrainOptions};

/// What a finished instruction fine-tuning run reports.
#[derive(Debug, Clone, Serialize)]
pub struct InstructSummary {
    pub steps: usize,
    pub train_loss: f64,
    pub val_loss: Option<f64>,
    pub train_records: usize,
    pub validation_records: usize,
    pub test_records: usize,
    pub wall_s: f64,
    pub model_dir: PathBuf,
    /// `test-responses.json`, when the test records were answered.
    pub responses: Option<PathBuf>,
}

/// Instruction fine-tuning as chapter 7 of the book: the pretraining loop on formatted,
/// collated records (the greedy sample after each epoch answers the first validation
/// record), then `model/` and, unless turned off, `test-responses.json`: every test record
/// with the model's `model_response`.
pub fn finetune_instruct(config: &ExperimentConfig, options: &PretrainOptions) -> Result<InstructSummary, TrainError> {
    let started = Instant::now();
    let section = config.instruct.clone().ok_or_else(|| {
        TrainError::Invalid("instruction fine-tuning needs an [instruct] section in the config (see experiments/alpaca-offline.toml)".into())
    })?;
    let out = &options.out;
    let (checkpoint, ad) = start_run(config, options)?;
    let device = options.device.clone();
    let (gpt, tokenizer) = match &checkpoint {
        Some(c) => (c.load_model(&ad)?, c.tokenizer()?),
        None => initial_model(config, init_from(config, options).as_deref(), &ad, None)?,
    };
    let file = data_file(config, options)?;
    let data = load_instruct_data(&section, &file, &tokenizer, gpt.config().context_length)?;
    let batch_size = config.data.batch_size;
    let batches_per_epoch = data.train.items.len() / batch_size;
    if batches_per_epoch == 0 {
        return Err(TrainError::Invalid(format!(
            "{}: {} training records, fewer than one batch of {batch_size}",
            file.display(),
            data.train.items.len()
        )));
    }
    tracing::info!(
        train = data.train_records.len(),
        validation = data.validation_records.len(),
        test = data.test_records.len(),
        allowed_max_length = data.allowed_max_length,
        "instruction fine-tuning"
    );
    let batcher = InstructionBatcher {
        pad_token_id: section.pad_token_id,
        allowed_max_length: Some(data.allowed_max_length),
        mask_prompt: section.mask_prompt,
    };
    let loaders = RunLoaders::new(data.train.clone(), data.validation.clone(), batcher, config, &ad, &device, None);
    let (plan, schedule) = loop_plan(config, options, &ad, checkpoint, batches_per_epoch, &loaders)?;
    let plan = Arc::new(plan);
    let task = Arc::new(LmTask {
        tokenizer: tokenizer.clone(),
        sample_prompt: section.template.prompt(&data.validation_records[0]),
        sample_tokens: config.run.sample_tokens,
        samples_path: out.join("samples.txt"),
    });
    let result = lm_metrics(supervised_training(out, loaders.train, loaders.valid, TrainLoop { plan: plan.clone(), task }))
        .num_epochs(config.run.epochs)
        .launch(Learner::new(CausalLm::new(gpt), adamw(config), ScheduleLr::new(schedule)));
    let gpt = plan.outcome(result)?.gpt.valid();
    let model_dir = save_model_and_plot(out, &gpt, &tokenizer)?;
    let responses = if section.test_responses && !data.test_records.is_empty() {
        let answered = generate_responses(&gpt, &tokenizer, section.template, &data.test_records, section.max_new_tokens);
        let path = out.join("test-responses.json");
        let json = serde_json::to_string_pretty(&answered).expect("records serialise");
        write_atomically(&path, json.as_bytes())?;
        Some(path)
    } else {
        None
    };
    let (last, val_loss) = plan.last_step()?;
    Ok(InstructSummary {
        steps: last.step,
        train_loss: last.train_loss,
        val_loss,
        train_records: data.train_records.len(),
        validation_records: data.validation_records.len(),
        test_records: data.test_records.len(),
        wall_s: started.elapsed().as_secs_f64(),
        model_dir,
        responses,
    })
}
