//! `cargo xtask bench`: our backends against the book's PyTorch code, side by side, on the
//! same machine in the same invocation, with the same thread count.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

const WORKLOADS: [&str; 6] = [
    "train-124m",
    "train-small",
    "generate-124m-kv",
    "generate-124m-nocache",
    "generate-qwen3-0.6b-kv",
    "generate-llama3.2-1b-kv",
];
/// The serving workload (`bench_serve.rs`): not among the default ones, as it has no PyTorch side.
const SERVE: &str = "serve";

/// Whether a workload decodes a Qwen3 or Llama shape (run with two weight types per side).
fn is_family_decoding(workload: &str) -> bool {
    workload.starts_with("generate-qwen3") || workload.starts_with("generate-llama")
}

/// The weights the PyTorch side runs a workload in: the family decoding workloads twice, in
/// float32 and in the book's default bfloat16; the others once.
fn torch_dtypes(workload: &str) -> &'static [Option<&'static str>] {
    if is_family_decoding(workload) { &[Some("float32"), Some("bfloat16")] } else { &[None] }
}

/// The weight matrices' type ours runs a workload in (`llm bench --dtype`): the family
/// decoding workloads in f32 and in bf16; the others as they are.
fn our_dtypes(workload: &str) -> &'static [Option<&'static str>] {
    if is_family_decoding(workload) { &[Some("f32"), Some("bf16")] } else { &[None] }
}
const DEFAULT_BACKENDS: [&str; 2] = ["flex", "ndarray"];
const PATCH_NOTE: &str = "PyTorch side: llms-from-scratch 1.0.19 (ch04.GPTModel, kv_cache.gpt2.GPTModel, torch.optim.AdamW); \
its kv_cache/gpt2.py slices the causal mask by columns (`mask[:, -num_tokens:]`) where rows are meant, which fails every \
cached decode step, so the harness patches that one line to `mask[-num_tokens:, :]`; its kv_cache/generate.py expects \
`model.cfg` and `reset_kv_cache()`, which its GPT-2 model lacks, so the harness runs the book's `generate_text_simple_cached` \
loop (resetting `current_pos`). Qwen3/Llama workloads: kv_cache.qwen3.Qwen3Model / kv_cache.llama3.Llama3Model (random \
weights of the published shapes, seed 123) decoded by the package's `generate_text_simple_stream`, in float32 and in its \
default bfloat16; ours decode with f32 weights and with bf16 weight matrices (activations in f32).";

