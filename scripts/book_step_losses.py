"""The batch loss of every training step of the book's `train_model_simple`.

The book's loop (llms-from-scratch 1.0.19, `ch05.train_model_simple`) records only its
periodic evaluations; it computes each step's loss with `ch05.calc_loss_batch`, looked up in
the module at call time, so wrapping that function sees every step. Evaluation calls run in
eval mode and are left out.

    with recorded_step_losses() as losses:
        ch05.train_model_simple(...)
"""
import contextlib

import llms_from_scratch.ch05 as ch05


@contextlib.contextmanager
def recorded_step_losses():
    losses = []
    book_loss = ch05.calc_loss_batch

    def recording(input_batch, target_batch, model, device):
        loss = book_loss(input_batch, target_batch, model, device)
        if model.training:
            losses.append(loss.item())
        return loss

    ch05.calc_loss_batch = recording
    try:
        yield losses
    finally:
        ch05.calc_loss_batch = book_loss
