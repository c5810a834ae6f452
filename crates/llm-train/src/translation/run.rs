use std::path::Path;
use std::time::Instant;

use burn::data::dataset::Dataset;
use burn::module::Module;
use llm_data::Tokenizer;
use llm_data::tokenizer::TranslationTokenizer;
use llm_data::translation::{EncodedPairs, PairBatcher, SentencePair, read_sentence_pairs};
use llm_model::marian::Marian;
use llm_model::weights::write_atomically;
use serde::Serialize;

use super::{Seq2SeqLm, TranslationTask, corpus_bleu, corpus_chrf};
use crate::dashboard_metrics::lm_metrics;
use crate::error::TrainError;
use crate::run_dir::save_model_and_plot;
use crate::run_loaders::RunLoaders;
use crate::run_setup::{RunStart, train};
use crate::{ExperimentConfig, PretrainOptions, PretrainSummary};

/// Source sentences translated after each epoch.
const SAMPLES: usize = 3;

/// The held-out figures a translation run ends with (`scores.json`).
#[derive(Debug, Clone, Serialize)]
pub struct HeldOutScores {
    pub sentences: usize,
    /// sacrebleu's corpus BLEU (13a tokenization, exponential smoothing).
    pub bleu: f64,
    /// sacrebleu's chrF (character 6-grams, β = 2).
    pub chrf: f64,
    /// Translations equal to their reference.
    pub exact: usize,
}

/// Trains a Marian encoder–decoder on sentence pairs (a TSV file, `source<TAB>target` a
/// line), writing into `options.out` what [`crate::pretrain()`] writes (`samples.txt` holds
/// each epoch's translations of the first held-out sources) and, at the end,
/// `translations.tsv` (every held-out source, reference and greedy translation) and
/// `scores.json` (BLEU and chrF of those translations, as sacrebleu computes them).
///
/// The first `data.train_ratio` of the pairs train; the rest are held out: the validation
/// loss is theirs, and so are the final scores (nothing is selected on them).
pub fn train_translation(config: &ExperimentConfig, options: &PretrainOptions) -> Result<PretrainSummary, TrainError> {
    let started = Instant::now();
    let (mut start, marian) = RunStart::new::<Marian>(config, options, None)?;
    let translation_tokenizer = translation_tokenizer(&start.tokenizer, &marian)?;
    let model = start.resume(Seq2SeqLm { marian })?;

    let file = start.data_file.clone();
    let pairs = read_sentence_pairs(&file)?;
    let cut = (config.data.train_ratio * pairs.len() as f64) as usize;
    let (train_pairs, held_out) = pairs.split_at(cut);
    if held_out.is_empty() {
        return Err(TrainError::Invalid(format!(
            "{}: {} pairs with data.train_ratio = {} leave none held out",
            file.display(),
            pairs.len(),
            config.data.train_ratio
        )));
    }
    let context = start.context;
    let train_ds = EncodedPairs::new(train_pairs, &translation_tokenizer, context);
    let val_ds = EncodedPairs::new(held_out, &translation_tokenizer, context);
    tracing::info!(
        train = train_ds.len(),
        held_out = val_ds.len(),
        cut_to_context = train_ds.truncated() + val_ds.truncated(),
        context,
        "translation training"
    );
    let batches_per_epoch = start.batches_per_epoch(config, train_ds.len(), "sentence pairs")?;
    let batcher = PairBatcher { pad_id: model.marian.config().pad_token_id };
    let loaders = RunLoaders::new(train_ds, val_ds, batcher, config, &start.ad, &start.device, None);
    let task = TranslationTask {
        tokenizer: start.tokenizer.clone(),
        translation_tokenizer,
        samples: held_out.iter().take(SAMPLES).cloned().collect(),
        max_new_tokens: context,
        samples_path: options.out.join("samples.txt"),
    };
    let scorer = task.clone();
    let (model, plan) = train(config, options, &mut start, loaders, batches_per_epoch, task, model, lm_metrics)?;
    let model = model.valid();

    let scores = score_held_out(&scorer, &model, held_out, &options.out)?;
    tracing::info!(bleu = scores.bleu, chrf = scores.chrf, sentences = scores.sentences, "held-out translations");
    let model_dir = save_model_and_plot(&options.out, &model.marian, &start.tokenizer)?;
    PretrainSummary::of(&plan, started, model_dir, vec![("bleu", scores.bleu), ("chrf", scores.chrf)])
}

/// The run's tokenizer as the translation tokenizer of `model`: a `tokenizer.json` whose
/// `</s>` and `<pad>` are the model's end-of-sequence and padding ids (`</s>` is appended
/// to every sentence, as Marian's tokenizer does).
fn translation_tokenizer(tokenizer: &Tokenizer, model: &Marian) -> Result<TranslationTokenizer, TrainError> {
    let config = model.config();
    if matches!(tokenizer, Tokenizer::Gpt2) {
        return Err(TrainError::Invalid(
            "a translation run needs its own tokenizer with </s> and <pad>: set data.tokenizer = \"unigram\" (trained on the pairs) or a tokenizer.json; a Marian directory given to start from must hold a tokenizer.json".into(),
        ));
    }
    for (token, field, id) in [("</s>", "eos_token_id", config.eos_token_id), ("<pad>", "pad_token_id", config.pad_token_id)] {
        if tokenizer.token_id(token) != Some(id) {
            return Err(TrainError::Invalid(format!(
                "the tokenizer's {token} is {:?}, the model's {field} is {id}: set model.{field} to the tokenizer's id",
                tokenizer.token_id(token)
            )));
        }
    }
    Ok(TranslationTokenizer::Json { tokenizer: tokenizer.clone(), eos: config.eos_token_id })
}

/// Greedy translations of every held-out source, `out/translations.tsv`, and their scores in
/// `out/scores.json`.
fn score_held_out(task: &TranslationTask, model: &Seq2SeqLm, held_out: &[SentencePair], out: &Path) -> Result<HeldOutScores, TrainError> {
    let mut hypotheses = Vec::with_capacity(held_out.len());
    let mut tsv = String::from("source\treference\ttranslation\n");
    for (i, pair) in held_out.iter().enumerate() {
        let hypothesis = task.translate(model, &pair.source);
        tsv.push_str(&format!("{}\t{}\t{}\n", pair.source, pair.target, hypothesis.replace(['\t', '\n'], " ")));
        hypotheses.push(hypothesis);
        if (i + 1) % 200 == 0 {
            tracing::info!(done = i + 1, of = held_out.len(), "translating the held-out sources");
        }
    }
    let references: Vec<&str> = held_out.iter().map(|p| p.target.as_str()).collect();
    let scores = HeldOutScores {
        sentences: held_out.len(),
        bleu: corpus_bleu(&hypotheses, &references),
        chrf: corpus_chrf(&hypotheses, &references),
        exact: hypotheses.iter().zip(&references).filter(|(h, r)| h.as_str() == **r).count(),
    };
    write_atomically(&out.join("translations.tsv"), tsv.as_bytes())?;
    let json = serde_json::to_string_pretty(&scores).expect("scores serialise");
    write_atomically(&out.join("scores.json"), json.as_bytes())?;
    Ok(scores)
}
