use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Tensor, TensorReadError};

/// Scales all gradients together so that their global L2 norm is at most `max_norm`, as
/// PyTorch's `clip_grad_norm_` does (appendix D): `g *= max_norm / (norm + 1e-6)` when that
/// factor is below 1. Burn's own `GradientClipping::Norm` clips each tensor by its own norm.
///
/// Returns the global norm before clipping, or the device's error reading it.
pub fn clip_global_norm<M: Module>(module: &M, grads: &mut GradientsParams, max_norm: f64) -> Result<f64, TensorReadError> {
    let mut sum = SumOfSquares { grads, total: None };
    module.visit(&mut sum);
    let Some(total) = sum.total else {
        return Ok(0.0);
    };
    let norm = total.try_into_scalar::<f64>()?.sqrt();
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 {
        module.visit(&mut Scale { grads, coef });
    }
    Ok(norm)
}

/// Multiplies every gradient of `module` by `coef` (averaging accumulated gradients).
pub fn scale_gradients<M: Module>(module: &M, grads: &mut GradientsParams, coef: f64) {
    module.visit(&mut Scale { grads, coef });
}

struct SumOfSquares<'a> {
    grads: &'a GradientsParams,
    total: Option<Tensor<1>>,
}

impl ModuleVisitor for SumOfSquares<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.get::<D>(param.id) {
            let squares = g.square().sum(); // [1]
            self.total = Some(match self.total.take() {
                Some(t) => t + squares,
                None => squares,
            });
        }
    }
}

struct Scale<'a> {
    grads: &'a mut GradientsParams,
    coef: f64,
}

impl ModuleVisitor for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.remove::<D>(param.id) {
            self.grads.register(param.id, g * self.coef);
        }
    }
}
