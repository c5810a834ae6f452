//! Chat templates rendered as `transformers`' `apply_chat_template` renders them: the published
//! Llama 3.2 Instruct and Qwen3 templates, in the two places a directory keeps them, on
//! conversations with a system turn, earlier replies, reasoning blocks and non-ASCII text,
//! with and without the generation prompt. Expected text and ids were made by
//! `tests/fixtures/chat/make_chat_fixtures.py` (transformers 4.57.6); they must be equal,
//! character for character and id for id.

use std::path::{Path, PathBuf};

use llm_data::Tokenizer;
use llm_data::chat::{ChatMessage, ChatTemplate, SpecialTokens, end_of_sequence_ids};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    messages: Vec<ChatMessage>,
    add_generation_prompt: bool,
    extra: serde_json::Map<String, serde_json::Value>,
    text: String,
    ids: Vec<u32>,
}

#[derive(Deserialize)]
struct Expected {
    cases: Vec<Case>,
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chat").join(name)
}

fn renders_as_transformers(name: &str) {
    let dir = fixture(name);
    let expected: Expected = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let template = ChatTemplate::for_model_dir(&dir).unwrap().expect("the fixture has a chat template");
    let tokenizer = Tokenizer::for_model_dir(&dir).unwrap();
    assert_eq!(expected.cases.len(), 6);
    for (i, case) in expected.cases.iter().enumerate() {
        let text = template.render_with(&case.messages, case.add_generation_prompt, &case.extra).unwrap();
        assert_eq!(text, case.text, "{name} case {i}: text");
        assert_eq!(tokenizer.encode(&text), case.ids, "{name} case {i}: ids");
    }
}

#[test]
fn llama_3_2_template_from_tokenizer_config_renders_as_transformers() {
    renders_as_transformers("llama3");
}

#[test]
fn qwen3_template_from_chat_template_jinja_renders_as_transformers() {
    renders_as_transformers("qwen3");
}

#[test]
fn special_tokens_and_end_of_sequence_ids_come_from_the_directory() {
    let llama = fixture("llama3");
    let tokenizer = Tokenizer::for_model_dir(&llama).unwrap();
    let tokens = SpecialTokens::for_model_dir(&llama).unwrap();
    assert_eq!(tokens.bos_token.as_deref(), Some("<|begin_of_text|>"));
    assert_eq!(tokens.eos_token.as_deref(), Some("<|eot_id|>"));
    // generation_config.json lists three, as Llama 3.2 Instruct's does.
    let ids = ["<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"].map(|t| id_of(&tokenizer, t));
    assert_eq!(end_of_sequence_ids(&llama, &tokenizer).unwrap(), ids);

    let qwen = fixture("qwen3");
    let tokenizer = Tokenizer::for_model_dir(&qwen).unwrap();
    assert_eq!(SpecialTokens::for_model_dir(&qwen).unwrap().bos_token, None); // Qwen3 has none
    let ids = ["<|im_end|>", "<|endoftext|>"].map(|t| id_of(&tokenizer, t));
    assert_eq!(end_of_sequence_ids(&qwen, &tokenizer).unwrap(), ids);
}

fn id_of(tokenizer: &Tokenizer, token: &str) -> u32 {
    tokenizer.token_id(token).unwrap()
}

#[test]
fn directories_without_a_template_have_none_and_broken_ones_are_named() {
    let dir = tempfile::tempdir().unwrap();
    assert!(ChatTemplate::for_model_dir(dir.path()).unwrap().is_none());
    std::fs::write(dir.path().join("tokenizer_config.json"), r#"{"chat_template": 3}"#).unwrap();
    let error = ChatTemplate::for_model_dir(dir.path()).unwrap_err().to_string();
    assert!(error.contains("tokenizer_config.json") && error.contains("`chat_template` must be a string"), "{error}");
    std::fs::write(dir.path().join("chat_template.jinja"), "{% for m in messages %}").unwrap();
    let error = ChatTemplate::for_model_dir(dir.path()).unwrap_err().to_string();
    assert!(error.contains("chat_template.jinja") && error.contains("does not compile"), "{error}");
}
