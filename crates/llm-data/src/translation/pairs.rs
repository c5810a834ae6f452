use std::path::Path;

use crate::DataError;

/// A sentence and its translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentencePair {
    pub source: String,
    pub target: String,
}

/// The pairs of a TSV file, one `source<TAB>target` a line (blank lines skipped, `\r\n`
/// accepted); a line without exactly one tab or with an empty side is an error naming the
/// file and the line.
pub fn read_sentence_pairs(path: &Path) -> Result<Vec<SentencePair>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    let mut pairs = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let at = |message: String| DataError::invalid(path, format!("line {}: {message}", number + 1));
        let [source, target] = fields[..] else {
            return Err(at(format!("expected `source<TAB>target`, found {} tab(s)", fields.len() - 1)));
        };
        let (source, target) = (source.trim(), target.trim());
        if source.is_empty() || target.is_empty() {
            return Err(at(format!("the {} side is empty", if source.is_empty() { "source" } else { "target" })));
        }
        pairs.push(SentencePair { source: source.to_string(), target: target.to_string() });
    }
    if pairs.is_empty() {
        return Err(DataError::invalid(path, "no sentence pairs (expected `source<TAB>target` lines)"));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<SentencePair>, DataError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pairs.tsv");
        std::fs::write(&path, text).unwrap();
        read_sentence_pairs(&path)
    }

    #[test]
    fn reads_pairs_and_skips_blank_lines() {
        let pairs = read("This is an example.\tDas ist ein Beispiel.\r\n\n  Hello \tHallo\n").unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0].target, "Das ist ein Beispiel.");
        assert_eq!((pairs[1].source.as_str(), pairs[1].target.as_str()), ("Hello", "Hallo"));
    }

    #[test]
    fn bad_lines_are_named() {
        let err = read("a\tb\nno tab here\n").unwrap_err().to_string();
        assert!(err.contains("pairs.tsv") && err.contains("line 2") && err.contains("found 0 tab(s)"), "{err}");
        let err = read("a\tb\tc\n").unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("found 2 tab(s)"), "{err}");
        let err = read("a\t \n").unwrap_err().to_string();
        assert!(err.contains("the target side is empty"), "{err}");
        let err = read("\n\n").unwrap_err().to_string();
        assert!(err.contains("no sentence pairs"), "{err}");
    }
}
