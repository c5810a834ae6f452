//! `cargo xtask CMD [--backend B] [ARGS...]`: builds `llm-cli` in release mode with backend
//! B's cargo feature only (so wgpu or LibTorch are compiled only when asked for) and runs
//! `llm CMD --backend B ARGS...`.

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
             `cargo xtask help` lists llm's commands",
            BACKENDS.join("|")
        );
        return ExitCode::from(2);
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
