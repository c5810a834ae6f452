//! AdamW with one pass per parameter on flex.
//!
//! Burn's AdamW composes its update from about fifteen tensor operations, each a full pass
//! over the parameter (and on flex, which runs element-wise work on one core, a serial
//! one): for GPT_CONFIG_124M's 163 M parameters that was about a quarter of a training
//! step. On flex, whose tensors are plain buffers of this process, [`FusedAdamW`] takes the
//! parameter, its gradient and both moments out of their tensors without copying and
//! updates all four in one multithreaded loop. Elsewhere (GPUs, LibTorch, ndarray, or a
//! build without this crate's `flex` feature) it is Burn's AdamW. Both compute the same formula (PyTorch's AdamW) in the same order of f32
//! operations and keep the same state, so checkpoints move between them.

use burn::optim::{AdamW, AdamWConfig, AdamWState, AdaptiveMomentumState, LearningRate, ModuleOptimizer, Optimizer};
use burn::tensor::{DType, Device, Tensor, TensorData};
use rayon::prelude::*;

/// AdamW (decoupled weight decay on every parameter, bias-corrected moments).
#[derive(Clone)]
pub struct FusedAdamW {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    weight_decay: f32,
    /// Burn's AdamW with the same settings, for devices whose memory is not ours.
    composed: AdamW,
}

impl FusedAdamW {
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32, weight_decay: f32) -> Self {
        let composed = AdamWConfig::new()
            .with_beta_1(beta_1)
            .with_beta_2(beta_2)
            .with_epsilon(epsilon)
            .with_weight_decay(weight_decay)
            .build();
        Self { beta_1, beta_2, epsilon, weight_decay, composed }
    }

    /// This optimizer for a whole module.
    pub fn init(self) -> ModuleOptimizer {
        ModuleOptimizer::from(self)
    }
}

/// Whether `device` (or the device an autodiff device wraps) is flex's.
#[cfg(feature = "flex")]
fn on_flex(device: &Device) -> bool {
    device.clone().inner() == Device::flex()
}

#[cfg(not(feature = "flex"))]
fn on_flex(_device: &Device) -> bool {
    false
}

/// Elements per task of the update loop.
const CHUNK: usize = 1 << 15;

impl Optimizer for FusedAdamW {
    type State<const D: usize> = AdamWState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let device = tensor.device();
        let amsgrad = state.as_ref().is_some_and(|s| s.momentum.max_moment_2.is_some());
        if !on_flex(&device) || tensor.dtype() != DType::F32 || grad.dtype() != DType::F32 || amsgrad {
            return self.composed.step(lr, tensor, grad, state);
        }
        let shape = tensor.shape();
        let (time, moment_1, moment_2) = match state {
            Some(s) => (s.momentum.time + 1, Some(s.momentum.moment_1), Some(s.momentum.moment_2)),
            None => (1, None, None),
        };
        let len = shape.num_elements();
        let mut param = tensor.into_data();
        let grad = grad.into_data();
        let mut m1 = moment_1.map_or_else(|| TensorData::zeros::<f32, _>(shape.clone()), Tensor::into_data);
        let mut m2 = moment_2.map_or_else(|| TensorData::zeros::<f32, _>(shape.clone()), Tensor::into_data);
        let step = Step::new(self, lr, time);
        {
            let p = param.as_mut_slice::<f32>().expect("f32 parameter");
            let g = grad.as_slice::<f32>().expect("f32 gradient");
            let m1 = m1.as_mut_slice::<f32>().expect("f32 moment");
            let m2 = m2.as_mut_slice::<f32>().expect("f32 moment");
            debug_assert!(p.len() == len && g.len() == len && m1.len() == len && m2.len() == len);
            p.par_chunks_mut(CHUNK)
                .zip(g.par_chunks(CHUNK))
                .zip(m1.par_chunks_mut(CHUNK))
                .zip(m2.par_chunks_mut(CHUNK))
                .for_each(|(((p, g), m1), m2)| step.apply(p, g, m1, m2));
        }
        let tensor = |data: TensorData| Tensor::<D>::from_data(data, &device);
        let momentum = AdaptiveMomentumState::new(time, tensor(m1), tensor(m2));
        (tensor(param), Some(AdamWState::new(momentum)))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        AdamW::to_device(state, device)
    }
}