#[derive(Debug)]
struct Options {
    backends: Vec<String>,
    /// Whether `--backend` was given (the serving workload runs on flex alone otherwise).
    backends_given: bool,
    workloads: Vec<String>,
    repeats: usize,
    rounds: usize,
    json: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options { backends: Vec::new(), backends_given: false, workloads: Vec::new(), repeats: 3, rounds: 2, json: false };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--backend" => o.backends.push(value()?),
            "--workload" => {
                let w = value()?;
                if !WORKLOADS.contains(&w.as_str()) && w != SERVE {
                    return Err(format!("unknown workload `{w}`: expected one of {}, {SERVE}", WORKLOADS.join(", ")));
                }
                o.workloads.push(w);
            }
            "--repeats" => o.repeats = value()?.parse().map_err(|_| "--repeats needs a number".to_string())?,
            "--rounds" => o.rounds = value()?.parse().map_err(|_| "--rounds needs a number".to_string())?,
            "--json" => o.json = true,
            other => {
                return Err(format!("bench: unknown argument `{other}` (--backend, --workload, --repeats, --rounds, --json)"));
            }
        }
    }
    o.backends_given = !o.backends.is_empty();
    if o.backends.is_empty() {
        o.backends = DEFAULT_BACKENDS.iter().map(|s| s.to_string()).collect();
    }
    if o.workloads.is_empty() {
        o.workloads = WORKLOADS.iter().map(|s| s.to_string()).collect();
    }
    if o.repeats == 0 {
        return Err("--repeats must be at least 1".into());
    }
    if o.rounds == 0 {
        return Err("--rounds must be at least 1".into());
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
    let (serve, workloads): (Vec<String>, Vec<String>) = o.workloads.iter().cloned().partition(|w| w == SERVE);
    let o = Options { workloads, ..o };
    if !serve.is_empty() {
        let backends = if o.backends_given { o.backends.clone() } else { vec![DEFAULT_BACKENDS[0].to_string()] };
        let mut results = Vec::new();
        for backend in &backends {
            results.extend(crate::bench_serve::run(&llm, &python, root, backend, threads)?);
        }
        let mut report = header(threads)?;
        report["setting"] = crate::bench_serve::setting();
        report["results"] = json!(results);
        report["note"] = json!("Goal (issue 26): 8 concurrent clients at 3x the tokens/s of one client, from batched decoding.");
        publish(root, "bench-serve", &report, &crate::bench_serve::markdown(&report), o.json)?;
        if o.workloads.is_empty() {
            return Ok(());
        }
    }
    let mut results = Vec::new();
    let total: usize =
        o.workloads.iter().map(|w| (o.backends.len() * our_dtypes(w).len() + torch_dtypes(w).len()) * o.rounds).sum();
    let mut done = 0;
    for workload in &o.workloads {
        // Every side runs once per round; the rounds alternate which side goes first, so
        // that a machine drifting faster or slower over the minutes favours neither.
        let dtypes = torch_dtypes(workload);
        let mut torch: Vec<Vec<Value>> = vec![Vec::new(); dtypes.len()];
        let sides: Vec<(&String, Option<&str>)> =
            o.backends.iter().flat_map(|b| our_dtypes(workload).iter().map(move |d| (b, *d))).collect();
        let mut ours: Vec<Vec<Value>> = vec![Vec::new(); sides.len()];
        for round in 0..o.rounds {
            let run_torch = |done: usize, dtype: Option<&str>| {
                let shown = dtype.map_or(String::new(), |d| format!(" {d}"));
                eprintln!("[{done}/{total}] {workload} on PyTorch{shown} (round {})...", round + 1);
                let mut command = Command::new(&python);
                command.arg(root.join("scripts/bench_torch.py")).args([
                    "--workload",
                    workload,
                    "--repeats",
                    &o.repeats.to_string(),
                    "--threads",
                    &threads.to_string(),
                ]);
                if let Some(dtype) = dtype {
                    command.args(["--dtype", dtype]);
                }
                run_json(&mut command)
            };
            if round % 2 == 0 {
                for (dtype, runs) in dtypes.iter().zip(&mut torch) {
                    done += 1;
                    runs.push(run_torch(done, *dtype)?);
                }
            }
            for ((backend, our_dtype), runs) in sides.iter().zip(&mut ours) {
                done += 1;
                let shown = our_dtype.map_or(String::new(), |d| format!(" {d}"));
                eprintln!("[{done}/{total}] {workload} on {backend}{shown} (round {})...", round + 1);
                let mut command = Command::new(&llm);
                command
                    .args(["bench", "--workload", workload, "--repeats", &o.repeats.to_string()])
                    .args(["--backend", backend, "--json"])
                    .env("RAYON_NUM_THREADS", threads.to_string());
                if let Some(dtype) = our_dtype {
                    command.args(["--dtype", dtype]);
                }
                if with_tch {
                    crate::libtorch::configure(&mut command)?;
                }
                runs.push(run_json(&mut command)?);
            }
            if round % 2 == 1 {
                for (dtype, runs) in dtypes.iter().zip(&mut torch) {
                    done += 1;
                    runs.push(run_torch(done, *dtype)?);
                }
            }
        }
        for (((backend, our_dtype), runs), (dtype, torch)) in sides.iter().zip(&ours).flat_map(|b| dtypes.iter().zip(&torch).map(move |t| (b, t))) {
            let reference = Pooled::of(torch);
            let pooled = Pooled::of(runs);
            let ratio = pooled.tokens_per_s / reference.tokens_per_s;
            let by_round: Vec<f64> =
                pooled.round_medians.iter().zip(&reference.round_medians).map(|(a, b)| round2(a / b)).collect();
            results.push(json!({
                "workload": workload,
                "backend": backend,
                "tokens_per_s": round2(pooled.tokens_per_s),
                "peak_rss_mib": pooled.peak_rss_mib,
                "torch_tokens_per_s": round2(reference.tokens_per_s),
                "torch_peak_rss_mib": reference.peak_rss_mib,
                "speed_ratio": round2(ratio),
                "round_ratios": by_round,
                "samples": pooled.samples,
                "torch_samples": reference.samples,
                "torch_version": torch[0]["torch"].clone(),
                // The PyTorch side's weights, for the workloads run in two (null: float32).
                "torch_dtype": dtype.map_or(Value::Null, Value::from),
                // Our weight matrices' type, for the workloads run in two (null: f32).
                "dtype": our_dtype.map_or(Value::Null, Value::from),
                // flex's library for large products ("openblas" or "gemm"); null elsewhere.
                "products": runs[0]["products"].clone(),
            }));
        }
    }
    let mut report = header(threads)?;
    report["repeats"] = json!(o.repeats);
    report["rounds"] = json!(o.rounds);
    report["statistic"] = json!("median of the repeats of all rounds (one warm-up run per process); the rounds alternate which side runs first");
    report["versions"] = json!({"burn": "0.22.1", "llms-from-scratch": "1.0.19"});
    report["note"] = json!(PATCH_NOTE);
    report["results"] = json!(results);
    publish(root, "bench", &report, &markdown(&report), o.json)
}

