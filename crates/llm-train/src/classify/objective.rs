use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::train::{ClassificationOutput, InferenceStep, TrainOutput, TrainStep};
use llm_data::classification::ClassBatch;
use llm_model::Classifier;

/// The classification objective: cross-entropy of a [`Classifier`]'s class logits.
#[derive(Module, Debug)]
pub struct SequenceClassifier {
    pub classifier: Classifier,
}

impl SequenceClassifier {
    pub fn forward_loss(&self, batch: ClassBatch) -> ClassificationOutput {
        let logits = self.classifier.forward(batch.inputs, batch.last);
        let loss = CrossEntropyLossConfig::new()
            .init(&logits.device())
            .forward(logits.clone(), batch.targets.clone());
        ClassificationOutput::new(loss, logits, batch.targets)
    }
}

impl TrainStep for SequenceClassifier {
    type Input = ClassBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: ClassBatch) -> TrainOutput<ClassificationOutput> {
        let out = self.forward_loss(batch);
        TrainOutput::new(self, out.loss.backward(), out)
    }
}

impl InferenceStep for SequenceClassifier {
    type Input = ClassBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: ClassBatch) -> ClassificationOutput {
        self.forward_loss(batch)
    }
}
