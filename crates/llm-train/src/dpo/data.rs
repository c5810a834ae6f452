use std::path::Path;

use llm_data::Tokenizer;
use llm_data::instruction::{PreferenceItem, PreferenceTexts, PromptTemplate, read_instruction_records, split_instructions};

use crate::error::TrainError;

/// The tokenized preference pairs of the training and validation splits.
#[derive(Debug, Clone)]
pub struct PreferenceData {
    pub train: PreferenceTexts,
    pub validation: PreferenceTexts,
    pub test_records: usize,
}

/// Reads records with `chosen` and `rejected` responses (e.g. the book's
/// `instruction-data-with-preference.json`) and splits them as the instruction data; each
/// side is the template's prompt, response prefix and that response.
pub fn load_preference_data(
    file: &Path,
    tokenizer: &Tokenizer,
    template: PromptTemplate,
    split_seed: Option<u64>,
) -> Result<PreferenceData, TrainError> {
    let records = read_instruction_records(file)?;
    let mut items = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let side = |key: &str| {
            record.extra.get(key).and_then(|v| v.as_str()).ok_or_else(|| {
                TrainError::Invalid(format!("{}: record {i} has no string `{key}` (a preference pair needs `chosen` and `rejected`)", file.display()))
            })
        };
        let prompt = template.prompt(record);
        let text = |response: &str| tokenizer.encode(&format!("{prompt}{}{response}", template.response_prefix()));
        items.push(PreferenceItem {
            chosen: text(side("chosen")?),
            rejected: text(side("rejected")?),
            prompt_len: tokenizer.encode(&prompt).len(),
        });
    }
    let splits = split_instructions(items.len(), split_seed);
    let pick = |rows: &[usize]| PreferenceTexts { items: rows.iter().map(|&i| items[i].clone()).collect() };
    Ok(PreferenceData { train: pick(&splits.train), validation: pick(&splits.validation), test_records: splits.test.len() })
}
