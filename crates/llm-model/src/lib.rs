//! A backend-generic GPT-2 style transformer on Burn 0.22: the model of *Build a Large
//! Language Model (From Scratch)*, its generation loop and the model files of the
//! ecosystem.
//!
//! Everything here takes a `&Device` and never names a backend: the same model runs on
//! flex, ndarray, wgpu or LibTorch, whichever device the caller builds.
//!
//! - [`GptConfig`]: hyper-parameters and presets (GPT-2 small…xl, the book's `GPT_CONFIG_124M`);
//! - [`Gpt`]: token + position embeddings, pre-norm blocks of causal multi-head attention
//!   and a 4× GELU feed-forward, final norm and an output head (tied or not);
//! - [`KvCache`]: the explicit key/value cache for incremental decoding;
//! - [`generation`]: samplers and the generation loop;
//! - [`eval`]: mean next-token loss and perplexity over a text;
//! - [`Classifier`] and [`lora`]: a classification head over a model of any family, LoRA adapters;
//! - [`weights`]: Hugging Face GPT-2 directories and the book's PyTorch state dicts;
//! - [`torch_rng`] (over [`mt19937`]), [`torch_init`], [`dropout`]: PyTorch's generator, the
//!   book's initial weights and dropout masks drawn as PyTorch draws them;
//! - [`rows`]: linear layers over all rows of a batch as one product (PyTorch's folding).
//!
//! # Example
//!
//! A small fresh model, its logits, and a greedy continuation with the KV cache:
//!
//! ```
//! use burn::tensor::{Device, Int, Tensor};
//! use llm_model::GptConfig;
//! use llm_model::generation::{GenerateOptions, generate};
//!
//! let device = Device::flex();
//! let config = GptConfig { vocab_size: 100, context_length: 16, emb_dim: 32, n_heads: 2, n_layers: 2, ..GptConfig::gpt2_small() };
//! let gpt = config.init(&device)?;
//! let logits = gpt.forward(Tensor::<2, Int>::from_data([[1i64, 2, 3]], &device));
//! assert_eq!(logits.dims(), [1, 3, 100]); // [batch, tokens, vocabulary]
//!
//! let options = GenerateOptions { max_new_tokens: 5, ..Default::default() };
//! let new_tokens = generate(&gpt, &[1, 2, 3], &options, |_token| {});
//! assert_eq!(new_tokens.len(), 5);
//! # Ok::<(), llm_model::ModelError>(())
//! ```
//!
//! A pretrained model: `llm_model::weights::load_model(Path::new("models/gpt2"), &device)?`.
//!
//! # Features
//!
//! - `flex` (default): turns on Burn's flex backend, so that `Device::flex()` exists.
//! - `ndarray`, `wgpu`, `tch`, `cuda`: Burn's backends of those names.
//!
//! They only make devices available; nothing here changes with them. The toolkit's own
//! binary builds flex with its workspace's speed-ups (`vendor/burn-flex`); a workspace that
//! imports this crate gets crates.io's burn-flex, with the same results up to the last bits
//! of a sum.

pub mod bert;
pub mod classifier;
pub mod classifier_body;
pub mod decoder;
pub mod dropout;
pub mod error;
pub mod eval;
pub mod generation;
pub mod grouped_attention;
pub mod hf_init;
pub mod gpt2;
pub mod kv_cache;
pub mod language_model;
pub mod llama;
pub mod lora;
pub mod marian;
pub mod masked_attention;
pub mod matrix_dtype;
pub mod loss;
pub mod model_config;
pub mod mt19937;
pub mod output_head;
pub mod presets;
pub mod qwen3;
pub mod rope;
pub mod rows;
pub mod swiglu;
pub mod torch_init;
pub mod torch_rng;
pub mod weights;

pub use bert::{Bert, BertArchitecture, BertConfig, BertInput};
pub use classifier::{Classifier, Pooling};
pub use classifier_body::ClassifierBody;
pub use gpt2::{Gpt, GptConfig};
pub use lora::LoraConfig;
pub use error::ModelError;
pub use kv_cache::KvCache;
pub use language_model::{CausalModel, Family, LanguageModel};
pub use model_config::ModelConfig;
pub use torch_rng::{SharedTorchGenerator, TorchGenerator};
