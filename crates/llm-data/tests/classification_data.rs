//! The book's SMS spam data (chapter 6): reading, balancing, splitting and padding agree
//! with the book's pandas code (`tests/fixtures/spam-split/make_book_split.py`).

mod common;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::tensor::Device;
use llm_data::Tokenizer;
use llm_data::classification::{
    ClassBatcher, EncodedTexts, LabelSet, SplitFractions, TableSpec, balance_classes, read_labeled_texts, split_rows,
};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spam-split/book_split.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn ints(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

#[test]
fn book_spam_split_is_exact() {
    let path = common::data_file("sms_spam_collection/SMSSpamCollection");
    let book = fixture();
    let texts = read_labeled_texts(&path, &TableSpec::sms_spam()).unwrap();
    // pandas joins the lines of a few unclosed quotes: 5,574 lines, 5,572 rows.
    assert_eq!(texts.len(), book["frame_rows"].as_u64().unwrap() as usize);
    let labels: Vec<&str> = texts.iter().map(|t| t.label.as_str()).collect();
    assert_eq!(labels.iter().filter(|&&l| l == "spam").count(), 747);
    assert_eq!(labels.iter().filter(|&&l| l == "ham").count(), 4825);

    let balanced = balance_classes(&labels, 123);
    assert_eq!(balanced.len(), 1494);
    let splits = split_rows(&balanced, SplitFractions::default(), 123);
    assert_eq!(splits.train, ints(&book["train"]["rows"]));
    assert_eq!(splits.validation, ints(&book["validation"]["rows"]));
    assert_eq!(splits.test, ints(&book["test"]["rows"]));

    let label_set = LabelSet::from_texts(&texts);
    assert_eq!(label_set.names, ["ham", "spam"], "ham 0, spam 1 as in the book");
    let tokenizer = Tokenizer::gpt2();
    let encode = |rows: &[usize], max_len| {
        let picked: Vec<_> = rows.iter().map(|&r| texts[r].clone()).collect();
        let strs: Vec<&str> = picked.iter().map(|t| t.text.as_str()).collect();
        EncodedTexts::new(&strs, label_set.indices(&picked, &path).unwrap(), &tokenizer, max_len, 50256)
    };
    let train = encode(&splits.train, None);
    assert_eq!(train.max_len(), 120, "the book pads to its longest training text");
    assert_eq!(train.lengths(), ints(&book["train"]["token_lengths"]));
    assert_eq!(train.labels(), ints(&book["train"]["labels"]));
    let test = encode(&splits.test, Some(train.max_len()));
    let cut: Vec<usize> = ints(&book["test"]["token_lengths"]).into_iter().map(|n| n.min(120)).collect();
    assert_eq!(test.lengths(), cut, "validation and test texts are cut to the training length");
}

#[test]
fn padding_and_last_real_token() {
    let tokenizer = Tokenizer::gpt2();
    let texts = ["Hello world", "Hi", "A longer text than the others"];
    let data = EncodedTexts::new(&texts, vec![0, 1, 0], &tokenizer, Some(4), 50256);
    assert_eq!(data.truncated(), 1);
    let item = data.get(1).unwrap();
    assert_eq!(item.ids, vec![17250, 50256, 50256, 50256], "`Hi` then padding");
    assert_eq!(item.len, 1);
    let batch = ClassBatcher.batch((0..3).map(|i| data.get(i).unwrap()).collect(), &Device::default());
    assert_eq!(batch.inputs.dims(), [3, 4]);
    let last: Vec<i64> = batch.last.into_data().iter::<i64>().collect();
    assert_eq!(last, vec![1, 0, 3], "index of each text's last real token");
    let targets: Vec<i64> = batch.targets.into_data().iter::<i64>().collect();
    assert_eq!(targets, vec![0, 1, 0]);
    assert!(data.get(3).is_err());
}

#[test]
fn csv_with_named_columns_and_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reviews.csv");
    std::fs::write(&path, "id,review,stars\n1,\"Great, really\",5\n2,Bad,1\n3,Fine,3\n").unwrap();
    let spec = TableSpec { text_column: "review".into(), label_column: "stars".into(), delimiter: None };
    let texts = read_labeled_texts(&path, &spec).unwrap();
    assert_eq!(texts[0].text, "Great, really");
    assert_eq!(LabelSet::from_texts(&texts).names, ["1", "3", "5"], "integers sort numerically");

    let wrong = TableSpec { text_column: "body".into(), ..spec.clone() };
    let err = read_labeled_texts(&path, &wrong).unwrap_err().to_string();
    assert!(err.contains("reviews.csv") && err.contains("no column `body`"), "{err}");
    std::fs::write(&path, "review,stars\nok,1\nmissing\n").unwrap();
    let err = read_labeled_texts(&path, &spec).unwrap_err().to_string();
    assert!(err.contains("row 2") && err.contains("no label column"), "{err}");
    std::fs::write(&path, "review,stars\n   ,1\n").unwrap();
    assert!(read_labeled_texts(&path, &spec).unwrap_err().to_string().contains("row 1: empty text"));
    std::fs::write(&path, "").unwrap();
    assert!(read_labeled_texts(&path, &spec).is_err());
}
