use std::path::Path;

use llm_data::Tokenizer;
use llm_data::classification::{
    EncodedTexts, LabelSet, LabeledText, SplitFractions, TableSpec, TextEncoding, balance_classes, read_labeled_texts, split_rows,
};

use crate::config::ClassifySection;
use crate::error::TrainError;

/// The three tokenized splits of a classification data set and its classes.
#[derive(Debug, Clone)]
pub struct ClassData {
    pub labels: LabelSet,
    pub train: EncodedTexts,
    pub validation: EncodedTexts,
    pub test: EncodedTexts,
}

/// Reads `file` as the book's chapter 6 does: classes balanced by undersampling (unless
/// `balance` is off), a seeded shuffle and split, texts encoded as `encoding` says and
/// padded to the longest training text (or `max_length`, and never beyond `context`
/// tokens), validation and test texts cut to that length.
pub fn load_class_data(
    section: &ClassifySection,
    file: &Path,
    tokenizer: &Tokenizer,
    encoding: TextEncoding,
    context: usize,
    seed: u64,
) -> Result<ClassData, TrainError> {
    let spec = TableSpec {
        text_column: section.text_column.clone(),
        label_column: section.label_column.clone(),
        delimiter: section.delimiter,
    };
    let texts = read_labeled_texts(file, &spec)?;
    let labels = LabelSet::from_texts(&texts);
    if labels.len() < 2 {
        return Err(TrainError::Invalid(format!(
            "{}: a classifier needs at least two classes, the label column holds only {:?}",
            file.display(),
            labels.names
        )));
    }
    let seed = u32::try_from(seed)
        .map_err(|_| TrainError::Invalid(format!("seed {seed}: the book's split uses NumPy's RandomState, which takes seeds below 2^32")))?;
    let rows: Vec<usize> = if section.balance {
        let names: Vec<&str> = texts.iter().map(|t| t.label.as_str()).collect();
        balance_classes(&names, seed)
    } else {
        (0..texts.len()).collect()
    };
    let fractions = SplitFractions { train: section.train_fraction, validation: section.validation_fraction };
    let splits = split_rows(&rows, fractions, seed);
    let sizes = [splits.train.len(), splits.validation.len(), splits.test.len()];
    if sizes.contains(&0) {
        return Err(TrainError::Invalid(format!(
            "{}: {} rows split {}/{}/{} (train/validation/test): every split needs at least one text",
            file.display(),
            rows.len(),
            sizes[0],
            sizes[1],
            sizes[2]
        )));
    }
    let pad = section.pad_token_id;
    let encode = |rows: &[usize], max_len: Option<usize>| -> Result<EncodedTexts, TrainError> {
        let picked: Vec<LabeledText> = rows.iter().map(|&r| texts[r].clone()).collect();
        let strs: Vec<&str> = picked.iter().map(|t| t.text.as_str()).collect();
        Ok(EncodedTexts::encoded(&strs, labels.indices(&picked, file)?, tokenizer, encoding, max_len, pad))
    };
    let cap = section.max_length.unwrap_or(usize::MAX).min(context);
    let mut train = encode(&splits.train, None)?;
    if train.max_len() > cap {
        train = encode(&splits.train, Some(cap))?;
        tracing::warn!(
            texts = train.truncated(),
            max_length = cap,
            "training texts longer than the limit are cut (set classify.max_length, at most the context length)"
        );
    }
    let max_len = Some(train.max_len());
    Ok(ClassData {
        validation: encode(&splits.validation, max_len)?,
        test: encode(&splits.test, max_len)?,
        labels,
        train,
    })
}
