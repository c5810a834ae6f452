//! Helpers shared by the integration tests (each test file includes this as a module).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Int, Tensor, TensorData};
use safetensors::{Dtype, SafeTensors};

pub fn device() -> Device {
    Device::flex()
}

#[path = "support/devices.rs"]
mod devices;
#[allow(unused_imports)] // not every test file runs on every backend
pub use devices::test_backends;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The reference outputs a fixture's Python script recorded.
pub struct Reference {
    pub input_ids: Vec<i64>,
    pub input_shape: [usize; 2],
    pub logits: Vec<f32>,
    pub loss: f32,
    pub prompt: Vec<u32>,
    pub greedy: Vec<u32>,
}

pub fn reference(dir: &Path) -> Reference {
    let bytes = std::fs::read(dir.join("reference.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let ints = |name: &str| -> Vec<i64> {
        let v = st.tensor(name).unwrap();
        assert_eq!(v.dtype(), Dtype::I64);
        v.data().chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect()
    };
    let floats = |name: &str| -> Vec<f32> {
        let v = st.tensor(name).unwrap();
        assert_eq!(v.dtype(), Dtype::F32);
        v.data().chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
    };
    let shape = st.tensor("input_ids").unwrap().shape().to_vec();
    Reference {
        input_ids: ints("input_ids"),
        input_shape: [shape[0], shape[1]],
        logits: floats("logits"),
        loss: floats("loss")[0],
        prompt: ints("prompt").into_iter().map(|i| i as u32).collect(),
        greedy: ints("greedy").into_iter().map(|i| i as u32).collect(),
    }
}

pub fn ids(data: &[i64], shape: [usize; 2], device: &Device) -> Tensor<2, Int> {
    Tensor::from_data(TensorData::new(data.to_vec(), shape), device)
}

pub fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}

/// Largest absolute difference divided by the largest reference magnitude.
pub fn relative_error(ours: &[f32], reference: &[f32]) -> f32 {
    assert_eq!(ours.len(), reference.len(), "length mismatch");
    let scale = reference.iter().fold(0f32, |m, v| m.max(v.abs())).max(f32::MIN_POSITIVE);
    let diff = ours
        .iter()
        .zip(reference)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    diff / scale
}

/// The model's mean next-token loss on the reference batch (each row's ids predicting the next).
pub fn reference_batch_loss(model: &impl llm_model::CausalModel, r: &Reference) -> f32 {
    let device = device();
    let [b, t] = r.input_shape;
    let column = |range: std::ops::Range<usize>| -> Vec<i64> {
        (0..b).flat_map(|i| r.input_ids[i * t..(i + 1) * t][range.clone()].to_vec()).collect()
    };
    let (inputs, targets) = (ids(&column(0..t - 1), [b, t - 1], &device), ids(&column(1..t), [b, t - 1], &device));
    to_vec(llm_model::loss::next_token_loss(model, inputs, targets, None))[0]
}

/// A named integer tensor of a fixture's `reference.safetensors`, with its shape.
pub fn reference_ints(dir: &Path, name: &str) -> (Vec<i64>, Vec<usize>) {
    let bytes = std::fs::read(dir.join("reference.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let v = st.tensor(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(v.dtype(), Dtype::I64, "{name}");
    let data = v.data().chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect();
    (data, v.shape().to_vec())
}

/// A named f32 tensor of a fixture's `reference.safetensors`, with its shape.
pub fn reference_floats(dir: &Path, name: &str) -> (Vec<f32>, Vec<usize>) {
    let bytes = std::fs::read(dir.join("reference.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let v = st.tensor(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(v.dtype(), Dtype::F32, "{name}");
    let data = v.data().chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    (data, v.shape().to_vec())
}
