//! `cargo xtask bench --workload serve`: `llm serve` on a GPT-2-small-shaped model under 1, 4,
//! 8 and 16 concurrent streaming clients (OpenAI's Python client, `scripts/bench_serve.py`),
//! each sending the same number of requests: tokens per second over all clients, time to the
//! first token and between tokens, errors. Its reference is the server itself with one client:
//! the goal is 8 clients at 3 times one client's tokens per second (batched decoding).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

/// The concurrent clients of each run.
pub const CLIENTS: [usize; 4] = [1, 4, 8, 16];
/// Requests each client sends, one after another.
const REQUESTS: usize = 4;
/// Tokens each reply asks for.
const MAX_TOKENS: usize = 64;
/// The served model: a fresh GPT-2 small (124M parameters, random weights).
const MODEL: &str = "gpt-config-124m";

/// A running `llm serve`, stopped when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(llm: &Path, backend: &str, threads: usize) -> Result<Self, String> {
        let max_batch = CLIENTS.iter().max().expect("clients").to_string();
        let mut child = Command::new(llm)
            .args(["serve", "--model", MODEL, "--port", "0", "--backend", backend, "--max-batch", &max_batch])
            .env("RAYON_NUM_THREADS", threads.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", llm.display()))?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .map_err(|e| format!("llm serve: {e}"))?;
        let base = line.trim().rsplit(' ').next().unwrap_or_default().to_string();
        if !base.starts_with("http://") {
            let _ = child.kill();
            return Err(format!("llm serve did not start (it printed {line:?})"));
        }
        Ok(Self { child, base })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every client count against a fresh server on `backend`; one result per count.
pub fn run(llm: &Path, python: &Path, root: &Path, backend: &str, threads: usize) -> Result<Vec<Value>, String> {
    let server = Server::start(llm, backend, threads)?;
    let load = |clients: usize, requests: usize| {
        let mut command = Command::new(python);
        command.arg(root.join("scripts/bench_serve.py")).arg(&server.base).args([
            "--clients",
            &clients.to_string(),
            "--requests",
            &requests.to_string(),
            "--max-tokens",
            &MAX_TOKENS.to_string(),
        ]);
        crate::bench::run_json(&mut command)
    };
    // The first replies of a process are slower (allocations, lazy weights): not measured.
    load(2, 1)?;
    let mut results = Vec::new();
    for (i, clients) in CLIENTS.into_iter().enumerate() {
        eprintln!("[{}/{}] serve on {backend}: {clients} concurrent clients x {REQUESTS} requests...", i + 1, CLIENTS.len());
        let mut result = load(clients, REQUESTS)?;
        result["backend"] = json!(backend);
        results.push(result);
    }
    let one = results[0]["tokens_per_s"].as_f64().unwrap_or(f64::NAN);
    for result in &mut results {
        let ratio = result["tokens_per_s"].as_f64().unwrap_or(f64::NAN) / one;
        result["ratio_to_one_client"] = json!((ratio * 100.0).round() / 100.0);
    }
    Ok(results)
}

/// The setting every run shares, for the report.
pub fn setting() -> Value {
    json!({"model": MODEL, "requests_per_client": REQUESTS, "max_tokens": MAX_TOKENS, "max_batch": CLIENTS.iter().max()})
}

pub fn markdown(report: &Value) -> String {
    let setting = &report["setting"];
    let mut s = format!(
        "# Serving benchmark {}\n\n{}; {} threads. `llm serve --model {} --max-batch {}`; each client streams {} \
         completions of {} tokens (greedy) one after another with OpenAI's Python client.\n\n",
        report["date"].as_str().unwrap_or(""),
        report["machine"].as_str().unwrap_or(""),
        report["threads"],
        setting["model"].as_str().unwrap_or(""),
        setting["max_batch"],
        setting["requests_per_client"],
        setting["max_tokens"],
    );
    s.push_str("| backend | clients | requests | tokens | tokens/s | × one client | first token p50 / p99 ms | between tokens p50 / p99 ms | errors |\n");
    s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let ms = |v: &Value| v.as_f64().map_or("–".to_string(), |x| format!("{x:.0}"));
    for r in report["results"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {:.1} | {:.2}× | {} / {} | {} / {} | {} |\n",
            r["backend"].as_str().unwrap_or(""),
            r["clients"],
            r["requests"],
            r["tokens"],
            r["tokens_per_s"].as_f64().unwrap_or(f64::NAN),
            r["ratio_to_one_client"].as_f64().unwrap_or(f64::NAN),
            ms(&r["ttft_ms"]["p50"]),
            ms(&r["ttft_ms"]["p99"]),
            ms(&r["between_tokens_ms"]["p50"]),
            ms(&r["between_tokens_ms"]["p99"]),
            r["errors"],
        ));
    }
    s.push_str(&format!("\n{}\n", report["note"].as_str().unwrap_or("")));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_each_client_count() {
        let report = json!({
            "date": "2026-12-06", "machine": "CPU, 2 cores", "threads": 2, "setting": setting(), "note": "n",
            "results": [{"backend": "flex", "clients": 8, "requests": 32, "tokens": 2048, "tokens_per_s": 120.25,
                "ratio_to_one_client": 3.4, "ttft_ms": {"p50": 80.0, "p99": 250.4},
                "between_tokens_ms": {"p50": 60.0, "p99": null}, "errors": 0}],
        });
        let table = markdown(&report);
        assert!(table.contains("| flex | 8 | 32 | 2048 | 120.2 | 3.40× | 80 / 250 | 60 / – | 0 |"), "{table}");
        assert!(table.contains("--max-batch 16"), "{table}");
    }
}
