use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::data::dataloader::DataLoader;
use burn::module::Module;
use burn::tensor::Device;
use burn::train::{
    EventProcessorTraining, InferenceStep, Interrupter, Learner, LearnerEvent,
    SupervisedLearningStrategy, SupervisedTrainingEventProcessor, TrainLoader, TrainingComponents,
    TrainingItem, ValidLoader,
};
use llm_data::Tokenizer;
use llm_data::dataset::LmBatch;
use llm_model::generation::{GenerateOptions, generate};

use crate::error::TrainError;
use crate::metrics_csv::{MetricsCsv, StepRecord};
use crate::{CausalLm, LrSchedule, clip_global_norm};

/// What the pretraining loop does besides stepping the optimizer.
pub struct PretrainPlan {
    pub device: Device,
    pub schedule: LrSchedule,
    /// Global gradient-norm limit (0: off), applied after the warm-up.
    pub grad_clip: f64,
    pub eval_every: usize,
    pub eval_batches: usize,
    pub max_steps: Option<usize>,
    /// Unshuffled training batches for the periodic train-loss estimate.
    pub train_eval: Arc<dyn DataLoader<LmBatch>>,
    pub val_eval: Arc<dyn DataLoader<LmBatch>>,
    pub tokenizer: Tokenizer,
    pub sample_prompt: String,
    pub sample_tokens: usize,
    pub samples_path: std::path::PathBuf,
    pub csv: Mutex<MetricsCsv>,
    /// An error of ours (writing run files) that stopped the loop.
    pub failure: Mutex<Option<TrainError>>,
}

impl PretrainPlan {
    fn fail(&self, error: TrainError, interrupter: &Interrupter) {
        interrupter.stop(Some(&error.to_string()));
        self.failure.lock().expect("failure lock").get_or_insert(error);
    }
}

/// The book's training loop (chapter 5) as a Burn `SupervisedLearningStrategy`: one
/// optimizer step per batch, evaluation every `eval_every` steps on `eval_batches` batches,
/// a greedy sample after each epoch, and a `metrics.csv` row per step; progress and metrics
/// go to Burn's renderer (the dashboard on a terminal).
pub struct PretrainStrategy {
    pub plan: Arc<PretrainPlan>,
}

impl PretrainStrategy {
    fn evaluate(&self, model: &CausalLm, loader: &dyn DataLoader<LmBatch>) -> Option<f64> {
        let mut total = 0.0;
        let mut n = 0;
        for batch in loader.iter().take(self.plan.eval_batches) {
            let batch = batch.ok()?;
            total += InferenceStep::step(model, batch).loss.into_scalar::<f64>();
            n += 1;
        }
        (n > 0).then(|| total / n as f64)
    }

    fn sample(&self, model: &CausalLm, epoch: usize, quiet: bool, interrupter: &Interrupter) {
        let plan = &self.plan;
        let prompt = plan.tokenizer.encode(&plan.sample_prompt);
        if prompt.is_empty() || plan.sample_tokens == 0 {
            return;
        }
        let options = GenerateOptions {
            max_new_tokens: plan.sample_tokens,
            stop_token: plan.tokenizer.end_of_text(),
            ..Default::default()
        };
        let ids = generate(&model.gpt, &prompt, &options, |_| {});
        let text = format!("{}{}", plan.sample_prompt, plan.tokenizer.decode(&ids));
        let line = format!("epoch {epoch}: {}\n", text.replace('\n', " "));
        if !quiet {
            print!("{line}");
        }
        let result = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&plan.samples_path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = result {
            plan.fail(TrainError::io(&plan.samples_path, e), interrupter);
        }
    }
}

