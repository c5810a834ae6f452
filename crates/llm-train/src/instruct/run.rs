use std::path::PathBuf;
use std::time::Instant;

use burn::module::Module;
use llm_data::instruction::InstructionBatcher;
use llm_model::weights::write_atomically;
use llm_model::{CausalModel, LanguageModel};
use serde::Serialize;

use super::{generate_responses, load_instruct_data};
use crate::dashboard_metrics::lm_metrics;
use crate::error::TrainError;
use crate::lm_task::LmTask;
use crate::run_dir::save_model_and_plot;
use crate::run_loaders::RunLoaders;
use crate::run_setup::{RunStart, check_pad_token, train};
use crate::trainable::trainable_language_model;
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
    let (mut start, model) = RunStart::new::<LanguageModel>(config, options, None)?;
    check_pad_token(section.pad_token_id, model.vocab_size(), model.family().model_type(), "instruct.pad_token_id")?;
    let model = trainable_language_model(model, section.trainable, config.lora.as_ref(), &start.ad)?;
    let model = start.resume(CausalLm::new(model))?;
    let tokenizer = start.tokenizer.clone();
    let data = load_instruct_data(&section, &start.data_file, &tokenizer, start.context)?;
    let batches_per_epoch = start.batches_per_epoch(config, data.train.items.len(), "records")?;
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
    let loaders = RunLoaders::new(data.train.clone(), data.validation.clone(), batcher, config, &start.ad, &start.device, None);
    let task = LmTask {
        tokenizer: tokenizer.clone(),
        sample_prompt: section.template.prompt(&data.validation_records[0]),
        sample_tokens: config.run.sample_tokens,
        samples_path: out.join("samples.txt"),
    };
    let (model, plan) = train(config, options, &mut start, loaders, batches_per_epoch, task, model, lm_metrics)?;
    let trained = model.model.valid().merge_lora();
    let model_dir = save_model_and_plot(out, &trained, &tokenizer)?;
    let responses = if section.test_responses && !data.test_records.is_empty() {
        let answered = generate_responses(&trained, &tokenizer, section.template, &data.test_records, section.max_new_tokens);
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
