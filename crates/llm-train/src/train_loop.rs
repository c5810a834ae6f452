//! The training loop of every recipe (pretraining, fine-tuning) as a Burn
//! `SupervisedLearningStrategy`, with what a recipe adds plugged in through [`TrainTask`].

use std::path::PathBuf;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::data::dataloader::DataLoader;
use burn::module::Module;
use burn::optim::{GradientsAccumulator, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use burn::train::{
    EventProcessorTraining, InferenceStep, Interrupter, Learner, LearnerEvent, LearnerModel, SupervisedLearningStrategy,
    SupervisedTrainingEventProcessor, TrainLoader, TrainStep, TrainingComponents, TrainingItem, ValidLoader,
};
use llm_data::Tokenizer;
use llm_data::dataset::EpochOrder;
use llm_model::SharedTorchGenerator;

use crate::checkpoint::{TrainingState, save_checkpoint};
use crate::error::TrainError;
use crate::metrics_csv::{MetricsCsv, StepRecord};
use crate::torch_replay::{DrawPosition, draws, seek};
use crate::{LrSchedule, clip_global_norm, scale_gradients};

/// What a recipe adds to the common loop: its model and batches, how a batch counts
/// tokens and yields its loss, what happens after each epoch, and what a checkpoint holds.
pub trait TrainTask: Send + Sync + 'static {
    type Batch: Send + Clone + std::fmt::Debug + 'static;
    type Model: LearnerModel + TrainStep<Input = Self::Batch> + InferenceStep<Input = Self::Batch> + Clone + Send;

    /// Tokens a batch feeds the model (for throughput and `tokens_seen`).
    fn batch_tokens(batch: &Self::Batch) -> usize;
    fn train_loss(output: &<Self::Model as TrainStep>::Output) -> Tensor<1>;
    fn valid_loss(output: &<Self::Model as InferenceStep>::Output) -> Tensor<1>;
    /// After each epoch, on the model in evaluation mode (the book's sample or accuracy);
    /// the returned line is printed when no dashboard owns the terminal.
    fn end_of_epoch(&self, model: &Self::Model, epoch: usize, step: usize) -> Result<Option<String>, TrainError>;
    /// At each evaluation step, after the losses, on the model in evaluation mode (DPO's
    /// rewards); the returned line is printed like the evaluation line.
    fn on_evaluation(&self, _model: &Self::Model, _epoch: usize, _step: usize) -> Result<Option<String>, TrainError> {
        Ok(None)
    }
    /// The checkpoint state of `model` at `position`.
    fn state(&self, model: &Self::Model, position: &Position) -> TrainingState;
    /// The run's tokenizer (a checkpoint keeps a copy unless it is GPT-2's).
    fn tokenizer(&self) -> &Tokenizer;
}

/// What the loop does besides stepping the optimizer.
pub struct LoopPlan<B> {
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
    /// Training batches for the periodic train-loss estimate, read in `train_eval_order`.
    pub train_eval: Arc<dyn DataLoader<B>>,
    pub val_eval: Arc<dyn DataLoader<B>>,
    /// Set before each estimate (drawn from PyTorch's generator when replaying the book).
    pub train_eval_order: EpochOrder,
    pub val_eval_order: EpochOrder,
    /// PyTorch's generator when the run replays the book's draws (`rng = "torch"`).
    pub torch: Option<SharedTorchGenerator>,
    pub csv: Mutex<MetricsCsv>,
    /// The optimizer, with its state when resuming; the loop takes it.
    pub optimizer: Mutex<Option<ModuleOptimizer>>,
    /// Where a resumed run starts.
    pub resume: Option<TrainingState>,
    /// An error of ours (writing run files) that stopped the loop.
    pub failure: Mutex<Option<TrainError>>,
}

impl<B> LoopPlan<B> {
    fn fail(&self, error: TrainError, interrupter: &Interrupter) {
        interrupter.stop(Some(&error.to_string()));
        self.failure.lock().expect("failure lock").get_or_insert(error);
    }

    /// The error that stopped the loop, if one did.
    pub fn take_failure(&self) -> Option<TrainError> {
        self.failure.lock().expect("failure lock").take()
    }

    /// The trained model of a finished run, or what stopped it: an error of ours first (it
    /// names the file), else Burn's.
    pub fn outcome<M>(&self, result: burn::train::LearningResult<M>) -> Result<M, TrainError> {
        if let Some(error) = self.take_failure() {
            return Err(error);
        }
        match result.error {
            Some(error) => Err(TrainError::Interrupted(error.to_string())),
            None => Ok(result.model),
        }
    }

    /// Fixes the order of the epoch `at` is in. A run replaying PyTorch's draws that resumes
    /// into this epoch draws its order again from where the epoch started, then continues
    /// from the checkpoint's position.
    fn start_epoch(&self, at: &mut Position, resuming: bool) {
        let Some(generator) = &self.torch else {
            self.train_order.set_epoch(at.epoch);
            return;
        };
        let resumed = at.torch_draws.filter(|_| resuming);
        if let Some(p) = resumed {
            seek(generator, p.epoch_start);
        }
        let epoch_start = draws(generator);
        self.train_order.set_epoch(at.epoch);
        match resumed {
            Some(p) => seek(generator, p.now),
            None => at.torch_draws = Some(DrawPosition { epoch_start, now: epoch_start }),
        }
    }

    /// The last optimizer step's metrics row and the last validation loss.
    pub fn last_step(&self) -> Result<(StepRecord, Option<f64>), TrainError> {
        let csv = self.csv.lock().expect("csv lock");
        let last = csv.last.clone().ok_or_else(|| TrainError::Invalid("no training step ran".into()))?;
        Ok((last, csv.last_val_loss))
    }
}

