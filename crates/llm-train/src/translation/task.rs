use std::path::PathBuf;

use burn::tensor::Tensor;
use burn::train::SequenceOutput;
use llm_data::Tokenizer;
use llm_data::tokenizer::TranslationTokenizer;
use llm_data::translation::{PairBatch, SentencePair};
use llm_model::ModelConfig;
use llm_model::marian::translate::{TranslateOptions, translate};

use super::Seq2SeqLm;
use crate::error::TrainError;
use crate::metrics_csv::append_line;
use crate::run_network::RunNetwork;
use crate::train_task::TrainTask;

/// Translation training's part of the loop: after each epoch, greedy translations of the
/// first held-out sources, appended to `samples.txt`.
#[derive(Clone)]
pub struct TranslationTask {
    /// The run's tokenizer as a checkpoint keeps it.
    pub tokenizer: Tokenizer,
    pub translation_tokenizer: TranslationTokenizer,
    /// Held-out pairs whose sources are translated after each epoch.
    pub samples: Vec<SentencePair>,
    pub max_new_tokens: usize,
    pub samples_path: PathBuf,
}

impl TranslationTask {
    /// The greedy translation of `source`.
    pub fn translate(&self, model: &Seq2SeqLm, source: &str) -> String {
        let ids = self.translation_tokenizer.encode_source(source);
        let options = TranslateOptions::for_model(&model.marian, self.max_new_tokens);
        self.translation_tokenizer.decode(&translate(&model.marian, &ids, &options).ids)
    }
}

impl TrainTask for TranslationTask {
    type Batch = PairBatch;
    type Model = Seq2SeqLm;

    fn batch_tokens(batch: &PairBatch) -> usize {
        batch.source.dims().iter().product::<usize>() + batch.labels.dims().iter().product::<usize>()
    }

    fn train_loss(output: &SequenceOutput) -> Tensor<1> {
        output.loss.clone()
    }

    fn valid_loss(output: &SequenceOutput) -> Tensor<1> {
        output.loss.clone()
    }

    fn end_of_epoch(&self, model: &Seq2SeqLm, epoch: usize, _step: usize) -> Result<Option<String>, TrainError> {
        let mut lines = Vec::new();
        for pair in &self.samples {
            let line = format!("epoch {epoch}: {} → {} (reference: {})", pair.source, self.translate(model, &pair.source), pair.target);
            append_line(&self.samples_path, &line)?;
            lines.push(line);
        }
        Ok((!lines.is_empty()).then(|| lines.join("\n")))
    }

    fn model_config(model: &Seq2SeqLm) -> ModelConfig {
        RunNetwork::config(&model.marian)
    }

    fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }
}
