//! LLM-as-judge, as the book scores its responses with llama3 through Ollama: the book's
//! prompt, an Ollama (`/api/chat`) or OpenAI-compatible (`/v1/chat/completions`) server,
//! retries with back-off, and a tolerant reading of the reply.

use std::time::Duration;

use llm_data::instruction::{InstructionRecord, PromptTemplate};
use serde_json::{Value, json};

/// Why a score could not be had.
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    #[error("judge at {url} unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("judge at {url}: {reason}")]
    Failed { url: String, reason: String },
    #[error("judge reply has no score from 0 to 100: {0:?}")]
    Unparseable(String),
}

/// Which protocol the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JudgeApi {
    Ollama,
    OpenAi,
}

/// A judge model behind an HTTP endpoint.
#[derive(Debug, Clone)]
pub struct Judge {
    pub url: String,
    pub model: String,
    pub api: JudgeApi,
    /// Attempts after the first, for connection errors, 429 and 5xx.
    pub retries: usize,
    /// The first retry's wait; each later one doubles it.
    pub backoff: Duration,
    agent: ureq::Agent,
}

impl Judge {
    /// `url` is the full endpoint (`…/api/chat` or `…/v1/chat/completions`) or a server's
    /// base URL (`http://localhost:11434`: Ollama's chat endpoint is appended).
    pub fn new(url: &str, model: &str) -> Self {
        let url = url.trim_end_matches('/');
        let (url, api) = if url.ends_with("/chat/completions") {
            (url.to_string(), JudgeApi::OpenAi)
        } else if url.ends_with("/v1") {
            (format!("{url}/chat/completions"), JudgeApi::OpenAi)
        } else if url.ends_with("/api/chat") {
            (url.to_string(), JudgeApi::Ollama)
        } else {
            (format!("{url}/api/chat"), JudgeApi::Ollama)
        };
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .timeout_connect(Some(Duration::from_secs(10)))
                .timeout_global(Some(Duration::from_secs(300)))
                .build(),
        );
        Self { url, model: model.to_string(), api, retries: 3, backoff: Duration::from_millis(500), agent }
    }

    /// The book's scoring prompt for one answered record.
    pub fn prompt(template: PromptTemplate, record: &InstructionRecord, response: &str) -> String {
        format!(
            "Given the input `{}` and correct output `{}`, score the model response `{response}` on a scale from 0 to 100, where 100 is the best score. Respond with the integer number only.",
            template.prompt(record),
            record.output
        )
    }

    /// The judge's score of `response` (0–100).
    pub fn score(&self, template: PromptTemplate, record: &InstructionRecord, response: &str) -> Result<u32, JudgeError> {
        let reply = self.chat(&Self::prompt(template, record, response))?;
        parse_score(&reply).ok_or(JudgeError::Unparseable(reply))
    }

    /// One chat turn (deterministic: temperature 0, seed 123, as the book asks Ollama).
    pub fn chat(&self, prompt: &str) -> Result<String, JudgeError> {
        let messages = json!([{"role": "user", "content": prompt}]);
        let body = match self.api {
            JudgeApi::Ollama => json!({
                "model": self.model, "messages": messages, "stream": false,
                "options": {"seed": 123, "temperature": 0, "num_ctx": 2048}
            }),
            JudgeApi::OpenAi => json!({"model": self.model, "messages": messages, "temperature": 0, "seed": 123}),
        }
        .to_string();
        let mut wait = self.backoff;
        let mut attempt = 0;
        loop {
            let result = self
                .agent
                .post(&self.url)
                .header("content-type", "application/json")
                .send(body.as_str())
                .and_then(|r| r.into_body().read_to_string());
            let retryable = match &result {
                Ok(_) => false,
                Err(ureq::Error::StatusCode(code)) => *code == 429 || *code >= 500,
                Err(_) => true,
            };
            if retryable && attempt < self.retries {
                tracing::warn!(url = %self.url, attempt, "judge request failed; retrying in {wait:?}");
                std::thread::sleep(wait);
                wait *= 2;
                attempt += 1;
                continue;
            }
            return match result {
                Ok(text) => self.content(&text),
                Err(ureq::Error::StatusCode(code)) => {
                    Err(JudgeError::Failed { url: self.url.clone(), reason: format!("HTTP status {code}") })
                }
                Err(e) => Err(JudgeError::Unreachable { url: self.url.clone(), reason: e.to_string() }),
            };
        }
    }

    /// The reply's text: Ollama's `message.content` (also from a streamed reply, one JSON
    /// object per line), or OpenAI's `choices[0].message.content`.
    fn content(&self, body: &str) -> Result<String, JudgeError> {
        let bad = |reason: String| JudgeError::Failed { url: self.url.clone(), reason };
        let mut text = String::new();
        for line in body.lines().filter(|l| !l.trim().is_empty()) {
            let value: Value = serde_json::from_str(line).map_err(|e| bad(format!("reply is not JSON: {e}")))?;
            let content = match self.api {
                JudgeApi::Ollama => value.pointer("/message/content"),
                JudgeApi::OpenAi => value.pointer("/choices/0/message/content"),
            };
            text.push_str(content.and_then(Value::as_str).ok_or_else(|| bad(format!("no message content in {line}")))?);
        }
        Ok(text)
    }
}

/// The first whole number from 0 to 100 in a reply (`"85"`, `"Score: 85/100"`, `"**90**"`).
pub fn parse_score(reply: &str) -> Option<u32> {
    reply
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .find_map(|s| s.parse::<u32>().ok().filter(|&n| n <= 100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_read_robustly() {
        assert_eq!(parse_score("85"), Some(85));
        assert_eq!(parse_score("Score: 92/100"), Some(92));
        assert_eq!(parse_score("**100**\n"), Some(100));
        assert_eq!(parse_score("I'd say 250, no: 40"), Some(40));
        assert_eq!(parse_score("no idea"), None);
    }

    #[test]
    fn endpoints_from_urls() {
        assert_eq!(Judge::new("http://localhost:11434", "llama3").url, "http://localhost:11434/api/chat");
        assert_eq!(Judge::new("http://h/v1/", "m").api, JudgeApi::OpenAi);
        assert_eq!(Judge::new("http://h/v1", "m").url, "http://h/v1/chat/completions");
        assert_eq!(Judge::new("http://h/api/chat", "m").api, JudgeApi::Ollama);
    }
}
