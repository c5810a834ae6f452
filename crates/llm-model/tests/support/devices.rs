//! The devices of every backend compiled into a test build (the including crate's backend
//! features), for the cross-backend tests of llm-model and llm-train (which includes this
//! file with `#[path]`).

use burn::tensor::Device;

/// Every backend compiled into this test build, as (name, device), except those named in
/// `LLM_TEST_SKIP_BACKENDS` (comma-separated, e.g. `wgpu` on a machine without Vulkan).
#[allow(deprecated, unused_mut)] // ndarray and tch: deprecated upstream, still supported here
pub fn test_backends() -> Vec<(String, Device)> {
    let mut compiled: Vec<(&str, fn() -> Device)> = Vec::new();
    #[cfg(feature = "flex")]
    compiled.push(("flex", Device::flex));
    #[cfg(feature = "ndarray")]
    compiled.push(("ndarray", Device::ndarray));
    #[cfg(feature = "wgpu")]
    compiled.push(("wgpu", || Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)));
    #[cfg(feature = "tch")]
    compiled.push(("tch", || match std::env::var("LLM_TCH_DEVICE") {
        Ok(v) if v.starts_with("cuda") => Device::libtorch_cuda(0),
        _ => Device::libtorch(),
    }));
    #[cfg(feature = "cuda")]
    compiled.push(("cuda", || Device::cuda(0)));
    let skip = std::env::var("LLM_TEST_SKIP_BACKENDS").unwrap_or_default();
    compiled
        .into_iter()
        .filter(|(name, _)| !skip.split(',').any(|s| s.trim() == *name))
        .map(|(name, device)| (name.to_string(), device()))
        .collect()
}
