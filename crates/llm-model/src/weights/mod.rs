//! Model files: Hugging Face GPT-2 directories (`config.json` + `model.safetensors`) and the
//! book's PyTorch state dicts (`config.json` + `model.pth`).
//!
//! Every format is read into a [`TensorMap`] in one canonical naming, GPT-2's (without the
//! `transformer.` prefix) with GPT-2's Conv1D layout `[in, out]`; `assign` builds a
//! [`Gpt`](crate::Gpt) from that map and exports one back to it.

mod assign;
mod atomic;
mod bert_dir;
mod book;
mod classifier_dir;
mod decoder_dir;
mod hf;
mod hf_config;
mod hf_files;
mod marian_dir;
pub(crate) mod hf_layers;
mod model_dir;
mod safetensors_io;
mod tensor_map;

pub use assign::{from_tensor_map, to_tensor_map};
pub(crate) use assign::host;
pub use atomic::write_atomically;
pub use bert_dir::{load_bert_dir, read_bert_config, save_bert_dir};
pub use marian_dir::{load_marian_dir, read_marian_config, save_marian_dir};
pub use book::{BookConfig, load_book_dir};
pub(crate) use book::book_to_canonical;
pub use decoder_dir::{INDEX_FILE, load_decoder_dir, load_decoder_dir_as, read_decoder_config, read_weights, save_decoder_dir};
pub use classifier_dir::{ClassifierMeta, load_classifier_dir, save_classifier_dir};
pub use hf::{load_hf_dir, save_hf_dir, save_hf_dir_as};
pub use hf_config::HfGpt2Config;
pub use model_dir::{ModelFormat, ModelKind, load_language_model, load_language_model_as, load_model, model_family, model_format, model_kind, save_language_model, save_language_model_as};
pub use safetensors_io::{WeightDtype, read_safetensors, write_safetensors, write_safetensors_as};
pub use tensor_map::{HostTensor, TensorMap};
