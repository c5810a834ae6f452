//! `cargo xtask bench`: our backends against the book's PyTorch code, side by side, on the
//! same machine in the same invocation, with the same thread count.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

const WORKLOADS: [&str; 4] = ["train-124m", "train-small", "generate-124m-kv", "generate-124m-nocache"];
const DEFAULT_BACKENDS: [&str; 2] = ["flex", "ndarray"];
const PATCH_NOTE: &str = "PyTorch side: llms-from-scratch 1.0.19 (ch04.GPTModel, kv_cache.gpt2.GPTModel, torch.optim.AdamW); \
its kv_cache/gpt2.py slices the causal mask by columns (`mask[:, -num_tokens:]`) where rows are meant, which fails every \
cached decode step, so the harness patches that one line to `mask[-num_tokens:, :]`; its kv_cache/generate.py expects \
`model.cfg` and `reset_kv_cache()`, which its GPT-2 model lacks, so the harness runs the book's `generate_text_simple_cached` \
loop (resetting `current_pos`).";

#[derive(Debug)]
struct Options {
    backends: Vec<String>,
    workloads: Vec<String>,
    repeats: usize,
    json: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options { backends: Vec::new(), workloads: Vec::new(), repeats: 3, json: false };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--backend" => o.backends.push(value()?),
            "--workload" => {
                let w = value()?;
                if !WORKLOADS.contains(&w.as_str()) {
                    return Err(format!("unknown workload `{w}`: expected one of {}", WORKLOADS.join(", ")));
                }
                o.workloads.push(w);
            }
            "--repeats" => o.repeats = value()?.parse().map_err(|_| "--repeats needs a number".to_string())?,
            "--json" => o.json = true,
            other => return Err(format!("bench: unknown argument `{other}` (--backend, --workload, --repeats, --json)")),
        }
    }
    if o.backends.is_empty() {
        o.backends = DEFAULT_BACKENDS.iter().map(|s| s.to_string()).collect();
    }
    if o.workloads.is_empty() {
        o.workloads = WORKLOADS.iter().map(|s| s.to_string()).collect();
    }
    if o.repeats == 0 {
        return Err("--repeats must be at least 1".into());
    }
    Ok(o)
}

pub fn run(args: &[String], root: &Path) -> Result<(), String> {
    let o = parse(args)?;
    let python = crate::python()?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // One binary with every requested backend, in its own target directory so that the
    // feature set of the everyday build is not rebuilt back and forth.
    eprintln!("building llm with {} (target/bench)...", o.backends.join(","));
    let with_tch = o.backends.iter().any(|b| b == "tch");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--quiet", "--release", "--package", "llm-cli", "--no-default-features", "--features"])
        .arg(o.backends.join(","))
        .args(["--target-dir", "target/bench"]);
    if with_tch {
        crate::libtorch::configure(&mut build)?;
    }
    let status = build.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    status.success().then_some(()).ok_or("building llm for the benchmark failed")?;
    let llm = root.join("target/bench/release/llm");
    let mut results = Vec::new();
    let total = o.workloads.len() * (o.backends.len() + 1);
    let mut done = 0;
    for workload in &o.workloads {
        done += 1;
        eprintln!("[{done}/{total}] {workload} on PyTorch...");
        let torch = run_json(
            Command::new(&python)
                .arg(root.join("scripts/bench_torch.py"))
                .args(["--workload", workload, "--repeats", &o.repeats.to_string(), "--threads", &threads.to_string()]),
        )?;
        for backend in &o.backends {
            done += 1;
            eprintln!("[{done}/{total}] {workload} on {backend}...");
            let mut command = Command::new(&llm);
            command
                .args(["bench", "--workload", workload, "--repeats", &o.repeats.to_string()])
                .args(["--backend", backend, "--json"])
                .env("RAYON_NUM_THREADS", threads.to_string());
            if with_tch {
                crate::libtorch::configure(&mut command)?;
            }
            let ours = run_json(&mut command)?;
            let (t, tt) = (num(&ours, "tokens_per_s"), num(&torch, "tokens_per_s"));
            results.push(json!({
                "workload": workload,
                "backend": backend,
                "tokens_per_s": t,
                "peak_rss_mib": num(&ours, "peak_rss_mib"),
                "torch_tokens_per_s": tt,
                "torch_peak_rss_mib": num(&torch, "peak_rss_mib"),
                "speed_ratio": (t / tt * 100.0).round() / 100.0,
                "torch_version": torch["torch"].clone(),
            }));
        }
    }
    let date = crate::today()?;
    let report = json!({
        "date": date,
        "machine": machine(),
        "threads": threads,
        "repeats": o.repeats,
        "statistic": "median of the repeats after one warm-up run",
        "versions": {"burn": "0.22.1", "llms-from-scratch": "1.0.19"},
        "note": PATCH_NOTE,
        "results": results,
    });
    let table = markdown(&report);
    let dir = root.join("experiments/results");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let base = unused_base(&dir, &date);
    write(&base.with_extension("json"), &serde_json::to_string_pretty(&report).expect("json"))?;
    write(&base.with_extension("md"), &table)?;
    if o.json {
        println!("{report}");
    } else {
        print!("{table}");
        println!("written: {} and .json", base.with_extension("md").display());
    }
    Ok(())
}

