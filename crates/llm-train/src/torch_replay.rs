//! `rng = "torch"`: the book's PyTorch run replayed draw for draw. PyTorch draws the
//! initial weights, every dropout mask and every `DataLoader`'s seeds from one global
//! generator; here one [`SharedTorchGenerator`] plays that part, and each consumer draws
//! what the book's code draws at the moment it draws it.

use std::sync::{Arc, Mutex};

use llm_data::dataset::EpochOrder;
use llm_model::{Gpt, SharedTorchGenerator, TorchGenerator};
use serde::{Deserialize, Serialize};

use crate::ExperimentConfig;
use crate::config::RngSource;

/// `torch.manual_seed(config.seed)`, when the config asks for PyTorch's generator.
pub(crate) fn shared_generator(config: &ExperimentConfig) -> Option<SharedTorchGenerator> {
    (config.rng == RngSource::Torch).then(|| Arc::new(Mutex::new(TorchGenerator::new(config.seed))))
}

/// `gpt` drawing its dropout masks from `torch`, if given.
pub(crate) fn with_torch_dropout(gpt: Gpt, torch: Option<&SharedTorchGenerator>) -> Gpt {
    match torch {
        Some(generator) => gpt.with_torch_dropout(generator.clone()),
        None => gpt,
    }
}

/// The order of a `DataLoader` over `len` items each time it is iterated: the iterator
/// draws its base seed (two draws); a shuffling one's `RandomSampler` then draws a seed and
/// reads `torch.randperm(len)` from a generator of that seed. An empty loader is never
/// iterated by the book's `calc_loss_loader`, so it draws nothing.
pub(crate) fn loader_order(generator: &SharedTorchGenerator, len: usize, shuffle: bool) -> EpochOrder {
    let generator = generator.clone();
    EpochOrder::drawn(
        len,
        Arc::new(move |_epoch| {
            if len == 0 {
                return Vec::new();
            }
            let mut g = generator.lock().expect("torch generator lock");
            g.next_u64();
            if shuffle { TorchGenerator::new(g.random_int64()).randperm(len) } else { (0..len).collect() }
        }),
    )
}

/// The generator's position at a checkpoint: where the epoch in progress started (its
/// order is drawn again from there on resume) and where the run stood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawPosition {
    pub epoch_start: u64,
    pub now: u64,
}

/// Puts `generator` at `draws` draws from its seed.
pub(crate) fn seek(generator: &SharedTorchGenerator, draws: u64) {
    let mut g = generator.lock().expect("torch generator lock");
    if g.draws() != draws {
        *g = TorchGenerator::at(g.seed(), draws);
    }
}

/// Draws made so far.
pub(crate) fn draws(generator: &SharedTorchGenerator) -> u64 {
    generator.lock().expect("torch generator lock").draws()
}
