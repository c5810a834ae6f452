//! The book's sliding-window language-modelling data (chapter 2) as Burn datasets.

mod batcher;
mod lm_windows;
mod loader;
mod split;

pub use batcher::{LmBatch, LmBatcher};
pub use lm_windows::{LmItem, LmWindows};
pub use loader::{DropLastStrategy, LoaderOptions, lm_loader};
pub use split::split_train_val;
