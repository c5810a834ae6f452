//! `llm eval instruct --judge-url ... --judge-model ...` against local HTTP servers that
//! speak Ollama's and OpenAI's chat protocols.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use common::*;

/// Serves chat replies on a loopback port: the first `failures` requests get HTTP 500,
/// the rest `reply(path)`. Returns the base URL and the request bodies seen.
fn serve(failures: usize, reply: fn(&str) -> String) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).unwrap();
            seen.lock().unwrap().push(String::from_utf8(body).unwrap());
            let (status, text) = if n < failures { ("500 Internal Server Error", String::new()) } else { ("200 OK", reply(&path)) };
            let head = format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", text.len());
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(text.as_bytes()).unwrap();
        }
    });
    (url, bodies)
}

fn responses_file(dir: &std::path::Path) -> String {
    let records = serde_json::json!([
        {"instruction": "Rewrite the sentence using a simile.", "input": "The car is very fast.", "output": "The car is as fast as lightning.", "model_response": "The car is as fast as a bullet."},
        {"instruction": "What is the capital of France?", "input": "", "output": "Paris.", "model_response": "Paris"}
    ]);
    let path = dir.join("responses.json");
    std::fs::write(&path, records.to_string()).unwrap();
    path.display().to_string()
}

fn value(stdout: &str, key: &str) -> String {
    stdout.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).unwrap_or_else(|| panic!("{key} in {stdout}")).to_string()
}

#[test]
fn ollama_judge_with_a_retry() {
    let dir = tempfile::tempdir().unwrap();
    let file = responses_file(dir.path());
    let (url, bodies) = serve(1, |path| {
        assert_eq!(path, "/api/chat");
        r#"{"model":"llama3","message":{"role":"assistant","content":"Score: 80"},"done":true}"#.to_string()
    });
    let stdout = ok(&["eval", "instruct", "--responses", &file, "--judge-url", &url, "--judge-model", "llama3"]);
    assert_eq!(value(&stdout, "judge_score"), "80.0");
    assert_eq!(value(&stdout, "judge_scored"), "2");
    assert_eq!(value(&stdout, "judge_total"), "2");
    assert!(value(&stdout, "rouge_l").parse::<f64>().unwrap() > 0.5);
    let bodies = bodies.lock().unwrap();
    assert_eq!(bodies.len(), 3, "one failed request retried, then one per record");
    let request: serde_json::Value = serde_json::from_str(&bodies[1]).unwrap();
    assert_eq!(request["model"], "llama3");
    let prompt = request["messages"][0]["content"].as_str().unwrap();
    assert!(
        prompt.starts_with("Given the input `Below is an instruction that describes a task.")
            && prompt.contains("and correct output `The car is as fast as lightning.`, score the model response `The car is as fast as a bullet.` on a scale from 0 to 100")
            && prompt.ends_with("Respond with the integer number only."),
        "the book's prompt: {prompt}"
    );
}

#[test]
fn openai_compatible_judge_and_unparseable_replies() {
    let dir = tempfile::tempdir().unwrap();
    let file = responses_file(dir.path());
    let (url, _) = serve(0, |path| {
        assert_eq!(path, "/v1/chat/completions");
        r#"{"choices":[{"message":{"role":"assistant","content":"65"}}]}"#.to_string()
    });
    let stdout = ok(&["eval", "instruct", "--responses", &file, "--judge-url", &format!("{url}/v1"), "--judge-model", "m"]);
    assert_eq!(value(&stdout, "judge_score"), "65.0");

    let (url, _) = serve(0, |_| r#"{"message":{"content":"I cannot score this."}}"#.to_string());
    let stdout = ok(&["eval", "instruct", "--responses", &file, "--judge-url", &url, "--judge-model", "m"]);
    assert_eq!(value(&stdout, "judge_scored"), "0", "{stdout}");
}

#[test]
fn unreachable_judge_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = responses_file(dir.path());
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = fails(&["eval", "instruct", "--responses", &file, "--judge-url", &format!("http://127.0.0.1:{port}"), "--judge-model", "m"]);
    assert!(err.contains("unreachable") && err.contains(&port.to_string()), "{err}");
}
