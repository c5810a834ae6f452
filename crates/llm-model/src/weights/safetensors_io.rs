use std::collections::HashMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use super::{HostTensor, TensorMap, write_atomically};
use crate::ModelError;

/// Reads every floating-point tensor of a `.safetensors` file as `f32`.
pub fn read_safetensors(path: &Path) -> Result<TensorMap, ModelError> {
    let file = std::fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
    // SAFETY: the file is only read, and only for the duration of this function.
    let bytes = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| ModelError::io(path, e))?;
    let format_error = |message: String| ModelError::Format {
        path: path.to_path_buf(),
        format: "safetensors",
        message,
    };
    let st = SafeTensors::deserialize(&bytes).map_err(|e| format_error(e.to_string()))?;
    let mut map = TensorMap::new();
    for (name, view) in st.iter() {
        let data = to_f32(name, view.dtype(), view.data())?;
        map.insert(name, HostTensor::new(view.shape().to_vec(), data));
    }
    Ok(map)
}

/// Writes `tensors` as `f32` to a `.safetensors` file (atomically), with `metadata` in its
/// header (`transformers` expects `{"format": "pt"}`).
pub fn write_safetensors(
    path: &Path,
    tensors: &[(String, HostTensor)],
    metadata: HashMap<String, String>,
) -> Result<(), ModelError> {
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, t)| t.data.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|((name, t), b)| {
            let view = TensorView::new(Dtype::F32, t.shape.clone(), b).map_err(|e| {
                ModelError::Format {
                    path: path.to_path_buf(),
                    format: "safetensors",
                    message: format!("tensor `{name}`: {e}"),
                }
            })?;
            Ok((name.clone(), view))
        })
        .collect::<Result<Vec<_>, ModelError>>()?;
    let serialized =
        safetensors::serialize(views, Some(metadata)).map_err(|e| ModelError::Format {
            path: path.to_path_buf(),
            format: "safetensors",
            message: e.to_string(),
        })?;
    write_atomically(path, &serialized)
}

fn to_f32(name: &str, dtype: Dtype, bytes: &[u8]) -> Result<Vec<f32>, ModelError> {
    fn chunks<const N: usize>(bytes: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
        bytes.chunks_exact(N).map(|c| c.try_into().expect("exact chunk"))
    }
    Ok(match dtype {
        Dtype::F32 => chunks::<4>(bytes).map(f32::from_le_bytes).collect(),
        Dtype::F64 => chunks::<8>(bytes)
            .map(|c| f64::from_le_bytes(c) as f32)
            .collect(),
        Dtype::F16 => chunks::<2>(bytes)
            .map(|c| half::f16::from_le_bytes(c).to_f32())
            .collect(),
        Dtype::BF16 => chunks::<2>(bytes)
            .map(|c| half::bf16::from_le_bytes(c).to_f32())
            .collect(),
        other => {
            return Err(ModelError::DType {
                name: name.to_string(),
                dtype: format!("{other:?}"),
            });
        }
    })
}
