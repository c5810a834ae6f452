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
    let log_probs = log_softmax(logits, 1); // [b t, v]
    let picked = log_probs
        .gather(1, targets.unsqueeze_dim::<2>(1))
        .reshape([b * t]); // [b t]
    match keep {
        Some(keep) => {
            let count = keep.clone().sum().clamp_min(1.0);
            -(picked * keep).sum() / count
        }
        None => -picked.mean(),
    }
}
