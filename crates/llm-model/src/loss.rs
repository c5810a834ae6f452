use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};

/// Mean next-token cross-entropy (nats) over the targets that are not `ignore_index`,
/// as PyTorch's `cross_entropy(logits.flatten(0, 1), targets.flatten())`.
///
/// # Shapes
/// - logits: `[batch, seq, vocab]`
/// - targets: `[batch, seq]`
/// - output: `[1]`
pub fn cross_entropy(
    logits: Tensor<3>,
    targets: Tensor<2, Int>,
    ignore_index: Option<i64>,
) -> Tensor<1> {
    let [b, t, v] = logits.dims();
    let logits = logits.reshape([b * t, v]);
    let targets = targets.reshape([b * t]);
    let (targets, keep) = match ignore_index {
        Some(ignored) => {
            let keep = targets.clone().not_equal_elem(ignored); // [b t]
            // Ignored targets point at class 0 so the gather is in range; `keep` zeroes them.
            let safe = targets.mask_fill(keep.clone().bool_not(), 0);
            (safe, Some(keep.float()))
        }
        None => (targets, None),
    };
    // -log_softmax(x)[target] = logsumexp(x) - x[target], with the row maximum as a constant
    // shift inside the exponential (no gradient flows through it, as in PyTorch). Written this
    // way rather than through `log_softmax`, autodiff keeps one fewer [b t, v] tensor and
    // makes two fewer passes over it.
    let max = logits.clone().detach().max_dim(1); // [b t, 1]
    let log_sum_exp = (logits.clone() - max.clone()).exp().sum_dim(1).log() + max; // [b t, 1]
    let picked = logits.gather(1, targets.unsqueeze_dim::<2>(1)); // [b t, 1]
    let nll = (log_sum_exp - picked).reshape([b * t]); // [b t]
    match keep {
        Some(keep) => {
            let count = keep.clone().sum().clamp_min(1.0);
            (nll * keep).sum() / count
        }
        None => nll.mean(),
    }
}

/// Log-probability of each sequence's own next tokens under `logits`, over the positions
/// where `mask` is 1: summed, or averaged over those positions (as the book's DPO code's
/// `compute_logprobs`). Position `i` of `logits` predicts token `i + 1` of `ids`, whose
/// mask entry decides.
///
/// # Shapes
/// - logits: `[batch, seq, vocab]`, ids and mask: `[batch, seq]`
/// - output: `[batch]`
pub fn sequence_logprobs(logits: Tensor<3>, ids: Tensor<2, Int>, mask: Tensor<2>, average: bool) -> Tensor<1> {
    let [b, t, _] = logits.dims();
    let log_probs = log_softmax(logits.narrow(1, 0, t - 1), 2); // [b, t-1, v]
    let labels = ids.narrow(1, 1, t - 1).reshape([b, t - 1, 1]);
    let picked = log_probs.gather(2, labels).reshape([b, t - 1]);
    let mask = mask.narrow(1, 1, t - 1);
    let total = (picked * mask.clone()).sum_dim(1).reshape([b]);
    if average {
        total / mask.sum_dim(1).reshape([b]).clamp_min(1.0)
    } else {
        total
    }
}
