use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::DataError;
use crate::corpus::read_text_file;

/// One instruction example. Fields besides these three (e.g. `chosen`/`rejected`, or a
/// `model_response`) are kept and written back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstructionRecord {
    pub instruction: String,
    #[serde(default)]
    pub input: String,
    pub output: String,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Reads a JSON array of records, or JSON Lines (one record per line). Errors name the
/// file and the record (0-based) at fault.
pub fn read_instruction_records(path: &Path) -> Result<Vec<InstructionRecord>, DataError> {
    let text = read_text_file(path)?;
    let values: Vec<serde_json::Value> = if text.trim_start().starts_with('[') {
        serde_json::from_str(&text).map_err(|e| DataError::invalid(path, format!("not a JSON array of records: {e}")))?
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| DataError::invalid(path, format!("line {}: not JSON: {e}", i + 1)))
            })
            .collect::<Result<_, _>>()?
    };
    let records: Vec<InstructionRecord> = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| serde_json::from_value(v).map_err(|e| DataError::invalid(path, format!("record {i}: {e}"))))
        .collect::<Result<_, _>>()?;
    if records.is_empty() {
        return Err(DataError::invalid(path, "no records"));
    }
    Ok(records)
}
