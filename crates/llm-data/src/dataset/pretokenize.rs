//! Tokenize a text corpus once into a cached token file, streaming it in chunks.

use std::io::Read;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use super::{MappedTokens, TokenFileWriter};
use crate::corpus::sha256_file;
use crate::{DataError, Tokenizer};

/// Bytes read per chunk before looking for a boundary.
const CHUNK: usize = 4 << 20;

/// The token file of `text_file` under `cache_dir`, made on first use and reused after.
///
/// The file name holds the text's sha256 and the tokenizer's fingerprint, so an edited text
/// or another tokenizer gets a new file. The text is read and tokenized in chunks of about
/// 4 MiB cut after a newline that precedes a letter or digit, a place where GPT-2's
/// pre-tokenizer always splits, so the ids equal those of the whole text.
pub fn cached_token_file(text_file: &Path, tokenizer: &Tokenizer, cache_dir: &Path) -> Result<MappedTokens, DataError> {
    let digest = sha256_file(text_file)?;
    let stem = text_file.file_stem().map_or("text".into(), |s| s.to_string_lossy());
    let path = cache_dir.join(format!("{stem}-{}-{}.tok", &digest[..16], tokenizer.fingerprint()));
    if path.is_file() {
        tracing::info!(path = %path.display(), "reusing the token file");
        return MappedTokens::open(&path);
    }
    std::fs::create_dir_all(cache_dir).map_err(|e| DataError::io(cache_dir, e))?;
    write_token_file(text_file, tokenizer, &path)?;
    MappedTokens::open(&path)
}

/// Tokenizes `text_file` into the token file `out` with a progress bar over its bytes.
pub fn write_token_file(text_file: &Path, tokenizer: &Tokenizer, out: &Path) -> Result<(), DataError> {
    let file = std::fs::File::open(text_file).map_err(|e| DataError::io(text_file, e))?;
    let size = file.metadata().map_err(|e| DataError::io(text_file, e))?.len();
    if size == 0 {
        return Err(DataError::invalid(text_file, "the file is empty"));
    }
    let bar = ProgressBar::new(size).with_message(format!("tokenizing {}", text_file.display()));
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:30} {bytes}/{total_bytes} ({eta})").expect("valid template"),
    );
    let mut writer = TokenFileWriter::create(out, tokenizer.vocab_size())?;
    let mut chunks = TextChunks::new(file, text_file, CHUNK);
    while let Some(chunk) = chunks.next_chunk()? {
        writer.push(&tokenizer.encode(&chunk))?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    writer.finish()?;
    Ok(())
}

/// UTF-8 chunks of a text stream cut where GPT-2's pre-tokenizer splits anyway.
struct TextChunks<'a, R> {
    reader: R,
    path: &'a Path,
    chunk: usize,
    pending: Vec<u8>,
    offset: u64,
    eof: bool,
}

impl<'a, R: Read> TextChunks<'a, R> {
    fn new(reader: R, path: &'a Path, chunk: usize) -> Self {
        Self {
            reader,
            path,
            chunk,
            pending: Vec::new(),
            offset: 0,
            eof: false,
        }
    }

    fn next_chunk(&mut self) -> Result<Option<String>, DataError> {
        loop {
            if let Some(cut) = boundary(&self.pending, self.chunk) {
                return self.take(cut).map(Some);
            }
            if self.eof {
                return match self.pending.len() {
                    0 => Ok(None),
                    n => self.take(n).map(Some),
                };
            }
            let start = self.pending.len();
            self.pending.resize(start + self.chunk, 0);
            let n = self.reader.read(&mut self.pending[start..]).map_err(|e| DataError::io(self.path, e))?;
            self.pending.truncate(start + n);
            self.eof = n == 0;
        }
    }

    fn take(&mut self, cut: usize) -> Result<String, DataError> {
        let rest = self.pending.split_off(cut);
        let bytes = std::mem::replace(&mut self.pending, rest);
        if let Some(i) = bytes.iter().position(|&b| b == 0) {
            return Err(DataError::invalid(
                self.path,
                format!("NUL byte at offset {}: the file is binary, expected UTF-8 text", self.offset + i as u64),
            ));
        }
        let offset = self.offset;
        self.offset += bytes.len() as u64;
        String::from_utf8(bytes).map_err(|e| {
            DataError::invalid(self.path, format!("not valid UTF-8 at byte {}", offset + e.utf8_error().valid_up_to() as u64))
        })
    }
}

