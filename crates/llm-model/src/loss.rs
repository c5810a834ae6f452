use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};

use crate::CausalModel;

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
    let (sum, count) = nll_sum(logits.reshape([b * t, v]), targets.reshape([b * t]), ignore_index);
    sum / count
}

/// Values in one block of logits that [`next_token_loss`] computes at a time: 2^24 (64 MiB
/// in f32). GPUs bind at most a few hundred MiB as one buffer (Mesa's lavapipe: 128 MiB),
/// and a training step of GPT-2's vocabulary at batch 8 × 128 tokens has 51 M logits.
pub const LOGITS_PER_BLOCK: usize = 1 << 24;

/// [`cross_entropy`] of `model`'s next-token logits for `ids`, computed a block of rows at a
/// time (at most [`LOGITS_PER_BLOCK`] logits each), so that no `[batch · seq, vocab]` tensor
/// is ever one buffer. The same loss up to the order of the final sum.
///
/// # Shapes
/// - ids, targets: `[batch, seq]`
/// - output: `[1]`
pub fn next_token_loss(
    model: &(impl CausalModel + ?Sized),
    ids: Tensor<2, Int>,
    targets: Tensor<2, Int>,
    ignore_index: Option<i64>,
) -> Tensor<1> {
    let [b, t] = ids.dims();
    let rows = b * t;
    let hidden = model.hidden(ids, None).reshape([1, rows, model.emb_dim()]); // [1, b t, d]
    let targets = targets.reshape([rows]);
    let block = (LOGITS_PER_BLOCK / model.vocab_size()).max(1);
    let mut total: Option<(Tensor<1>, Tensor<1>)> = None;
    for start in (0..rows).step_by(block) {
        let n = block.min(rows - start);
        let logits = model.logits(hidden.clone().narrow(1, start, n)); // [1, n, vocab]
        let [_, _, v] = logits.dims();
        let (sum, count) = nll_sum(logits.reshape([n, v]), targets.clone().narrow(0, start, n), ignore_index);
        total = Some(match total {
            Some((s, c)) => (s + sum, c + count),
            None => (sum, count),
        });
    }
    let (sum, count) = total.expect("at least one row");
    sum / count
}

/// Summed negative log-likelihood of `targets` under `logits`, and how many targets count
/// (those that are not `ignore_index`; at least 1, so that the mean is defined).
///
/// # Shapes
/// - logits: `[rows, vocab]`, targets: `[rows]`
/// - output: `[1]`, `[1]`
fn nll_sum(logits: Tensor<2>, targets: Tensor<1, Int>, ignore_index: Option<i64>) -> (Tensor<1>, Tensor<1>) {
    let [rows, _] = logits.dims();
    let (targets, keep) = match ignore_index {
        Some(ignored) => {
            let keep = targets.clone().not_equal_elem(ignored); // [rows]
            // Ignored targets point at class 0 so the gather is in range; `keep` zeroes them.
            let safe = targets.mask_fill(keep.clone().bool_not(), 0);
            (safe, Some(keep.float()))
        }
        None => (targets, None),
    };
    // -log_softmax(x)[target] = logsumexp(x) - x[target], with the row maximum as a constant
    // shift inside the exponential (no gradient flows through it, as in PyTorch). Written this
    // way rather than through `log_softmax`, autodiff keeps one fewer [rows, v] tensor and
    // makes two fewer passes over it.
    let max = logits.clone().detach().max_dim(1); // [rows, 1]
    let log_sum_exp = (logits.clone() - max.clone()).exp().sum_dim(1).log() + max; // [rows, 1]
    let picked = logits.gather(1, targets.unsqueeze_dim::<2>(1)); // [rows, 1]
    let nll = (log_sum_exp - picked).reshape([rows]); // [rows]
    match keep {
        Some(keep) => {
            let count = keep.clone().sum().clamp_min(1.0);
            ((nll * keep).sum(), count)
        }
        None => {
            let device = nll.device();
            (nll.sum(), Tensor::from_floats([rows as f32], &device))
        }
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
