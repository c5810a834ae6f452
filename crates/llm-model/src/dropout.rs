//! Dropout whose masks come from Burn's generator or, to replay the book's PyTorch runs,
//! from PyTorch's.

use burn::module::{Flag, Module, Param};
use burn::tensor::{Distribution, Tensor, TensorData};

use crate::torch_rng::SharedTorchGenerator;

/// Zeroes each element with probability `prob` while training and scales the kept ones by
/// `1 / (1 - prob)`; the identity in evaluation (no autodiff device, or a frozen layer),
/// like `burn::nn::Dropout`, whose record layout it keeps.
///
/// With a [`SharedTorchGenerator`] attached ([`Dropout::set_torch_generator`]), each call
/// draws its mask as PyTorch's CPU dropout does, so that a model whose dropout calls come in
/// the book's order sees the book's masks.
#[derive(Module, Debug)]
pub struct Dropout {
    pub prob: f64,
    /// Cleared by `valid()` and by freezing, as in Burn's dropout.
    pub training: Param<Flag>,
    #[module(skip)]
    torch: Option<SharedTorchGenerator>,
}

impl Dropout {
    pub fn new(prob: f64) -> Self {
        assert!(prob.is_finite() && (0.0..1.0).contains(&prob), "dropout must be in [0, 1), got {prob}");
        Self { prob, training: Param::from_bool(true), torch: None }
    }

    /// Draw masks from `generator` from now on.
    pub fn set_torch_generator(&mut self, generator: SharedTorchGenerator) {
        self.torch = Some(generator);
    }

    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        if !self.training.is_enabled() || !input.device().is_autodiff() || self.prob == 0.0 {
            return input;
        }
        let keep = 1.0 - self.prob;
        match &self.torch {
            Some(generator) => {
                let shape = input.shape();
                let noise = generator.lock().expect("torch generator lock").dropout_noise(shape.num_elements(), keep);
                let noise = Tensor::<D>::from_data(TensorData::new(noise, shape), &input.device());
                input * noise
            }
            None => {
                let mask = input.random_like(Distribution::Bernoulli(keep));
                input * mask * (1.0 / keep)
            }
        }
    }
}
