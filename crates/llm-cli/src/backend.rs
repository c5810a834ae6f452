//! The backends this binary was compiled with, and the one place that turns a backend name
//! into a [`Device`]. Each backend is the cargo feature of the same name (of this crate,
//! which turns on burn's); the library crates take a `&Device` and never name one.

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;

/// A Burn backend the model can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Burn's pure-Rust CPU backend.
    Flex,
    /// The ndarray CPU backend.
    Ndarray,
    /// GPUs through Vulkan/Metal/DX12 (or Mesa's software Vulkan, lavapipe).
    Wgpu,
    /// LibTorch: CUDA device 0 when `LLM_TCH_DEVICE=cuda`, else its CPU.
    Tch,
    /// NVIDIA CUDA through CubeCL.
    Cuda,
}

impl Backend {
    /// Every backend, in the order of preference for a default.
    pub const ALL: [Backend; 5] = [Self::Flex, Self::Ndarray, Self::Wgpu, Self::Tch, Self::Cuda];

    pub fn name(self) -> &'static str {
        match self {
            Self::Flex => "flex",
            Self::Ndarray => "ndarray",
            Self::Wgpu => "wgpu",
            Self::Tch => "tch",
            Self::Cuda => "cuda",
        }
    }

    /// Whether this build has the backend's feature.
    pub fn compiled(self) -> bool {
        match self {
            Self::Flex => cfg!(feature = "flex"),
            Self::Ndarray => cfg!(feature = "ndarray"),
            Self::Wgpu => cfg!(feature = "wgpu"),
            Self::Tch => cfg!(feature = "tch"),
            Self::Cuda => cfg!(feature = "cuda"),
        }
    }

    /// The first compiled backend (flex when it is there).
    pub fn default_compiled() -> Option<Backend> {
        Self::ALL.into_iter().find(|b| b.compiled())
    }

    /// The backend's device (its first GPU where it has several).
    #[allow(deprecated, unreachable_patterns)] // ndarray and tch are deprecated upstream, still supported here
    pub fn device(self) -> Result<Device, BackendError> {
        Ok(match self {
            #[cfg(feature = "flex")]
            Self::Flex => Device::flex(),
            #[cfg(feature = "ndarray")]
            Self::Ndarray => Device::ndarray(),
            #[cfg(feature = "wgpu")]
            Self::Wgpu => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
            #[cfg(feature = "tch")]
            Self::Tch => match std::env::var("LLM_TCH_DEVICE") {
                Ok(v) if v.starts_with("cuda") => Device::libtorch_cuda(0),
                _ => Device::libtorch(),
            },
            #[cfg(feature = "cuda")]
            Self::Cuda => Device::cuda(0),
            other => return Err(BackendError::NotCompiled(other)),
        })
    }
}

impl Backend {
    /// Whether the backend's tensors live in this process's memory (flex, ndarray), rather
    /// than LibTorch's or a GPU's.
    pub fn in_process(self) -> bool {
        matches!(self, Self::Flex | Self::Ndarray)
    }
}

/// The library flex multiplies large f32 matrices with in this process: `"openblas"` where
/// a system OpenBLAS (`libopenblas.so.0`) was found and `LLM_BLAS` is not `off` (nor `0`, `gemm`), else
/// `"gemm"` (see `vendor/burn-flex/src/ops/blas.rs`). Only this workspace's burn-flex has
/// the hook, so only this crate asks.
#[cfg(feature = "flex")]
pub fn flex_products() -> &'static str {
    if burn_flex::ops::blas::available() { "openblas" } else { "gemm" }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = BackendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| BackendError::Unknown(s.to_string()))
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum BackendError {
    #[error("unknown backend `{0}`: expected one of flex, ndarray, wgpu, tch, cuda")]
    Unknown(String),
    #[error(
        "backend {0} is not compiled into this binary: run it through `cargo xtask CMD --backend {0}` \
         (or build llm-cli with `--features {0}`)"
    )]
    NotCompiled(Backend),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for b in Backend::ALL {
            assert_eq!(b.name().parse::<Backend>().unwrap(), b);
        }
        let err = "tpu".parse::<Backend>().unwrap_err().to_string();
        assert!(err.contains("`tpu`") && err.contains("wgpu"), "{err}");
    }

    #[test]
    fn a_backend_not_compiled_in_says_how_to_get_it() {
        if let Some(missing) = Backend::ALL.into_iter().find(|b| !b.compiled()) {
            let err = missing.device().unwrap_err().to_string();
            assert!(err.contains(&format!("--backend {missing}")), "{err}");
        }
    }
}
