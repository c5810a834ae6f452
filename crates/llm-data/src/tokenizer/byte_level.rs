/// GPT-2's reversible map from bytes to printable characters (`bytes_to_unicode` in
/// OpenAI's `encoder.py`): printable Latin-1 bytes map to themselves, the other 68 to
/// U+0100 onwards, in byte order.
pub fn bytes_to_unicode() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut next = 256u32;
    for b in 0..=255u8 {
        let printable = matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        table[b as usize] = if printable {
            b as char
        } else {
            let c = char::from_u32(next).expect("valid code point");
            next += 1;
            c
        };
    }
    table
}

/// The inverse of [`bytes_to_unicode`], for one token string.
pub fn unicode_to_bytes(token: &str) -> Option<Vec<u8>> {
    let table = bytes_to_unicode();
    token
        .chars()
        .map(|c| table.iter().position(|&t| t == c).map(|b| b as u8))
        .collect()
}

/// One token's bytes written in GPT-2's printable alphabet.
pub(crate) fn bytes_to_token(bytes: &[u8], table: &[char; 256]) -> String {
    bytes.iter().map(|&b| table[b as usize]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_of_encoder_py() {
        let t = bytes_to_unicode();
        assert_eq!(t[b'A' as usize], 'A');
        assert_eq!(t[b' ' as usize], 'Ġ'); // U+0120
        assert_eq!(t[b'\n' as usize], 'Ċ'); // U+010A
        assert_eq!(t[0], 'Ā'); // U+0100
        let distinct: std::collections::HashSet<char> = t.iter().copied().collect();
        assert_eq!(distinct.len(), 256);
        assert_eq!(unicode_to_bytes("ĠHello").unwrap(), b" Hello");
    }
}
