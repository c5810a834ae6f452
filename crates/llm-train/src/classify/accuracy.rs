use burn::data::dataloader::DataLoader;
use llm_data::classification::ClassBatch;

use super::SequenceClassifier;

/// Fraction of texts whose most likely class is the label, over the first `max_batches`
/// batches of `loader` (all with `None`), as the book's `calc_accuracy_loader`.
pub fn accuracy(model: &SequenceClassifier, loader: &dyn DataLoader<ClassBatch>, max_batches: Option<usize>) -> Option<f64> {
    let (mut correct, mut total) = (0usize, 0usize);
    for batch in loader.iter().take(max_batches.unwrap_or(usize::MAX)) {
        let batch = batch.ok()?;
        let targets = batch.targets.clone();
        total += targets.dims()[0];
        let predicted = model.classifier.forward(batch.inputs, batch.last).argmax(1).flatten::<1>(0, 1);
        correct += predicted.equal(targets).int().sum().into_scalar::<i64>() as usize;
    }
    (total > 0).then(|| correct as f64 / total as f64)
}
