//! The decoding worker: one thread owns the model and decodes the running requests together,
//! one token each per step ([`step_together`]: one forward pass whose weight products take a
//! row per request, each row with its own key/value cache, position and sampler). A request
//! joins at the next step (its prompt is read alone, then it decodes with the others) and
//! leaves when it ends; a request whose client has gone is dropped at the next step. A
//! failure inside a step answers every request of that step with an error; the worker goes on.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};

use llm_data::Tokenizer;
use llm_data::tokenizer::StreamDecoder;
use llm_model::LanguageModel;
use llm_model::generation::{Decoding, FinishReason, GenerateOptions, step_together};
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
    /// The end: why, how many tokens were generated (a final stop token not counted), and
    /// the most requests decoded together while this one ran (itself included).
    Done { finish: FinishReason, completion_tokens: usize, batch: usize },
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

/// The worker's loop: admit waiting jobs up to `max_batch`, then step the running ones together.
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
        running.retain(|r| {
            let present = !r.events.is_closed();
            if !present {
                tracing::debug!("client gone: its sequence leaves the batch");
            }
            present
        });
        let stepped = {
            let mut decodings: Vec<&mut Decoding> = running.iter_mut().map(|r| &mut r.decoding).collect();
            catch_unwind(AssertUnwindSafe(|| step_together(model, &mut decodings)))
        };
        match stepped {
            Ok(tokens) => {
                let (mut tokens, batch) = (tokens.into_iter(), running.len());
                running.retain_mut(|r| {
                    r.batch = r.batch.max(batch);
                    r.deliver(tokens.next().flatten())
                });
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "the model failed".into());
                tracing::error!(%message, requests = running.len(), "a decoding step failed");
                for r in running.drain(..) {
                    let _ = r.events.send(Event::Failed(message.clone()));
                }
            }
        }
    }
}

/// A job being generated.
struct Running<'t> {
    decoding: Decoding,
    text: StreamDecoder<'t>,
    stop: StopText,
    events: UnboundedSender<Event>,
    /// The most requests stepped together with this one so far (itself included).
    batch: usize,
}

impl<'t> Running<'t> {
    fn new(model: &LanguageModel, tokenizer: &'t Tokenizer, job: Job) -> Self {
        Self {
            decoding: Decoding::new(model, &job.prompt, job.options),
            text: StreamDecoder::new(tokenizer),
            stop: StopText::new(job.stop),
            events: job.events,
            batch: 1,
        }
    }

    /// Sends the text of the step's `token`; `false` once the job is over.
    fn deliver(&mut self, token: Option<u32>) -> bool {
        if let Some(token) = token
            && !self.decoding.ended_on_stop_token()
        {
            let (piece, stopped) = self.stop.push(&self.text.push(token));
            self.send_text(piece);
            if stopped {
                self.decoding.stop();
            }
        }
        match self.decoding.finish_reason() {
            None => true,
            Some(finish) => {
                let rest = self.stop.finish();
                self.send_text(rest);
                let generated = self.decoding.generated().len();
                let completion_tokens = generated - usize::from(self.decoding.ended_on_stop_token());
                let _ = self.events.send(Event::Done { finish, completion_tokens, batch: self.batch });
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
