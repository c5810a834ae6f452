use std::io::Write;
use std::path::Path;

use crate::error::TrainError;

/// One optimizer step of a run, as `metrics.csv` records it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// 1-based optimizer step.
    pub step: usize,
    pub epoch: usize,
    pub tokens_seen: usize,
    /// This step's batch loss, before its update.
    pub train_loss: f64,
    /// Mean validation loss, on evaluation steps.
    pub val_loss: Option<f64>,
    pub lr: f64,
    pub tokens_per_s: f64,
}

pub const HEADER: &str = "step,epoch,tokens_seen,train_loss,val_loss,lr,tokens_per_s";

/// `metrics.csv`: a header, then one row per optimizer step, flushed as it is written.
pub struct MetricsCsv {
    file: std::io::BufWriter<std::fs::File>,
    path: std::path::PathBuf,
    /// The last row written, and the last validation loss seen.
    pub last: Option<StepRecord>,
    pub last_val_loss: Option<f64>,
}

impl MetricsCsv {
    pub fn create(path: &Path) -> Result<Self, TrainError> {
        let file = std::fs::File::create(path).map_err(|e| TrainError::io(path, e))?;
        let mut csv = Self {
            file: std::io::BufWriter::new(file),
            path: path.to_path_buf(),
            last: None,
            last_val_loss: None,
        };
        csv.line(HEADER)?;
        Ok(csv)
    }

    pub fn write(&mut self, r: &StepRecord) -> Result<(), TrainError> {
        self.last = Some(r.clone());
        self.last_val_loss = r.val_loss.or(self.last_val_loss);
        let val = r.val_loss.map_or(String::new(), |v| format!("{v:.6}"));
        self.line(&format!(
            "{},{},{},{:.6},{},{:e},{:.1}",
            r.step, r.epoch, r.tokens_seen, r.train_loss, val, r.lr, r.tokens_per_s
        ))
    }

    fn line(&mut self, line: &str) -> Result<(), TrainError> {
        writeln!(self.file, "{line}")
            .and_then(|()| self.file.flush())
            .map_err(|e| TrainError::io(&self.path, e))
    }
}
