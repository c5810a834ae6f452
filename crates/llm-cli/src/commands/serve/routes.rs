//! The HTTP endpoints: `GET /v1/models`, `POST /v1/chat/completions`, `POST /v1/completions`,
//! `GET /health`, the chat page at `GET /`; the API key check, the body limit, and one log line per request.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::{get, post};
use llm_data::Tokenizer;
use llm_model::generation::GenerateOptions;
use serde_json::json;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio_stream::wrappers::UnboundedReceiverStream;

use super::api::{ChatRequest, CompletionRequest, DEFAULT_MAX_TOKENS, Endpoint, Piece, ReplyIds, Settings};
use super::engine::{Engine, Event, Job, Refused};
use super::error::ApiError;
use crate::commands::chat_format::ChatFormat;

/// The largest request body taken (a long conversation fits many times over).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// What the handlers share.
pub struct Server {
    pub engine: Engine,
    pub tokenizer: Tokenizer,
    pub chat: ChatFormat,
    /// The name `/v1/models` lists and replies carry.
    pub model_name: String,
    pub api_key: Option<String>,
    pub context_length: usize,
    /// The model's end-of-sequence ids.
    pub stop_tokens: Vec<u32>,
    pub max_queue: usize,
    /// The seed of requests that give none.
    pub seed: u64,
    pub started: u64,
    pub replies: AtomicU64,
}

pub fn router(server: Arc<Server>) -> Router {
    Router::new()
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/completions", post(completions))
        .route("/health", get(health))
        .route("/", get(chat_page))
        .fallback(|request: Request| async move { ApiError::not_found(request.uri().path()) })
        .layer(middleware::from_fn_with_state(server.clone(), authorize))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(log_request))
        .with_state(server)
}

/// The chat page (`chat_page.html`): one file with its script; it asks for the API key itself.
async fn chat_page() -> Html<&'static str> {
    Html(include_str!("chat_page.html"))
}

/// With `--api-key`, a request without `Authorization: Bearer KEY` gets 401, except the chat
/// page itself (`GET /`: static, it holds nothing of the model, and sends the key its user
/// types with every request it makes).
async fn authorize(State(server): State<Arc<Server>>, request: Request, next: Next) -> Response {
    let chat_page = request.method() == axum::http::Method::GET && request.uri().path() == "/";
    if let Some(key) = server.api_key.as_ref().filter(|_| !chat_page) {
        let given = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(key.as_str()) {
            return ApiError::unauthorized().into_response();
        }
    }
    next.run(request).await
}

/// A completion that logs its own line (with its token counts) when it ends.
#[derive(Clone, Copy)]
struct LoggedByCompletion;

/// One line per request: method, path, status and time; completions log theirs with tokens.
async fn log_request(request: Request, next: Next) -> Response {
    let (method, path, started) = (request.method().clone(), request.uri().path().to_string(), Instant::now());
    let response = next.run(request).await;
    if response.extensions().get::<LoggedByCompletion>().is_none() {
        tracing::info!(%method, %path, status = response.status().as_u16(), total_ms = started.elapsed().as_millis() as u64, "request");
    }
    response
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

async fn models(State(server): State<Arc<Server>>) -> Json<serde_json::Value> {
    Json(json!({
        "object": "list",
        "data": [{"id": server.model_name, "object": "model", "created": server.started, "owned_by": "llm"}],
    }))
}

async fn chat_completions(State(server): State<Arc<Server>>, body: Result<Bytes, BytesRejection>) -> Response {
    let started = Instant::now();
    let reply = async {
        let request = ChatRequest::parse(&read_body(body)?)?;
        if request.messages.is_empty() {
            return Err(ApiError::invalid_field("messages", "at least one message is needed"));
        }
        let prompt = server.chat.render(&request.messages).map_err(ApiError::invalid)?;
        complete(&server, Endpoint::Chat, &prompt, &request.settings, started).await
    };
    reply.await.unwrap_or_else(IntoResponse::into_response)
}

async fn completions(State(server): State<Arc<Server>>, body: Result<Bytes, BytesRejection>) -> Response {
    let started = Instant::now();
    let reply = async {
        let request = CompletionRequest::parse(&read_body(body)?)?;
        complete(&server, Endpoint::Completion, &request.prompt, &request.settings, started).await
    };
    reply.await.unwrap_or_else(IntoResponse::into_response)
}

fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large(MAX_BODY_BYTES),
        _ => ApiError::invalid(format!("cannot read the request body: {e}")),
    })
}

