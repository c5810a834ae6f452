//! The binary token file: ids pre-tokenized once, memory-mapped at training time.
//!
//! Layout (little-endian): the 8-byte magic `LLMTOK01`, a `u32` width (2 or 4 bytes per
//! id), a `u32` zero, a `u64` token count, then the ids.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;

use super::TokenSource;
use crate::DataError;

const MAGIC: &[u8; 8] = b"LLMTOK01";
const HEADER_LEN: usize = 24;

/// Bytes per id for a vocabulary: `u16` while every id fits, else `u32`.
pub fn token_width(vocab_size: usize) -> usize {
    if vocab_size <= 1 << 16 { 2 } else { 4 }
}

/// Writes a token file through a temporary file that is renamed into place when complete.
pub struct TokenFileWriter {
    file: std::io::BufWriter<std::fs::File>,
    tmp: PathBuf,
    path: PathBuf,
    width: usize,
    count: u64,
}

impl TokenFileWriter {
    pub fn create(path: &Path, vocab_size: usize) -> Result<Self, DataError> {
        let tmp = path.with_extension("tmp");
        let file = std::fs::File::create(&tmp).map_err(|e| DataError::io(&tmp, e))?;
        let mut writer = Self {
            file: std::io::BufWriter::with_capacity(1 << 20, file),
            tmp,
            path: path.to_path_buf(),
            width: token_width(vocab_size),
            count: 0,
        };
        writer.write_header()?;
        Ok(writer)
    }

    fn write_header(&mut self) -> Result<(), DataError> {
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&(self.width as u32).to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        header.extend_from_slice(&self.count.to_le_bytes());
        self.file.write_all(&header).map_err(|e| DataError::io(&self.tmp, e))
    }

    pub fn push(&mut self, ids: &[u32]) -> Result<(), DataError> {
        for &id in ids {
            let written = if self.width == 2 {
                let id = u16::try_from(id)
                    .map_err(|_| DataError::invalid(&self.path, format!("token id {id} does not fit in u16")))?;
                self.file.write_all(&id.to_le_bytes())
            } else {
                self.file.write_all(&id.to_le_bytes())
            };
            written.map_err(|e| DataError::io(&self.tmp, e))?;
        }
        self.count += ids.len() as u64;
        Ok(())
    }

    /// Writes the count into the header, syncs, and renames the file into place.
    pub fn finish(mut self) -> Result<PathBuf, DataError> {
        use std::io::Seek;
        self.file.flush().map_err(|e| DataError::io(&self.tmp, e))?;
        self.file
            .seek(std::io::SeekFrom::Start(0))
            .map_err(|e| DataError::io(&self.tmp, e))?;
        self.write_header()?;
        let file = self.file.into_inner().map_err(|e| DataError::io(&self.tmp, e.into_error()))?;
        file.sync_all().map_err(|e| DataError::io(&self.tmp, e))?;
        std::fs::rename(&self.tmp, &self.path).map_err(|e| DataError::io(&self.path, e))?;
        Ok(self.path)
    }
}

/// A token file mapped into memory (or a range of one): the operating system pages the
/// ids in as windows are read, so the corpus need not fit in RAM.
#[derive(Debug, Clone)]
pub struct MappedTokens {
    map: Arc<Mmap>,
    width: usize,
    /// Range of ids of the file this view covers.
    start: usize,
    len: usize,
}

impl MappedTokens {
    pub fn open(path: &Path) -> Result<Self, DataError> {
        let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
        // SAFETY: token files are written once through a rename and never modified in place.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| DataError::io(path, e))?;
        let bad = |m: String| DataError::invalid(path, m);
        if map.len() < HEADER_LEN || &map[..8] != MAGIC {
            return Err(bad("not a token file (expected the LLMTOK01 header)".into()));
        }
        let width = u32::from_le_bytes(map[8..12].try_into().expect("4 bytes")) as usize;
        let count = u64::from_le_bytes(map[16..24].try_into().expect("8 bytes")) as usize;
        if width != 2 && width != 4 {
            return Err(bad(format!("token width {width}, expected 2 or 4")));
        }
        let expected = HEADER_LEN + count * width;
        if map.len() != expected {
            return Err(bad(format!(
                "{} bytes, but its header promises {count} tokens of {width} bytes ({expected} bytes): truncated or corrupt",
                map.len()
            )));
        }
        Ok(Self {
            map: Arc::new(map),
            width,
            start: 0,
            len: count,
        })
    }

    /// The ids `start..end` of this view, sharing the mapping.
    pub fn slice(&self, start: usize, end: usize) -> Self {
        assert!(start <= end && end <= self.len, "token range {start}..{end} outside 0..{}", self.len);
        Self {
            map: self.map.clone(),
            width: self.width,
            start: self.start + start,
            len: end - start,
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }
}

impl TokenSource for MappedTokens {
    fn len(&self) -> usize {
        self.len
    }

    fn read_into(&self, start: usize, out: &mut [u32]) {
        assert!(start + out.len() <= self.len, "read past the end of the token view");
        let from = HEADER_LEN + (self.start + start) * self.width;
        let bytes = &self.map[from..from + out.len() * self.width];
        if self.width == 2 {
            for (o, b) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                *o = u16::from_le_bytes([b[0], b[1]]) as u32;
            }
        } else {
            for (o, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                *o = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_u16_and_u32_and_slices() {
        let dir = tempfile::tempdir().unwrap();
        for (vocab, ids) in [(50257, vec![0u32, 1, 50256, 7]), (100_000, vec![99_999, 3, 65_536])] {
            let path = dir.path().join(format!("t{vocab}.bin"));
            let mut w = TokenFileWriter::create(&path, vocab).unwrap();
            w.push(&ids[..2]).unwrap();
            w.push(&ids[2..]).unwrap();
            w.finish().unwrap();
            let t = MappedTokens::open(&path).unwrap();
            assert_eq!(t.width(), token_width(vocab));
            assert_eq!(t.read(0, t.len()), ids);
            assert_eq!(t.slice(1, 3).read(0, 2), ids[1..3].to_vec());
            assert!(!path.with_extension("tmp").exists());
        }
    }

    #[test]
    fn refuses_truncated_and_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.bin");
        let mut w = TokenFileWriter::create(&path, 50257).unwrap();
        w.push(&[1, 2, 3]).unwrap();
        w.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        let err = MappedTokens::open(&path).unwrap_err().to_string();
        assert!(err.contains("truncated") && err.contains("t.bin"), "{err}");
        std::fs::write(&path, b"hello world, this is text").unwrap();
        let err = MappedTokens::open(&path).unwrap_err().to_string();
        assert!(err.contains("not a token file"), "{err}");
        assert!(TokenFileWriter::create(&dir.path().join("u.bin"), 50257).unwrap().push(&[70_000]).is_err());
    }
}
