use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::{Dataset, DatasetError};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::Tokenizer;

/// Tokenized texts of one split, each cut to `max_len` tokens, with their class indices.
/// Items come padded to `max_len` with `pad_id`, as the book's `SpamDataset` pads.
#[derive(Debug, Clone)]
pub struct EncodedTexts {
    ids: Vec<Vec<u32>>,
    labels: Vec<usize>,
    max_len: usize,
    pad_id: u32,
    truncated: usize,
}

/// One padded text.
#[derive(Debug, Clone)]
pub struct ClassItem {
    /// `max_len` ids: the text's tokens, then padding.
    pub ids: Vec<u32>,
    /// Tokens before the padding (at least 1).
    pub len: usize,
    pub label: usize,
}

/// How a classifier's texts become token ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// The text's tokens alone (GPT classifiers, as the book's).
    #[default]
    Plain,
    /// With the special tokens the tokenizer adds for the model (BERT's `[CLS] ... [SEP]`),
    /// kept when a text is cut.
    ForModel,
}

impl TextEncoding {
    /// `text`'s ids, in at most `max_len` tokens when given.
    pub fn encode(self, tokenizer: &Tokenizer, text: &str, max_len: Option<usize>) -> Vec<u32> {
        match (self, max_len) {
            (Self::Plain, None) => tokenizer.encode(text),
            (Self::Plain, Some(n)) => tokenizer.encode(text).into_iter().take(n).collect(),
            (Self::ForModel, None) => tokenizer.encode_for_model(text),
            (Self::ForModel, Some(n)) => tokenizer.encode_for_model_within(text, n),
        }
    }
}

impl EncodedTexts {
    /// Encodes `texts`; `max_len` `None` pads to the longest (the book's training split),
    /// `Some(n)` cuts longer texts to `n` (the book's validation and test splits, cut to
    /// the training length). Texts that encode to no tokens keep one padding token.
    pub fn new(texts: &[&str], labels: Vec<usize>, tokenizer: &Tokenizer, max_len: Option<usize>, pad_id: u32) -> Self {
        Self::encoded(texts, labels, tokenizer, TextEncoding::Plain, max_len, pad_id)
    }

    /// [`EncodedTexts::new`] with the texts encoded as `encoding` says.
    pub fn encoded(
        texts: &[&str],
        labels: Vec<usize>,
        tokenizer: &Tokenizer,
        encoding: TextEncoding,
        max_len: Option<usize>,
        pad_id: u32,
    ) -> Self {
        assert_eq!(texts.len(), labels.len(), "one label per text");
        let mut ids: Vec<Vec<u32>> = texts.iter().map(|t| encoding.encode(tokenizer, t, None)).collect();
        let longest = ids.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let max_len = max_len.unwrap_or(longest).max(1);
        let mut truncated = 0;
        for (text, ids) in texts.iter().zip(&mut ids) {
            if ids.len() > max_len {
                *ids = encoding.encode(tokenizer, text, Some(max_len));
                truncated += 1;
            }
        }
        Self { ids, labels, max_len, pad_id, truncated }
    }

    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// How many texts were cut to `max_len`.
    pub fn truncated(&self) -> usize {
        self.truncated
    }

    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Token count of each text after truncation.
    pub fn lengths(&self) -> Vec<usize> {
        self.ids.iter().map(Vec::len).collect()
    }
}

impl Dataset<ClassItem> for EncodedTexts {
    fn get(&self, index: usize) -> Result<ClassItem, DatasetError> {
        let text = self.ids.get(index).ok_or_else(|| {
            DatasetError::new(crate::DataError::Dataset(format!("text {index} out of range: the split has {}", self.ids.len())))
        })?;
        let mut ids = text.clone();
        ids.resize(self.max_len, self.pad_id);
        Ok(ClassItem { ids, len: text.len().max(1), label: self.labels[index] })
    }

    fn len(&self) -> usize {
        self.ids.len()
    }
}

/// A batch of padded texts.
#[derive(Debug, Clone)]
pub struct ClassBatch {
    /// `[batch, max_len]`
    pub inputs: Tensor<2, Int>,
    /// `[batch]`: the position of each text's last real token.
    pub last: Tensor<1, Int>,
    /// `[batch]`: class indices.
    pub targets: Tensor<1, Int>,
}

/// Stacks [`ClassItem`]s into a [`ClassBatch`].
#[derive(Debug, Clone, Default)]
pub struct ClassBatcher;

impl Batcher<ClassItem, ClassBatch> for ClassBatcher {
    fn batch(&self, items: Vec<ClassItem>, device: &Device) -> ClassBatch {
        let (b, t) = (items.len(), items[0].ids.len());
        let ids: Vec<i64> = items.iter().flat_map(|i| i.ids.iter().map(|&id| id as i64)).collect();
        let column = |f: fn(&ClassItem) -> i64| {
            let data: Vec<i64> = items.iter().map(f).collect();
            Tensor::<1, Int>::from_data(TensorData::new(data, [b]), device)
        };
        ClassBatch {
            inputs: Tensor::from_data(TensorData::new(ids, [b, t]), device),
            last: column(|i| i.len as i64 - 1),
            targets: column(|i| i.label as i64),
        }
    }
}