impl SupervisedLearningStrategy<CausalLm> for PretrainStrategy {
    fn fit(
        &self,
        components: TrainingComponents<CausalLm>,
        mut learner: Learner<CausalLm>,
        dataloader_train: TrainLoader<CausalLm>,
        dataloader_valid: ValidLoader<CausalLm>,
        starting_epoch: usize,
    ) -> (CausalLm, SupervisedTrainingEventProcessor<CausalLm>) {
        let plan = &self.plan;
        let train = dataloader_train.to_device(&plan.device);
        let valid = dataloader_valid.to_device(&plan.device.clone().inner());
        learner.fork(&plan.device);
        let mut processor = components.event_processor;
        let interrupter = components.interrupter;
        // On a terminal the dashboard owns the screen; elsewhere we print the book's lines.
        let quiet = std::io::stdout().is_terminal();
        let mut step = 0usize;
        let mut tokens_seen = 0usize;

        'epochs: for epoch in starting_epoch..=components.num_epochs {
            interrupter.fail_on_error(processor.process_train(LearnerEvent::StartSplit {
                epoch_number: epoch,
                total_items: train.num_items(),
            }));
            let mut iterator = train.iter();
            let mut iteration = 0;
            while let Some(batch) = iterator.next() {
                let batch = match batch {
                    Ok(batch) => batch,
                    Err(err) => {
                        interrupter.fail(err);
                        break 'epochs;
                    }
                };
                let started = Instant::now();
                let [b, t] = batch.inputs.dims();
                let out = learner.train_step(batch);
                let train_loss = out.item.loss.clone().into_scalar::<f64>();
                learner.lr_step();
                let lr = learner.lr_current();
                let mut grads = out.grads;
                if plan.grad_clip > 0.0 && plan.schedule.past_warmup(step) {
                    clip_global_norm(&learner.model(), &mut grads, plan.grad_clip);
                }
                learner.optimizer_step(grads);
                let elapsed = started.elapsed().as_secs_f64();
                iteration += 1;
                step += 1;
                tokens_seen += b * t;

                // The book evaluates after its first step and every `eval_freq` steps after.
                let val_loss = if plan.eval_every > 0 && (step - 1) % plan.eval_every == 0 {
                    let model = learner.model().valid();
                    let train_eval = self.evaluate(&model, plan.train_eval.as_ref());
                    let val = self.evaluate(&model, plan.val_eval.as_ref());
                    if !quiet {
                        println!(
                            "epoch {epoch} (step {step:06}): train loss {:.3}, val loss {:.3}, lr {:.2e}",
                            train_eval.unwrap_or(f64::NAN),
                            val.unwrap_or(f64::NAN),
                            lr.base()
                        );
                    }
                    val
                } else {
                    None
                };
                let record = StepRecord {
                    step,
                    epoch,
                    tokens_seen,
                    train_loss,
                    val_loss,
                    lr: lr.base(),
                    tokens_per_s: (b * t) as f64 / elapsed,
                };
                if let Err(e) = plan.csv.lock().expect("csv lock").write(&record) {
                    plan.fail(e, &interrupter);
                }
                let item = TrainingItem::new(out.item, iterator.progress(), Some(iteration), Some(lr));
                interrupter.fail_on_error(processor.process_train(LearnerEvent::ProcessedItem(item)));
                if interrupter.should_stop() || plan.max_steps.is_some_and(|max| step >= max) {
                    interrupter.fail_on_error(processor.process_train(LearnerEvent::EndSplit(epoch)));
                    self.sample(&learner.model().valid(), epoch, quiet, &interrupter);
                    break 'epochs;
                }
            }
            interrupter.fail_on_error(processor.process_train(LearnerEvent::EndSplit(epoch)));

            // The whole validation split once per epoch, for the dashboard's valid metrics.
            let model = learner.model().valid();
            interrupter.fail_on_error(processor.process_valid(LearnerEvent::StartSplit {
                epoch_number: epoch,
                total_items: valid.num_items(),
            }));
            let mut iterator = valid.iter();
            let mut iteration = 0;
            while let Some(Ok(batch)) = iterator.next() {
                iteration += 1;
                let out = InferenceStep::step(&model, batch);
                let item = TrainingItem::new(out, iterator.progress(), Some(iteration), None);
                interrupter.fail_on_error(processor.process_valid(LearnerEvent::ProcessedItem(item)));
            }
            interrupter.fail_on_error(processor.process_valid(LearnerEvent::EndSplit(epoch)));
            interrupter.fail_on_error(processor.process_train(LearnerEvent::EndEpoch(epoch)));
            self.sample(&model, epoch, quiet, &interrupter);
            if interrupter.should_stop() {
                break;
            }
        }
        (learner.model(), processor)
    }
}
