use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use burn::data::dataloader::DataLoader;
use burn::data::dataset::Dataset;
use burn::module::Module;
use burn::train::SupervisedTraining;
use burn::train::metric::{AccuracyMetric, LearningRateMetric, LossMetric};
use llm_data::classification::{ClassBatch, ClassBatcher, EncodedTexts, TextEncoding};
use llm_model::ClassifierBody;
use llm_data::dataset::{LoaderOptions, lm_loader};
use llm_model::lora::trainable_params;
use llm_model::weights::{ClassifierMeta, save_classifier_dir, write_atomically};
use serde::Serialize;

use super::{ClassifierState, ClassifyTask, SequenceClassifier, accuracy, build_classifier, load_class_data};
use crate::config::Trainable;
use crate::error::TrainError;
use crate::run_dir::plot_run;
use crate::run_loaders::RunLoaders;
use crate::run_setup::{RunStart, check_pad_token, train};
use crate::{ExperimentConfig, PretrainOptions};

/// What a finished classification run reports (also written to `metrics.json`).
#[derive(Debug, Clone, Serialize)]
pub struct ClassifySummary {
    pub train_accuracy: f64,
    pub val_accuracy: f64,
    pub test_accuracy: f64,
    pub trainable_params: usize,
    pub total_params: usize,
    pub steps: usize,
    pub train_examples: usize,
    pub val_examples: usize,
    pub test_examples: usize,
    pub max_length: usize,
    pub wall_s: f64,
    pub model_dir: PathBuf,
}

/// Fine-tunes a classifier as chapter 6 (and, with `trainable = "lora"`, appendix E) of the
/// book does, writing into `options.out`: `config.toml`, `metrics.csv`, `accuracy.csv`,
/// `checkpoints/`, `loss.png`, `metrics.json` (accuracy on the three splits, parameter
/// counts) and `model/`, a classifier directory `llm classify` reads.
pub fn finetune_classify(config: &ExperimentConfig, options: &PretrainOptions) -> Result<ClassifySummary, TrainError> {
    let started = Instant::now();
    let section = config.classify.as_ref().ok_or_else(|| {
        TrainError::Invalid("classification needs a [classify] section in the config (see experiments/spam-offline.toml)".into())
    })?;
    let out = &options.out;
    let (mut start, body) = RunStart::new::<ClassifierBody>(config, options, None)?;
    check_pad_token(section.pad_token_id, body.vocab_size(), body.model_type(), "classify.pad_token_id")?;
    let encoding = if body.reads_special_tokens() { TextEncoding::ForModel } else { TextEncoding::Plain };
    let data = load_class_data(section, &start.data_file, &start.tokenizer, encoding, start.context, config.seed)?;
    let state = ClassifierState {
        labels: data.labels.names.clone(),
        pooling: section.pooling,
        trainable: section.trainable,
        lora: config.lora.filter(|_| section.trainable == Trainable::Lora),
        max_length: data.train.max_len(),
        pad_token_id: section.pad_token_id,
    };
    if let Some(saved) = start.checkpoint.as_ref().and_then(|c| c.state.recipe.clone()) {
        let saved: ClassifierState = serde_json::from_value(saved)
            .map_err(|e| TrainError::Invalid(format!("{}: not a classifier's checkpoint: {e}", out.display())))?;
        if saved != state {
            return Err(TrainError::Invalid(format!(
                "{}: the checkpoint's classifier ({saved:?}) differs from what the config and data give ({state:?})",
                out.display()
            )));
        }
    }
    let model = start.resume(SequenceClassifier { classifier: build_classifier(body, &state, &start.ad)? })?;
    let trainable = trainable_params(&model);
    let total = model.num_params();
    tracing::info!(
        train = data.train.len(),
        validation = data.validation.len(),
        test = data.test.len(),
        max_length = state.max_length,
        classes = state.labels.len(),
        trainable,
        total,
        "classification fine-tuning"
    );

    let batch_size = config.data.batch_size;
    let batches_per_epoch = start.batches_per_epoch(config, data.train.len(), "texts")?;
    let loaders = RunLoaders::new(data.train.clone(), data.validation.clone(), ClassBatcher, config, &start.ad, &start.device, None);
    let task = ClassifyTask {
        tokenizer: start.tokenizer.clone(),
        state: state.clone(),
        train_eval: loaders.train_eval.clone(),
        val_eval: loaders.val_eval.clone(),
        eval_batches: config.run.eval_batches,
        accuracy_path: out.join("accuracy.csv"),
    };
    let metrics = |training: SupervisedTraining<SequenceClassifier>| {
        training
            .metric_train_numeric(LossMetric::new())
            .metric_valid_numeric(LossMetric::new())
            .metric_train_numeric(AccuracyMetric::new())
            .metric_valid_numeric(AccuracyMetric::new())
            .metric_train_numeric(LearningRateMetric::new())
    };
    let (model, plan) = train(config, options, &mut start, loaders, batches_per_epoch, task, model, metrics)?;
    let model = model.valid();

    // The book's final figures: accuracy over the whole of each split.
    let whole = LoaderOptions { batch_size, shuffle_seed: None, drop_last: false };
    let full = |texts: &EncodedTexts| {
        let batches: Arc<dyn DataLoader<ClassBatch>> = lm_loader(texts.clone(), ClassBatcher, &whole, &start.device);
        accuracy(&model, batches.as_ref(), None).unwrap_or(f64::NAN)
    };
    let model_dir = out.join("model");
    let meta = ClassifierMeta {
        labels: state.labels.clone(),
        pooling: state.pooling,
        max_length: state.max_length,
        pad_token_id: state.pad_token_id,
        lora: state.lora,
    };
    save_classifier_dir(&model.classifier, &meta, &model_dir, section.merge_lora)?;
    start.tokenizer.save_to_dir(&model_dir)?;
    plot_run(out)?;
    let steps = plan.csv.lock().expect("csv lock").last.as_ref().map_or(0, |r| r.step);
    let summary = ClassifySummary {
        train_accuracy: full(&data.train),
        val_accuracy: full(&data.validation),
        test_accuracy: full(&data.test),
        trainable_params: trainable,
        total_params: total,
        steps,
        train_examples: data.train.len(),
        val_examples: data.validation.len(),
        test_examples: data.test.len(),
        max_length: state.max_length,
        wall_s: started.elapsed().as_secs_f64(),
        model_dir,
    };
    let json = serde_json::to_string_pretty(&summary).expect("summary serialises");
    write_atomically(&out.join("metrics.json"), json.as_bytes())?;
    Ok(summary)
}
