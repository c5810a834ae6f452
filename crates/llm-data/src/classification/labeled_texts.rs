use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::parse_delimited;
use crate::DataError;
use crate::corpus::read_text_file;

/// One text and its label, as read from a data file.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledText {
    pub text: String,
    pub label: String,
}

/// Which columns of a CSV/TSV file hold the text and the label.
///
/// Columns are named by header (the file's first row is then its header) or by 0-based
/// position (the file has no header). The SMS Spam Collection is `label<TAB>text` without
/// a header: `label_column = "0"`, `text_column = "1"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSpec {
    pub text_column: String,
    pub label_column: String,
    /// The field separator; `None`: a tab, unless the file name ends in `.csv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<char>,
}

impl TableSpec {
    /// The SMS Spam Collection's layout.
    pub fn sms_spam() -> Self {
        Self {
            text_column: "1".into(),
            label_column: "0".into(),
            delimiter: Some('\t'),
        }
    }
}

/// Reads the labelled texts of a CSV/TSV file. Errors name the file, and the row (1-based
/// in the data, after any header) for rows that lack a column or have an empty text.
pub fn read_labeled_texts(path: &Path, spec: &TableSpec) -> Result<Vec<LabeledText>, DataError> {
    let text = read_text_file(path)?;
    let delimiter = spec.delimiter.unwrap_or_else(|| {
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) { ',' } else { '\t' }
    });
    let mut rows = parse_delimited(&text, delimiter).into_iter();
    let positional = |c: &str| c.parse::<usize>().ok();
    let (text_at, label_at) = match (positional(&spec.text_column), positional(&spec.label_column)) {
        (Some(t), Some(l)) => (t, l),
        _ => {
            let header = rows.next().ok_or_else(|| DataError::invalid(path, "the file is empty"))?;
            let find = |name: &str| {
                header.iter().position(|h| h.trim() == name).ok_or_else(|| {
                    DataError::invalid(path, format!("no column `{name}` in the header (columns: {})", header.join(", ")))
                })
            };
            (find(&spec.text_column)?, find(&spec.label_column)?)
        }
    };
    let mut texts = Vec::new();
    for (i, row) in rows.enumerate() {
        let field = |at: usize, what: &str| {
            row.get(at).cloned().ok_or_else(|| {
                DataError::invalid(path, format!("row {}: no {what} column {at} (the row has {} fields)", i + 1, row.len()))
            })
        };
        let (text, label) = (field(text_at, "text")?, field(label_at, "label")?);
        if text.trim().is_empty() {
            return Err(DataError::invalid(path, format!("row {}: empty text", i + 1)));
        }
        if label.trim().is_empty() {
            return Err(DataError::invalid(path, format!("row {}: empty label", i + 1)));
        }
        texts.push(LabeledText { text, label: label.trim().to_string() });
    }
    if texts.is_empty() {
        return Err(DataError::invalid(path, "no labelled rows"));
    }
    Ok(texts)
}

/// The class names of a task; a class's index is its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSet {
    pub names: Vec<String>,
}

impl LabelSet {
    /// The labels that occur in `texts`, sorted (numerically when all are integers), so
    /// `ham`/`spam` become 0/1 as in the book.
    pub fn from_texts(texts: &[LabeledText]) -> Self {
        let unique: BTreeSet<&str> = texts.iter().map(|t| t.label.as_str()).collect();
        let mut names: Vec<String> = unique.into_iter().map(String::from).collect();
        if names.iter().all(|n| n.parse::<i64>().is_ok()) {
            names.sort_by_key(|n| n.parse::<i64>().expect("checked"));
        }
        Self { names }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn index_of(&self, label: &str) -> Option<usize> {
        self.names.iter().position(|n| n == label)
    }

    /// Class indices of `texts`; an error names the first label outside the set.
    pub fn indices(&self, texts: &[LabeledText], source: &Path) -> Result<Vec<usize>, DataError> {
        texts
            .iter()
            .map(|t| {
                self.index_of(&t.label).ok_or_else(|| {
                    DataError::invalid(source, format!("label `{}` is not one of {:?}", t.label, self.names))
                })
            })
            .collect()
    }
}
