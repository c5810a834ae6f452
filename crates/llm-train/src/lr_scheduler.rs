use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};
use burn::optim::LearningRate;

use crate::LrSchedule;

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
        LrSchedulerRecord::new()
    }

    fn load_record(&mut self, _record: LrSchedulerRecord) {}
}
