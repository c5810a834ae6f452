//! The Qwen3 family (dense): the shared decoder (`crate::decoder`) with Qwen3's attention,
//! whose query and key heads are normalised before the rotary positions.

mod attention;
mod presets;

pub use attention::Qwen3Attention;
/// A Qwen3 `config.json` (`model_type = "qwen3"`: the keys of Llama's, with `head_dim` its own).
pub type HfQwen3Config = crate::decoder::HfDecoderConfig;
pub use presets::{qwen3_0_6b, qwen3_1_7b};

/// A Qwen3 model.
pub type Qwen3 = crate::decoder::Decoder<Qwen3Attention>;
