//! Pretraining's part of the training loop: next-token batches, and the book's greedy
//! sample after each epoch.

use std::path::PathBuf;

use burn::tensor::Tensor;
use burn::train::SequenceOutput;
use llm_data::Tokenizer;
use llm_data::dataset::LmBatch;
use llm_model::generation::{GenerateOptions, generate, strip_stop};

use llm_model::ModelConfig;

use crate::CausalLm;
use crate::error::TrainError;
use crate::metrics_csv::append_line;
use crate::train_task::TrainTask;

pub struct LmTask {
    pub tokenizer: Tokenizer,
    pub sample_prompt: String,
    pub sample_tokens: usize,
    /// Where each epoch's sample is appended.
    pub samples_path: PathBuf,
}

impl TrainTask for LmTask {
    type Batch = LmBatch;
    type Model = CausalLm;

    fn batch_tokens(batch: &LmBatch) -> usize {
        batch.inputs.dims().iter().product()
    }

    fn train_loss(output: &SequenceOutput) -> Tensor<1> {
        output.loss.clone()
    }

    fn valid_loss(output: &SequenceOutput) -> Tensor<1> {
        output.loss.clone()
    }

    /// Greedy continuation of the sample prompt, appended to `samples.txt`.
    fn end_of_epoch(&self, model: &CausalLm, epoch: usize, _step: usize) -> Result<Option<String>, TrainError> {
        let prompt = self.tokenizer.encode(&self.sample_prompt);
        if prompt.is_empty() || self.sample_tokens == 0 {
            return Ok(None);
        }
        let options = GenerateOptions {
            max_new_tokens: self.sample_tokens,
            stop_tokens: self.tokenizer.end_of_text().into_iter().collect(),
            ..Default::default()
        };
        let ids = strip_stop(generate(&model.model, &prompt, &options, |_| {}), &options.stop_tokens);
        let text = format!("{}{}", self.sample_prompt, self.tokenizer.decode(&ids));
        let line = format!("epoch {epoch}: {}", text.replace('\n', " "));
        append_line(&self.samples_path, &line)?;
        Ok(Some(line))
    }

    fn model_config(model: &CausalLm) -> ModelConfig {
        model.model.config()
    }

    fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }
}
