//! The decoding worker: one thread owns the model and steps every running request in turn,
//! one token each per round. A request joins at the next round and leaves when it ends, with
//! its own key/value cache, position and sampler ([`Decoding`]), so its tokens are those it
//! would get alone; a request whose client has gone is dropped at the next round.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};

use llm_data::Tokenizer;
use llm_data::tokenizer::StreamDecoder;
use llm_model::LanguageModel;
use llm_model::generation::{Decoding, FinishReason, GenerateOptions};
use tokio::sync::mpsc::UnboundedSender;

use super::stop_text::StopText;

/// One completion to generate.
pub struct Job {
    pub prompt: Vec<u32>,
    pub options: GenerateOptions,
    /// Strings that end the reply (not sent).
    pub stop: Vec<String>,
    /// Where the reply goes, piece by piece.
    pub events: UnboundedSender<Event>,
}

/// What a job's reply is made of.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The next piece of text (whole characters only).
    Text(String),
    /// The end: why, and how many tokens were generated (a final stop token not counted).
    Done { finish: FinishReason, completion_tokens: usize },
    /// Generating failed; the message says why.
    Failed(String),
}

/// Why a job was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The queue holds `max_queue` jobs already.
    QueueFull,
    /// The worker has stopped.
    Stopped,
}

/// The handle requests submit jobs through.
#[derive(Clone)]
pub struct Engine {
    queue: SyncSender<Job>,
}

impl Engine {
    /// Starts the worker: at most `max_batch` jobs run at once, `max_queue` wait.
    pub fn start(model: LanguageModel, tokenizer: Tokenizer, max_batch: usize, max_queue: usize) -> Self {
        let (queue, jobs) = sync_channel(max_queue);
        std::thread::Builder::new()
            .name("decoder".into())
            .spawn(move || work(&model, &tokenizer, jobs, max_batch.max(1)))
            .expect("the decoding thread starts");
        Self { queue }
    }

    pub fn submit(&self, job: Job) -> Result<(), Refused> {
        self.queue.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => Refused::QueueFull,
            TrySendError::Disconnected(_) => Refused::Stopped,
        })
    }
}

/// The worker's loop: admit waiting jobs up to `max_batch`, then give each running one a step.
fn work(model: &LanguageModel, tokenizer: &Tokenizer, jobs: Receiver<Job>, max_batch: usize) {
    // The weights' first use (a fresh model's are initialised lazily), before any request waits on it.
    let warm_up = GenerateOptions { max_new_tokens: 1, ..GenerateOptions::default() };
    Decoding::new(model, &[0], warm_up).step(model);
    let mut running: Vec<Running> = Vec::new();
    loop {
        while running.len() < max_batch {
            let job = if running.is_empty() {
                match jobs.recv() {
                    Ok(job) => job,
                    Err(_) => return, // every sender is gone: the server has stopped
                }
            } else {
                match jobs.try_recv() {
                    Ok(job) => job,
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            };
            running.push(Running::new(model, tokenizer, job));
        }
        running.retain_mut(|r| r.advance(model));
    }
}

/// A job being generated.
struct Running<'t> {
    decoding: Decoding,
    text: StreamDecoder<'t>,
    stop: StopText,
    events: UnboundedSender<Event>,
}

impl<'t> Running<'t> {
    fn new(model: &LanguageModel, tokenizer: &'t Tokenizer, job: Job) -> Self {
        Self {
            decoding: Decoding::new(model, &job.prompt, job.options),
            text: StreamDecoder::new(tokenizer),
            stop: StopText::new(job.stop),
            events: job.events,
        }
    }

    /// One token; `false` once the job is over (finished, failed, or its client gone).
    fn advance(&mut self, model: &LanguageModel) -> bool {
        if self.events.is_closed() {
            tracing::debug!("client gone: its sequence leaves the batch");
            return false;
        }
        match catch_unwind(AssertUnwindSafe(|| self.decoding.step(model))) {
            Ok(Some(token)) => {
                if !self.decoding.ended_on_stop_token() {
                    let (piece, stopped) = self.stop.push(&self.text.push(token));
                    self.send_text(piece);
                    if stopped {
                        self.decoding.stop();
                    }
                }
            }
            Ok(None) => {}
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "the model failed".into());
                tracing::error!(%message, "generation failed");
                let _ = self.events.send(Event::Failed(message));
                return false;
            }
        }
        match self.decoding.finish_reason() {
            None => true,
            Some(finish) => {
                let rest = self.stop.finish();
                self.send_text(rest);
                let generated = self.decoding.generated().len();
                let completion_tokens = generated - usize::from(self.decoding.ended_on_stop_token());
                let _ = self.events.send(Event::Done { finish, completion_tokens });
                false
            }
        }
    }

    fn send_text(&self, text: String) {
        if !text.is_empty() {
            let _ = self.events.send(Event::Text(text));
        }
    }
}
