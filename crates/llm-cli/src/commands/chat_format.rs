//! Chat messages to the text a model continues: the model directory's chat template, or for a
//! model without one (GPT-2, the book's models, what `llm` trains) the book's Alpaca format,
//! the one `llm finetune instruct` trains on.

use std::path::Path;

use llm_data::Tokenizer;
use llm_data::chat::{ChatMessage, ChatTemplate, end_of_sequence_ids};

/// The book's preamble (chapter 7), used when the conversation has no system message.
const ALPACA_PREAMBLE: &str =
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.";

/// How a conversation becomes a prompt.
#[derive(Debug)]
pub enum ChatFormat {
    /// The model's own template, rendered as `transformers`' `apply_chat_template` with the
    /// generation prompt.
    Template(ChatTemplate),
    /// The system message (or the book's preamble), then each user turn as
    /// `\n\n### Instruction:\n...` and each assistant turn as `\n\n### Response:\n...`,
    /// ending with `\n\n### Response:\n` for the reply.
    Alpaca,
}

impl ChatFormat {
    /// The format of `--model`: a directory's template if it has one, else Alpaca.
    pub fn for_model(model: &Path) -> anyhow::Result<Self> {
        let template = if model.is_dir() { ChatTemplate::for_model_dir(model)? } else { None };
        Ok(template.map_or(Self::Alpaca, Self::Template))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Template(_) => "the model's chat template",
            Self::Alpaca => "the Alpaca format",
        }
    }

    /// The prompt for the assistant's next reply to `messages`, or a message naming what is
    /// wrong with them.
    pub fn render(&self, messages: &[ChatMessage]) -> Result<String, String> {
        match self {
            Self::Template(template) => template.render(messages, true).map_err(|e| e.to_string()),
            Self::Alpaca => alpaca(messages),
        }
    }
}

/// The tokens that end a reply: a model directory's end-of-sequence ids, or for a preset
/// GPT-2's `<|endoftext|>`.
pub fn stop_tokens(model: &Path, tokenizer: &Tokenizer) -> anyhow::Result<Vec<u32>> {
    if model.is_dir() {
        Ok(end_of_sequence_ids(model, tokenizer)?)
    } else {
        Ok(tokenizer.end_of_text().into_iter().collect())
    }
}

fn alpaca(messages: &[ChatMessage]) -> Result<String, String> {
    let mut text = String::new();
    for (i, message) in messages.iter().enumerate() {
        match message.role.as_str() {
            "system" if i == 0 => text.push_str(&message.content),
            "user" => text.push_str(&format!("\n\n### Instruction:\n{}", message.content)),
            "assistant" => text.push_str(&format!("\n\n### Response:\n{}", message.content)),
            "system" => return Err(format!("messages[{i}]: a system message must come first")),
            other => return Err(format!("messages[{i}].role: `{other}` (expected system, user or assistant)")),
        }
    }
    if text.is_empty() || !messages.first().is_some_and(|m| m.role == "system") {
        text.insert_str(0, ALPACA_PREAMBLE);
    }
    text.push_str("\n\n### Response:\n");
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_question_is_the_books_instruction_prompt() {
        let prompt = ChatFormat::Alpaca.render(&[ChatMessage::new("user", "Name a colour.")]).unwrap();
        assert_eq!(
            prompt,
            "Below is an instruction that describes a task. Write a response that appropriately completes the request.\
             \n\n### Instruction:\nName a colour.\n\n### Response:\n"
        );
    }

    #[test]
    fn a_conversation_keeps_its_turns_and_system_message() {
        let messages = [
            ChatMessage::new("system", "Answer briefly."),
            ChatMessage::new("user", "2 + 2?"),
            ChatMessage::new("assistant", "4"),
            ChatMessage::new("user", "And 3 + 3?"),
        ];
        let prompt = ChatFormat::Alpaca.render(&messages).unwrap();
        assert_eq!(prompt, "Answer briefly.\n\n### Instruction:\n2 + 2?\n\n### Response:\n4\n\n### Instruction:\nAnd 3 + 3?\n\n### Response:\n");
        let err = ChatFormat::Alpaca.render(&[ChatMessage::new("tool", "x")]).unwrap_err();
        assert!(err.contains("messages[0].role: `tool`"), "{err}");
    }
}
