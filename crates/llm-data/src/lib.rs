//! Text, tokens and batches: everything before the model.
//!
//! - [`tokenizer`]: GPT-2's byte-level BPE (exact to OpenAI's encoder, offline), any
//!   Hugging Face `tokenizer.json`, and BPE training from scratch;
//! - [`corpus`]: the data directory, the dataset manifest, downloads with checksums;
//! - [`dataset`]: the book's sliding-window language-modelling dataset, its train/validation
//!   split, and Burn `Dataset`/`Batcher`/data loaders with seeded shuffling and `drop_last`;
//! - [`instruction`]: instruction records, prompt templates, the book's split and collate;
//! - [`classification`]: labelled CSV/TSV texts, the book's spam balancing and split, padded
//!   classification batches.

pub mod classification;
pub mod corpus;
pub mod dataset;
pub mod error;
pub mod instruction;
pub mod tokenizer;

pub use error::DataError;
pub use tokenizer::Tokenizer;
