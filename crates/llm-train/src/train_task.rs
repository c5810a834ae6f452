//! What a recipe adds to the common training loop ([`crate::train_loop`]).

use burn::tensor::Tensor;
use burn::train::{InferenceStep, LearnerModel, TrainStep};
use llm_data::Tokenizer;
use llm_model::ModelConfig;

use crate::error::TrainError;

/// A recipe's part of the loop: its model and batches, how a batch counts tokens and
/// yields its loss, what happens after each epoch and evaluation, and what a checkpoint
/// must record besides the weights to rebuild the model.
pub trait TrainTask: Send + Sync + 'static {
    type Batch: Send + Clone + std::fmt::Debug + 'static;
    type Model: LearnerModel + TrainStep<Input = Self::Batch> + InferenceStep<Input = Self::Batch> + Clone + Send;

    /// Tokens a batch feeds the model (for throughput and `tokens_seen`).
    fn batch_tokens(batch: &Self::Batch) -> usize;
    fn train_loss(output: &<Self::Model as TrainStep>::Output) -> Tensor<1>;
    fn valid_loss(output: &<Self::Model as InferenceStep>::Output) -> Tensor<1>;

    /// After each epoch, on the model in evaluation mode (the book's sample or accuracy);
    /// the returned line is printed when no dashboard owns the terminal.
    fn end_of_epoch(&self, model: &Self::Model, epoch: usize, step: usize) -> Result<Option<String>, TrainError>;

    /// At each evaluation step, after the losses, on the model in evaluation mode (DPO's
    /// rewards); the returned line is printed like the evaluation line.
    fn on_evaluation(&self, _model: &Self::Model, _epoch: usize, _step: usize) -> Result<Option<String>, TrainError> {
        Ok(None)
    }

    /// The architecture of the network inside `model`, which a checkpoint records to build
    /// it again before loading the weights.
    fn model_config(model: &Self::Model) -> ModelConfig;

    /// What else a checkpoint records to rebuild the model (a classifier's head, pooling and
    /// adapters), in the recipe's own form; nothing by default.
    fn recipe_state(&self) -> Option<serde_json::Value> {
        None
    }

    /// The run's tokenizer (a checkpoint keeps a copy unless it is GPT-2's).
    fn tokenizer(&self) -> &Tokenizer;
}
