use burn::tensor::{Int, Tensor, TensorData};

use crate::CausalModel;
use crate::loss::next_token_loss;

/// Next-token loss of a model over a token sequence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SequenceLoss {
    /// Number of predicted tokens (`len - 1`).
    pub tokens: usize,
    /// Mean cross-entropy in nats.
    pub loss: f64,
}

impl SequenceLoss {
    pub fn perplexity(&self) -> f64 {
        self.loss.exp()
    }
}

/// Scores every token of `ids` but the first, in consecutive non-overlapping windows of
/// `context` tokens (each window predicts its tokens from those before it in the window),
/// `batch_size` windows per forward pass. `progress` is called with (windows done, total).
pub fn sequence_loss(
    model: &(impl CausalModel + ?Sized),
    ids: &[u32],
    context: usize,
    batch_size: usize,
    mut progress: impl FnMut(usize, usize),
) -> SequenceLoss {
    assert!(ids.len() >= 2, "scoring needs at least two tokens");
    assert!(context >= 1 && context <= model.context_length());
    let device = model.device();
    let predicted = ids.len() - 1;
    let starts: Vec<usize> = (0..predicted).step_by(context).collect();
    let mut total = 0.0f64;
    let mut done = 0;
    // Full windows share a length and go in batches; the last may be shorter.
    for group in starts.chunk_by(|&a, &b| window_len(a, context, predicted) == window_len(b, context, predicted)) {
        for batch in group.chunks(batch_size.max(1)) {
            let t = window_len(batch[0], context, predicted);
            let gather = |offset: usize| {
                let data: Vec<i64> = batch
                    .iter()
                    .flat_map(|&s| ids[s + offset..s + offset + t].iter().map(|&i| i as i64))
                    .collect();
                Tensor::<2, Int>::from_data(TensorData::new(data, [batch.len(), t]), &device)
            };
            let loss = next_token_loss(model, gather(0), gather(1), None);
            let mean: f64 = loss.into_data().iter::<f64>().next().expect("a scalar loss");
            total += mean * (batch.len() * t) as f64;
            done += batch.len();
            progress(done, starts.len());
        }
    }
    SequenceLoss {
        tokens: predicted,
        loss: total / predicted as f64,
    }
}

fn window_len(start: usize, context: usize, predicted: usize) -> usize {
    context.min(predicted - start)
}
