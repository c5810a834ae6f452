//! Stop strings (the `stop` field of a completion request) in text that arrives a piece at a
//! time: text that may be the start of a stop string is held back until the next piece says
//! whether it is one, so nothing of a stop string is ever sent.

/// The decoded text of one reply, checked against its stop strings.
#[derive(Debug, Default)]
pub struct StopText {
    stops: Vec<String>,
    held: String,
}

impl StopText {
    pub fn new(stops: Vec<String>) -> Self {
        Self { stops: stops.into_iter().filter(|s| !s.is_empty()).collect(), held: String::new() }
    }

    /// Adds a decoded piece; returns the text that can be sent now, and whether a stop string
    /// was reached (the text from it on is dropped, and the reply ends there).
    pub fn push(&mut self, piece: &str) -> (String, bool) {
        self.held.push_str(piece);
        if let Some(at) = self.stops.iter().filter_map(|s| self.held.find(s.as_str())).min() {
            let sent = self.held[..at].to_string();
            self.held.clear();
            return (sent, true);
        }
        let keep = self.longest_stop_prefix_suffix();
        let sent = self.held[..self.held.len() - keep].to_string();
        self.held.drain(..self.held.len() - keep);
        (sent, false)
    }

    /// What is still held back, at the end of the reply.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }

    /// The length of the longest end of the held text that begins some stop string.
    fn longest_stop_prefix_suffix(&self) -> usize {
        let held = self.held.as_str();
        (1..=held.len())
            .rev()
            .filter(|&n| held.is_char_boundary(held.len() - n))
            .find(|&n| self.stops.iter().any(|s| s.len() > n && s.starts_with(&held[held.len() - n..])))
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::StopText;

    fn run(stops: &[&str], pieces: &[&str]) -> (String, bool) {
        let mut text = StopText::new(stops.iter().map(|s| s.to_string()).collect());
        let mut sent = String::new();
        for piece in pieces {
            let (out, stopped) = text.push(piece);
            sent.push_str(&out);
            if stopped {
                return (sent, true);
            }
        }
        sent.push_str(&text.finish());
        (sent, false)
    }

    #[test]
    fn a_stop_string_across_pieces_is_never_sent() {
        assert_eq!(run(&["\n\n###"], &["Paris", ".\n", "\n#", "##", " Instruction"]), ("Paris.".to_string(), true));
        assert_eq!(run(&["END", "stop"], &["one st", "op two"]), ("one ".to_string(), true));
    }

    #[test]
    fn held_text_that_turns_out_not_to_be_a_stop_is_sent() {
        assert_eq!(run(&["###"], &["a #", "b ##", "c"]), ("a #b ##c".to_string(), false));
        assert_eq!(run(&[], &["é", "t", "é"]), ("été".to_string(), false));
        // Multi-byte text before a partial stop string is cut at a character boundary.
        assert_eq!(run(&["éx"], &["café", "é", "y"]), ("cafééy".to_string(), false));
    }

    #[test]
    fn the_earliest_stop_string_wins() {
        assert_eq!(run(&["b", "a"], &["xab"]), ("x".to_string(), true));
    }
}
