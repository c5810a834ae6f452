use burn::module::Module;
use burn::train::{InferenceStep, TrainOutput, TrainStep};
use burn::train::SequenceOutput;
use llm_data::dataset::LmBatch;
use llm_data::instruction::IGNORE_INDEX;
use llm_model::LanguageModel;
use burn::tensor::Tensor;
use llm_model::loss::next_token_loss;

/// The language-modelling objective: next-token cross-entropy of a model of any family, over
/// the targets that are not [`IGNORE_INDEX`].
///
/// It wraps the model so that `llm-model` never depends on `burn-train`.
#[derive(Module, Debug)]
pub struct CausalLm {
    pub model: LanguageModel,
}

impl CausalLm {
    pub fn new(model: LanguageModel) -> Self {
        Self { model }
    }

    /// The mean loss of a batch, over the targets that are not [`IGNORE_INDEX`] (padding,
    /// masked prompts). The logits are computed a block of rows at a time and not kept
    /// (`next_token_loss`): the output's `logits` is a zero placeholder one value wide, and
    /// the metrics read the loss and the targets.
    pub fn forward_loss(&self, batch: LmBatch) -> SequenceOutput {
        let loss = next_token_loss(&self.model, batch.inputs, batch.targets.clone(), Some(IGNORE_INDEX));
        let [b, t] = batch.targets.dims();
        let logits = Tensor::zeros([b, t, 1], &loss.device());
        SequenceOutput::new(loss, logits, None, batch.targets)
    }
}

impl TrainStep for CausalLm {
    type Input = LmBatch;
    type Output = SequenceOutput;

    fn step(&self, batch: LmBatch) -> TrainOutput<SequenceOutput> {
        let out = self.forward_loss(batch);
        TrainOutput::new(self, out.loss.backward(), out)
    }
}

impl InferenceStep for CausalLm {
    type Input = LmBatch;
    type Output = SequenceOutput;

    fn step(&self, batch: LmBatch) -> SequenceOutput {
        self.forward_loss(batch)
    }
}
