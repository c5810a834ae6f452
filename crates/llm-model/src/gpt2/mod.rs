//! The GPT-2 family, the book's model: token and position embeddings, pre-norm blocks of
//! causal multi-head attention (GPT-2's fused `c_attn`) and a 4x GELU feed-forward, a final
//! LayerNorm and an output head (tied or not). Field names are GPT-2's checkpoint names
//! (`wte`, `h.N.attn.c_attn`, `h.N.mlp.c_fc`, `ln_f`); its files are read in
//! `crate::weights` (Hugging Face's and the book's `.pth`).

pub mod attention;
pub mod block;
pub mod config;
pub mod mlp;
mod model;

pub use config::{GptConfig, PRESETS};
pub use model::Gpt;
