use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::data::dataloader::DataLoader;
use burn::module::Module;
use burn::optim::{GradientsAccumulator, ModuleOptimizer};
use burn::tensor::Device;
use burn::train::{
    EventProcessorTraining, InferenceStep, Interrupter, Learner, LearnerEvent, SupervisedLearningStrategy,
    SupervisedTrainingEventProcessor, TrainLoader, TrainStep, TrainingComponents, TrainingItem, ValidLoader,
};
use llm_data::Tokenizer;
use llm_data::dataset::{EpochOrder, LmBatch};
use llm_model::generation::{GenerateOptions, generate};

use crate::checkpoint::{TrainingState, save_checkpoint, tokenizer_kind};
use crate::error::TrainError;
use crate::metrics_csv::{MetricsCsv, StepRecord};
use crate::{CausalLm, LrSchedule, clip_global_norm, scale_gradients};

/// What the pretraining loop does besides stepping the optimizer.
pub struct PretrainPlan {
    pub device: Device,
    pub run_dir: PathBuf,
    pub schedule: LrSchedule,
    /// Global gradient-norm limit (0: off), applied after the warm-up.
    pub grad_clip: f64,
    /// Batches whose gradients are averaged into one optimizer step.
    pub grad_accumulation: usize,
    /// Full batches per epoch (the training loader drops a final partial batch).
    pub batches_per_epoch: usize,
    pub eval_every: usize,
    pub eval_batches: usize,
    pub checkpoint_every: usize,
    pub keep_checkpoints: usize,
    pub max_steps: Option<usize>,
    /// Sets the training order of each epoch (seeded, so that a resumed run reads the same).
    pub train_order: EpochOrder,
    /// Unshuffled training batches for the periodic train-loss estimate.
    pub train_eval: Arc<dyn DataLoader<LmBatch>>,
    pub val_eval: Arc<dyn DataLoader<LmBatch>>,
    pub tokenizer: Tokenizer,
    pub sample_prompt: String,
    pub sample_tokens: usize,
    pub samples_path: PathBuf,
    pub csv: Mutex<MetricsCsv>,
    /// The optimizer, with its state when resuming; the loop takes it.
    pub optimizer: Mutex<Option<ModuleOptimizer>>,
    /// Where a resumed run starts.
    pub resume: Option<TrainingState>,
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
/// optimizer step per batch (or per `grad_accumulation` batches), evaluation every
/// `eval_every` steps on `eval_batches` batches, a greedy sample after each epoch, a
/// `metrics.csv` row per step and a checkpoint every `checkpoint_every` steps and at the
/// end; progress and metrics go to Burn's renderer (the dashboard on a terminal).
pub struct PretrainStrategy {
    pub plan: Arc<PretrainPlan>,
}

/// Position of the loop.
struct Position {
    step: usize,
    epoch: usize,
    batches_in_epoch: usize,
    tokens_seen: usize,
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

