//! Conversations as a model expects them: the chat template of a Hugging Face model directory
//! (`chat_template.jinja`, or `chat_template` in `tokenizer_config.json`), rendered as
//! `transformers`' `apply_chat_template` renders it, and the directory's special tokens
//! (`bos_token`, `eos_token`, `generation_config.json`'s end-of-sequence ids).

mod directory_files;
mod python_json;
mod special_tokens;
mod template;

pub use directory_files::{TOKENIZER_COMPANIONS, copy_tokenizer_companions};
pub use special_tokens::{SpecialTokens, end_of_sequence_ids};
pub use template::{CHAT_TEMPLATE_FILE, ChatMessage, ChatTemplate};
