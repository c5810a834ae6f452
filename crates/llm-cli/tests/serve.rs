//! `llm serve` end to end, through clients nobody here wrote: OpenAI's Python client (plain
//! and streamed chat completions, completions, the model list, its errors) and `curl`
//! (server-sent events parsed line by line, every bad request's status and error body, the
//! API key, a full queue, a client that leaves mid-stream, a graceful stop) and headless
//! Chromium (the chat page at `GET /` sends a message and shows the streamed reply). Greedy
//! replies must be token for token what `llm generate --temperature 0` gives for the same
//! prompt, also when several requests are decoded together.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::*;
use serde_json::Value;

/// A running `llm serve`, stopped when dropped.
struct Served {
    child: Child,
    base: String,
    log: std::path::PathBuf,
    _log_dir: tempfile::TempDir,
}

impl Served {
    fn start(model: &Path, extra: &[&str]) -> Self {
        let log_dir = tempfile::tempdir().unwrap();
        let log = log_dir.path().join("server.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_llm"))
            .args(["serve", "--model", model.to_str().unwrap(), "--port", "0"])
            .args(extra)
            .env_remove("LLM_API_KEY")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line.trim().rsplit(' ').next().unwrap_or_default().to_string();
        assert!(base.starts_with("http://127.0.0.1:"), "serve printed {line:?}; log: {}", std::fs::read_to_string(&log).unwrap());
        Self { child, base, log, _log_dir: log_dir }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    /// SIGTERM, then the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        self.child.wait().unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `curl` with `args`; returns the status code, the headers and the body.
fn curl(args: &[&str]) -> (u16, String, String) {
    let out = Command::new("curl").args(["-s", "-S", "-D", "-", "-w", "\n%{http_code}"]).args(args).output().unwrap();
    assert!(out.status.success() || out.status.code() == Some(28), "curl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let (rest, status) = text.rsplit_once('\n').unwrap();
    // The last header block (a large upload first gets `100 Continue`).
    let (headers, body) = rest.rsplit_once("\r\n\r\n").unwrap_or((rest, ""));
    (status.trim().parse().unwrap_or(0), headers.to_string(), body.to_string())
}

fn post(served: &Served, path: &str, body: &str, extra: &[&str]) -> (u16, String, String) {
    let url = served.url(path);
    curl(&[&["-H", "Content-Type: application/json", "-d", body][..], extra, &[&url]].concat())
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// A tiny GPT-2 model (random weights, GPT-2's tokenizer) with room for the Alpaca prompt.
fn gpt_model_dir() -> tempfile::TempDir {
    gpt_model_dir_of_width(32, 2)
}

/// A GPT-2 model of `emb_dim` and `n_layers` (random weights, GPT-2's tokenizer).
fn gpt_model_dir_of_width(emb_dim: usize, n_layers: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = llm_model::GptConfig { context_length: 160, emb_dim, n_heads: 2, n_layers, ..llm_model::GptConfig::gpt2_small() };
    let device = burn::tensor::Device::flex();
    device.seed(11);
    llm_model::weights::save_hf_dir(&config.init(&device).unwrap(), dir.path()).unwrap();
    dir
}

/// The book's Alpaca prompt for one question, as the server renders a chat without a template.
fn alpaca(question: &str) -> String {
    format!(
        "Below is an instruction that describes a task. Write a response that appropriately completes the request.\
         \n\n### Instruction:\n{question}\n\n### Response:\n"
    )
}

/// `llm generate --temperature 0 --json` on `model`.
fn greedy(model: &Path, prompt: &str, tokens: usize, extra: &[&str]) -> Value {
    let tokens = tokens.to_string();
    let args = [&["generate", "--model", model.to_str().unwrap(), "--prompt", prompt, "--max-new-tokens", &tokens][..], &["--temperature", "0", "--json"], extra].concat();
    json(&ok(&args))
}

/// The `data:` payloads of a server-sent event stream.
fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter(|event| !event.trim().is_empty())
        .filter_map(|event| event.lines().find_map(|l| l.strip_prefix("data: ")).map(str::to_string))
        .collect()
}

#[test]
fn the_openai_client_gets_what_generate_gives() {
    let Some(python) = std::env::var_os("LLM_PYTHON") else {
        assert!(std::env::var_os("CI").is_none(), "CI must set LLM_PYTHON (scripts/setup-python.sh)");
        eprintln!("LLM_PYTHON is not set: skipping the openai client check (run scripts/setup-python.sh)");
        return;
    };
    let model = gpt_model_dir();
    let served = Served::start(model.path(), &["--api-key", "sekret"]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/openai_client.py");
    let out = Command::new(python).arg(script).args([&served.base, "sekret"]).output().unwrap();
    assert!(out.status.success(), "openai client: {}\n{}", String::from_utf8_lossy(&out.stderr), served.log());
    let got = json(String::from_utf8(out.stdout).unwrap().lines().last().unwrap());

    let name = model.path().file_name().unwrap().to_str().unwrap();
    assert_eq!(got["models"], serde_json::json!([name]));
    let expected = greedy(model.path(), &alpaca("Name a colour."), 12, &[]);
    let chat = &got["chat"];
    assert_eq!(chat["object"], "chat.completion");
    assert_eq!(chat["role"], "assistant");
    assert_eq!(chat["content"], expected["text"], "the chat reply is generate's greedy continuation of the Alpaca prompt");
    assert_eq!(chat["usage"]["prompt_tokens"], expected["prompt_tokens"]);
    assert_eq!(chat["usage"]["completion_tokens"], expected["generated_tokens"]);
    let finish = if expected["generated_tokens"] == 12 { "length" } else { "stop" };
    assert_eq!(chat["finish_reason"], finish);
    let stream = &got["chat_stream"];
    assert_eq!(stream["content"], expected["text"], "streamed pieces add up to the same reply");
    assert_eq!(stream["roles"], serde_json::json!(["assistant"]));
    assert_eq!(stream["finish_reason"], finish);
    assert_eq!(stream["objects"], serde_json::json!(["chat.completion.chunk"]));
    assert_eq!(stream["usage"], chat["usage"], "stream_options.include_usage: a last chunk with the usage");

    let expected = greedy(model.path(), "Every effort moves", 8, &[]);
    assert_eq!(got["completion"]["object"], "text_completion");
    assert_eq!(got["completion"]["text"], expected["text"]);
    assert_eq!(got["completion"]["usage"]["total_tokens"], expected["prompt_tokens"].as_u64().unwrap() + expected["generated_tokens"].as_u64().unwrap());
    assert_eq!(got["completion_stream"]["text"], expected["text"]);
    assert_eq!(got["n2"]["status"], 400);
    assert!(got["n2"]["message"].as_str().unwrap().contains("`n`"), "{}", got["n2"]);
    assert_eq!(got["wrong_key"]["status"], 401);
}

#[test]
fn curl_reads_a_stream_of_server_sent_events() {
    let model = gpt_model_dir();
    let served = Served::start(model.path(), &[]);
    let request = r#"{"model": "x", "messages": [{"role": "user", "content": "Name a colour."}], "max_tokens": 10, "temperature": 0, "stream": true}"#;
    let (status, headers, body) = post(&served, "/v1/chat/completions", request, &["-N"]);
    assert_eq!(status, 200, "{body}");
    assert!(headers.to_lowercase().contains("content-type: text/event-stream"), "{headers}");
    let events = sse_data(&body);
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"), "{body}");
    let chunks: Vec<Value> = events[..events.len() - 1].iter().map(|e| json(e)).collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let last = chunks.last().unwrap();
    assert!(last["choices"][0]["finish_reason"].is_string(), "{last}");
    let content: String = chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(content, greedy(model.path(), &alpaca("Name a colour."), 10, &[])["text"].as_str().unwrap());
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk" && c["id"] == chunks[0]["id"]));

    let (status, _, body) = curl(&[&served.url("/health")]);
    assert_eq!((status, json(&body)["status"].as_str()), (200, Some("ok")));
}

#[test]
fn bad_requests_get_openai_error_objects() {
    let model = gpt_model_dir();
    let served = Served::start(model.path(), &[]);
    let error = |status: u16, body: &str, expected_status: u16, needle: &str| {
        assert_eq!(status, expected_status, "{body}");
        let error = &json(body)["error"];
        assert!(error["type"].is_string() && error["message"].as_str().unwrap().contains(needle), "{needle} in {body}");
    };
    let chat = |body: &str| post(&served, "/v1/chat/completions", body, &[]);
    let (s, _, b) = chat("{not json");
    error(s, &b, 400, "not JSON");
    let (s, _, b) = chat(r#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": "ten"}"#);
    error(s, &b, 400, "`max_tokens`: expected a whole number, got a string");
    let (s, _, b) = chat(r#"{"messages": []}"#);
    error(s, &b, 400, "`messages`");
    let (s, _, b) = chat(r#"{"messages": [{"role": "user", "content": "hi"}], "n": 3}"#);
    error(s, &b, 400, "`n`");
    let (s, _, b) = chat(r#"{"messages": [{"role": "user", "content": "hi"}], "temperature": 7}"#);
    error(s, &b, 400, "`temperature`");
    let (s, _, b) = chat(r#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 150}"#);
    error(s, &b, 400, "tokens plus max_tokens 150 exceed the model's context of 160 tokens");
    let (s, _, b) = chat(r#"{"messages": [{"role": "robot", "content": "hi"}]}"#);
    error(s, &b, 400, "messages[0].role");
    let (s, _, b) = post(&served, "/v1/completions", r#"{"prompt": 5}"#, &[]);
    error(s, &b, 400, "`prompt`: expected a string, got a number");
    let (s, _, b) = curl(&[&served.url("/v1/embeddings")]);
    error(s, &b, 404, "/v1/embeddings");
    let big = format!(r#"{{"prompt": "{}"}}"#, "a".repeat(2 << 20));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), big).unwrap();
    let (s, _, b) = post(&served, "/v1/completions", &format!("@{}", file.path().display()), &[]);
    error(s, &b, 413, "larger than");
    // And it keeps serving.
    let (s, _, b) = post(&served, "/v1/completions", r#"{"prompt": "Hello", "max_tokens": 3, "temperature": 0}"#, &[]);
    assert_eq!(s, 200, "{b}");
    assert_eq!(json(&b)["usage"]["completion_tokens"], 3);
}

#[test]
fn concurrent_requests_are_decoded_together_and_answer_as_alone() {
    // Wide enough that each reply takes a while, so the requests overlap.
    let model = gpt_model_dir_of_width(256, 4);
    let served = Served::start(model.path(), &["--max-batch", "8"]);
    let requests = [("The cat", 30), ("Once upon a time there", 12), ("Rust is", 25), ("A", 40), ("Hello, my name is", 18), ("1, 2, 3,", 35)];
    let body = |(prompt, tokens): (&str, usize)| serde_json::json!({"prompt": prompt, "max_tokens": tokens, "temperature": 0}).to_string();
    let replies: Vec<(u16, String, String)> = std::thread::scope(|scope| {
        let served = &served;
        let handles: Vec<_> = requests.map(|r| scope.spawn(move || post(served, "/v1/completions", &body(r), &[]))).into_iter().collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for ((prompt, tokens), (status, _, reply)) in requests.iter().zip(&replies) {
        assert_eq!(*status, 200, "{reply}");
        let expected = greedy(model.path(), prompt, *tokens, &[]);
        assert_eq!(json(reply)["choices"][0]["text"], expected["text"], "{prompt:?}: as generate alone");
        assert_eq!(json(reply)["usage"]["completion_tokens"], expected["generated_tokens"], "{prompt:?}");
    }
    let log = served.log();
    let largest = log.lines().filter_map(|l| l.split("batch=").nth(1)?.split_whitespace().next()?.parse::<usize>().ok()).max();
    assert!(largest.is_some_and(|b| b >= 2), "the requests were decoded together: {log}");
}

#[test]
fn a_model_with_a_chat_template_answers_as_generate_chat() {
    let dir = tempfile::tempdir().unwrap();
    let device = burn::tensor::Device::flex();
    device.seed(5);
    let preset = llm_model::ModelConfig::preset("qwen3-0.6b").unwrap();
    let mut fields = preset.fields();
    let small = serde_json::json!({"vocab_size": 50257, "context_length": 256, "emb_dim": 32, "n_heads": 2, "n_kv_heads": 1, "head_dim": 16, "hidden_dim": 64, "n_layers": 2});
    fields.as_object_mut().unwrap().extend(small.as_object().unwrap().clone());
    let config = preset.with_fields(fields).unwrap();
    llm_model::weights::save_language_model(&config.init(&device).unwrap(), dir.path()).unwrap();
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../llm-data/tests/fixtures/chat/qwen3.jinja");
    std::fs::copy(template, dir.path().join("chat_template.jinja")).unwrap();
    let served = Served::start(dir.path(), &[]);
    let request = r#"{"messages": [{"role": "user", "content": "Name a colour."}], "max_tokens": 9, "temperature": 0}"#;
    let (status, _, body) = post(&served, "/v1/chat/completions", request, &[]);
    assert_eq!(status, 200, "{body}");
    let expected = greedy(dir.path(), "Name a colour.", 9, &["--chat"]);
    assert_eq!(json(&body)["choices"][0]["message"]["content"], expected["text"], "rendered by the model's template");
    assert_eq!(json(&body)["usage"]["prompt_tokens"], expected["prompt_tokens"]);
}

#[test]
fn the_api_key_is_required_when_set() {
    let model = gpt_model_dir();
    let served = Served::start(model.path(), &["--api-key", "k3y"]);
    let (status, _, body) = curl(&[&served.url("/v1/models")]);
    assert_eq!(status, 401, "{body}");
    assert_eq!(json(&body)["error"]["code"], "invalid_api_key");
    let (status, _, _) = curl(&["-H", "Authorization: Bearer wrong", &served.url("/v1/models")]);
    assert_eq!(status, 401);
    let (status, _, body) = curl(&["-H", "Authorization: Bearer k3y", &served.url("/v1/models")]);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_full_queue_answers_503_with_retry_after() {
    // GPT_CONFIG_124M (a fresh one): each reply takes long enough for all six to arrive.
    let served = Served::start(Path::new("gpt-config-124m"), &["--max-batch", "1", "--max-queue", "1"]);
    let request = r#"{"prompt": "Hello", "max_tokens": 40, "temperature": 0}"#;
    let results: Vec<(u16, String, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6).map(|_| scope.spawn(|| post(&served, "/v1/completions", request, &[]))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let refused: Vec<_> = results.iter().filter(|(s, _, _)| *s == 503).collect();
    assert!(!refused.is_empty(), "one runs, one waits, the rest are refused: {results:?}");
    for (_, headers, body) in &refused {
        assert!(headers.to_lowercase().contains("retry-after: 1"), "{headers}");
        assert_eq!(json(body)["error"]["code"], "queue_full");
    }
    let answered = results.iter().filter(|(s, _, _)| *s == 200).count();
    assert!(answered >= 1, "{results:?}");
    assert_eq!(answered + refused.len(), 6, "{results:?}");
}

#[test]
fn a_client_that_leaves_frees_its_place_and_sigterm_stops_the_server() {
    // GPT_CONFIG_124M (a fresh one): a long reply takes seconds.
    let served = Served::start(Path::new("gpt-config-124m"), &["--max-batch", "1"]);
    // A long streamed reply, abandoned after a moment.
    let long = r#"{"prompt": "Hello", "max_tokens": 200, "temperature": 0, "stream": true}"#;
    let (status, _, _) = post(&served, "/v1/completions", long, &["-N", "--max-time", "1"]);
    assert!(status == 0 || status == 200, "{status}");
    // The only place in the batch is free again: the next request is answered in full.
    let (status, _, body) = post(&served, "/v1/completions", r#"{"prompt": "Hi", "max_tokens": 4, "temperature": 0}"#, &[]);
    assert_eq!(status, 200, "{body}");
    let log = served.log();
    assert!(log.contains("status=499"), "the abandoned stream is logged as such: {log}");
    assert!(log.contains("completion_tokens=4"), "{log}");
    let exit = served.terminate();
    assert!(exit.success(), "a graceful stop exits with 0: {exit:?}");
}

/// Debian's `chromium` (`LLM_CHROMIUM` names another binary), or `None` outside CI.
fn chromium() -> Option<String> {
    let binary = std::env::var("LLM_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let found = Command::new(&binary).arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium (.ci/run does)");
        eprintln!("{binary} not found: skipping the chat page's browser test (apt-get install chromium)");
    }
    found.then_some(binary)
}

#[test]
fn the_chat_page_streams_a_reply_in_headless_chromium() {
    let Some(chromium) = chromium() else { return };
    let model = gpt_model_dir();
    let served = Served::start(model.path(), &[]);
    // A user's steps, through Chromium's DevTools protocol: set temperature 0 and 12 tokens,
    // type, press Send, wait for the streamed reply to end. `LLM_CHAT_PAGE_SCREENSHOT=FILE`
    // keeps a screenshot of the page.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/chat_page_browser.py");
    let python = std::env::var("LLM_PYTHON").unwrap_or_else(|_| "python3".into());
    let screenshot = std::env::var("LLM_CHAT_PAGE_SCREENSHOT").unwrap_or_default();
    let out = Command::new(python).arg(script).args([&chromium, &served.base, "Name a colour.", "12", &screenshot]).output().unwrap();
    assert!(out.status.success(), "browser: {}\n{}", String::from_utf8_lossy(&out.stderr), served.log());
    let page = json(String::from_utf8(out.stdout).unwrap().lines().last().unwrap_or_default());

    let expected = greedy(model.path(), &alpaca("Name a colour."), 12, &[]);
    let finish = if expected["generated_tokens"] == 12 { "length" } else { "stop" };
    let name = model.path().file_name().unwrap().to_str().unwrap();
    assert_eq!(page["title"], format!("llm chat: {name}"), "the page asked /v1/models for the name");
    assert_eq!(page["bubbles"][0]["text"], "Name a colour.");
    assert_eq!(page["bubbles"][1]["kind"], "message assistant");
    assert_eq!(page["bubbles"][1]["text"], expected["text"], "the streamed reply shown is generate's greedy reply: {page}");
    assert_eq!(page["bubbles"][1]["finish"], finish);
    assert_eq!(page["transcript"]["messages"][1]["content"], expected["text"], "the conversation the next request sends");
    assert_eq!(page["send_enabled"], true, "ready for the next message");
    // The page's request, as the server logged it: the chat endpoint, answered in full.
    let log = served.log();
    let chat_line = log.lines().find(|l| l.contains(r#"path="/v1/chat/completions""#)).unwrap_or_else(|| panic!("no chat request logged: {log}"));
    assert!(chat_line.contains("status=200") && chat_line.contains(&format!("completion_tokens={}", expected["generated_tokens"])), "{chat_line}");
}

#[test]
fn the_chat_page_needs_no_api_key_but_everything_else_does() {
    let model = gpt_model_dir();
    let served = Served::start(model.path(), &["--api-key", "k3y"]);
    let (status, headers, body) = curl(&[&served.url("/")]);
    assert_eq!(status, 200, "{body}");
    assert!(headers.to_lowercase().contains("content-type: text/html"), "{headers}");
    assert!(body.contains("/v1/chat/completions") && !body.contains("k3y"), "the page, without the key");
    assert_eq!(curl(&[&served.url("/health")]).0, 401);
}