/// Generates the reply to `prompt` (already rendered), whole or streamed.
async fn complete(server: &Server, endpoint: Endpoint, prompt: &str, settings: &Settings, started: Instant) -> Result<Response, ApiError> {
    let ids = server.tokenizer.encode(prompt);
    if ids.is_empty() {
        return Err(ApiError::invalid_field(if endpoint == Endpoint::Chat { "messages" } else { "prompt" }, "the prompt is empty"));
    }
    let context = server.context_length;
    let max_new_tokens = match settings.max_tokens()? {
        Some(max) if ids.len() + max > context => {
            return Err(ApiError::invalid(format!(
                "the prompt's {} tokens plus max_tokens {max} exceed the model's context of {context} tokens",
                ids.len()
            )));
        }
        Some(max) => max,
        None if ids.len() >= context => {
            return Err(ApiError::invalid(format!(
                "the prompt's {} tokens leave no room in the model's context of {context} tokens",
                ids.len()
            )));
        }
        None => DEFAULT_MAX_TOKENS.min(context - ids.len()),
    };
    let options = GenerateOptions {
        max_new_tokens,
        sampling: settings.sampling()?,
        seed: settings.seed.unwrap_or(server.seed),
        stop_tokens: server.stop_tokens.clone(),
        use_cache: true,
    };
    let (events, replies) = unbounded_channel();
    let prompt_tokens = ids.len();
    let job = Job { prompt: ids, options, stop: settings.stop_strings()?, events };
    server.engine.submit(job).map_err(|refused| match refused {
        Refused::QueueFull => ApiError::queue_full(server.max_queue),
        Refused::Stopped => ApiError::internal("the decoding worker has stopped"),
    })?;
    let n = server.replies.fetch_add(1, Ordering::Relaxed);
    let prefix = if endpoint == Endpoint::Chat { "chatcmpl" } else { "cmpl" };
    let reply = ReplyIds {
        id: format!("{prefix}-{}-{n}", server.started),
        created: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        model: server.model_name.clone(),
    };
    let log = Log { endpoint, prompt_tokens, started };
    let mut response = if settings.stream.unwrap_or(false) {
        let include_usage = settings.stream_options.as_ref().is_some_and(|o| o.include_usage);
        streamed(reply, endpoint, replies, log, include_usage).into_response()
    } else {
        whole(reply, endpoint, replies, log).await?.into_response()
    };
    response.extensions_mut().insert(LoggedByCompletion);
    Ok(response)
}

/// What a completion's log line says.
struct Log {
    endpoint: Endpoint,
    prompt_tokens: usize,
    started: Instant,
}

impl Log {
    /// `batch`: the most requests decoded together while this one ran, once it has ended.
    fn write(&self, status: u16, completion_tokens: usize, first_token: Option<Duration>, batch: Option<usize>) {
        let path = if self.endpoint == Endpoint::Chat { "/v1/chat/completions" } else { "/v1/completions" };
        tracing::info!(
            method = "POST",
            path,
            status,
            prompt_tokens = self.prompt_tokens,
            completion_tokens,
            first_token_ms = first_token.map(|d| d.as_millis() as u64),
            total_ms = self.started.elapsed().as_millis() as u64,
            batch,
            "request"
        );
    }
}

/// The reply as one JSON object, once generated.
async fn whole(reply: ReplyIds, endpoint: Endpoint, mut events: UnboundedReceiver<Event>, log: Log) -> Result<Json<serde_json::Value>, ApiError> {
    let mut text = String::new();
    let mut first = None;
    loop {
        match events.recv().await {
            Some(Event::Text(piece)) => {
                first.get_or_insert_with(|| log.started.elapsed());
                text.push_str(&piece);
            }
            Some(Event::Done { finish, completion_tokens, batch }) => {
                log.write(200, completion_tokens, first, Some(batch));
                return Ok(Json(reply.complete(endpoint, &text, finish, log.prompt_tokens, completion_tokens)));
            }
            Some(Event::Failed(message)) => {
                log.write(500, 0, first, None);
                return Err(ApiError::internal(format!("generation failed: {message}")));
            }
            None => {
                log.write(500, 0, first, None);
                return Err(ApiError::internal("the decoding worker stopped before the reply ended"));
            }
        }
    }
}

/// The reply as server-sent events: OpenAI's chunks, then `data: [DONE]`.
/// With `include_usage`, a chunk with the request's `usage` comes before `[DONE]`.
fn streamed(reply: ReplyIds, endpoint: Endpoint, mut events: UnboundedReceiver<Event>, log: Log, include_usage: bool) -> impl IntoResponse {
    let (sse, stream) = unbounded_channel::<Result<SseEvent, Infallible>>();
    let data = |value: serde_json::Value| Ok(SseEvent::default().data(value.to_string()));
    tokio::spawn(async move {
        let mut first = None;
        let mut sent = 0usize;
        if endpoint == Endpoint::Chat && sse.send(data(reply.chunk(endpoint, Piece::Role))).is_err() {
            return;
        }
        loop {
            match events.recv().await {
                Some(Event::Text(piece)) => {
                    first.get_or_insert_with(|| log.started.elapsed());
                    sent += 1;
                    if sse.send(data(reply.chunk(endpoint, Piece::Text(&piece)))).is_err() {
                        // The client has gone: dropping `events` frees its place at the next step.
                        log.write(499, sent, first, None);
                        return;
                    }
                }
                Some(Event::Done { finish, completion_tokens, batch }) => {
                    let _ = sse.send(data(reply.chunk(endpoint, Piece::End(finish))));
                    if include_usage {
                        let _ = sse.send(data(reply.usage_chunk(endpoint, log.prompt_tokens, completion_tokens)));
                    }
                    let _ = sse.send(Ok(SseEvent::default().data("[DONE]")));
                    log.write(200, completion_tokens, first, Some(batch));
                    return;
                }
                Some(Event::Failed(message)) => {
                    let error = ApiError::internal(format!("generation failed: {message}"));
                    let _ = sse.send(data(error.body()));
                    let _ = sse.send(Ok(SseEvent::default().data("[DONE]")));
                    log.write(500, sent, first, None);
                    return;
                }
                None => {
                    let _ = sse.send(data(ApiError::internal("the decoding worker stopped").body()));
                    log.write(500, sent, first, None);
                    return;
                }
            }
        }
    });
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, "no-cache".parse().expect("a header value"));
    (headers, Sse::new(UnboundedReceiverStream::new(stream)).keep_alive(KeepAlive::default()))
}