fn run_json(command: &mut Command) -> Result<Value, String> {
    let shown = format!("{command:?}");
    let out = command.output().map_err(|e| format!("cannot run {shown}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{shown} failed:\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| l.starts_with('{')).ok_or(format!("{shown} printed no JSON: {stdout}"))?;
    serde_json::from_str(line).map_err(|e| format!("{shown}: {e}: {line}"))
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

/// `bench-DATE`, or `bench-DATE-2`, `-3`, ... when an earlier run of the day wrote that name:
/// a narrowed run never replaces the day's full table.
fn unused_base(dir: &Path, date: &str) -> PathBuf {
    let taken = |base: &PathBuf| base.with_extension("md").exists() || base.with_extension("json").exists();
    let first = dir.join(format!("bench-{date}"));
    if !taken(&first) {
        return first;
    }
    (2..)
        .map(|n| dir.join(format!("bench-{date}-{n}")))
        .find(|base| !taken(base))
        .expect("an unused name")
}

fn write(path: &PathBuf, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}, {cores} cores")
}

fn markdown(report: &Value) -> String {
    let mut s = format!(
        "# Benchmark {}\n\n{}; {} threads on both sides; {}.\n\n",
        report["date"].as_str().unwrap_or(""),
        report["machine"].as_str().unwrap_or(""),
        report["threads"],
        report["statistic"].as_str().unwrap_or("")
    );
    s.push_str("| workload | backend | tokens/s | PyTorch tokens/s | ratio | peak RSS MiB | PyTorch peak RSS MiB |\n");
    s.push_str("|---|---|---:|---:|---:|---:|---:|\n");
    for r in report["results"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.2}× | {:.0} | {:.0} |\n",
            r["workload"].as_str().unwrap_or(""),
            r["backend"].as_str().unwrap_or(""),
            num(r, "tokens_per_s"),
            num(r, "torch_tokens_per_s"),
            num(r, "speed_ratio"),
            num(r, "peak_rss_mib"),
            num(r, "torch_peak_rss_mib"),
        ));
    }
    s.push_str(&format!("\n{}\n", report["note"].as_str().unwrap_or("")));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        let args = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let o = parse(&args(&["--workload", "train-small", "--repeats", "5", "--backend", "flex"])).unwrap();
        assert_eq!((o.workloads, o.backends, o.repeats), (vec!["train-small".to_string()], vec!["flex".to_string()], 5));
        let o = parse(&[]).unwrap();
        assert_eq!(o.workloads.len(), 4);
        assert_eq!(o.backends, ["flex", "ndarray"]);
        assert!(parse(&args(&["--workload", "train-1t"])).unwrap_err().contains("train-1t"));
        assert!(parse(&args(&["--repeats", "0"])).is_err());
    }
}
