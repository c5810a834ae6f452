use burn::module::Module;
use burn::train::{InferenceStep, TrainOutput, TrainStep};
use burn::train::SequenceOutput;
use llm_data::dataset::LmBatch;
use llm_data::instruction::IGNORE_INDEX;
use llm_model::Gpt;
use llm_model::loss::cross_entropy;

/// The language-modelling objective: next-token cross-entropy of a [`Gpt`], over the
/// targets that are not [`IGNORE_INDEX`].
///
/// It wraps the model so that `llm-model` never depends on `burn-train`.
#[derive(Module, Debug)]
pub struct CausalLm {
    pub gpt: Gpt,
}

impl CausalLm {
    pub fn new(gpt: Gpt) -> Self {
        Self { gpt }
    }

    /// Logits and mean loss of a batch.
    pub fn forward_loss(&self, batch: LmBatch) -> SequenceOutput {
        let logits = self.gpt.forward(batch.inputs);
        // Targets marked IGNORE_INDEX (padding, masked prompts) do not count.
        let loss = cross_entropy(logits.clone(), batch.targets.clone(), Some(IGNORE_INDEX));
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
