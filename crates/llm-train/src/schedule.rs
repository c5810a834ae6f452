use serde::{Deserialize, Serialize};

/// A learning rate per optimizer step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LrSchedule {
    /// The same rate every step (the book's chapter 5).
    Constant { lr: f64 },
    /// Appendix D: linear warm-up from `initial_lr` to `peak_lr` over `warmup_steps`, then
    /// half-cosine decay to `min_lr` at `total_steps`.
    WarmupCosine {
        initial_lr: f64,
        peak_lr: f64,
        min_lr: f64,
        warmup_steps: usize,
        total_steps: usize,
    },
}

impl LrSchedule {
    /// The rate of optimizer step `step` (0-based), as appendix D computes it.
    pub fn lr_at(&self, step: usize) -> f64 {
        match *self {
            Self::Constant { lr } => lr,
            Self::WarmupCosine {
                initial_lr,
                peak_lr,
                min_lr,
                warmup_steps,
                total_steps,
            } => {
                if step < warmup_steps {
                    let increment = (peak_lr - initial_lr) / warmup_steps as f64;
                    initial_lr + step as f64 * increment
                } else {
                    let decay_steps = total_steps.saturating_sub(warmup_steps).max(1);
                    let progress = ((step - warmup_steps) as f64 / decay_steps as f64).min(1.0);
                    min_lr + (peak_lr - min_lr) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
                }
            }
        }
    }

    /// Whether `step` is past the warm-up (appendix D clips gradients only then).
    pub fn past_warmup(&self, step: usize) -> bool {
        match *self {
            Self::Constant { .. } => true,
            Self::WarmupCosine { warmup_steps, .. } => step >= warmup_steps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn appendix_d() -> LrSchedule {
        // Appendix D's run: peak 0.01 from 0.0001, 20 warm-up steps, 270 steps in all
        // (15 epochs × 18 batches), decaying to 0.1 × initial.
        LrSchedule::WarmupCosine {
            initial_lr: 0.0001,
            peak_lr: 0.01,
            min_lr: 0.00001,
            warmup_steps: 20,
            total_steps: 270,
        }
    }

    #[test]
    fn warmup_is_linear_from_the_initial_rate() {
        let s = appendix_d();
        assert_eq!(s.lr_at(0), 0.0001);
        assert!((s.lr_at(10) - (0.0001 + 10.0 * (0.01 - 0.0001) / 20.0)).abs() < 1e-15);
        assert!(!s.past_warmup(19) && s.past_warmup(20));
    }

    #[test]
    fn cosine_decays_from_peak_to_min() {
        let s = appendix_d();
        assert!((s.lr_at(20) - 0.01).abs() < 1e-15, "peak right after warm-up");
        let mid = 20 + 125; // halfway through the 250 decay steps
        assert!((s.lr_at(mid) - (0.00001 + (0.01 - 0.00001) * 0.5)).abs() < 1e-12);
        assert!((s.lr_at(270) - 0.00001).abs() < 1e-15);
        assert!((s.lr_at(400) - 0.00001).abs() < 1e-15, "stays at min past the end");
        for step in 20..270 {
            assert!(s.lr_at(step + 1) <= s.lr_at(step), "monotone decay at {step}");
        }
    }

    #[test]
    fn constant_and_serde() {
        let c = LrSchedule::Constant { lr: 4e-4 };
        assert_eq!(c.lr_at(0), 4e-4);
        assert_eq!(c.lr_at(10_000), 4e-4);
        let json = serde_json::to_string(&appendix_d()).unwrap();
        assert!(json.contains("\"kind\":\"warmup-cosine\""));
        assert_eq!(serde_json::from_str::<LrSchedule>(&json).unwrap(), appendix_d());
    }
}
