use burn::module::Module;
use burn::tensor::Tensor;
use burn::train::{InferenceStep, SequenceOutput, TrainOutput, TrainStep};
use llm_data::dataset::{IGNORED_LABEL, LmBatch};
use llm_model::loss::cross_entropy;
use llm_model::{Bert, BertInput};

/// The masked-LM objective: cross-entropy of a `BertForMaskedLM`'s logits at the chosen
/// positions (every other label is `-100`), as `transformers` computes it with `labels`.
#[derive(Module, Debug)]
pub struct MaskedLm {
    pub bert: Bert,
}

impl MaskedLm {
    /// The mean loss over the chosen positions of a batch (`inputs` corrupted, `targets` the
    /// labels). The output's `logits` is a zero placeholder one value wide: the metrics read
    /// the loss.
    pub fn forward_loss(&self, batch: LmBatch) -> SequenceOutput {
        let input = BertInput { ids: batch.inputs, token_types: None, attention_mask: None };
        let logits = self.bert.mlm_logits(&input).expect("the masked-LM recipe builds a BertForMaskedLM");
        let loss = cross_entropy(logits, batch.targets.clone(), Some(IGNORED_LABEL));
        let [b, t] = batch.targets.dims();
        SequenceOutput::new(loss.clone(), Tensor::zeros([b, t, 1], &loss.device()), None, batch.targets)
    }
}

impl TrainStep for MaskedLm {
    type Input = LmBatch;
    type Output = SequenceOutput;

    fn step(&self, batch: LmBatch) -> TrainOutput<SequenceOutput> {
        let out = self.forward_loss(batch);
        TrainOutput::new(self, out.loss.backward(), out)
    }
}

impl InferenceStep for MaskedLm {
    type Input = LmBatch;
    type Output = SequenceOutput;

    fn step(&self, batch: LmBatch) -> SequenceOutput {
        self.forward_loss(batch)
    }
}
