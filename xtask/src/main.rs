//! `cargo xtask CMD [--backend B] [ARGS...]`: builds `llm-cli` in release mode with backend
//! B's cargo feature only (so wgpu or LibTorch are compiled only when asked for) and runs
//! `llm CMD --backend B ARGS...`. Besides: `cargo xtask bench` (our backends against the
//! book's PyTorch code), `cargo xtask setup bench|tch` (the Python environment they need) and
//! `cargo xtask test --backend B` (the cross-backend tests with B compiled in as well).

mod bench;
mod bench_serve;
mod libtorch;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const BACKENDS: [&str; 5] = ["flex", "ndarray", "wgpu", "tch", "cuda"];
/// Measured on the 2-core reference machine (README, "Backends"): flex is faster than
/// ndarray for training and generation, so it is the default.
const DEFAULT_BACKEND: &str = "flex";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args[0] == "--help" || args[0] == "-h" {
        eprintln!(
            "usage: cargo xtask CMD [--backend {}] [ARGS...]\n\
             builds llm-cli (release) with the backend's feature and runs `llm CMD ...`;\n\
             `cargo xtask help` lists llm's commands.\n\
             cargo xtask bench [--backend B]... [--workload W]... [--repeats N] [--rounds N] [--json]\n\
             cargo xtask setup bench|tch\n\
             cargo xtask test --backend B...    (the cross-backend tests with B compiled in as well)",
            BACKENDS.join("|")
        );
        return ExitCode::from(2);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the workspace");
    let own = match args[0].as_str() {
        "bench" => Some(bench::run(&args[1..], root)),
        "setup" => Some(setup(&args[1..], root)),
        "test" => Some(test_backends(&args[1..])),
        _ => None,
    };
    if let Some(result) = own {
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::from(1)
            }
        };
    }
    let (backends, rest) = match split_backends(&args) {
        Ok(split) if split.0.len() <= 1 => split,
        Ok(_) => {
            eprintln!("error: --backend given more than once");
            return ExitCode::from(2);
        }
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let backend = backends.into_iter().next().unwrap_or_else(|| DEFAULT_BACKEND.to_string());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["run", "--quiet", "--release", "--package", "llm-cli", "--no-default-features"])
        .args(["--features", &backend, "--"])
        .args(&rest)
        .args(["--backend", &backend]);
    if backend == "tch"
        && let Err(message) = libtorch::configure(&mut command)
    {
        eprintln!("error: {message}");
        return ExitCode::from(1);
    }
    match command.status() {
        Ok(status) => ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            ExitCode::from(1)
        }
    }
}

/// `cargo xtask setup bench|tch`: the Python environment of the PyTorch side of the
/// benchmarks, which is also where `--backend tch` takes LibTorch from (idempotent).
fn setup(args: &[String], root: &Path) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("bench" | "tch") => {
            let status = Command::new("bash")
                .arg(root.join("scripts/setup-python.sh"))
                .status()
                .map_err(|e| format!("cannot run scripts/setup-python.sh: {e}"))?;
            status.success().then_some(()).ok_or("scripts/setup-python.sh failed".into())
        }
        other => Err(format!("setup: expected `bench` or `tch`, got {other:?}")),
    }
}

/// `cargo xtask test --backend B...`: the cross-backend tests (llm-model's and llm-train's
/// `backends`) with B compiled in besides flex and ndarray; every backend must agree with
/// flex. `cargo test --workspace` already runs them on flex, ndarray and wgpu. The build goes
/// to `target/backends` so that its feature set does not displace the workspace's.
fn test_backends(args: &[String]) -> Result<(), String> {
    let (extra, rest) = split_backends(args)?;
    if let Some(other) = rest.first() {
        return Err(format!("test: unknown argument `{other}` (--backend B, repeatable)"));
    }
    if extra.is_empty() {
        return Err("test: name the backend(s) to add with --backend (flex, ndarray and wgpu run in `cargo test --workspace`)".into());
    }
    let features: Vec<String> = extra.iter().flat_map(|b| [format!("llm-model/{b}"), format!("llm-train/{b}")]).collect();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["test", "--package", "llm-model", "--package", "llm-train", "--test", "backends"])
        .args(["--target-dir", "target/backends", "--features"])
        .arg(features.join(","))
        .args(["--", "--nocapture"]);
    if extra.iter().any(|b| b == "tch") {
        libtorch::configure(&mut command)?;
    }
    let status = command.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    status.success().then_some(()).ok_or("the cross-backend tests failed".into())
}

/// The Python of the reference environment: `$LLM_PYTHON`, else the one
/// `scripts/setup-python.sh` makes.
pub(crate) fn python() -> Result<PathBuf, String> {
    let python = match std::env::var_os("LLM_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => {
            let venv = std::env::var_os("LLM_VENV").map(PathBuf::from).unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/llm-rs/venv")
            });
            venv.join("bin/python")
        }
    };
    if python.is_file() {
        Ok(python)
    } else {
        Err(format!("{}: no Python environment; create it with `cargo xtask setup bench`", python.display()))
    }
}

/// Today's date (UTC) as YYYY-MM-DD.
pub(crate) fn today() -> Result<String, String> {
    let out = Command::new("date").args(["-u", "+%F"]).output().map_err(|e| format!("cannot run date: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Takes every `--backend B` / `--backend=B` out of the arguments.
fn split_backends(args: &[String]) -> Result<(Vec<String>, Vec<String>), String> {
    let mut backends = Vec::new();
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = if arg == "--backend" {
            Some(it.next().ok_or("--backend needs a value")?.clone())
        } else {
            arg.strip_prefix("--backend=").map(str::to_string)
        };
        match value {
            Some(v) if BACKENDS.contains(&v.as_str()) => backends.push(v),
            Some(v) => return Err(format!("unknown backend `{v}`: expected one of {}", BACKENDS.join(", "))),
            None => rest.push(arg.clone()),
        }
    }
    Ok((backends, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn takes_the_backend_out() {
        let (b, rest) = split_backends(&strings(&["generate", "--backend", "ndarray", "--prompt", "x"])).unwrap();
        assert_eq!(b, strings(&["ndarray"]));
        assert_eq!(rest, strings(&["generate", "--prompt", "x"]));
        let (b, rest) = split_backends(&strings(&["tokenize", "--backend=wgpu", "--backend", "tch"])).unwrap();
        assert_eq!(b, strings(&["wgpu", "tch"]));
        assert_eq!(rest, strings(&["tokenize"]));
        assert!(split_backends(&strings(&["x", "--backend", "tpu"])).unwrap_err().contains("tpu"));
        assert!(split_backends(&strings(&["x", "--backend"])).is_err());
    }
}
