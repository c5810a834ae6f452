//! A backend-generic GPT-2 style transformer on Burn 0.22.
//!
//! Everything here takes a `&Device` and never names a backend: the same model runs on
//! flex, ndarray, wgpu or LibTorch, whichever device the caller builds.
//!
//! - [`GptConfig`]: hyper-parameters and presets (GPT-2 small…xl, the book's `GPT_CONFIG_124M`);
//! - [`Gpt`]: token + position embeddings, pre-norm blocks of causal multi-head attention
//!   and a 4× GELU feed-forward, final norm and an output head (tied or not);
//! - [`KvCache`]: the explicit key/value cache for incremental decoding;
//! - [`generation`]: samplers and the generation loop;
//! - [`GptClassifier`] and [`lora`]: a classification head over the body, LoRA adapters;
//! - [`weights`]: Hugging Face GPT-2 directories and the book's PyTorch state dicts;
//! - [`backend`]: the backends compiled in and their devices;
//! - [`torch_rng`] (over [`mt19937`]), [`torch_init`], [`dropout`]: PyTorch's generator, the book's initial weights
//!   and dropout masks drawn as PyTorch draws them;
//! - [`rows`]: linear layers over all rows of a batch as one product (PyTorch's folding);
//! - [`block_cache`]: a global allocator that reuses large freed blocks (CPU training speed).

pub mod attention;
pub mod backend;
pub mod block;
pub mod block_cache;
pub mod classifier;
pub mod config;
pub mod dropout;
pub mod error;
pub mod eval;
pub mod generation;
pub mod gpt;
pub mod kv_cache;
pub mod lora;
pub mod loss;
pub mod mlp;
pub mod mt19937;
pub mod rows;
pub mod torch_init;
pub mod torch_rng;
pub mod weights;

pub use backend::Backend;
pub use classifier::{GptClassifier, Pooling};
pub use config::GptConfig;
pub use lora::LoraConfig;
pub use error::ModelError;
pub use gpt::Gpt;
pub use kv_cache::KvCache;
pub use torch_rng::{SharedTorchGenerator, TorchGenerator};
