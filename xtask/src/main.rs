//! `cargo xtask CMD [--backend B] [ARGS...]`: builds `llm-cli` in release mode with backend
//! B's cargo feature only (so wgpu or LibTorch are compiled only when asked for) and runs
//! `llm CMD --backend B ARGS...`. Besides: `cargo xtask bench` (our backends against the
//! book's PyTorch code) and `cargo xtask setup bench` (the Python environment it needs).

mod bench;

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
             cargo xtask bench [--backend B]... [--workload W]... [--repeats N] [--json]\n\
             cargo xtask setup bench",
            BACKENDS.join("|")
        );
        return ExitCode::from(2);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the workspace");
    let own = match args[0].as_str() {
        "bench" => Some(bench::run(&args[1..], root)),
        "setup" => Some(setup(&args[1..], root)),
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
    let (backend, rest) = match split_backend(&args) {
        Ok(split) => split,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let backend = backend.unwrap_or_else(|| DEFAULT_BACKEND.to_string());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["run", "--quiet", "--release", "--package", "llm-cli", "--no-default-features"])
        .args(["--features", &backend, "--"])
        .args(&rest)
        .args(["--backend", &backend]);
    match command.status() {
        Ok(status) => ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            ExitCode::from(1)
        }
    }
}

/// `cargo xtask setup bench`: the Python environment of the PyTorch side (idempotent).
fn setup(args: &[String], root: &Path) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("bench") => {
            let status = Command::new("bash")
                .arg(root.join("scripts/setup-python.sh"))
                .status()
                .map_err(|e| format!("cannot run scripts/setup-python.sh: {e}"))?;
            status.success().then_some(()).ok_or("scripts/setup-python.sh failed".into())
        }
        other => Err(format!("setup: expected `bench`, got {other:?}")),
    }
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

/// Runs cargo with `args`, failing on a non-zero exit.
pub(crate) fn cargo(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo).args(args).status().map_err(|e| format!("cannot run cargo: {e}"))?;
    status.success().then_some(()).ok_or(format!("cargo {} failed", args.join(" ")))
}

/// Today's date (UTC) as YYYY-MM-DD.
pub(crate) fn today() -> Result<String, String> {
    let out = Command::new("date").args(["-u", "+%F"]).output().map_err(|e| format!("cannot run date: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Takes `--backend B` / `--backend=B` out of the arguments.
fn split_backend(args: &[String]) -> Result<(Option<String>, Vec<String>), String> {
    let mut backend = None;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = if arg == "--backend" {
            Some(it.next().ok_or("--backend needs a value")?.clone())
        } else {
            arg.strip_prefix("--backend=").map(str::to_string)
        };
        match value {
            Some(v) if BACKENDS.contains(&v.as_str()) => backend = Some(v),
            Some(v) => return Err(format!("unknown backend `{v}`: expected one of {}", BACKENDS.join(", "))),
            None => rest.push(arg.clone()),
        }
    }
    Ok((backend, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn takes_the_backend_out() {
        let (b, rest) = split_backend(&strings(&["generate", "--backend", "ndarray", "--prompt", "x"])).unwrap();
        assert_eq!(b.as_deref(), Some("ndarray"));
        assert_eq!(rest, strings(&["generate", "--prompt", "x"]));
        let (b, rest) = split_backend(&strings(&["tokenize", "--backend=wgpu"])).unwrap();
        assert_eq!(b.as_deref(), Some("wgpu"));
        assert_eq!(rest, strings(&["tokenize"]));
        assert!(split_backend(&strings(&["x", "--backend", "tpu"])).unwrap_err().contains("tpu"));
        assert!(split_backend(&strings(&["x", "--backend"])).is_err());
    }
}
