//! The training loop of every recipe (pretraining, fine-tuning) as a Burn
//! `SupervisedLearningStrategy`, with what a recipe adds plugged in through `TrainTask`.
//!
//! It reads as the book's `train_model_simple` (and nanoGPT's `train.py`) in named phases:
//! for each epoch, for each batch, `Fit::accumulate` its gradients; when a step is due,
//! `Fit::optimizer_step`, then `Fit::evaluate` and `Fit::log` it, then
//! `Fit::checkpoint_if_due`; after the epoch, `Fit::validate_epoch` for the dashboard
//! and the task's end-of-epoch work.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Instant;

use burn::data::dataloader::{DataLoader, Progress};
use burn::module::Module;
use burn::optim::{GradientsAccumulator, ModuleOptimizer};
use burn::train::{
    EventProcessorTraining, InferenceStep, Interrupter, Learner, LearnerEvent, SupervisedLearningStrategy,
    SupervisedTrainingEventProcessor, TrainLoader, TrainStep, TrainingComponents, TrainingItem, ValidLoader,
};

use crate::checkpoint::{TrainingState, save_checkpoint};
use crate::error::TrainError;
use crate::finite::all_finite;
use crate::loop_plan::LoopPlan;
use crate::metrics_csv::StepRecord;
use crate::position::Position;
use crate::torch_replay::draws;
use crate::train_task::TrainTask;
use crate::{clip_global_norm, scale_gradients};

/// The book's training loop (chapters 5–7): one optimizer step per batch (or per
/// `grad_accumulation` batches), evaluation after the first step and every `eval_every`
/// steps on `eval_batches` batches, the task's end-of-epoch work, a `metrics.csv` row per
/// step and a checkpoint every `checkpoint_every` steps and at the end; progress and
/// metrics go to Burn's renderer (the dashboard on a terminal).
pub struct TrainLoop<T: TrainTask> {
    pub plan: Arc<LoopPlan<T::Batch>>,
    pub task: Arc<T>,
}

/// Whether the loop goes on after a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// Gradients of the micro-batches read since the last optimizer step.
struct Accumulation<M> {
    gradients: GradientsAccumulator<M>,
    batches: usize,
    loss_sum: f64,
    tokens: usize,
    started: Instant,
}

impl<M> Accumulation<M> {
    fn new() -> Self {
        Self { gradients: GradientsAccumulator::new(), batches: 0, loss_sum: 0.0, tokens: 0, started: Instant::now() }
    }
}

/// One `fit`: the model and optimizer being trained, where the loop stands, and where its
/// events go.
struct Fit<'a, T: TrainTask> {
    plan: &'a LoopPlan<T::Batch>,
    task: &'a T,
    /// `None` only while an optimizer step holds it: the step consumes the model, so that
    /// flex's fused AdamW finds every parameter's buffer unshared and updates it in place.
    model: Option<T::Model>,
    optim: ModuleOptimizer,
    processor: SupervisedTrainingEventProcessor<T::Model>,
    interrupter: Interrupter,
    at: Position,
    last_checkpoint: usize,
    last_checkpoint_time: Instant,
    /// On a terminal the dashboard owns the screen; elsewhere the book's lines are printed.
    quiet: bool,
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
        let plan = self.plan.as_ref();
        let train = dataloader_train.to_device(&plan.device);
        let valid = dataloader_valid.to_device(&plan.device.clone().inner());
        learner.fork(&plan.device);
        let at = plan.start();
        let mut fit = Fit {
            plan,
            task: self.task.as_ref(),
            model: Some(learner.model()),
            optim: plan.optimizer.lock().expect("optimizer lock").take().expect("the plan holds an optimizer"),
            processor: components.event_processor,
            interrupter: components.interrupter,
            last_checkpoint: at.step,
            last_checkpoint_time: Instant::now(),
            at,
            quiet: std::io::stdout().is_terminal(),
        };
        let mut resuming = plan.resume.is_some();
        while fit.at.epoch <= components.num_epochs && !plan.done(fit.at.step) {
            plan.start_epoch(&mut fit.at, std::mem::take(&mut resuming));
            if fit.train_epoch(train.as_ref()) == Flow::Stop {
                break;
            }
            fit.validate_epoch(valid.as_ref());
            fit.end_of_epoch();
            fit.at.next_epoch();
            if fit.interrupter.should_stop() {
                break;
            }
        }
        if fit.at.step > fit.last_checkpoint && !plan.failed() {
            fit.checkpoint();
        }
        (fit.model.expect("the model is back after each step"), fit.processor)
    }
}

