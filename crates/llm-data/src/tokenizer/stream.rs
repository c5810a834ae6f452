use super::Tokenizer;

/// Turns tokens into text as they arrive, holding back bytes of a character that the
/// next token completes (one GPT-2 token can end in the middle of a UTF-8 sequence).
#[derive(Debug)]
pub struct StreamDecoder<'a> {
    tokenizer: &'a Tokenizer,
    ids: Vec<u32>,
    emitted: usize,
}

impl<'a> StreamDecoder<'a> {
    pub fn new(tokenizer: &'a Tokenizer) -> Self {
        Self {
            tokenizer,
            ids: Vec::new(),
            emitted: 0,
        }
    }

    /// Adds a token; returns the text that became complete with it.
    pub fn push(&mut self, id: u32) -> String {
        self.ids.push(id);
        let text = self.tokenizer.decode(&self.ids);
        // A trailing replacement character may be a split multi-byte character.
        let complete = text.trim_end_matches('\u{FFFD}');
        if complete.len() <= self.emitted || !complete.is_char_boundary(self.emitted) {
            return String::new();
        }
        let new = complete[self.emitted..].to_string();
        self.emitted = complete.len();
        new
    }

    /// Whatever is still held back (replacement characters for an unfinished sequence).
    pub fn finish(self) -> String {
        let text = self.tokenizer.decode(&self.ids);
        text.get(self.emitted..).unwrap_or_default().to_string()
    }
}
