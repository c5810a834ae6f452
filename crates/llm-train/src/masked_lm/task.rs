use std::path::PathBuf;

use burn::tensor::Tensor;
use burn::train::SequenceOutput;
use llm_data::Tokenizer;
use llm_data::dataset::LmBatch;
use llm_model::ModelConfig;

use super::MaskedLm;
use crate::error::TrainError;
use crate::metrics_csv::append_line;
use crate::run_network::RunNetwork;
use crate::train_task::TrainTask;

/// Masked-LM pretraining's part of the training loop: after each epoch, the model's three
/// best words for the `[MASK]` of the sample prompt (one is appended when it has none),
/// appended to `samples.txt`.
pub struct MaskedLmTask {
    pub tokenizer: Tokenizer,
    pub mask_id: u32,
    pub sample_prompt: String,
    pub samples_path: PathBuf,
}

impl MaskedLmTask {
    /// The sample prompt with a `[MASK]`.
    fn masked_prompt(&self) -> String {
        match self.sample_prompt.contains("[MASK]") {
            true => self.sample_prompt.clone(),
            false => format!("{} [MASK]", self.sample_prompt),
        }
    }
}

impl TrainTask for MaskedLmTask {
    type Batch = LmBatch;
    type Model = MaskedLm;

    fn batch_tokens(batch: &LmBatch) -> usize {
        batch.inputs.dims().iter().product()
    }

    fn train_loss(output: &SequenceOutput) -> Tensor<1> {
        output.loss.clone()
    }

    fn valid_loss(output: &SequenceOutput) -> Tensor<1> {
        output.loss.clone()
    }

    fn end_of_epoch(&self, model: &MaskedLm, epoch: usize, _step: usize) -> Result<Option<String>, TrainError> {
        let prompt = self.masked_prompt();
        let ids = self.tokenizer.encode_for_model(&prompt);
        let limit = RunNetwork::context_length(&model.bert);
        if ids.len() > limit {
            return Ok(None);
        }
        let predictions = model.bert.fill_mask(&ids, self.mask_id, 3)?;
        let words: Vec<String> = predictions
            .iter()
            .flat_map(|p| &p.candidates)
            .map(|c| format!("{} ({:.3})", self.tokenizer.id_to_token(c.id).unwrap_or_default(), c.probability))
            .collect();
        let line = format!("epoch {epoch}: {prompt} → {}", words.join(", "));
        append_line(&self.samples_path, &line)?;
        Ok(Some(line))
    }

    fn model_config(model: &MaskedLm) -> ModelConfig {
        RunNetwork::config(&model.bert)
    }

    fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }
}
