//! Where a run stands: the optimizer step, the epoch and how much of it was read, the
//! tokens seen, and PyTorch's generator's position when the run replays the book's draws.
//! The training loop advances it; a checkpoint records it and a resumed run starts from it.

use crate::torch_replay::DrawPosition;

/// Where the loop stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// Optimizer steps done.
    pub step: usize,
    /// The epoch in progress (1-based).
    pub epoch: usize,
    /// Batches of the epoch consumed (a resumed epoch skips them).
    pub batches_in_epoch: usize,
    pub tokens_seen: usize,
    /// PyTorch's generator's position, when the run replays the book's draws.
    pub torch_draws: Option<DrawPosition>,
}

impl Position {
    /// The start of a fresh run.
    pub fn start() -> Self {
        Self { step: 0, epoch: 1, batches_in_epoch: 0, tokens_seen: 0, torch_draws: None }
    }

    /// The next epoch's start.
    pub fn next_epoch(&mut self) {
        self.epoch += 1;
        self.batches_in_epoch = 0;
    }
}
