use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};
use burn::optim::LearningRate;

use crate::LrSchedule;

const NEXT_STEP: &str = "next_step";

/// An [`LrSchedule`] as Burn's learning-rate scheduler: each `step` gives the rate of the
/// next optimizer step, starting at step 0.
#[derive(Debug, Clone)]
pub struct ScheduleLr {
    schedule: LrSchedule,
    next_step: usize,
}

impl ScheduleLr {
    pub fn new(schedule: LrSchedule) -> Self {
        Self {
            schedule,
            next_step: 0,
        }
    }
}

impl LrScheduler for ScheduleLr {
    fn step(&mut self) -> LearningRate {
        let lr = self.schedule.lr_at(self.next_step);
        self.next_step += 1;
        lr
    }

    fn to_record(&self) -> LrSchedulerRecord {
        LrSchedulerRecord::new().with_scalar(NEXT_STEP, self.next_step as u64)
    }

    fn load_record(&mut self, record: LrSchedulerRecord) {
        if let Some(step) = record.scalar::<u64>(NEXT_STEP) {
            self.next_step = step as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_restores_the_position() {
        let schedule = LrSchedule::WarmupCosine {
            initial_lr: 1e-5,
            peak_lr: 1e-3,
            min_lr: 1e-5,
            warmup_steps: 3,
            total_steps: 10,
        };
        let mut a = ScheduleLr::new(schedule.clone());
        for _ in 0..4 {
            a.step();
        }
        let mut b = ScheduleLr::new(schedule);
        b.load_record(a.to_record());
        assert_eq!(a.step(), b.step());
        assert_eq!(b.next_step, 5);
    }
}
