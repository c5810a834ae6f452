use std::path::Path;

use llm_data::Tokenizer;
use llm_data::instruction::{
    InstructionItem, InstructionRecord, InstructionTexts, read_instruction_records, split_instructions,
};

use crate::config::InstructSection;
use crate::error::TrainError;

/// Records, their split, and the tokenized training and validation texts.
#[derive(Debug, Clone)]
pub struct InstructData {
    pub train_records: Vec<InstructionRecord>,
    pub validation_records: Vec<InstructionRecord>,
    pub test_records: Vec<InstructionRecord>,
    pub train: InstructionTexts,
    pub validation: InstructionTexts,
    /// Texts are cut to this many tokens.
    pub allowed_max_length: usize,
}

/// Reads `file` (JSON or JSONL records) and splits it as the book does; each text is the
/// template's prompt, response prefix and output, with the prompt's token count kept for
/// `mask_prompt`.
pub fn load_instruct_data(
    section: &InstructSection,
    file: &Path,
    tokenizer: &Tokenizer,
    context: usize,
) -> Result<InstructData, TrainError> {
    let records = read_instruction_records(file)?;
    let splits = split_instructions(records.len(), section.split_seed);
    if splits.train.is_empty() || splits.validation.is_empty() {
        return Err(TrainError::Invalid(format!(
            "{}: {} records split {}/{}/{} (train/test/validation): training and validation need at least one each",
            file.display(),
            records.len(),
            splits.train.len(),
            splits.test.len(),
            splits.validation.len()
        )));
    }
    let pick = |rows: &[usize]| rows.iter().map(|&i| records[i].clone()).collect::<Vec<_>>();
    let template = section.template;
    let encode = |rows: &[InstructionRecord]| InstructionTexts {
        items: rows
            .iter()
            .map(|r| InstructionItem {
                ids: tokenizer.encode(&template.full_text(r)),
                prompt_len: tokenizer.encode(&template.prompt(r)).len(),
            })
            .collect(),
    };
    let (train_records, validation_records) = (pick(&splits.train), pick(&splits.validation));
    Ok(InstructData {
        train: encode(&train_records),
        validation: encode(&validation_records),
        test_records: pick(&splits.test),
        train_records,
        validation_records,
        allowed_max_length: section.allowed_max_length.unwrap_or(context).min(context),
    })
}