    fn checkpoint(&self, model: &CausalLm, optim: &ModuleOptimizer, at: &Position, interrupter: &Interrupter) {
        let plan = &self.plan;
        let state = TrainingState {
            step: at.step,
            epoch: at.epoch,
            batches_in_epoch: at.batches_in_epoch,
            tokens_seen: at.tokens_seen,
            scheduler_step: at.step,
            model: model.gpt.config().clone(),
            tokenizer: tokenizer_kind(&plan.tokenizer),
        };
        if let Err(e) = save_checkpoint(&plan.run_dir, &state, &model.gpt, optim, &plan.tokenizer, plan.keep_checkpoints) {
            plan.fail(e, interrupter);
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
        _starting_epoch: usize,
    ) -> (CausalLm, SupervisedTrainingEventProcessor<CausalLm>) {
        let plan = &self.plan;
        let train = dataloader_train.to_device(&plan.device);
        let valid = dataloader_valid.to_device(&plan.device.clone().inner());
        learner.fork(&plan.device);
        let mut model = learner.model();
        let mut optim = plan.optimizer.lock().expect("optimizer lock").take().expect("the plan holds an optimizer");
        let mut processor = components.event_processor;
        let interrupter = components.interrupter;
        // On a terminal the dashboard owns the screen; elsewhere we print the book's lines.
        let quiet = std::io::stdout().is_terminal();
        let mut at = match &plan.resume {
            Some(s) => Position {
                step: s.step,
                epoch: s.epoch,
                batches_in_epoch: s.batches_in_epoch,
                tokens_seen: s.tokens_seen,
            },
            None => Position {
                step: 0,
                epoch: 1,
                batches_in_epoch: 0,
                tokens_seen: 0,
            },
        };
        let mut last_checkpoint = at.step;
        let done = |step: usize| plan.max_steps.is_some_and(|max| step >= max);

        'epochs: while at.epoch <= components.num_epochs && !done(at.step) {
            let epoch = at.epoch;
            plan.train_order.set_epoch(epoch);
            interrupter.fail_on_error(processor.process_train(LearnerEvent::StartSplit {
                epoch_number: epoch,
                total_items: train.num_items(),
            }));
            let mut iterator = train.iter();
            // A resumed epoch skips the batches its checkpoint had consumed.
            for _ in 0..at.batches_in_epoch {
                iterator.next();
            }
            let mut accumulator = GradientsAccumulator::new();
            let (mut micro, mut loss_sum, mut micro_tokens) = (0usize, 0.0f64, 0usize);
            let mut started = Instant::now();
            while let Some(batch) = iterator.next() {
                let batch = match batch {
                    Ok(batch) => batch,
                    Err(err) => {
                        interrupter.fail(err);
                        break 'epochs;
                    }
                };
                let [b, t] = batch.inputs.dims();
                let out = TrainStep::step(&model, batch);
                loss_sum += out.item.loss.clone().into_scalar::<f64>();
                micro += 1;
                micro_tokens += b * t;
                at.batches_in_epoch += 1;
                accumulator.accumulate(&model, out.grads);
                let lr = plan.schedule.lr_at(at.step);
                let epoch_end = at.batches_in_epoch >= plan.batches_per_epoch;
                if micro < plan.grad_accumulation && !epoch_end {
                    let item = TrainingItem::new(out.item, iterator.progress(), Some(at.batches_in_epoch), Some(lr.into()));
                    interrupter.fail_on_error(processor.process_train(LearnerEvent::ProcessedItem(item)));
                    continue;
                }

                // One optimizer step on the mean gradient of the accumulated batches.
                let mut grads = accumulator.grads();
                if micro > 1 {
                    scale_gradients(&model, &mut grads, 1.0 / micro as f64);
                }
                if plan.grad_clip > 0.0 && plan.schedule.past_warmup(at.step) {
                    clip_global_norm(&model, &mut grads, plan.grad_clip);
                }
                model = model.optimize(&mut optim, lr.into(), grads);
                at.step += 1;
                at.tokens_seen += micro_tokens;
                let train_loss = loss_sum / micro as f64;
                let tokens_per_s = micro_tokens as f64 / started.elapsed().as_secs_f64();

                // The book evaluates after its first step and every `eval_freq` steps after.
                let val_loss = if plan.eval_every > 0 && (at.step - 1) % plan.eval_every == 0 {
                    let eval_model = model.valid();
                    let train_eval = self.evaluate(&eval_model, plan.train_eval.as_ref());
                    let val = self.evaluate(&eval_model, plan.val_eval.as_ref());
                    if !quiet {
                        println!(
                            "epoch {epoch} (step {:06}): train loss {:.3}, val loss {:.3}, lr {lr:.2e}",
                            at.step,
                            train_eval.unwrap_or(f64::NAN),
                            val.unwrap_or(f64::NAN),
                        );
                    }
                    val
                } else {
                    None
                };
                let record = StepRecord {
                    step: at.step,
                    epoch,
                    tokens_seen: at.tokens_seen,
                    train_loss,
                    val_loss,
                    lr,
                    tokens_per_s,
                };
                if let Err(e) = plan.csv.lock().expect("csv lock").write(&record) {
                    plan.fail(e, &interrupter);
                }
                let item = TrainingItem::new(out.item, iterator.progress(), Some(at.batches_in_epoch), Some(lr.into()));
                interrupter.fail_on_error(processor.process_train(LearnerEvent::ProcessedItem(item)));
                if plan.checkpoint_every > 0 && at.step % plan.checkpoint_every == 0 {
                    self.checkpoint(&model, &optim, &at, &interrupter);
                    last_checkpoint = at.step;
                }
                (micro, loss_sum, micro_tokens) = (0, 0.0, 0);
                started = Instant::now();
                if interrupter.should_stop() || done(at.step) {
                    interrupter.fail_on_error(processor.process_train(LearnerEvent::EndSplit(epoch)));
                    self.sample(&model.valid(), epoch, quiet, &interrupter);
                    break 'epochs;
                }
            }
            interrupter.fail_on_error(processor.process_train(LearnerEvent::EndSplit(epoch)));

            // The whole validation split once per epoch, for the dashboard's valid metrics.
            let eval_model = model.valid();
            interrupter.fail_on_error(processor.process_valid(LearnerEvent::StartSplit {
                epoch_number: epoch,
                total_items: valid.num_items(),
            }));
            let mut iterator = valid.iter();
            let mut iteration = 0;
            while let Some(Ok(batch)) = iterator.next() {
                iteration += 1;
                let out = InferenceStep::step(&eval_model, batch);
                let item = TrainingItem::new(out, iterator.progress(), Some(iteration), None);
                interrupter.fail_on_error(processor.process_valid(LearnerEvent::ProcessedItem(item)));
            }
            interrupter.fail_on_error(processor.process_valid(LearnerEvent::EndSplit(epoch)));
            interrupter.fail_on_error(processor.process_train(LearnerEvent::EndEpoch(epoch)));
            self.sample(&eval_model, epoch, quiet, &interrupter);
            at.epoch += 1;
            at.batches_in_epoch = 0;
            if interrupter.should_stop() {
                break;
            }
        }
        if at.step > last_checkpoint && plan.failure.lock().expect("failure lock").is_none() {
            self.checkpoint(&model, &optim, &at, &interrupter);
        }
        (model, processor)
    }
}
