use std::time::Instant;

use burn::data::dataset::Dataset;
use llm_data::Tokenizer;
use llm_data::corpus::read_text_file;
use llm_data::dataset::{MaskedLmBatcher, MaskedWindows, MaskingConfig, split_train_val};
use llm_model::{Bert, BertArchitecture};

use super::{MaskedLm, MaskedLmTask};
use crate::dashboard_metrics::lm_metrics;
use crate::error::TrainError;
use crate::run_dir::save_model_and_plot;
use crate::run_loaders::RunLoaders;
use crate::run_setup::{RunStart, train};
use crate::{ExperimentConfig, PretrainOptions, PretrainSummary};

/// Pretrains a BERT encoder by masked-word prediction on raw text, writing into
/// `options.out` what [`crate::pretrain()`] writes (`config.toml`, `metrics.csv`,
/// `samples.txt` with the sample prompt's best words each epoch, `checkpoints/`,
/// `loss.png`, and `model/`, a `BertForMaskedLM` directory with its tokenizer).
///
/// The text is split 90/10 by characters as the book's pretraining does; each split is cut
/// into windows of the run's context (`[CLS]` and `[SEP]` included); training windows are
/// masked afresh each epoch, validation windows once (with the next seed).
pub fn pretrain_masked_lm(config: &ExperimentConfig, options: &PretrainOptions) -> Result<PretrainSummary, TrainError> {
    let started = Instant::now();
    let (mut start, bert) = RunStart::new::<Bert>(config, options, None)?;
    if bert.architecture() != BertArchitecture::MaskedLm {
        return Err(TrainError::Invalid(format!(
            "masked-LM pretraining needs a BertForMaskedLM; the model to start from is a {}",
            bert.architecture().class_name()
        )));
    }
    let model = start.resume(MaskedLm { bert })?;
    let tokenizer = start.tokenizer.clone();
    let [cls, sep, mask] = special_ids(&tokenizer)?;
    let pad = tokenizer.token_id("[PAD]");
    let masking = MaskingConfig::bert(mask, tokenizer.vocab_size() as u32, [Some(cls), Some(sep), pad].into_iter().flatten().collect());

    let file = start.data_file.clone();
    let text = read_text_file(&file)?;
    let (train_text, val_text) = split_train_val(&text, config.data.train_ratio);
    let context = start.context;
    let windows = |text: &str, seed: u64, name: &str| -> Result<MaskedWindows, TrainError> {
        let windows = MaskedWindows::new(&tokenizer.encode(text), context, cls, sep, masking.clone(), seed)?;
        match windows.len() {
            0 => Err(TrainError::Invalid(format!("{}: the {name} split is shorter than one window of {context} tokens", file.display()))),
            _ => Ok(windows),
        }
    };
    let train_ds = windows(train_text, config.seed, "training")?;
    let val_ds = windows(val_text, config.seed.wrapping_add(1), "validation")?;
    tracing::info!(context, train_windows = train_ds.len(), validation_windows = val_ds.len(), "masked-LM pretraining");
    let batches_per_epoch = start.batches_per_epoch(config, train_ds.len(), &format!("windows of {context} tokens"))?;
    let masks_per_epoch = train_ds.clone();
    let loaders = RunLoaders::new(train_ds, val_ds, MaskedLmBatcher, config, &start.ad, &start.device, None);
    masks_per_epoch.follow(&loaders.train_order);
    let task = MaskedLmTask {
        tokenizer: tokenizer.clone(),
        mask_id: mask,
        sample_prompt: config.run.sample_prompt.clone(),
        samples_path: options.out.join("samples.txt"),
    };
    let (model, plan) = train(config, options, &mut start, loaders, batches_per_epoch, task, model, lm_metrics)?;

    let model_dir = save_model_and_plot(&options.out, &model.bert, &tokenizer)?;
    PretrainSummary::of(&plan, started, model_dir, Vec::new())
}

/// The ids of `[CLS]`, `[SEP]` and `[MASK]`, which masked-LM examples need.
fn special_ids(tokenizer: &Tokenizer) -> Result<[u32; 3], TrainError> {
    let id = |token: &str| {
        tokenizer.token_id(token).ok_or_else(|| {
            TrainError::Invalid(format!(
                "the run's tokenizer has no {token} token: masked-LM pretraining needs BERT's [CLS], [SEP] and [MASK] (set data.tokenizer = \"wordpiece\", or start from a BERT directory)"
            ))
        })
    };
    Ok([id("[CLS]")?, id("[SEP]")?, id("[MASK]")?])
}
