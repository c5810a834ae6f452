/// The book's train/validation split: the first `train_ratio` of the text's *characters*
/// (`text[:int(train_ratio * len(text))]`) for training, the rest for validation.
pub fn split_train_val(text: &str, train_ratio: f64) -> (&str, &str) {
    let chars = text.chars().count();
    let split_chars = (train_ratio * chars as f64) as usize;
    let split_byte = text
        .char_indices()
        .nth(split_chars)
        .map_or(text.len(), |(i, _)| i);
    text.split_at(split_byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_by_characters() {
        assert_eq!(split_train_val("abcdefghij", 0.9), ("abcdefghi", "j"));
        // Multi-byte characters count once: 5 chars, 0.6 → 3.
        assert_eq!(split_train_val("ééééé", 0.6), ("ééé", "éé"));
        assert_eq!(split_train_val("abc", 1.0), ("abc", ""));
    }

    #[test]
    fn the_verdict_split_has_the_books_sizes() {
        // 20,479 characters → 18,431 for training (int(0.9 × 20479)).
        let text = "x".repeat(20_479);
        let (train, val) = split_train_val(&text, 0.9);
        assert_eq!((train.len(), val.len()), (18_431, 2_048));
    }
}
