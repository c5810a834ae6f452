//! The request bodies of `/v1/chat/completions` and `/v1/completions` (the fields this server
//! reads; others that OpenAI's clients send are ignored) and the objects it answers with.

use llm_data::chat::ChatMessage;
use llm_model::generation::{FinishReason, SamplingConfig};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::error::ApiError;

/// Tokens a reply may have when the request does not say (fewer if the context is shorter).
pub const DEFAULT_MAX_TOKENS: usize = 256;

/// A chat completion request. `model` is not read: the server answers with the one model it
/// serves, whatever name a client sends (clients often send a default such as `gpt-4o-mini`).
#[derive(Debug)]
pub struct ChatRequest {
    pub messages: Vec<ChatMessage>,
    pub settings: Settings,
}

#[derive(Debug)]
pub struct CompletionRequest {
    pub prompt: String,
    pub settings: Settings,
}

/// The generation settings both endpoints take.
#[derive(Debug, Default)]
pub struct Settings {
    pub max_tokens: Option<usize>,
    pub max_completion_tokens: Option<usize>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    /// An extension (OpenAI has none): sample from the `top_k` likeliest tokens.
    pub top_k: Option<usize>,
    pub seed: Option<u64>,
    pub stop: Option<Stop>,
    pub stream: Option<bool>,
    /// `stream_options`: with `include_usage`, a stream ends with a chunk carrying `usage`.
    pub stream_options: Option<StreamOptions>,
    pub n: Option<usize>,
}

/// `stream_options` of a streamed request.
#[derive(Debug, Default, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

/// `stop`: one string or a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

/// A request body as a JSON object, or a 400 saying what it is instead.
fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ApiError::invalid(format!("the request body must be a JSON object, got {}", kind(&other)))),
        Err(e) => Err(ApiError::invalid(format!("the request body is not JSON: {e}"))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Field `key` of `map` as a `T` (`None` when absent or null), or a 400 naming the field,
/// what it should be (`expected`) and what it is.
fn field<T: DeserializeOwned>(map: &Map<String, Value>, key: &str, expected: &str) -> Result<Option<T>, ApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => serde_json::from_value(value.clone())
            .map(Some)
            .map_err(|_| ApiError::invalid_field(key, format!("expected {expected}, got {}", kind(value)))),
    }
}

fn required<T: DeserializeOwned>(map: &Map<String, Value>, key: &str, expected: &str) -> Result<T, ApiError> {
    field(map, key, expected)?.ok_or_else(|| ApiError::invalid_field(key, format!("missing (expected {expected})")))
}

impl ChatRequest {
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let map = object(body)?;
        let messages = required(&map, "messages", "a list of {\"role\", \"content\"} objects with string values")?;
        Ok(Self { messages, settings: Settings::parse(&map)? })
    }
}

impl CompletionRequest {
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let map = object(body)?;
        let prompt = required(&map, "prompt", "a string")?;
        Ok(Self { prompt, settings: Settings::parse(&map)? })
    }
}

impl Settings {
    fn parse(map: &Map<String, Value>) -> Result<Self, ApiError> {
        let count = "a whole number";
        Ok(Self {
            max_tokens: field(map, "max_tokens", count)?,
            max_completion_tokens: field(map, "max_completion_tokens", count)?,
            temperature: field(map, "temperature", "a number")?,
            top_p: field(map, "top_p", "a number")?,
            top_k: field(map, "top_k", count)?,
            seed: field(map, "seed", "a whole number")?,
            stop: field(map, "stop", "a string or a list of strings")?,
            stream: field(map, "stream", "true or false")?,
            stream_options: field(map, "stream_options", "an object such as {\"include_usage\": true}")?,
            n: field(map, "n", count)?,
        })
    }

    /// The sampler's settings, checked (OpenAI's ranges: temperature 0 to 2, top_p in (0, 1]).
    pub fn sampling(&self) -> Result<SamplingConfig, ApiError> {
        if self.n.is_some_and(|n| n != 1) {
            return Err(ApiError::invalid_field("n", "only one choice per request is generated (n = 1)"));
        }
        let temperature = self.temperature.unwrap_or(1.0);
        if !(0.0..=2.0).contains(&temperature) {
            return Err(ApiError::invalid_field("temperature", format!("{temperature} is outside 0 to 2")));
        }
        if let Some(p) = self.top_p
            && !(p > 0.0 && p <= 1.0)
        {
            return Err(ApiError::invalid_field("top_p", format!("{p} is outside (0, 1]")));
        }
        if self.top_k == Some(0) {
            return Err(ApiError::invalid_field("top_k", "must be at least 1"));
        }
        Ok(SamplingConfig { temperature, top_k: self.top_k, top_p: self.top_p })
    }

