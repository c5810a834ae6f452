//! The decoder stack the Llama and Qwen3 families share: token embeddings, pre-norm layers of
//! self-attention and a SwiGLU feed-forward with RMSNorm, a final norm and the output head.
//! A family supplies its attention ([`DecoderAttention`]): Llama's (`crate::llama`), Qwen3's
//! with its per-head query and key norms (`crate::qwen3`).

mod attention;
mod attention_lora;
mod block;
mod config;
mod hf_config;
mod model;
mod weights;

pub use attention::{DecoderAttention, HeadShape, load_projections, new_projections, project_heads, rotary_self_attention, save_projections};
pub use attention_lora::AttentionLora;
pub use block::DecoderBlock;
pub use config::DecoderConfig;
pub use hf_config::{HfDecoderConfig, RopeWire};
pub use model::Decoder;
pub use weights::{HfWeights, put_linear, put_rms_norm};
