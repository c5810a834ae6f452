//! Whether every weight of a module is a finite number: a run never checkpoints weights
//! that an overflow or a NaN gradient has damaged.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;

struct AllFinite(bool);

impl ModuleVisitor for AllFinite {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self.0 {
            // A value that cannot be read is not known to be finite either.
            self.0 = param.val().is_finite().all().try_into_scalar::<bool>().unwrap_or(false);
        }
    }
}

/// True when no float parameter of `module` holds a NaN or an infinity.
pub fn all_finite<M: Module>(module: &M) -> bool {
    let mut visitor = AllFinite(true);
    module.visit(&mut visitor);
    visitor.0
}

#[cfg(test)]
mod tests {
    use burn::nn::Linear;
    use burn::tensor::{Device, TensorData};

    use super::*;

    /// A layer with these weights (no random draws: other tests seed the device's generator).
    fn linear(weights: Vec<f32>) -> Linear {
        let weight = Tensor::from_data(TensorData::new(weights, [3, 2]), &Device::flex());
        Linear { weight: Param::from_tensor(weight), bias: None }
    }

    #[test]
    fn a_single_nan_or_infinity_is_found() {
        let weights: Vec<f32> = (0..6).map(|i| i as f32 * 0.5).collect();
        assert!(all_finite(&linear(weights.clone())));
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut damaged = weights.clone();
            damaged[4] = bad;
            assert!(!all_finite(&linear(damaged)), "{bad}");
        }
    }
}
