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

impl StepRecord {
    /// A row of `metrics.csv`, or `None` when it is not a complete row.
    pub fn parse(line: &str) -> Option<Self> {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != HEADER.split(',').count() {
            return None;
        }
        Some(Self {
            step: f[0].parse().ok()?,
            epoch: f[1].parse().ok()?,
            tokens_seen: f[2].parse().ok()?,
            train_loss: f[3].parse().ok()?,
            val_loss: if f[4].is_empty() { None } else { Some(f[4].parse().ok()?) },
            lr: f[5].parse().ok()?,
            tokens_per_s: f[6].parse().ok()?,
        })
    }
}

/// Appends one line to the CSV file at `path`, writing `header` first when the file is new
/// (the per-evaluation files of the fine-tuning recipes).
pub fn append_csv_row(path: &Path, header: &str, row: &str) -> Result<(), TrainError> {
    let fresh = !path.exists();
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| {
            if fresh {
                writeln!(f, "{header}")?;
            }
            writeln!(f, "{row}")
        })
        .map_err(|e| TrainError::io(path, e))
}

/// Appends one line to the text file at `path` (a run's `samples.txt`).
pub fn append_line(path: &Path, line: &str) -> Result<(), TrainError> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| writeln!(f, "{line}"))
        .map_err(|e| TrainError::io(path, e))
}

/// Every complete row of a `metrics.csv`.
pub fn read_metrics(path: &Path) -> Result<Vec<StepRecord>, TrainError> {
    let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
    Ok(text.lines().skip(1).filter_map(StepRecord::parse).collect())
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

    /// Reopens the `metrics.csv` of a run resumed after `step`: rows of later steps (written
    /// after the checkpoint it resumes from) are dropped, and new rows are appended.
    pub fn resume(path: &Path, step: usize) -> Result<Self, TrainError> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(TrainError::Invalid(format!("{}: expected the header `{HEADER}`", path.display())));
        }
        let mut kept = vec![HEADER.to_string()];
        let (mut last, mut last_val_loss) = (None, None);
        // Rows after the checkpoint, and a row cut short by a crash, are dropped.
        for (line, row) in lines.filter_map(|l| StepRecord::parse(l).map(|r| (l, r))) {
            if row.step <= step {
                last_val_loss = row.val_loss.or(last_val_loss);
                kept.push(line.to_string());
                last = Some(row);
            }
        }
        let mut body = kept.join("\n");
        body.push('\n');
        llm_model::weights::write_atomically(path, body.as_bytes())?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| TrainError::io(path, e))?;
        Ok(Self {
            file: std::io::BufWriter::new(file),
            path: path.to_path_buf(),
            last,
            last_val_loss,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(step: usize, val: Option<f64>) -> StepRecord {
        StepRecord {
            step,
            epoch: 1,
            tokens_seen: step * 8,
            train_loss: step as f64 + 0.5,
            val_loss: val,
            lr: 1e-3,
            tokens_per_s: 100.0,
        }
    }

    #[test]
    fn resume_drops_rows_after_the_checkpoint_and_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.csv");
        let mut csv = MetricsCsv::create(&path).unwrap();
        for step in 1..=5 {
            csv.write(&row(step, (step % 2 == 1).then_some(step as f64))).unwrap();
        }
        drop(csv);
        // A crash in the middle of a row.
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"6,1,48,1.6").unwrap();
        let mut csv = MetricsCsv::resume(&path, 4).unwrap();
        assert_eq!(csv.last.as_ref().unwrap().step, 4);
        assert_eq!(csv.last_val_loss, Some(3.0));
        csv.write(&row(5, None)).unwrap();
        let rows = read_metrics(&path).unwrap();
        assert_eq!(rows.iter().map(|r| r.step).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        assert_eq!(rows[2], row(3, Some(3.0)));
        assert_eq!(rows[4].val_loss, None);
    }
}
