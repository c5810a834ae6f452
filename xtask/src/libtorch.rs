//! LibTorch for `--backend tch`, taken from the Python environment that
//! `cargo xtask setup tch` makes (torch 2.9.0, what burn-tch 0.22's `tch` expects): the build
//! finds it through `LIBTORCH_USE_PYTORCH=1` and that environment's `python`, and the binary
//! finds `libtorch_cpu.so` (which finds its CUDA runtime wheels by its own RPATH) through
//! `LD_LIBRARY_PATH`.

use std::path::PathBuf;
use std::process::Command;

/// Sets up `command` (a cargo build or run, or the built binary) to build and run with LibTorch.
pub(crate) fn configure(command: &mut Command) -> Result<(), String> {
    let python = crate::python().map_err(|_| {
        "--backend tch takes LibTorch from the Python environment: create it once with `cargo xtask setup tch` \
         (torch 2.9.0 from the package index, about 7 GB)"
            .to_string()
    })?;
    let venv = python.parent().and_then(|bin| bin.parent()).ok_or("the environment's python is not in a bin/ directory")?;
    let lib = torch_lib(&python)?;
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![venv.join("bin")];
    paths.extend(std::env::split_paths(&path));
    let mut libraries = vec![lib];
    if let Some(existing) = std::env::var_os("LD_LIBRARY_PATH") {
        libraries.extend(std::env::split_paths(&existing));
    }
    command
        .env("LIBTORCH_USE_PYTORCH", "1")
        .env("VIRTUAL_ENV", venv)
        .env("PATH", std::env::join_paths(paths).map_err(|e| e.to_string())?)
        .env("LD_LIBRARY_PATH", std::env::join_paths(libraries).map_err(|e| e.to_string())?);
    Ok(())
}

/// `torch/lib` of the environment, asked of its Python.
fn torch_lib(python: &std::path::Path) -> Result<PathBuf, String> {
    let out = Command::new(python)
        .args(["-c", "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} has no torch: run `cargo xtask setup tch` ({})",
            python.display(),
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        ));
    }
    let lib = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if lib.join("libtorch_cpu.so").is_file() {
        Ok(lib)
    } else {
        Err(format!("{}: no libtorch_cpu.so; run `cargo xtask setup tch`", lib.display()))
    }
}
