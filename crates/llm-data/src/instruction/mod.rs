//! Instruction data (chapter 7 of the book): `{instruction, input, output}` records, the
//! Alpaca prompt format (and Phi-3's), the book's 85/10/5 split and its collate function,
//! and the preference pairs of its DPO bonus.

mod collate;
mod preference;
mod records;
mod split;
mod template;

pub use collate::{IGNORE_INDEX, InstructionBatcher, InstructionItem, InstructionTexts, collate};
pub use preference::{
    PreferenceBatch, PreferenceBatcher, PreferenceItem, PreferenceRows, PreferenceTexts, collate_preferences,
};
pub use records::{InstructionRecord, read_instruction_records};
pub use split::{InstructionSplits, split_instructions};
pub use template::PromptTemplate;