/// What every report starts with: the date, the machine, the thread count.
fn header(threads: usize) -> Result<Value, String> {
    Ok(json!({"date": crate::today()?, "machine": machine(), "threads": threads}))
}

/// Writes `report` and its `table` under experiments/results (`PREFIX-DATE.json` and `.md`)
/// and prints one of them.
fn publish(root: &Path, prefix: &str, report: &Value, table: &str, as_json: bool) -> Result<(), String> {
    let dir = root.join("experiments/results");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let base = unused_base(&dir, prefix, report["date"].as_str().unwrap_or("undated"));
    write(&base.with_extension("json"), &serde_json::to_string_pretty(report).expect("json"))?;
    write(&base.with_extension("md"), table)?;
    if as_json {
        println!("{report}");
    } else {
        print!("{table}");
        println!("written: {} and .json", base.with_extension("md").display());
    }
    Ok(())
}

pub(crate) fn run_json(command: &mut Command) -> Result<Value, String> {
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

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// One side's runs of a workload, one per round, taken together.
struct Pooled {
    /// The median of every repeat of every round.
    tokens_per_s: f64,
    /// Each round's own median, in round order.
    round_medians: Vec<f64>,
    /// The highest peak of the rounds.
    peak_rss_mib: f64,
    samples: Vec<f64>,
}

impl Pooled {
    fn of(runs: &[Value]) -> Self {
        let samples: Vec<f64> = runs
            .iter()
            .flat_map(|run| match run["samples"].as_array() {
                Some(list) => list.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect(),
                None => vec![num(run, "tokens_per_s")],
            })
            .collect();
        Self {
            tokens_per_s: median(&samples),
            round_medians: runs.iter().map(|run| num(run, "tokens_per_s")).collect(),
            peak_rss_mib: runs.iter().map(|run| num(run, "peak_rss_mib")).fold(f64::NAN, f64::max),
            samples,
        }
    }
}

/// The median (of an even count, the mean of the middle two), as `llm bench` and
/// `bench_torch.py` take it.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let half = sorted.len() / 2;
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[half],
        _ => (sorted[half - 1] + sorted[half]) / 2.0,
    }
}

