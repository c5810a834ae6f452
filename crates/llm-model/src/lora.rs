//! LoRA (appendix E of the book): a trainable low-rank update `(alpha / rank) · B(A x)`
//! beside a frozen linear layer `W x`.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::module::linear;
use burn::tensor::{Device, Distribution, Tensor};
use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::matrix_dtype::linear_forward;
use crate::rows::on_rows;

/// Rank and scaling of the adapters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LoraConfig {
    pub rank: usize,
    pub alpha: f64,
}

impl LoraConfig {
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.rank == 0 || !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(ModelError::InvalidConfig(format!(
                "lora: rank must be at least 1 and alpha positive (got rank {}, alpha {})",
                self.rank, self.alpha
            )));
        }
        Ok(())
    }

    pub fn scale(&self) -> f64 {
        self.alpha / self.rank as f64
    }
}

/// One low-rank adapter: `A` `[d_in, rank]`, `B` `[rank, d_out]`.
#[derive(Module, Debug)]
pub struct LoraAdapter {
    pub a: Param<Tensor<2>>,
    pub b: Param<Tensor<2>>,
    pub scale: f64,
}

impl LoraAdapter {
    /// `A` as the book initialises it (`kaiming_uniform_(a=√5)` on `[d_in, rank]`, whose
    /// fan-in PyTorch takes as `rank`: uniform in ±1/√rank), `B` zeros: the adapter starts
    /// as a no-op.
    pub fn new(d_in: usize, d_out: usize, config: &LoraConfig, device: &Device) -> Self {
        let bound = 1.0 / (config.rank as f64).sqrt();
        Self {
            a: Param::from_tensor(Tensor::random([d_in, config.rank], Distribution::Uniform(-bound, bound), device)),
            b: Param::from_tensor(Tensor::zeros([config.rank, d_out], device)),
            scale: config.scale(),
        }
    }

    /// A fresh adapter beside `layer` (whose weight is `[d_in, d_out]`).
    pub fn for_linear(layer: &Linear, config: &LoraConfig, device: &Device) -> Self {
        let [d_in, d_out] = layer.weight.dims();
        Self::new(d_in, d_out, config, device)
    }

    /// `scale · (x A) B`, `[..., d_in] -> [..., d_out]`.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        linear(linear(x, self.a.val(), None), self.b.val(), None) * self.scale
    }

    /// The update this adapter adds to a weight in Burn's `[d_in, d_out]` layout.
    pub fn delta(&self) -> Tensor<2> {
        self.a.val().matmul(self.b.val()) * self.scale
    }
}

/// `linear(x)`, plus the adapter's update when there is one, over all of `x`'s rows at
/// once ([`on_rows`]).
pub fn adapted<const D: usize>(layer: &Linear, adapter: Option<&LoraAdapter>, x: Tensor<D>) -> Tensor<D> {
    on_rows(x, |x| match adapter {
        Some(lora) => linear_forward(layer, x.clone()) + lora.forward(x),
        None => linear_forward(layer, x),
    })
}

/// `layer` with `delta` (`[d_in, d_out]`) added to its weight.
pub fn merge_into(mut layer: Linear, delta: Tensor<2>) -> Linear {
    let weight = layer.weight.val() + delta;
    layer.weight = layer.weight.map(|_| weight.detach());
    layer
}

/// Parameters that train: those that require gradients (on an autodiff device; on a
/// plain device nothing does).
pub fn trainable_params<M: Module>(module: &M) -> usize {
    struct Count(usize);
    impl burn::module::ModuleVisitor for Count {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let value = param.val();
            if value.is_require_grad() {
                self.0 += value.shape().num_elements();
            }
        }
    }
    let mut count = Count(0);
    module.visit(&mut count);
    count.0
}