impl<T: TrainTask> Fit<'_, T> {
    fn model(&self) -> &T::Model {
        self.model.as_ref().expect("the model is back after each step")
    }

    /// The epoch's batches (a resumed epoch skips those its checkpoint consumed), one
    /// optimizer step each `grad_accumulation` of them and at the epoch's end.
    fn train_epoch(&mut self, loader: &dyn DataLoader<T::Batch>) -> Flow {
        let epoch = self.at.epoch;
        // The items of the full batches: a final partial batch is dropped, as the book does.
        let total_items = self.plan.batches_per_epoch * self.plan.batch_size;
        self.train_event(LearnerEvent::StartSplit { epoch_number: epoch, total_items });
        let mut batches = loader.iter();
        for _ in 0..self.at.batches_in_epoch {
            batches.next();
        }
        let mut accumulation = Accumulation::new();
        while let Some(batch) = batches.next() {
            let batch = match batch {
                Ok(batch) => batch,
                Err(err) => {
                    self.interrupter.fail(err);
                    return Flow::Stop;
                }
            };
            let output = match self.accumulate(batch, &mut accumulation) {
                Ok(output) => output,
                Err(error) => {
                    self.plan.fail(error, &self.interrupter);
                    return Flow::Stop;
                }
            };
            if !accumulation.loss_sum.is_finite() {
                let error = TrainError::NonFiniteLoss { step: self.at.step + 1, loss: accumulation.loss_sum, kept: self.kept() };
                self.plan.fail(error, &self.interrupter);
                return Flow::Stop;
            }
            let lr = self.plan.schedule.lr_at(self.at.step);
            let epoch_end = self.at.batches_in_epoch >= self.plan.batches_per_epoch;
            if accumulation.batches == self.plan.grad_accumulation || epoch_end {
                let mut record = self.optimizer_step(&mut accumulation, lr);
                record.val_loss = self.evaluate(lr);
                self.log(&record);
                self.report(output, lr);
                self.checkpoint_if_due();
                accumulation = Accumulation::new();
                if self.interrupter.should_stop() || self.plan.done(self.at.step) {
                    self.train_event(LearnerEvent::EndSplit(epoch));
                    self.end_of_epoch();
                    return Flow::Stop;
                }
            } else {
                self.report(output, lr);
            }
        }
        self.train_event(LearnerEvent::EndSplit(epoch));
        Flow::Continue
    }

    /// Forward and backward pass of one batch; its gradients join the accumulation.
    fn accumulate(
        &mut self,
        batch: T::Batch,
        accumulation: &mut Accumulation<T::Model>,
    ) -> Result<<T::Model as TrainStep>::Output, TrainError> {
        accumulation.tokens += T::batch_tokens(&batch);
        let out = TrainStep::step(self.model(), batch);
        let step = self.at.step + 1;
        let loss = T::train_loss(&out.item).try_into_scalar::<f64>();
        accumulation.loss_sum += loss.map_err(|e| TrainError::device(format!("step {step}: the training loss"), &self.plan.device, e))?;
        accumulation.batches += 1;
        self.at.batches_in_epoch += 1;
        accumulation.gradients.accumulate(self.model(), out.grads);
        Ok(out.item)
    }

    /// One optimizer step on the mean gradient of the accumulated batches, clipped to the
    /// global norm after the warm-up; the step's metrics row (without its evaluation).
    fn optimizer_step(&mut self, accumulation: &mut Accumulation<T::Model>, lr: f64) -> StepRecord {
        let batches = accumulation.batches;
        let mut grads = std::mem::replace(&mut accumulation.gradients, GradientsAccumulator::new()).grads();
        if batches > 1 {
            scale_gradients(self.model(), &mut grads, 1.0 / batches as f64);
        }
        if self.plan.grad_clip > 0.0
            && self.plan.schedule.past_warmup(self.at.step)
            && let Err(e) = clip_global_norm(self.model(), &mut grads, self.plan.grad_clip)
        {
            let error = TrainError::device(format!("step {}: the gradient norm", self.at.step + 1), &self.plan.device, e);
            self.plan.fail(error, &self.interrupter);
        }
        let model = self.model.take().expect("the model is back after each step");
        self.model = Some(model.optimize(&mut self.optim, lr.into(), grads));
        self.at.step += 1;
        self.at.tokens_seen += accumulation.tokens;
        StepRecord {
            step: self.at.step,
            epoch: self.at.epoch,
            tokens_seen: self.at.tokens_seen,
            train_loss: accumulation.loss_sum / batches as f64,
            val_loss: None,
            lr,
            tokens_per_s: accumulation.tokens as f64 / accumulation.started.elapsed().as_secs_f64(),
        }
    }

    /// The book evaluates after its first step and every `eval_freq` steps after: the mean
    /// loss of `eval_batches` batches of each split, printed as its line; the validation
    /// loss is returned for `metrics.csv`.
    fn evaluate(&mut self, lr: f64) -> Option<f64> {
        let plan = self.plan;
        let step = self.at.step;
        if plan.eval_every == 0 || (step - 1) % plan.eval_every != 0 {
            return None;
        }
        let eval_model = self.model().valid();
        plan.train_eval_order.set_epoch(step);
        let train = self.mean_loss(&eval_model, plan.train_eval.as_ref(), "the training split's evaluation loss");
        plan.val_eval_order.set_epoch(step);
        let val = self.mean_loss(&eval_model, plan.val_eval.as_ref(), "the validation loss");
        let epoch = self.at.epoch;
        self.print(format!(
            "epoch {epoch} (step {step:06}): train loss {:.3}, val loss {:.3}, lr {lr:.2e}",
            train.unwrap_or(f64::NAN),
            val.unwrap_or(f64::NAN),
        ));
        match self.task.on_evaluation(&eval_model, epoch, step) {
            Ok(line) => line.into_iter().for_each(|line| self.print(line)),
            Err(e) => self.plan.fail(e, &self.interrupter),
        }
        val
    }

    /// Mean loss over the first `eval_batches` batches of `loader` (`what` names it in an
    /// error, which stops the run).
    fn mean_loss(&self, model: &T::Model, loader: &dyn DataLoader<T::Batch>, what: &str) -> Option<f64> {
        let mut total = 0.0;
        let mut n = 0;
        for batch in loader.iter().take(self.plan.eval_batches) {
            let out = InferenceStep::step(model, batch.ok()?);
            match T::valid_loss(&out).try_into_scalar::<f64>() {
                Ok(loss) => total += loss,
                Err(e) => {
                    let step = self.at.step;
                    self.plan.fail(TrainError::device(format!("step {step}: {what}"), &self.plan.device, e), &self.interrupter);
                    return None;
                }
            }
            n += 1;
        }
        (n > 0).then(|| total / n as f64)
    }

    /// The step's row of `metrics.csv`.
    fn log(&self, record: &StepRecord) {
        if let Err(e) = self.plan.csv.lock().expect("csv lock").write(record) {
            self.plan.fail(e, &self.interrupter);
        }
    }

    /// A processed batch, for the dashboard's training metrics and progress.
    fn report(&mut self, output: <T::Model as TrainStep>::Output, lr: f64) {
        let batch_size = self.plan.batch_size;
        let total = self.plan.batches_per_epoch * batch_size;
        let progress = Progress::new(self.at.batches_in_epoch * batch_size, total, Some("items".into()));
        let item = TrainingItem::new(output, progress, Some(self.at.batches_in_epoch), Some(lr.into()));
        self.train_event(LearnerEvent::ProcessedItem(item));
    }

    /// A checkpoint every `checkpoint_every` steps, and whenever `checkpoint_interval` has
    /// passed since the last one.
    fn checkpoint_if_due(&mut self) {
        let (every, interval) = (self.plan.checkpoint_every, self.plan.checkpoint_interval);
        let by_steps = every > 0 && self.at.step % every == 0;
        let by_time = !interval.is_zero() && self.last_checkpoint_time.elapsed() >= interval;
        if by_steps || by_time {
            self.checkpoint();
        }
    }

    /// Model, optimizer and position into `checkpoints/step-NNNNNNNN`, unless the weights
    /// are damaged (then the run stops, and the last checkpoint stays the newest).
    fn checkpoint(&mut self) {
        let plan = self.plan;
        if !all_finite(self.model()) {
            plan.fail(TrainError::NonFiniteWeights { step: self.at.step, kept: self.kept() }, &self.interrupter);
            return;
        }
        let mut at = self.at.clone();
        if let (Some(generator), Some(p)) = (&plan.torch, at.torch_draws.as_mut()) {
            p.now = draws(generator);
        }
        let state = TrainingState::at(&at, T::model_config(self.model()), self.task.tokenizer(), self.task.recipe_state());
        match save_checkpoint(&plan.run_dir, &state, self.model(), &self.optim, self.task.tokenizer(), plan.keep_checkpoints) {
            Ok(_) => (self.last_checkpoint, self.last_checkpoint_time) = (self.at.step, Instant::now()),
            Err(e) => plan.fail(e, &self.interrupter),
        }
    }

    /// The whole validation split once per epoch, for the dashboard's validation metrics.
    fn validate_epoch(&mut self, loader: &dyn DataLoader<T::Batch>) {
        let epoch = self.at.epoch;
        let eval_model = self.model().valid();
        let event = LearnerEvent::StartSplit { epoch_number: epoch, total_items: loader.num_items() };
        self.interrupter.fail_on_error(self.processor.process_valid(event));
        let mut batches = loader.iter();
        let mut iteration = 0;
        while let Some(Ok(batch)) = batches.next() {
            iteration += 1;
            let out = InferenceStep::step(&eval_model, batch);
            let item = TrainingItem::new(out, batches.progress(), Some(iteration), None);
            self.interrupter.fail_on_error(self.processor.process_valid(LearnerEvent::ProcessedItem(item)));
        }
        self.interrupter.fail_on_error(self.processor.process_valid(LearnerEvent::EndSplit(epoch)));
        self.train_event(LearnerEvent::EndEpoch(epoch));
    }

    /// The task's work after an epoch (the book's sample, accuracy), on the model in
    /// evaluation mode.
    fn end_of_epoch(&mut self) {
        match self.task.end_of_epoch(&self.model().valid(), self.at.epoch, self.at.step) {
            Ok(line) => line.into_iter().for_each(|line| self.print(line)),
            Err(e) => self.plan.fail(e, &self.interrupter),
        }
    }

    /// Which checkpoint a stopped run can go back to.
    fn kept(&self) -> String {
        match self.last_checkpoint {
            0 => "no checkpoint was written before".into(),
            step => format!("its newest checkpoint, step-{step:08}, is intact: resume from it with another setting, e.g. a lower --set lr"),
        }
    }

    fn train_event(&mut self, event: LearnerEvent<<T::Model as TrainStep>::Output>) {
        self.interrupter.fail_on_error(self.processor.process_train(event));
    }

    /// A line of the book's output, unless the dashboard owns the terminal.
    fn print(&self, line: String) {
        if !self.quiet {
            println!("{line}");
        }
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
