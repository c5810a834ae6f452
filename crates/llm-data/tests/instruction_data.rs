//! The book's instruction data (chapter 7): records, split, prompts, collate.

mod common;

use burn::data::dataloader::batcher::Batcher;
use burn::tensor::Device;
use llm_data::instruction::{
    IGNORE_INDEX, InstructionBatcher, InstructionItem, PromptTemplate, read_instruction_records, split_instructions,
};

#[test]
fn the_books_records_and_split() {
    let records = read_instruction_records(&common::data_file("instruction-data.json")).unwrap();
    assert_eq!(records.len(), 1100);
    let s = split_instructions(records.len(), None);
    assert_eq!((s.train.len(), s.test.len(), s.validation.len()), (935, 110, 55));
    // The book prints these: the first test and validation entries.
    assert_eq!(records[s.test[0]].instruction, "Rewrite the sentence using a simile.");
    assert_eq!(records[s.test[0]].output, "The car is as fast as lightning.");
    let prompt = PromptTemplate::Alpaca.prompt(&records[s.validation[0]]);
    assert!(prompt.starts_with("Below is an instruction that describes a task."), "{prompt}");
    // Records with preferences keep their extra fields.
    let pref = read_instruction_records(&common::data_file("instruction-data-with-preference.json")).unwrap();
    assert!(pref[0].extra.contains_key("chosen") && pref[0].extra.contains_key("rejected"));
}

#[test]
fn jsonl_and_bad_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.jsonl");
    std::fs::write(&path, "{\"instruction\": \"Say hi\", \"output\": \"hi\"}\n\n{\"instruction\": \"Add\", \"input\": \"1+1\", \"output\": \"2\"}\n").unwrap();
    let records = read_instruction_records(&path).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].input, "", "input is optional");
    std::fs::write(&path, "[{\"instruction\": \"x\", \"output\": \"y\"}, {\"instruction\": \"z\"}]").unwrap();
    let err = read_instruction_records(&path).unwrap_err().to_string();
    assert!(err.contains("data.jsonl") && err.contains("record 1") && err.contains("output"), "{err}");
    std::fs::write(&path, "{not json\n").unwrap();
    assert!(read_instruction_records(&path).unwrap_err().to_string().contains("line 1"));
    std::fs::write(&path, "").unwrap();
    assert!(read_instruction_records(&path).is_err());
}

#[test]
fn batcher_pads_per_batch() {
    let items = vec![
        InstructionItem { ids: vec![10, 11, 12], prompt_len: 1 },
        InstructionItem { ids: vec![20], prompt_len: 1 },
    ];
    let batcher = InstructionBatcher { pad_token_id: 50256, allowed_max_length: None, mask_prompt: false };
    let batch = batcher.batch(items, &Device::default());
    assert_eq!(batch.inputs.dims(), [2, 3]);
    let targets: Vec<i64> = batch.targets.into_data().iter::<i64>().collect();
    assert_eq!(targets, vec![11, 12, 50256, 50256, IGNORE_INDEX, IGNORE_INDEX]);
}
