use std::path::PathBuf;
use std::sync::Arc;

use burn::data::dataloader::DataLoader;
use burn::tensor::Tensor;
use burn::train::ClassificationOutput;
use llm_data::Tokenizer;
use llm_data::classification::ClassBatch;

use super::{ClassifierState, SequenceClassifier, accuracy};
use llm_model::ModelConfig;

use crate::error::TrainError;
use crate::metrics_csv::append_csv_row;
use crate::train_task::TrainTask;

/// Classification's part of the training loop: after each epoch the book's accuracy on
/// `eval_batches` batches of the training and validation splits, appended to
/// `accuracy.csv` (`epoch,step,train_accuracy,val_accuracy`).
pub struct ClassifyTask {
    pub tokenizer: Tokenizer,
    pub state: ClassifierState,
    pub train_eval: Arc<dyn DataLoader<ClassBatch>>,
    pub val_eval: Arc<dyn DataLoader<ClassBatch>>,
    pub eval_batches: usize,
    pub accuracy_path: PathBuf,
}

impl TrainTask for ClassifyTask {
    type Batch = ClassBatch;
    type Model = SequenceClassifier;

    fn batch_tokens(batch: &ClassBatch) -> usize {
        batch.inputs.dims().iter().product()
    }

    fn train_loss(output: &ClassificationOutput) -> Tensor<1> {
        output.loss.clone()
    }

    fn valid_loss(output: &ClassificationOutput) -> Tensor<1> {
        output.loss.clone()
    }

    fn end_of_epoch(&self, model: &SequenceClassifier, epoch: usize, step: usize) -> Result<Option<String>, TrainError> {
        let n = Some(self.eval_batches);
        let train = accuracy(model, self.train_eval.as_ref(), n).unwrap_or(f64::NAN);
        let val = accuracy(model, self.val_eval.as_ref(), n).unwrap_or(f64::NAN);
        append_csv_row(
            &self.accuracy_path,
            "epoch,step,train_accuracy,val_accuracy",
            &format!("{epoch},{step},{train:.6},{val:.6}"),
        )?;
        Ok(Some(format!(
            "epoch {epoch}: training accuracy {:.2}% | validation accuracy {:.2}%",
            train * 100.0,
            val * 100.0
        )))
    }

    fn model_config(model: &SequenceClassifier) -> ModelConfig {
        model.classifier.body.config()
    }

    fn recipe_state(&self) -> Option<serde_json::Value> {
        Some(serde_json::to_value(&self.state).expect("the classifier's state serializes"))
    }

    fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }
}