/// Where the loop stands.
#[derive(Debug, Clone)]
pub struct Position {
    pub step: usize,
    pub epoch: usize,
    pub batches_in_epoch: usize,
    pub tokens_seen: usize,
    /// PyTorch's generator's position, when the run replays the book's draws.
    pub torch_draws: Option<DrawPosition>,
}

impl Position {
    fn start(resume: Option<&TrainingState>) -> Self {
        match resume {
            Some(s) => Self {
                step: s.step,
                epoch: s.epoch,
                batches_in_epoch: s.batches_in_epoch,
                tokens_seen: s.tokens_seen,
                torch_draws: s.torch_draws,
            },
            None => Self { step: 0, epoch: 1, batches_in_epoch: 0, tokens_seen: 0, torch_draws: None },
        }
    }
}

/// The book's training loop (chapters 5–7): one optimizer step per batch (or per
/// `grad_accumulation` batches), evaluation after the first step and every `eval_every`
/// steps on `eval_batches` batches, the task's end-of-epoch work, a `metrics.csv` row per
/// step and a checkpoint every `checkpoint_every` steps and at the end; progress and
/// metrics go to Burn's renderer (the dashboard on a terminal).
pub struct TrainLoop<T: TrainTask> {
    pub plan: Arc<LoopPlan<T::Batch>>,
    pub task: Arc<T>,
}

impl<T: TrainTask> TrainLoop<T> {
    fn evaluate(&self, model: &T::Model, loader: &dyn DataLoader<T::Batch>) -> Option<f64> {
        let mut total = 0.0;
        let mut n = 0;
        for batch in loader.iter().take(self.plan.eval_batches) {
            let out = InferenceStep::step(model, batch.ok()?);
            total += T::valid_loss(&out).into_scalar::<f64>();
            n += 1;
        }
        (n > 0).then(|| total / n as f64)
    }

    fn end_of_epoch(&self, model: &T::Model, at: &Position, quiet: bool, interrupter: &Interrupter) {
        match self.task.end_of_epoch(model, at.epoch, at.step) {
            Ok(Some(line)) if !quiet => println!("{line}"),
            Ok(_) => {}
            Err(e) => self.plan.fail(e, interrupter),
        }
    }

    fn checkpoint(&self, model: &T::Model, optim: &ModuleOptimizer, at: &Position, interrupter: &Interrupter) {
        let plan = &self.plan;
        let mut at = at.clone();
        if let (Some(generator), Some(p)) = (&plan.torch, at.torch_draws.as_mut()) {
            p.now = draws(generator);
        }
        let state = self.task.state(model, &at);
        let tokenizer = self.task.tokenizer();
        if let Err(e) = save_checkpoint(&plan.run_dir, &state, model, optim, tokenizer, plan.keep_checkpoints) {
            plan.fail(e, interrupter);
        }
    }
}

impl<T: TrainTask> SupervisedLearningStrategy<T::Model> for TrainLoop<T> {
    fn fit(
        &self,
        components: TrainingComponents<T::Model>,
        mut learner: Learner<T::Model>,
        dataloader_train: TrainLoader<T::Model>,
        dataloader_valid: ValidLoader<T::Model>,
        _starting_epoch: usize,
    ) -> (T::Model, SupervisedTrainingEventProcessor<T::Model>) {
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
        let mut at = Position::start(plan.resume.as_ref());
        let mut resuming = plan.resume.is_some();
        let mut last_checkpoint = at.step;
        let done = |step: usize| plan.max_steps.is_some_and(|max| step >= max);

        'epochs: while at.epoch <= components.num_epochs && !done(at.step) {
            let epoch = at.epoch;
            plan.start_epoch(&mut at, std::mem::take(&mut resuming));
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
                micro_tokens += T::batch_tokens(&batch);
                let out = TrainStep::step(&model, batch);
                loss_sum += T::train_loss(&out.item).into_scalar::<f64>();
                micro += 1;
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
                    plan.train_eval_order.set_epoch(at.step);
                    let train_eval = self.evaluate(&eval_model, plan.train_eval.as_ref());
                    plan.val_eval_order.set_epoch(at.step);
                    let val = self.evaluate(&eval_model, plan.val_eval.as_ref());
                    if !quiet {
                        println!(
                            "epoch {epoch} (step {:06}): train loss {:.3}, val loss {:.3}, lr {lr:.2e}",
                            at.step,
                            train_eval.unwrap_or(f64::NAN),
                            val.unwrap_or(f64::NAN),
                        );
                    }
                    match self.task.on_evaluation(&eval_model, epoch, at.step) {
                        Ok(Some(line)) if !quiet => println!("{line}"),
                        Ok(_) => {}
                        Err(e) => plan.fail(e, &interrupter),
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
                    self.end_of_epoch(&model.valid(), &at, quiet, &interrupter);
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
            self.end_of_epoch(&eval_model, &at, quiet, &interrupter);
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

/// Burn's `SupervisedTraining` running `train_loop`, logging through the caller's tracing
/// subscriber, with the dashboard on a terminal and a plain line every 10 s elsewhere.
pub fn supervised_training<T: TrainTask>(
    run_dir: &std::path::Path,
    train: TrainLoader<T::Model>,
    valid: ValidLoader<T::Model>,
    train_loop: TrainLoop<T>,
) -> burn::train::SupervisedTraining<T::Model> {
    let mut training = burn::train::SupervisedTraining::new(run_dir, train, valid).with_application_logger(None);
    if !std::io::stdout().is_terminal() {
        training = training.renderer(Box::new(crate::plain_renderer::PlainRenderer::new(std::time::Duration::from_secs(10))));
    }
    training.with_training_strategy(burn::train::TrainingStrategy::Custom(Arc::new(train_loop)))
}
