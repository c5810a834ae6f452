//! The Llama family (Llama 3, 3.1, 3.2): the shared decoder (`crate::decoder`) with Llama's
//! attention (rotary positions with Llama 3's frequency scaling, grouped-query attention).

mod attention;
mod presets;

pub use attention::LlamaAttention;
/// A Llama `config.json` (`model_type = "llama"`).
pub type HfLlamaConfig = crate::decoder::HfDecoderConfig;
pub use presets::{llama_3_2_1b, llama_3_2_3b};

/// A Llama model.
pub type Llama = crate::decoder::Decoder<LlamaAttention>;
