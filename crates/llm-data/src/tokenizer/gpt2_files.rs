//! GPT-2's vocabulary and merges: read from OpenAI's `encoder.json` + `vocab.bpe`, or
//! rebuilt from the ranks that `tiktoken-rs` embeds (so nothing is downloaded).

use std::collections::HashMap;
use std::path::Path;

use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::{AddedToken, Tokenizer as HfTokenizer};

use super::byte_level::{bytes_to_token, bytes_to_unicode};
use crate::DataError;

/// GPT-2's end-of-text token and its id.
pub const END_OF_TEXT: &str = "<|endoftext|>";
pub const END_OF_TEXT_ID: u32 = 50256;

/// Number of ordinary (non-special) tokens in GPT-2's vocabulary.
const GPT2_BPE_TOKENS: u32 = 50256;

/// GPT-2's `encoder.json` rebuilt from tiktoken's `r50k_base` ranks: token string (in the
/// printable byte alphabet) to id, with `<|endoftext|>` = 50256.
pub fn gpt2_vocab() -> HashMap<String, u32> {
    let bpe = tiktoken_rs::r50k_base_singleton();
    let table = bytes_to_unicode();
    let mut vocab: HashMap<String, u32> = (0..GPT2_BPE_TOKENS)
        .map(|id| {
            let bytes = bpe.decode_bytes(&[id]).expect("r50k_base has ids 0..50256");
            (bytes_to_token(&bytes, &table), id)
        })
        .collect();
    vocab.insert(END_OF_TEXT.to_string(), END_OF_TEXT_ID);
    vocab
}

/// GPT-2's merge list (`vocab.bpe`) rebuilt from the ranks: each multi-byte token, in rank
/// order, is the merge of the two parts that byte-pair encoding with the lower ranks
/// produces for its bytes.
pub fn gpt2_merges() -> Vec<(String, String)> {
    let bpe = tiktoken_rs::r50k_base_singleton();
    let table = bytes_to_unicode();
    let mut ranks: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut merges = Vec::new();
    for id in 0..GPT2_BPE_TOKENS {
        let bytes = bpe.decode_bytes(&[id]).expect("r50k_base has ids 0..50256");
        if bytes.len() > 1 {
            let parts = byte_pair_parts(&bytes, &ranks);
            assert_eq!(parts.len(), 2, "token {id} is not one merge of earlier tokens");
            merges.push((
                bytes_to_token(parts[0], &table),
                bytes_to_token(parts[1], &table),
            ));
        }
        ranks.insert(bytes, id);
    }
    merges
}

/// Byte-pair encoding of `piece` with `ranks`: repeatedly merges the adjacent pair whose
/// concatenation has the lowest rank.
fn byte_pair_parts<'a>(piece: &'a [u8], ranks: &HashMap<Vec<u8>, u32>) -> Vec<&'a [u8]> {
    let mut bounds: Vec<usize> = (0..=piece.len()).collect();
    loop {
        let best = (0..bounds.len().saturating_sub(2))
            .filter_map(|i| ranks.get(&piece[bounds[i]..bounds[i + 2]]).map(|&r| (r, i)))
            .min();
        match best {
            Some((_, i)) => {
                bounds.remove(i + 1);
            }
            None => break,
        }
    }
    bounds.windows(2).map(|w| &piece[w[0]..w[1]]).collect()
}

/// Reads OpenAI's original GPT-2 files.
pub fn read_openai_files(
    encoder_json: &Path,
    vocab_bpe: &Path,
) -> Result<(HashMap<String, u32>, Vec<(String, String)>), DataError> {
    let text = std::fs::read_to_string(encoder_json).map_err(|e| DataError::io(encoder_json, e))?;
    let vocab: HashMap<String, u32> = serde_json::from_str(&text).map_err(|e| {
        DataError::invalid(encoder_json, format!("expected a JSON object of token → id: {e}"))
    })?;
    let text = std::fs::read_to_string(vocab_bpe).map_err(|e| DataError::io(vocab_bpe, e))?;
    let mut merges = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with("#version") || line.is_empty() {
            continue;
        }
        let (a, b) = line.split_once(' ').ok_or_else(|| {
            DataError::invalid(vocab_bpe, format!("line {}: expected two tokens", n + 1))
        })?;
        merges.push((a.to_string(), b.to_string()));
    }
    Ok((vocab, merges))
}

/// A Hugging Face tokenizer with GPT-2's pipeline (byte-level pre-tokenizer with GPT-2's
/// regex, no prefix space, byte-level decoder) over `vocab` and `merges`, and
/// `<|endoftext|>` as a special token.
pub fn hf_from_vocab_merges(
    vocab: HashMap<String, u32>,
    merges: Vec<(String, String)>,
) -> Result<HfTokenizer, DataError> {
    let vocab: Vocab = vocab.into_iter().collect();
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .map_err(|e| DataError::Tokenizer(e.to_string()))?;
    let mut tokenizer = HfTokenizer::new(bpe);
    let byte_level = ByteLevel::new(false, true, true);
    tokenizer.with_pre_tokenizer(Some(byte_level));
    tokenizer.with_decoder(Some(byte_level));
    tokenizer.with_post_processor(Some(ByteLevel::new(false, false, true)));
    tokenizer.add_special_tokens(&[AddedToken::from(END_OF_TEXT, true)]);
    Ok(tokenizer)
}
