use burn::module::Module;
use burn::tensor::Tensor;
use burn::train::{InferenceStep, SequenceOutput, TrainOutput, TrainStep};
use llm_data::dataset::IGNORED_LABEL;
use llm_data::translation::PairBatch;
use llm_model::loss::cross_entropy;
use llm_model::marian::Marian;

/// The translation objective: the teacher-forced cross-entropy of the target (and its
/// `</s>`) given the source, over the labels that are not padding (`-100`), as
/// `transformers` computes it for a `MarianMTModel` given `labels`.
#[derive(Module, Debug)]
pub struct Seq2SeqLm {
    pub marian: Marian,
}

impl Seq2SeqLm {
    /// The mean loss of a batch; the output's `logits` is a zero placeholder one value wide
    /// (the metrics read the loss).
    pub fn forward_loss(&self, batch: PairBatch) -> SequenceOutput {
        let logits = self.marian.teacher_forced_logits(batch.source, Some(batch.source_mask), batch.labels.clone());
        let loss = cross_entropy(logits, batch.labels.clone(), Some(IGNORED_LABEL));
        let [b, t] = batch.labels.dims();
        SequenceOutput::new(loss.clone(), Tensor::zeros([b, t, 1], &loss.device()), None, batch.labels)
    }
}

impl TrainStep for Seq2SeqLm {
    type Input = PairBatch;
    type Output = SequenceOutput;

    fn step(&self, batch: PairBatch) -> TrainOutput<SequenceOutput> {
        let out = self.forward_loss(batch);
        TrainOutput::new(self, out.loss.backward(), out)
    }
}

impl InferenceStep for Seq2SeqLm {
    type Input = PairBatch;
    type Output = SequenceOutput;

    fn step(&self, batch: PairBatch) -> SequenceOutput {
        self.forward_loss(batch)
    }
}
