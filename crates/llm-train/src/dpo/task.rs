use std::path::PathBuf;
use std::sync::Arc;

use burn::data::dataloader::DataLoader;
use burn::tensor::Tensor;
use burn::train::{InferenceStep, RegressionOutput};
use llm_data::Tokenizer;
use llm_data::instruction::PreferenceBatch;

use super::DpoObjective;
use llm_model::ModelConfig;

use crate::error::TrainError;
use crate::metrics_csv::append_csv_row;
use crate::train_task::TrainTask;

/// DPO's part of the training loop: at every evaluation the loss and the mean chosen and
/// rejected rewards (and their margin) on `eval_batches` batches of the training and
/// validation pairs, appended to `dpo.csv`, as the book's `evaluate_dpo_loss_loader`.
pub struct DpoTask {
    pub tokenizer: Tokenizer,
    pub train_eval: Arc<dyn DataLoader<PreferenceBatch>>,
    pub val_eval: Arc<dyn DataLoader<PreferenceBatch>>,
    pub eval_batches: usize,
    pub csv_path: PathBuf,
}

/// Means over some batches: loss, chosen reward, rejected reward.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DpoEval {
    pub loss: f64,
    pub chosen_reward: f64,
    pub rejected_reward: f64,
}

impl DpoEval {
    pub fn margin(&self) -> f64 {
        self.chosen_reward - self.rejected_reward
    }
}

fn evaluate(model: &DpoObjective, loader: &dyn DataLoader<PreferenceBatch>, batches: usize) -> Option<DpoEval> {
    let (mut loss, mut chosen, mut rejected, mut n) = (0.0, 0.0, 0.0, 0usize);
    for batch in loader.iter().take(batches) {
        let out: RegressionOutput = InferenceStep::step(model, batch.ok()?);
        let rewards: Vec<f64> = out.output.mean_dim(0).into_data().iter::<f64>().collect();
        loss += out.loss.into_scalar::<f64>();
        chosen += rewards[0];
        rejected += rewards[1];
        n += 1;
    }
    let n = n as f64;
    (n > 0.0).then(|| DpoEval { loss: loss / n, chosen_reward: chosen / n, rejected_reward: rejected / n })
}

impl TrainTask for DpoTask {
    type Batch = PreferenceBatch;
    type Model = DpoObjective;

    fn batch_tokens(batch: &PreferenceBatch) -> usize {
        2 * batch.chosen.dims().iter().product::<usize>()
    }

    fn train_loss(output: &RegressionOutput) -> Tensor<1> {
        output.loss.clone()
    }

    fn valid_loss(output: &RegressionOutput) -> Tensor<1> {
        output.loss.clone()
    }

    fn on_evaluation(&self, model: &DpoObjective, epoch: usize, step: usize) -> Result<Option<String>, TrainError> {
        let (Some(train), Some(val)) = (
            evaluate(model, self.train_eval.as_ref(), self.eval_batches),
            evaluate(model, self.val_eval.as_ref(), self.eval_batches),
        ) else {
            return Ok(None);
        };
        append_csv_row(
            &self.csv_path,
            "step,epoch,train_loss,val_loss,train_chosen_reward,train_rejected_reward,train_margin,val_chosen_reward,val_rejected_reward,val_margin",
            &format!(
                "{step},{epoch},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6}",
                train.loss,
                val.loss,
                train.chosen_reward,
                train.rejected_reward,
                train.margin(),
                val.chosen_reward,
                val.rejected_reward,
                val.margin()
            ),
        )?;
        Ok(Some(format!("  reward margins: train {:.3}, val {:.3}", train.margin(), val.margin())))
    }

    fn end_of_epoch(&self, _model: &DpoObjective, _epoch: usize, _step: usize) -> Result<Option<String>, TrainError> {
        Ok(None)
    }

    fn model_config(model: &DpoObjective) -> ModelConfig {
        model.policy.config()
    }

    fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }
}
