use std::path::Path;

use burn::tensor::Device;
use pytorch_reader::{DType, PytorchReader};
use serde::Deserialize;

use super::{HostTensor, TensorMap, from_tensor_map};
use crate::{Gpt, GptConfig, ModelError};

pub const BOOK_WEIGHTS_FILE: &str = "model.pth";

/// The book's config dict (`GPT_CONFIG_124M` and friends), as saved beside `model.pth`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookConfig {
    pub vocab_size: usize,
    pub context_length: usize,
    pub emb_dim: usize,
    pub n_heads: usize,
    pub n_layers: usize,
    pub drop_rate: f64,
    pub qkv_bias: bool,
}

impl BookConfig {
    pub fn to_config(&self) -> GptConfig {
        GptConfig {
            vocab_size: self.vocab_size,
            context_length: self.context_length,
            emb_dim: self.emb_dim,
            n_heads: self.n_heads,
            n_layers: self.n_layers,
            dropout: self.drop_rate,
            qkv_bias: self.qkv_bias,
            // The book's GPTModel always has its own `out_head`.
            tie_embeddings: false,
            layer_norm_eps: 1e-5,
        }
    }
}

/// Loads the book's own PyTorch state dict: a directory with `model.pth`
/// (`torch.save(GPTModel(cfg).state_dict())`) and `config.json` (the config dict).
///
/// The pickle is parsed, never executed. `nn.Linear` weights (`[out, in]`) are transposed
/// and the separate query/key/value projections concatenated into GPT-2's `c_attn`.
pub fn load_book_dir(dir: &Path, device: &Device) -> Result<Gpt, ModelError> {
    let config_path = dir.join("config.json");
    let text =
        std::fs::read_to_string(&config_path).map_err(|e| ModelError::io(&config_path, e))?;
    let book: BookConfig = serde_json::from_str(&text).map_err(|e| ModelError::Config {
        path: config_path.clone(),
        message: e.to_string(),
    })?;
    let config = book.to_config();
    config.validate().map_err(|e| ModelError::Config {
        path: config_path,
        message: e.to_string(),
    })?;
    let path = dir.join(BOOK_WEIGHTS_FILE);
    let mut raw = read_pth(&path)?;
    raw.discard(|n| n.ends_with(".att.mask"));
    let map = book_to_canonical(&config, raw)?;
    from_tensor_map(&config, map, device)
}

fn read_pth(path: &Path) -> Result<TensorMap, ModelError> {
    let format_error = |message: String| ModelError::Format {
        path: path.to_path_buf(),
        format: "PyTorch (.pth)",
        message,
    };
    if !path.exists() {
        return Err(ModelError::io(
            path,
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    let reader = PytorchReader::new(path).map_err(|e| format_error(e.to_string()))?;
    let mut map = TensorMap::new();
    for (name, tensor) in reader.into_tensors() {
        let bytes = tensor.read().map_err(|e| format_error(e.to_string()))?;
        let data: Vec<f32> = match tensor.dtype() {
            DType::F32 => bytes
                .chunks_exact(4)
                .map(|c| f32::from_ne_bytes(c.try_into().expect("4 bytes")))
                .collect(),
            DType::F16 => bytes
                .chunks_exact(2)
                .map(|c| half::f16::from_ne_bytes(c.try_into().expect("2 bytes")).to_f32())
                .collect(),
            DType::BF16 => bytes
                .chunks_exact(2)
                .map(|c| half::bf16::from_ne_bytes(c.try_into().expect("2 bytes")).to_f32())
                .collect(),
            DType::F64 => bytes
                .chunks_exact(8)
                .map(|c| f64::from_ne_bytes(c.try_into().expect("8 bytes")) as f32)
                .collect(),
            // Buffers such as the causal mask are bool; they are dropped by the caller.
            DType::Bool => vec![0.0; tensor.num_elements()],
            other => {
                return Err(ModelError::DType {
                    name,
                    dtype: format!("{other:?}"),
                });
            }
        };
        map.insert(name, HostTensor::new(tensor.shape().to_vec(), data));
    }
    Ok(map)
}

/// Renames the book's tensors to GPT-2's and converts `nn.Linear` layouts to Conv1D's.
pub(crate) fn book_to_canonical(config: &GptConfig, raw: TensorMap) -> Result<TensorMap, ModelError> {
    let (d, v) = (config.emb_dim, config.vocab_size);
    let mut c = Converter {
        raw,
        out: TensorMap::new(),
    };
    c.copy("tok_emb.weight", "wte.weight", &[v, d])?;
    c.copy("pos_emb.weight", "wpe.weight", &[config.context_length, d])?;
    for i in 0..config.n_layers {
        let (b, h) = (format!("trf_blocks.{i}"), format!("h.{i}"));
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for proj in ["W_query", "W_key", "W_value"] {
            let name = format!("{b}.att.{proj}");
            weights.push(c.raw.take(&format!("{name}.weight"), &[d, d])?.transpose());
            if config.qkv_bias {
                biases.push(c.raw.take(&format!("{name}.bias"), &[d])?);
            }
        }
        c.out.insert(format!("{h}.attn.c_attn.weight"), HostTensor::concat_last(&weights));
        if config.qkv_bias {
            c.out.insert(format!("{h}.attn.c_attn.bias"), HostTensor::concat_last(&biases));
        }
        c.linear(&format!("{b}.att.out_proj"), &format!("{h}.attn.c_proj"), d, d)?;
        c.linear(&format!("{b}.ff.layers.0"), &format!("{h}.mlp.c_fc"), d, 4 * d)?;
        c.linear(&format!("{b}.ff.layers.2"), &format!("{h}.mlp.c_proj"), 4 * d, d)?;
        c.norm(&format!("{b}.norm1"), &format!("{h}.ln_1"), d)?;
        c.norm(&format!("{b}.norm2"), &format!("{h}.ln_2"), d)?;
    }
    c.norm("final_norm", "ln_f", d)?;
    // `out_head` is an nn.Linear like GPT-2's `lm_head`: same layout, no transpose. (The
    // book's model never ties it; a tied config's map, from `init_torch`, has none.)
    if !config.tie_embeddings {
        c.copy("out_head.weight", "lm_head.weight", &[v, d])?;
    }
    c.raw.finish()?;
    Ok(c.out)
}

struct Converter {
    raw: TensorMap,
    out: TensorMap,
}

impl Converter {
    fn copy(&mut self, from: &str, to: &str, shape: &[usize]) -> Result<(), ModelError> {
        let t = self.raw.take(from, shape)?;
        self.out.insert(to, t);
        Ok(())
    }

    /// An `nn.Linear` with bias: weight `[out, in]` becomes `[in, out]`.
    fn linear(&mut self, from: &str, to: &str, d_in: usize, d_out: usize) -> Result<(), ModelError> {
        let w = self.raw.take(&format!("{from}.weight"), &[d_out, d_in])?;
        self.out.insert(format!("{to}.weight"), w.transpose());
        self.copy(&format!("{from}.bias"), &format!("{to}.bias"), &[d_out])
    }

    /// The book's LayerNorm names its parameters `scale` and `shift`.
    fn norm(&mut self, from: &str, to: &str, d: usize) -> Result<(), ModelError> {
        self.copy(&format!("{from}.scale"), &format!("{to}.weight"), &[d])?;
        self.copy(&format!("{from}.shift"), &format!("{to}.bias"), &[d])
    }
}
