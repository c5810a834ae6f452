//! The book's sliding-window language-modelling data (chapter 2) as Burn datasets, over
//! tokens in memory or in a memory-mapped token file; BERT's masked-token corruption.

mod batcher;
mod epoch_order;
mod lm_windows;
mod loader;
mod masked_lm;
mod masked_windows;
mod pretokenize;
mod split;
mod token_file;
mod token_source;

pub use batcher::{LmBatch, LmBatcher};
pub use epoch_order::{EpochOrder, EpochShuffled, OrderDraw};
pub use lm_windows::{LmItem, LmWindows};
pub use loader::{DropLastStrategy, LoaderOptions, lm_loader};
pub use masked_lm::{IGNORED_LABEL, MaskedSequence, Masker, MaskingConfig};
pub use masked_windows::{MaskedLmBatcher, MaskedWindows};
pub use pretokenize::{cached_token_file, write_token_file};
pub use split::split_train_val;
pub use token_file::{MappedTokens, TokenFileWriter, token_width};
pub use token_source::TokenSource;
