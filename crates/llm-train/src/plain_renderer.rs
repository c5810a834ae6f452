//! Progress for logs and CI (stdout not a terminal): a plain line per interval instead of
//! Burn's per-batch debug lines; the dashboard replaces it on a terminal.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::{MetricDefinition, MetricId};
use burn::train::renderer::{EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation, MetricsRendererTraining};

/// Prints `train epoch 2/10 · items 8/18 · mean Loss 6.91 · mean Perplexity 1003.57 ·
/// Learning Rate 1.0e-3` at most once per interval and at the end of every split. Metrics are
/// the mean over the split so far (what the dashboard's epoch figures are), the learning
/// rate its latest value; the book's evaluation lines, printed beside these, are the mean
/// over `eval_batches` batches of each split, so the two validation losses differ.
pub struct PlainRenderer {
    interval: Duration,
    last: Instant,
    epochs: usize,
    epoch: usize,
    split: String,
    total: usize,
    done: usize,
    names: HashMap<MetricId, String>,
    /// The latest value of each metric of the split, in registration order: the mean over
    /// the split so far, or the latest batch's for a rate.
    values: Vec<(MetricId, String)>,
    /// The last line printed, so that an interval line and the split's end print it once.
    printed: String,
}

impl PlainRenderer {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: Instant::now(),
            epochs: 0,
            epoch: 1,
            split: String::new(),
            total: 0,
            done: 0,
            names: HashMap::new(),
            values: Vec::new(),
            printed: String::new(),
        }
    }

    fn record(&mut self, state: MetricState) {
        let entry = match state {
            MetricState::Generic(entry) | MetricState::Numeric(entry, _) => entry,
        };
        // Burn formats numeric entries as "epoch MEAN - batch LATEST".
        let text = entry.serialized_entry.formatted;
        let (mean, latest) = match text.split_once(" - batch ") {
            Some((mean, latest)) => (mean.trim_start_matches("epoch ").trim(), latest.trim()),
            None => (text.as_str(), text.as_str()),
        };
        let rate = self.names.get(&entry.metric_id).is_some_and(|n| n.contains("Learning Rate"));
        let value = if rate { latest.to_string() } else { format!("mean {mean}") };
        match self.values.iter_mut().find(|(id, _)| *id == entry.metric_id) {
            Some(slot) => slot.1 = value,
            None => self.values.push((entry.metric_id, value)),
        }
    }

    fn print(&mut self) {
        // The validation pass scores the whole split with the model of the epoch's end.
        let whole = if self.split == "valid" { " (whole split, end of epoch)" } else { "" };
        let mut line = format!("{} epoch {}/{}{whole} · items {}/{}", self.split, self.epoch, self.epochs, self.done, self.total);
        for (id, value) in &self.values {
            if !value.ends_with("N/A") {
                let name = self.names.get(id).map_or("?", String::as_str);
                match value.strip_prefix("mean ") {
                    Some(mean) => line.push_str(&format!(" · mean {name} {mean}")),
                    None => line.push_str(&format!(" · {name} {value}")),
                }
            }
        }
        if line != self.printed {
            println!("{line}");
            self.printed = line;
        }
        self.last = Instant::now();
    }
}

impl MetricsRendererTraining for PlainRenderer {
    fn update_train(&mut self, state: MetricState) {
        self.record(state);
    }

    fn update_valid(&mut self, state: MetricState) {
        self.record(state);
    }
}

impl TrainingProgressLogger for PlainRenderer {
    fn start(&mut self, total_epochs: usize, starting_epoch: usize, _: Option<usize>, _: Option<&str>) {
        self.epochs = total_epochs;
        self.epoch = starting_epoch.max(1);
    }

    fn update_epoch(&mut self, epoch: usize) {
        self.epoch = epoch + 1;
    }

    fn start_split(&mut self, split: &str, total_items: usize) {
        self.split = split.to_string();
        self.total = total_items;
        self.done = 0;
        self.values.clear();
        self.last = Instant::now();
    }

    fn update_split(&mut self, items_processed: usize) {
        self.done = items_processed;
        if self.last.elapsed() >= self.interval {
            self.print();
        }
    }

    fn end_split(&mut self) {
        self.print();
    }

    fn end(&mut self) {}

    /// Burn's per-iteration events: the interval lines already say where the run is.
    fn log_event_training(&mut self, _event: String) {}
}

impl EvaluationProgressLogger for PlainRenderer {
    fn start_global_progress(&mut self, _: usize) {}

    fn start_test(&mut self, name: &str, total_items: usize) {
        self.start_split(name, total_items);
    }

    fn update_test_progress(&mut self, items_processed: usize) {
        self.update_split(items_processed);
    }

    fn end_test(&mut self) {
        self.print();
    }

    fn end_global_progress(&mut self) {}

    fn log_event_evaluation(&mut self, _event: String) {}
}

impl MetricsRendererEvaluation for PlainRenderer {
    fn update_test(&mut self, _: EvaluationName, state: MetricState) {
        self.record(state);
    }
}

impl MetricsRenderer for PlainRenderer {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, definition: MetricDefinition) {
        self.names.insert(definition.metric_id, definition.name.to_string());
    }
}