    /// The longest reply asked for (`max_completion_tokens`, else `max_tokens`).
    pub fn max_tokens(&self) -> Result<Option<usize>, ApiError> {
        match self.max_completion_tokens.or(self.max_tokens) {
            Some(0) => Err(ApiError::invalid_field("max_tokens", "must be at least 1")),
            other => Ok(other),
        }
    }

    pub fn stop_strings(&self) -> Result<Vec<String>, ApiError> {
        let stops = match &self.stop {
            None => Vec::new(),
            Some(Stop::One(s)) => vec![s.clone()],
            Some(Stop::Many(list)) => list.clone(),
        };
        if stops.len() > 4 {
            return Err(ApiError::invalid_field("stop", format!("{} strings given, at most 4 are allowed", stops.len())));
        }
        Ok(stops)
    }
}

/// Which endpoint a reply belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Chat,
    Completion,
}

pub fn finish_reason(finish: FinishReason) -> &'static str {
    match finish {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
    }
}

/// What every reply object of a request carries.
#[derive(Debug, Clone)]
pub struct ReplyIds {
    pub id: String,
    pub created: u64,
    pub model: String,
}

impl ReplyIds {
    fn object(&self, object: &str, choice: Value) -> Value {
        json!({"id": self.id, "object": object, "created": self.created, "model": self.model, "choices": [choice]})
    }

    /// The whole reply (not streamed).
    pub fn complete(&self, endpoint: Endpoint, text: &str, finish: FinishReason, prompt_tokens: usize, completion_tokens: usize) -> Value {
        let reason = finish_reason(finish);
        let mut reply = match endpoint {
            Endpoint::Chat => self.object(
                "chat.completion",
                json!({"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": reason, "logprobs": null}),
            ),
            Endpoint::Completion => {
                self.object("text_completion", json!({"index": 0, "text": text, "finish_reason": reason, "logprobs": null}))
            }
        };
        reply["usage"] = usage(prompt_tokens, completion_tokens);
        reply
    }

    /// The last chunk of a stream whose request set `stream_options.include_usage`: no
    /// choices, the request's `usage`.
    pub fn usage_chunk(&self, endpoint: Endpoint, prompt_tokens: usize, completion_tokens: usize) -> Value {
        let object = if endpoint == Endpoint::Chat { "chat.completion.chunk" } else { "text_completion" };
        let mut chunk = self.object(object, Value::Null);
        chunk["choices"] = json!([]);
        chunk["usage"] = usage(prompt_tokens, completion_tokens);
        chunk
    }

    /// A streamed chunk: the assistant's role (chat only, first), a piece of text, or the end.
    pub fn chunk(&self, endpoint: Endpoint, piece: Piece) -> Value {
        match endpoint {
            Endpoint::Chat => {
                let (delta, reason) = match piece {
                    Piece::Role => (json!({"role": "assistant", "content": ""}), Value::Null),
                    Piece::Text(text) => (json!({"content": text}), Value::Null),
                    Piece::End(finish) => (json!({}), Value::from(finish_reason(finish))),
                };
                self.object("chat.completion.chunk", json!({"index": 0, "delta": delta, "finish_reason": reason, "logprobs": null}))
            }
            Endpoint::Completion => {
                let (text, reason) = match piece {
                    Piece::Role => (String::new(), Value::Null),
                    Piece::Text(text) => (text.to_string(), Value::Null),
                    Piece::End(finish) => (String::new(), Value::from(finish_reason(finish))),
                };
                self.object("text_completion", json!({"index": 0, "text": text, "finish_reason": reason, "logprobs": null}))
            }
        }
    }
}

fn usage(prompt_tokens: usize, completion_tokens: usize) -> Value {
    json!({"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens})
}

/// A part of a streamed reply.
#[derive(Debug, Clone, Copy)]
pub enum Piece<'a> {
    Role,
    Text(&'a str),
    End(FinishReason),
}
