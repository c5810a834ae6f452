use std::collections::HashMap;
use std::path::Path;

use std::borrow::Cow;

use safetensors::{Dtype, SafeTensors, View};

use super::atomic::temp_path;
use super::{HostTensor, TensorMap};
use crate::ModelError;

/// Reads every floating-point tensor of a `.safetensors` file as `f32`, through a memory map
/// whose pages are handed back to the system as soon as each tensor is converted: loading
/// holds the converted tensors and one tensor's file pages, not a second copy of the file.
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
        release_pages(&bytes, view.data());
    }
    Ok(map)
}

/// Drops the pages of `part` (a slice of `map`) from this process's memory; they stay in
/// the page cache and would be read again from the file if touched.
fn release_pages(map: &memmap2::Mmap, part: &[u8]) {
    #[cfg(unix)]
    {
        let offset = part.as_ptr() as usize - map.as_ptr() as usize;
        // SAFETY: the mapping is read-only and of a file nobody writes meanwhile, so a page
        // dropped here reads back the same bytes; `part` is not read again in any case.
        let dropped = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, offset, part.len()) };
        if let Err(e) = dropped {
            tracing::debug!("madvise(DONTNEED) failed: {e}");
        }
    }
    #[cfg(not(unix))]
    let _ = (map, part);
}

/// The element type a model's weights are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightDtype {
    /// 32-bit floats: what the model computes in, exact.
    #[default]
    F32,
    /// bfloat16 (rounded to nearest, ties to even, as PyTorch's `.to(torch.bfloat16)`):
    /// half the size, the type Llama and Qwen3 are published in.
    Bf16,
}

impl WeightDtype {
    /// The tensor element type.
    pub fn burn_dtype(self) -> burn::tensor::DType {
        match self {
            Self::F32 => burn::tensor::DType::F32,
            Self::Bf16 => burn::tensor::DType::BF16,
        }
    }

    /// The name `config.json`'s `torch_dtype` uses.
    pub fn torch_name(self) -> &'static str {
        match self {
            Self::F32 => "float32",
            Self::Bf16 => "bfloat16",
        }
    }
}

impl std::str::FromStr for WeightDtype {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "f32" | "float32" => Ok(Self::F32),
            "bf16" | "bfloat16" => Ok(Self::Bf16),
            other => Err(format!("unknown weight type `{other}`: expected f32 or bf16")),
        }
    }
}

/// Writes `tensors` as `f32` to a `.safetensors` file, streaming them from memory to a
/// temporary file that is renamed into place when complete; `metadata` goes in the header
/// (`transformers` expects `{"format": "pt"}`).
pub fn write_safetensors(
    path: &Path,
    tensors: &[(String, HostTensor)],
    metadata: HashMap<String, String>,
) -> Result<(), ModelError> {
    write_safetensors_as(path, tensors, metadata, WeightDtype::F32)
}

/// [`write_safetensors`] in `dtype` (bf16 tensors are converted one at a time, as written).
pub fn write_safetensors_as(
    path: &Path,
    tensors: &[(String, HostTensor)],
    metadata: HashMap<String, String>,
    dtype: WeightDtype,
) -> Result<(), ModelError> {
    let views = tensors.iter().map(|(name, t)| (name.as_str(), StoredView { tensor: t, dtype }));
    let format_error = |message: String| ModelError::Format {
        path: path.to_path_buf(),
        format: "safetensors",
        message,
    };
    let tmp = temp_path(path);
    let result = safetensors::serialize_to_file(views, Some(metadata), &tmp)
        .map_err(|e| format_error(e.to_string()))
        .and_then(|()| {
            std::fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .and_then(|()| give_default_permissions(&tmp))
                .and_then(|()| std::fs::rename(&tmp, path))
                .map_err(|e| ModelError::io(path, e))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Gives `path` the permissions a newly created file gets (the umask's): safetensors
/// writes through a temporary file of its own, created readable by its owner only.
fn give_default_permissions(path: &Path) -> std::io::Result<()> {
    let probe = temp_path(&path.with_extension("permissions"));
    let permissions = std::fs::File::create(&probe)?.metadata()?.permissions();
    std::fs::remove_file(&probe)?;
    std::fs::set_permissions(path, permissions)
}

/// A host tensor seen as safetensors bytes: f32 without a copy on little-endian machines,
/// bf16 converted when the bytes are asked for.
struct StoredView<'a> {
    tensor: &'a HostTensor,
    dtype: WeightDtype,
}

impl View for StoredView<'_> {
    fn dtype(&self) -> Dtype {
        match self.dtype {
            WeightDtype::F32 => Dtype::F32,
            WeightDtype::Bf16 => Dtype::BF16,
        }
    }

    fn shape(&self) -> &[usize] {
        &self.tensor.shape
    }

    fn data(&self) -> Cow<'_, [u8]> {
        if self.dtype == WeightDtype::Bf16 {
            Cow::Owned(self.tensor.data.iter().flat_map(|&v| half::bf16::from_f32(v).to_le_bytes()).collect())
        } else if cfg!(target_endian = "little") {
            // SAFETY: f32 has no padding or invalid bit patterns, u8 has alignment 1, and the
            // byte slice covers exactly the vector's initialised elements.
            Cow::Borrowed(unsafe {
                std::slice::from_raw_parts(self.tensor.data.as_ptr().cast::<u8>(), self.data_len())
            })
        } else {
            Cow::Owned(self.tensor.data.iter().flat_map(|v| v.to_le_bytes()).collect())
        }
    }

    fn data_len(&self) -> usize {
        self.tensor.data.len()
            * match self.dtype {
                WeightDtype::F32 => 4,
                WeightDtype::Bf16 => 2,
            }
    }
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
