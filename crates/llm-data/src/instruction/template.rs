use serde::{Deserialize, Serialize};

use super::InstructionRecord;

/// How a record becomes text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PromptTemplate {
    /// The book's (Stanford Alpaca's) format.
    #[default]
    Alpaca,
    /// Phi-3's `<|user|>` / `<|assistant|>` format (the book's exercise 7.1).
    Phi3,
}

impl PromptTemplate {
    /// The instruction and its input, as the book's `format_input`.
    pub fn prompt(self, record: &InstructionRecord) -> String {
        match self {
            Self::Alpaca => {
                let mut text = format!(
                    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n{}",
                    record.instruction
                );
                if !record.input.is_empty() {
                    text.push_str(&format!("\n\n### Input:\n{}", record.input));
                }
                text
            }
            Self::Phi3 => {
                let mut text = format!("<|user|>\n{}", record.instruction);
                if !record.input.is_empty() {
                    text.push_str(&format!("\n{}", record.input));
                }
                text
            }
        }
    }

    /// What separates the prompt from the response.
    pub fn response_prefix(self) -> &'static str {
        match self {
            Self::Alpaca => "\n\n### Response:\n",
            Self::Phi3 => "\n<|assistant|>:\n",
        }
    }

    /// The marker the book strips from generated responses.
    pub fn response_marker(self) -> &'static str {
        self.response_prefix().trim()
    }

    /// Prompt, response prefix and output: one training text.
    pub fn full_text(self, record: &InstructionRecord) -> String {
        format!("{}{}{}", self.prompt(record), self.response_prefix(), record.output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(input: &str) -> InstructionRecord {
        InstructionRecord {
            instruction: "Identify the correct spelling of the following word.".into(),
            input: input.into(),
            output: "The correct spelling is 'Occasion.'".into(),
            extra: Default::default(),
        }
    }

    #[test]
    fn alpaca_matches_the_book() {
        let text = PromptTemplate::Alpaca.full_text(&record("Ocassion"));
        assert_eq!(
            text,
            "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n\
             ### Instruction:\nIdentify the correct spelling of the following word.\n\n### Input:\nOcassion\n\n\
             ### Response:\nThe correct spelling is 'Occasion.'"
        );
        assert!(!PromptTemplate::Alpaca.prompt(&record("")).contains("### Input"), "no input section when empty");
        assert_eq!(PromptTemplate::Alpaca.response_marker(), "### Response:");
    }

    #[test]
    fn phi3_format() {
        assert_eq!(
            PromptTemplate::Phi3.full_text(&record("Ocassion")),
            "<|user|>\nIdentify the correct spelling of the following word.\nOcassion\n<|assistant|>:\nThe correct spelling is 'Occasion.'"
        );
    }
}
