use std::path::{Path, PathBuf};

use minijinja::{Environment, Error, ErrorKind, Value, context};
use serde::{Deserialize, Serialize};

use super::python_json::tojson;
use super::special_tokens::{SpecialTokens, TOKENIZER_CONFIG_FILE, read_json};
use crate::DataError;

/// The file `transformers` (4.43 and later) writes a chat template to, and reads first.
pub const CHAT_TEMPLATE_FILE: &str = "chat_template.jinja";
const TEMPLATE_NAME: &str = "chat_template";

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant` (templates may know others, e.g. `tool`).
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: &str, content: &str) -> Self {
        Self { role: role.into(), content: content.into() }
    }
}

/// A model directory's chat template, compiled, with the special tokens it may print.
///
/// Rendering follows `transformers`' `apply_chat_template`: Jinja with `trim_blocks` and
/// `lstrip_blocks`, loop controls, Python's string methods (`strip`, `split`, `startswith`,
/// ...), `raise_exception`, `strftime_now` and `tojson` as Python's `json.dumps`.
pub struct ChatTemplate {
    environment: Environment<'static>,
    tokens: SpecialTokens,
    origin: PathBuf,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate").field("origin", &self.origin).field("tokens", &self.tokens).finish()
    }
}

impl ChatTemplate {
    /// The template of a model directory: `chat_template.jinja`, else `tokenizer_config.json`'s
    /// `chat_template` (a string, or a list of named templates: the one named `default`).
    /// `None` when the directory has neither (GPT-2, the book's models, what `llm` trains).
    pub fn for_model_dir(dir: &Path) -> Result<Option<Self>, DataError> {
        let tokens = SpecialTokens::for_model_dir(dir)?;
        let file = dir.join(CHAT_TEMPLATE_FILE);
        if file.is_file() {
            let source = std::fs::read_to_string(&file).map_err(|e| DataError::io(&file, e))?;
            return Self::new(source, tokens, file).map(Some);
        }
        let path = dir.join(TOKENIZER_CONFIG_FILE);
        let Some(config) = read_json(&path)? else { return Ok(None) };
        let source = match config.get("chat_template") {
            None | Some(serde_json::Value::Null) => return Ok(None),
            Some(serde_json::Value::String(source)) => source.clone(),
            Some(serde_json::Value::Array(named)) => named_template(named, &path)?,
            Some(other) => return Err(DataError::invalid(&path, format!("`chat_template` must be a string, found {other}"))),
        };
        Self::new(source, tokens, path).map(Some)
    }

    /// Compiles `source`; `origin` is the file errors name.
    pub fn new(source: String, tokens: SpecialTokens, origin: PathBuf) -> Result<Self, DataError> {
        let mut environment = Environment::new();
        environment.set_trim_blocks(true);
        environment.set_lstrip_blocks(true);
        environment.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        environment.add_filter("tojson", tojson);
        environment.add_function("raise_exception", raise_exception);
        environment.add_function("strftime_now", strftime_now);
        environment
            .add_template_owned(TEMPLATE_NAME, source)
            .map_err(|e| DataError::invalid(&origin, format!("chat template does not compile: {}", e)))?;
        Ok(Self { environment, tokens, origin })
    }

    /// The prompt text of `messages`, ending with the assistant's header when
    /// `add_generation_prompt` (the start of the reply the model is to write).
    pub fn render(&self, messages: &[ChatMessage], add_generation_prompt: bool) -> Result<String, DataError> {
        self.render_with(messages, add_generation_prompt, &serde_json::Map::new())
    }

    /// [`ChatTemplate::render`] with further template variables (`apply_chat_template`'s
    /// keyword arguments, e.g. Qwen3's `enable_thinking` or Llama's `date_string`).
    pub fn render_with(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
        extra: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<String, DataError> {
        let template = self.environment.get_template(TEMPLATE_NAME).expect("added in new");
        let base = context! {
            messages => messages,
            add_generation_prompt => add_generation_prompt,
            bos_token => self.tokens.bos_token.as_deref().unwrap_or(""),
            eos_token => self.tokens.eos_token.as_deref().unwrap_or(""),
        };
        let ctx = context! { ..Value::from_serialize(extra), ..base };
        template
            .render(ctx)
            .map_err(|e| DataError::invalid(&self.origin, format!("chat template failed: {}", e)))
    }

    /// The special tokens the template prints.
    pub fn special_tokens(&self) -> &SpecialTokens {
        &self.tokens
    }
}

/// The template named `default` of a list of `{"name", "template"}` objects.
fn named_template(named: &[serde_json::Value], path: &Path) -> Result<String, DataError> {
    named
        .iter()
        .find(|t| t.get("name").and_then(|n| n.as_str()) == Some("default"))
        .and_then(|t| t.get("template")?.as_str().map(str::to_owned))
        .ok_or_else(|| DataError::invalid(path, "`chat_template` lists no template named `default`"))
}

fn raise_exception(message: String) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, message))
}

/// Today's local date and time in a Python `strftime` format (Llama 3's "Today Date").
fn strftime_now(format: String) -> Result<Value, Error> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(&format).any(|item| matches!(item, Item::Error)) {
        return Err(Error::new(ErrorKind::InvalidOperation, format!("strftime_now: not a date format: {format:?}")));
    }
    Ok(Value::from(chrono::Local::now().format(&format).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(source: &str) -> ChatTemplate {
        let tokens = SpecialTokens { bos_token: Some("<s>".into()), eos_token: None };
        ChatTemplate::new(source.into(), tokens, "test.jinja".into()).unwrap()
    }

    #[test]
    fn strftime_now_is_todays_date_and_bad_formats_are_errors() {
        let today = || chrono::Local::now().format("%d %b %Y").to_string();
        let before = today();
        let rendered = template("{{ strftime_now('%d %b %Y') }}").render(&[], false).unwrap();
        assert!(rendered == before || rendered == today(), "{rendered}"); // a render across midnight
        assert_eq!(rendered.len(), "06 Dec 2026".len());
        let error = template("{{ strftime_now('%Q') }}").render(&[], false).unwrap_err().to_string();
        assert!(error.contains("test.jinja") && error.contains("not a date format"), "{error}");
    }

    #[test]
    fn template_errors_name_the_file_and_what_failed() {
        let error = ChatTemplate::new("{% if %}".into(), SpecialTokens::default(), "bad.jinja".into()).unwrap_err().to_string();
        assert!(error.contains("bad.jinja") && error.contains("does not compile"), "{error}");
        let raised = template("{{ raise_exception('only user turns') }}").render(&[], false).unwrap_err().to_string();
        assert!(raised.contains("only user turns"), "{raised}");
    }

    #[test]
    fn extra_variables_and_special_tokens_reach_the_template() {
        let t = template("{{ bos_token }}{% for m in messages %}[{{ m.role }}:{{ m.content | trim }}]{% endfor %}{{ flag }}");
        let extra: serde_json::Map<_, _> = [("flag".to_string(), serde_json::json!(7))].into_iter().collect();
        let messages = [ChatMessage::new("user", "  hi ")];
        assert_eq!(t.render_with(&messages, true, &extra).unwrap(), "<s>[user:hi]7");
    }
}
