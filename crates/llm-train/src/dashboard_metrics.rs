//! Cheap language-model metrics for Burn's dashboard, read from the step's loss and batch
//! shape (Burn's own `PerplexityMetric` recomputes a softmax over the logits, which halved
//! training throughput here).

use std::sync::Arc;
use std::time::Instant;

use burn::tensor::{Tensor, TensorReadError};
use burn::train::metric::{LearningRateMetric, LossMetric};
use burn::train::{InferenceStep, LearnerModel, SequenceOutput, SupervisedTraining, TrainStep};

use burn::train::metric::state::{FormatOptions, NumericMetricState};
use burn::train::metric::{
    Adaptor, Metric, MetricAttributes, MetricMetadata, MetricName, Numeric, NumericAttributes, NumericEntry,
    SerializedEntry, format_float,
};

/// The mean loss of a batch, for [`LmPerplexity`].
pub struct MeanLoss(Tensor<1>);

impl Adaptor<MeanLoss> for SequenceOutput {
    fn adapt(&self) -> MeanLoss {
        MeanLoss(self.loss.clone())
    }
}

/// Perplexity, `exp(mean loss)`: per batch, and over the epoch from the mean of its losses
/// (not the mean of per-batch perplexities).
#[derive(Clone)]
pub struct LmPerplexity {
    name: MetricName,
    current: f64,
    sum_loss: f64,
    count: usize,
}

impl Default for LmPerplexity {
    fn default() -> Self {
        Self {
            name: Arc::new("Perplexity".into()),
            current: f64::NAN,
            sum_loss: 0.0,
            count: 0,
        }
    }
}

impl LmPerplexity {
    fn running(&self) -> f64 {
        (self.sum_loss / self.count as f64).exp()
    }

    fn entry(&self, value: NumericEntry) -> SerializedEntry {
        let formatted = format!("epoch {} - batch {}", format_float(self.running(), 2), format_float(self.current, 2));
        SerializedEntry::new(formatted, value.serialize())
    }
}

impl Metric for LmPerplexity {
    type Input = MeanLoss;

    fn name(&self) -> MetricName {
        self.name.clone()
    }

    fn attributes(&self) -> MetricAttributes {
        NumericAttributes {
            unit: None,
            higher_is_better: false,
        }
        .into()
    }

    fn update(&mut self, item: &MeanLoss, _: &MetricMetadata) -> Result<SerializedEntry, TensorReadError> {
        let loss = item.0.clone().mean().try_into_scalar::<f64>()?;
        self.current = loss.exp();
        self.sum_loss += loss;
        self.count += 1;
        Ok(self.entry(self.value().expect("just updated")))
    }

    fn compute(&mut self) -> Result<SerializedEntry, TensorReadError> {
        Ok(self.entry(self.final_value()))
    }

    fn clear(&mut self) {
        *self = Self::default();
    }
}

impl Numeric for LmPerplexity {
    fn value(&self) -> Option<NumericEntry> {
        Some(NumericEntry::Value(self.current))
    }

    fn running_value(&self) -> Option<NumericEntry> {
        Some(NumericEntry::Value(self.running()))
    }

    fn final_value(&self) -> NumericEntry {
        NumericEntry::Final(self.running())
    }
}

/// The number of target tokens of a batch, for [`TokensPerSecond`].
pub struct BatchTokens(usize);

impl Adaptor<BatchTokens> for SequenceOutput {
    fn adapt(&self) -> BatchTokens {
        let [b, t] = self.targets.dims();
        BatchTokens(b * t)
    }
}

/// Training throughput: a batch's tokens over the wall-clock time since the previous batch
/// (so evaluations and checkpoints count against it, as they do against a run's length).
#[derive(Clone)]
pub struct TokensPerSecond {
    name: MetricName,
    last: Option<Instant>,
    state: NumericMetricState,
}

impl Default for TokensPerSecond {
    fn default() -> Self {
        Self {
            name: Arc::new("Throughput".into()),
            last: None,
            state: NumericMetricState::default(),
        }
    }
}

impl Metric for TokensPerSecond {
    type Input = BatchTokens;

    fn name(&self) -> MetricName {
        self.name.clone()
    }

    fn attributes(&self) -> MetricAttributes {
        NumericAttributes {
            unit: Some("tok/s".into()),
            higher_is_better: true,
        }
        .into()
    }

    fn update(&mut self, item: &BatchTokens, _: &MetricMetadata) -> Result<SerializedEntry, TensorReadError> {
        let now = Instant::now();
        let format = FormatOptions::new(self.name()).unit("tok/s").precision(0);
        let Some(last) = self.last.replace(now) else {
            return Ok(SerializedEntry::not_available(Some("tok/s")));
        };
        let seconds = now.duration_since(last).as_secs_f64().max(1e-9);
        self.state.update(item.0 as f64 / seconds, 1);
        Ok(self.state.compute_update(format))
    }

    fn compute(&mut self) -> Result<SerializedEntry, TensorReadError> {
        Ok(self.state.compute_final(FormatOptions::new(self.name()).unit("tok/s").precision(0)))
    }

    fn clear(&mut self) {
        *self = Self::default();
    }
}

impl Numeric for TokensPerSecond {
    fn value(&self) -> Option<NumericEntry> {
        (self.last.is_some() && self.state.current_value().current().is_finite()).then(|| self.state.current_value())
    }

    fn running_value(&self) -> Option<NumericEntry> {
        self.value().map(|_| self.state.running_value())
    }

    fn final_value(&self) -> NumericEntry {
        self.state.final_value()
    }
}

/// The dashboard metrics of a token-level objective (next-token or masked-LM training):
/// loss and perplexity (training and validation), learning rate, throughput.
pub fn lm_metrics<M>(training: SupervisedTraining<M>) -> SupervisedTraining<M>
where
    M: LearnerModel + TrainStep<Output = SequenceOutput> + InferenceStep<Output = SequenceOutput>,
{
    training
        .metric_train_numeric(LossMetric::new())
        .metric_valid_numeric(LossMetric::new())
        .metric_train_numeric(LmPerplexity::default())
        .metric_valid_numeric(LmPerplexity::default())
        .metric_train_numeric(LearningRateMetric::new())
        .metric_train_numeric(TokensPerSecond::default())
}
