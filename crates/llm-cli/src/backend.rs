use burn::tensor::Device;

/// The backends `--backend` can name; each is compiled in by the cargo feature of the
/// same name (`cargo xtask CMD --backend B` builds with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// Burn's pure-Rust CPU backend.
    Flex,
    /// The ndarray CPU backend.
    Ndarray,
    /// GPUs through Vulkan/Metal/DX12 (or Mesa's software Vulkan).
    Wgpu,
    /// LibTorch (CPU, or CUDA device 0 when present).
    Tch,
    /// NVIDIA CUDA.
    Cuda,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Self::Flex => "flex",
            Self::Ndarray => "ndarray",
            Self::Wgpu => "wgpu",
            Self::Tch => "tch",
            Self::Cuda => "cuda",
        };
        f.write_str(name)
    }
}

impl Backend {
    /// The first backend compiled into this binary, in the order flex, ndarray, wgpu, tch, cuda.
    pub fn default_compiled() -> Self {
        [Self::Flex, Self::Ndarray, Self::Wgpu, Self::Tch, Self::Cuda]
            .into_iter()
            .find(|b| b.compiled())
            .unwrap_or(Self::Flex)
    }

    /// Whether this binary was built with the backend's feature.
    pub fn compiled(self) -> bool {
        match self {
            Self::Flex => cfg!(feature = "flex"),
            Self::Ndarray => cfg!(feature = "ndarray"),
            Self::Wgpu => cfg!(feature = "wgpu"),
            Self::Tch => cfg!(feature = "tch"),
            Self::Cuda => cfg!(feature = "cuda"),
        }
    }
}

/// The one place that turns a `--backend` value into a device.
#[allow(deprecated, unreachable_patterns)] // ndarray and tch are deprecated upstream, still supported here
pub fn device(backend: Backend) -> anyhow::Result<Device> {
    Ok(match backend {
        #[cfg(feature = "flex")]
        Backend::Flex => Device::flex(),
        #[cfg(feature = "ndarray")]
        Backend::Ndarray => Device::ndarray(),
        #[cfg(feature = "wgpu")]
        Backend::Wgpu => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
        #[cfg(feature = "tch")]
        Backend::Tch => {
            if tch_cuda_available() {
                Device::libtorch_cuda(0)
            } else {
                Device::libtorch()
            }
        }
        #[cfg(feature = "cuda")]
        Backend::Cuda => Device::cuda(0),
        other => anyhow::bail!(
            "backend {other} is not compiled into this binary: run it through `cargo xtask CMD --backend {other}` \
             (or build llm-cli with `--features {other}`)"
        ),
    })
}

#[cfg(feature = "tch")]
fn tch_cuda_available() -> bool {
    std::env::var("LLM_TCH_DEVICE").map_or(false, |v| v.starts_with("cuda"))
}