/// `PREFIX-DATE`, or `PREFIX-DATE-2`, `-3`, ... when an earlier run of the day wrote that
/// name: a narrowed run never replaces the day's full table.
fn unused_base(dir: &Path, prefix: &str, date: &str) -> PathBuf {
    let taken = |base: &PathBuf| base.with_extension("md").exists() || base.with_extension("json").exists();
    let first = dir.join(format!("{prefix}-{date}"));
    if !taken(&first) {
        return first;
    }
    (2..)
        .map(|n| dir.join(format!("{prefix}-{date}-{n}")))
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
    s.push_str("| workload | backend | tokens/s | PyTorch tokens/s | ratio | ratio by round | peak RSS MiB | PyTorch peak RSS MiB |\n");
    s.push_str("|---|---|---:|---:|---:|---:|---:|---:|\n");
    for r in report["results"].as_array().into_iter().flatten() {
        let by_round: Vec<String> =
            r["round_ratios"].as_array().into_iter().flatten().map(|x| format!("{:.2}", x.as_f64().unwrap_or(f64::NAN))).collect();
        let mut backend = match r["products"].as_str() {
            Some(products) => format!("{} ({products})", r["backend"].as_str().unwrap_or("")),
            None => r["backend"].as_str().unwrap_or("").to_string(),
        };
        if let Some(dtype) = r["dtype"].as_str() {
            backend.push_str(&format!(", {dtype} weights"));
        }
        let workload = match r["torch_dtype"].as_str() {
            Some(dtype) => format!("{} (PyTorch {dtype})", r["workload"].as_str().unwrap_or("")),
            None => r["workload"].as_str().unwrap_or("").to_string(),
        };
        s.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.2}× | {} | {:.0} | {:.0} |\n",
            workload,
            backend,
            num(r, "tokens_per_s"),
            num(r, "torch_tokens_per_s"),
            num(r, "speed_ratio"),
            by_round.join(", "),
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
        assert_eq!(o.workloads.len(), 6);
        assert_eq!(torch_dtypes("generate-qwen3-0.6b-kv"), [Some("float32"), Some("bfloat16")]);
        assert_eq!(torch_dtypes("train-small"), [None]);
        assert_eq!(our_dtypes("generate-llama3.2-1b-kv"), [Some("f32"), Some("bf16")]);
        assert_eq!(our_dtypes("generate-124m-kv"), [None]);
        assert_eq!(o.backends, ["flex", "ndarray"]);
        assert!(parse(&args(&["--workload", "train-1t"])).unwrap_err().contains("train-1t"));
        let serve = parse(&args(&["--workload", "serve"])).unwrap();
        assert_eq!((serve.workloads, serve.backends_given), (vec!["serve".to_string()], false));
        assert!(parse(&args(&["--workload", "serve", "--backend", "ndarray"])).unwrap().backends_given);
        assert!(parse(&args(&["--repeats", "0"])).is_err());
        assert!(parse(&args(&["--rounds", "0"])).is_err());
        assert_eq!(parse(&args(&["--rounds", "3"])).unwrap().rounds, 3);
        assert_eq!(parse(&[]).unwrap().rounds, 2);
    }

    #[test]
    fn pools_the_rounds() {
        let runs = [
            json!({"tokens_per_s": 100.0, "peak_rss_mib": 900.0, "samples": [90.0, 100.0, 130.0]}),
            json!({"tokens_per_s": 120.0, "peak_rss_mib": 950.5, "samples": [110.0, 120.0, 125.0]}),
        ];
        let pooled = Pooled::of(&runs);
        // 90 100 110 120 125 130: the median of six, between 110 and 120.
        assert_eq!(pooled.tokens_per_s, 115.0);
        assert_eq!(pooled.round_medians, [100.0, 120.0]);
        assert_eq!(pooled.peak_rss_mib, 950.5);
        assert_eq!(pooled.samples.len(), 6);
        // A run without samples (an older `llm`) counts with its median.
        let old = Pooled::of(&[json!({"tokens_per_s": 50.0, "peak_rss_mib": 1.0})]);
        assert_eq!((old.tokens_per_s, old.samples), (50.0, vec![50.0]));
    }

    #[test]
    fn the_table_shows_each_rounds_ratio() {
        let report = json!({
            "date": "2026-11-27", "machine": "CPU, 2 cores", "threads": 2,
            "statistic": "median", "note": "n",
            "results": [{"workload": "train-small", "backend": "flex", "tokens_per_s": 880.0,
                "torch_tokens_per_s": 560.0, "speed_ratio": 1.57, "round_ratios": [1.5, 1.62],
                "peak_rss_mib": 1213.0, "torch_peak_rss_mib": 2000.0}],
        });
        let table = markdown(&report);
        assert!(table.contains("| train-small | flex | 880.0 | 560.0 | 1.57× | 1.50, 1.62 | 1213 | 2000 |"), "{table}");
        let mut report = report;
        report["results"][0]["products"] = json!("openblas");
        assert!(markdown(&report).contains("| train-small | flex (openblas) | 880.0 |"), "the library of flex's products is shown");
    }
}