/// The first cut at or after `min` bytes where GPT-2's pre-tokenizer splits whether or not
/// the text ends there:
/// - `x| y` (a space between a printable ASCII character and an ASCII letter): `x` ends its
///   pre-token, and ` y…` starts one (` ?\p{L}+`);
/// - `x\n|y` (a single newline between such a character and an ASCII letter or digit): the
///   newline is a token of its own either way.
///
/// Whitespace runs are never cut: `\n\n` at the end of a chunk is one token, but two in
/// `\n\nA`.
fn boundary(bytes: &[u8], min: usize) -> Option<usize> {
    if bytes.len() <= min {
        return None;
    }
    (min.max(1)..bytes.len() - 1).find(|&i| {
        let space = bytes[i] == b' ' && bytes[i - 1].is_ascii_graphic() && bytes[i + 1].is_ascii_alphabetic();
        let newline =
            i >= 2 && bytes[i - 1] == b'\n' && bytes[i - 2].is_ascii_graphic() && bytes[i].is_ascii_alphanumeric();
        space || newline
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cut_only_before_a_word_after_a_newline() {
        let text = "a\n\n  c\nd,\n1 e\n";
        assert_eq!(boundary(text.as_bytes(), 2), Some(7)); // after "a\n\n  c\n", before "d"
        assert_eq!(boundary(b"x\n ", 1), None);
        assert_eq!(boundary(b"x\n\ny", 1), None);
        assert_eq!(boundary(b"x  y", 1), None);
        assert_eq!(boundary(b"x, y", 1), Some(2));
        assert_eq!(boundary(b"1 e", 1), Some(1));
        let mut chunks = TextChunks::new(text.as_bytes(), Path::new("t.txt"), 2);
        let mut parts = Vec::new();
        while let Some(chunk) = chunks.next_chunk().unwrap() {
            parts.push(chunk);
        }
        assert_eq!(parts, ["a\n\n  c\n", "d,\n", "1 e\n"]);
    }

    #[test]
    fn chunked_ids_equal_whole_text_ids() {
        let text = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n \n  x\n";
        let tok = Tokenizer::gpt2();
        let mut chunks = TextChunks::new(text.as_bytes(), Path::new("t.txt"), 8);
        let mut ids = Vec::new();
        while let Some(chunk) = chunks.next_chunk().unwrap() {
            ids.extend(tok.encode(&chunk));
        }
        assert_eq!(ids, tok.encode(text));
    }

    #[test]
    fn chunked_ids_equal_whole_text_ids_on_the_verdict() {
        // A relative LLM_DATA_DIR is meant from the workspace root, where the tests are started.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let dir = root.join(std::env::var_os("LLM_DATA_DIR").unwrap_or_else(|| "../shared/data".into()));
        let text = std::fs::read(dir.join("the-verdict.txt")).unwrap();
        let tok = Tokenizer::gpt2();
        let mut chunks = TextChunks::new(&text[..], Path::new("the-verdict.txt"), 1000);
        let (mut ids, mut n) = (Vec::new(), 0);
        while let Some(chunk) = chunks.next_chunk().unwrap() {
            ids.extend(tok.encode(&chunk));
            n += 1;
        }
        assert!(n > 10, "{n} chunks");
        assert_eq!(ids, tok.encode(std::str::from_utf8(&text).unwrap()));
    }

    #[test]
    fn binary_and_invalid_utf8_are_named() {
        let mut chunks = TextChunks::new(&b"ok\0"[..], Path::new("bin.dat"), CHUNK);
        let err = chunks.next_chunk().unwrap_err().to_string();
        assert!(err.contains("bin.dat") && err.contains("binary"), "{err}");
        let mut chunks = TextChunks::new(&b"ok\xff"[..], Path::new("bad.txt"), CHUNK);
        let err = chunks.next_chunk().unwrap_err().to_string();
        assert!(err.contains("UTF-8 at byte 2"), "{err}");
    }
}
