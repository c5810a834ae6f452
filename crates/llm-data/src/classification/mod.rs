//! Labelled texts for classification fine-tuning (chapter 6 of the book): CSV/TSV files,
//! the book's class balancing and 70/10/20 split (bit-exact to its pandas code), and
//! padded batches that know where each text's last real token sits.

mod balance_split;
mod class_batch;
mod delimited;
mod labeled_texts;
mod numpy_random;

pub use balance_split::{SplitFractions, TextSplits, balance_classes, split_rows};
pub use class_batch::{ClassBatch, ClassBatcher, ClassItem, EncodedTexts, TextEncoding};
pub use delimited::parse_delimited;
pub use labeled_texts::{LabelSet, LabeledText, TableSpec, read_labeled_texts};
pub use numpy_random::NumpyRandomState;