/// The scalars of one step, computed as Burn's AdamW computes them.
struct Step {
    beta_1: f32,
    beta_2: f32,
    factor_1: f32,
    factor_2: f32,
    correction_1: f32,
    correction_2: f32,
    epsilon: f32,
    decay: f32,
    lr: f32,
}

impl Step {
    fn new(o: &FusedAdamW, lr: LearningRate, time: usize) -> Self {
        let t = time as i32;
        Self {
            beta_1: o.beta_1,
            beta_2: o.beta_2,
            factor_1: 1.0 - o.beta_1,
            factor_2: 1.0 - o.beta_2,
            correction_1: 1.0 - o.beta_1.powi(t),
            correction_2: 1.0 - o.beta_2.powi(t),
            epsilon: o.epsilon,
            decay: (1.0 - lr * o.weight_decay as f64) as f32,
            lr: lr as f32,
        }
    }

    /// `m1 = b1 m1 + (1 - b1) g`, `m2 = b2 m2 + (1 - b2) g²`, then
    /// `p = p (1 - lr wd) - lr (m1 / c1) / (sqrt(m2 / c2) + eps)`.
    #[inline]
    fn apply(&self, p: &mut [f32], g: &[f32], m1: &mut [f32], m2: &mut [f32]) {
        for (((p, &g), m1), m2) in p.iter_mut().zip(g).zip(m1.iter_mut()).zip(m2.iter_mut()) {
            *m1 = *m1 * self.beta_1 + g * self.factor_1;
            *m2 = *m2 * self.beta_2 + g * g * self.factor_2;
            let delta = (*m1 / self.correction_1) / ((*m2 / self.correction_2).sqrt() + self.epsilon);
            *p = *p * self.decay - delta * self.lr;
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::Distribution;

    use super::*;

    /// Three steps from random weights and gradients; the weights and both moments after.
    fn three_steps(optimizer: &impl Optimizer<State<2> = AdamWState<2>>, device: &Device) -> [Vec<f32>; 3] {
        device.seed(3);
        let normal = || Tensor::<2>::random([70, 50], Distribution::Normal(0.0, 1.0), device);
        let mut param = normal();
        let mut state = None;
        for _ in 0..3 {
            (param, state) = optimizer.step(1e-2, param, normal(), state);
        }
        let momentum = state.expect("a state after a step").momentum;
        [param, momentum.moment_1, momentum.moment_2].map(|t| t.into_data().try_to_vec::<f32>().unwrap())
    }

    #[test]
    fn fused_steps_equal_burns_adamw() {
        let burns = AdamWConfig::new().with_epsilon(1e-8).with_weight_decay(0.1).build();
        let fused = FusedAdamW::new(0.9, 0.999, 1e-8, 0.1);
        #[allow(deprecated)] // ndarray: deprecated upstream, still supported here
        for (backend, device) in [("flex", Device::flex()), ("ndarray", Device::ndarray())] {
            assert_eq!(on_flex(&device.clone().autodiff()), backend == "flex");
            let (ours, reference) = (three_steps(&fused, &device), three_steps(&burns, &device));
            // The same f32 operations in the same order (no FMA contraction in Rust): the
            // fused loop on flex gives Burn's results bit for bit; on ndarray it is Burn's.
            for (name, (a, b)) in ["weights", "first moment", "second moment"].iter().zip(ours.iter().zip(&reference)) {
                assert_eq!(a, b, "{backend}: {name}");
            }
            assert_ne!(ours[0], three_steps(&FusedAdamW::new(0.9, 0.999, 1e-8, 0.0), &device)[0], "weight decay acts");
        }
    }
}
