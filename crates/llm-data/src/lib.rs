//! Text, tokens and batches: everything before the model. It knows nothing of the model.
//!
//! - [`tokenizer`]: GPT-2's byte-level BPE (exact to OpenAI's encoder, offline), any
//!   Hugging Face `tokenizer.json`, and BPE training from scratch;
//! - [`chat`]: a model directory's chat template (rendered as `transformers` renders it)
//!   and its special tokens and end-of-sequence ids;
//! - [`corpus`]: the data directory, the dataset manifest, downloads with checksums;
//! - [`dataset`]: the book's sliding-window language-modelling dataset, its train/validation
//!   split, memory-mapped token files, and Burn `Dataset`/`Batcher`/data loaders with seeded
//!   shuffling and `drop_last`;
//! - [`instruction`]: instruction records, prompt templates, the book's split and collate,
//!   preference pairs;
//! - [`classification`]: labelled CSV/TSV texts, the book's spam balancing and split, padded
//!   classification batches;
//! - [`translation`]: sentence pairs (TSV) for an encoder–decoder, padded into batches.
//!
//! # Example
//!
//! The book's chapter 2 sentence through GPT-2's tokenizer, and the sliding windows of
//! chapter 2.6 over its ids:
//!
//! ```
//! use burn::data::dataset::Dataset;
//! use llm_data::Tokenizer;
//! use llm_data::dataset::LmWindows;
//!
//! let tokenizer = Tokenizer::gpt2();
//! let ids = tokenizer.encode("Hello, do you like tea? <|endoftext|> In the sunlit terraces");
//! assert_eq!(ids[..8], [15496, 11, 466, 345, 588, 8887, 30, 220]);
//! assert_eq!(ids[8], 50256); // <|endoftext|> is the special token
//! assert_eq!(tokenizer.decode(&ids[..7]), "Hello, do you like tea?");
//!
//! // Inputs of 4 tokens and the same shifted by one as targets, a window every 4 tokens.
//! let windows = LmWindows::new(ids.clone(), 4, 4)?;
//! assert_eq!(windows.len(), 3);
//! # Ok::<(), llm_data::DataError>(())
//! ```
//!
//! # Features
//!
//! None. The batchers build tensors on whatever `burn::tensor::Device` they are given; this
//! crate enables no Burn backend itself.

pub mod chat;
pub mod classification;
pub mod corpus;
pub mod dataset;
pub mod error;
pub mod instruction;
pub mod tokenizer;
pub mod translation;

pub use error::DataError;
pub use tokenizer::Tokenizer;
