//! Bytes to text: which encoding a file is in, and decoding it chunk by chunk.
//!
//! * A byte-order mark decides: UTF-8 with BOM, UTF-16LE (Excel's "Unicode text"
//!   export) or UTF-16BE.
//! * Without a BOM, a file where a quarter or more of the byte pairs have a zero byte
//!   on the same side (and almost none on the other) is read as UTF-16LE or UTF-16BE.
//! * Every choice here is made on the file's first [`HEAD_BYTES`](super::HEAD_BYTES)
//!   bytes, so a file read in chunks is read exactly like the whole file. A head of
//!   plain ASCII decides nothing: the first other byte makes the file UTF-8 if it
//!   starts a valid character, Windows-1252 otherwise.
//! * Otherwise valid UTF-8 is UTF-8 (a multi-byte character cut off at the very end of
//!   the file becomes `�`). Bytes that are not UTF-8 make the file Windows-1252
//!   ("Latin-1", with 0x80–0x9F read as `€ ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š
//!   › œ ž Ÿ`), unless valid multi-byte UTF-8 characters outnumber them: then the file
//!   is UTF-8 with a few broken bytes, each read as `�`.
//! * Broken UTF-16 (a lone surrogate, an odd number of bytes) becomes `�`.
//! * Binary files are refused with a message: Excel workbooks (`.xlsx` is a zip file,
//!   `.xls` an OLE file), PDFs, PNG/GIF/JPEG images, and any file whose first 8 KB
//!   contain more than 1 % NUL bytes or more than 10 % control characters. A stray NUL
//!   here and there in a text file is kept as a character.
//! * An empty file, or one with only blank lines, is refused.

use super::EMPTY;
use crate::error::{Error, Result};

/// Text encodings the reader recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Encoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 starting with a byte-order mark (Excel's "CSV UTF-8").
    Utf8Bom,
    /// UTF-16 little-endian, with or without a byte-order mark.
    Utf16Le,
    /// UTF-16 big-endian, with or without a byte-order mark.
    Utf16Be,
    /// Windows-1252, the usual fallback when the bytes are not UTF-8.
    Latin1,
}

impl Encoding {
    /// The encoding's name as shown to people.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 with BOM",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Latin1 => "Latin-1 (Windows-1252)",
        }
    }
}
pub(super) const BINARY_GENERIC: &str = "this looks like a binary file (an Excel workbook, a PDF or an image?), not a CSV or tab-separated text export; save it as CSV first";
/// Bytes (or characters) looked at when deciding whether a file is binary.
const SNIFF_BYTES: usize = 8192;

/// Decides how to decode a file from its head (`whole`: the head is the whole file);
/// returns the decoder and the number of byte-order-mark bytes to skip.
pub(super) fn sniff_encoding(head: &[u8], whole: bool, file: &str) -> Result<(Decoder, usize)> {
    if head.is_empty() {
        return Err(Error::unusable(file, EMPTY));
    }
    if let Some(reason) = binary_magic(head) {
        return Err(Error::unusable(file, reason));
    }
    let utf16 = if head.starts_with(&[0xFF, 0xFE]) {
        Some((2, false))
    } else if head.starts_with(&[0xFE, 0xFF]) {
        Some((2, true))
    } else if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        None
    } else {
        bomless_utf16(head).map(|be| (0, be))
    };
    if let Some((skip, big_endian)) = utf16 {
        return Ok((
            Decoder::Utf16 {
                big_endian,
                carry: Vec::new(),
            },
            skip,
        ));
    }
    if too_many_controls(head.iter().map(|&b| u32::from(b))) {
        return Err(Error::unusable(file, BINARY_GENERIC));
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok((Decoder::utf8(Encoding::Utf8Bom), 3));
    }
    let decoder = match std::str::from_utf8(head) {
        // A head of plain ASCII says nothing: the first other byte decides.
        Ok(_) if !whole && head.is_ascii() => Decoder::Ascii { carry: Vec::new() },
        Ok(_) => Decoder::utf8(Encoding::Utf8),
        // Only the end is broken: a file (or its head) cut off in the middle of a character.
        Err(e) if e.error_len().is_none() => Decoder::utf8(Encoding::Utf8),
        // A UTF-8 file with a stray bad byte (a cut-and-paste accident) would turn every
        // accented name into mojibake if read as Windows-1252: keep it UTF-8.
        Err(_) if mostly_utf8(head) => Decoder::utf8(Encoding::Utf8),
        Err(_) => Decoder::Latin1,
    };
    Ok((decoder, 0))
}

/// Turns bytes into text chunk by chunk, carrying characters cut at a chunk's end.
pub(super) enum Decoder {
    Utf8 {
        encoding: Encoding,
        carry: Vec<u8>,
    },
    /// Everything so far was ASCII: the first other byte decides between UTF-8 (it starts
    /// a valid character) and Windows-1252.
    Ascii {
        carry: Vec<u8>,
    },
    Latin1,
    Utf16 {
        big_endian: bool,
        carry: Vec<u8>,
    },
}

impl Decoder {
    pub(super) fn utf8(encoding: Encoding) -> Decoder {
        Decoder::Utf8 {
            encoding,
            carry: Vec::new(),
        }
    }

    pub(super) fn encoding(&self) -> Encoding {
        match self {
            Decoder::Utf8 { encoding, .. } => *encoding,
            Decoder::Ascii { .. } => Encoding::Utf8,
            Decoder::Latin1 => Encoding::Latin1,
            Decoder::Utf16 {
                big_endian: true, ..
            } => Encoding::Utf16Be,
            Decoder::Utf16 { .. } => Encoding::Utf16Le,
        }
    }

    /// Whether decoded UTF-16 text starts with too many control characters to be text
    /// (the byte-level check cannot see through the zero bytes of UTF-16).
    pub(super) fn refuses_controls(&self, text: &str) -> bool {
        matches!(self, Decoder::Utf16 { .. }) && too_many_controls(text.chars().map(u32::from))
    }

    /// Appends the text of `bytes` to `out`; `eof` flushes whatever was carried.
    pub(super) fn decode(&mut self, bytes: &[u8], eof: bool, out: &mut String) {
        match self {
            Decoder::Utf8 { carry, .. } => decode_utf8(carry, bytes, eof, out),
            Decoder::Latin1 => decode_windows_1252(bytes, out),
            Decoder::Utf16 { big_endian, carry } => {
                decode_utf16(carry, bytes, *big_endian, eof, out)
            }
            Decoder::Ascii { carry } => {
                let mut joined = Vec::new();
                let all = after_carry(carry, bytes, &mut joined);
                // `is_ascii` checks a word at a time: the usual chunk is all ASCII.
                let ascii = if all.is_ascii() {
                    all.len()
                } else {
                    all.iter().position(|b| !b.is_ascii()).unwrap_or(all.len())
                };
                let (text, rest) = all.split_at(ascii);
                out.push_str(std::str::from_utf8(text).unwrap_or(""));
                if rest.is_empty() {
                    return;
                }
                let probe = &rest[..rest.len().min(4)];
                let next = match std::str::from_utf8(probe) {
                    Ok(_) => Decoder::utf8(Encoding::Utf8),
                    Err(e) if e.valid_up_to() > 0 => Decoder::utf8(Encoding::Utf8),
                    Err(e) if e.error_len().is_none() && !eof => {
                        *carry = rest.to_vec();
                        return;
                    }
                    // Cut off at the very end of the file: UTF-8, as for whole files.
                    Err(e) if e.error_len().is_none() => Decoder::utf8(Encoding::Utf8),
                    Err(_) => Decoder::Latin1,
                };
                *self = next;
                self.decode(rest, eof, out);
            }
        }
    }
}

/// `bytes` after the bytes carried from the previous chunk (taken from `carry`): only a
/// character cut at the previous chunk's end needs a joined copy, made in `joined`.
fn after_carry<'a>(carry: &mut Vec<u8>, bytes: &'a [u8], joined: &'a mut Vec<u8>) -> &'a [u8] {
    if carry.is_empty() {
        return bytes;
    }
    *joined = std::mem::take(carry);
    joined.extend_from_slice(bytes);
    joined
}

/// Decodes UTF-8, replacing each broken sequence with U+FFFD as `from_utf8_lossy` does
/// and carrying a character cut at the chunk's end over to the next chunk.
fn decode_utf8(carry: &mut Vec<u8>, bytes: &[u8], eof: bool, out: &mut String) {
    let mut joined = Vec::new();
    let mut input = after_carry(carry, bytes, &mut joined);
    loop {
        match std::str::from_utf8(input) {
            Ok(s) => {
                out.push_str(s);
                return;
            }
            Err(e) => {
                let (valid, rest) = input.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or(""));
                match e.error_len() {
                    Some(n) => {
                        out.push(char::REPLACEMENT_CHARACTER);
                        input = rest.get(n..).unwrap_or(&[]);
                    }
                    None if eof => {
                        out.push(char::REPLACEMENT_CHARACTER);
                        return;
                    }
                    None => {
                        *carry = rest.to_vec();
                        return;
                    }
                }
            }
        }
    }
}

/// True when valid multi-byte UTF-8 characters outnumber the bytes that are not UTF-8.
///
/// Windows-1252 text almost never contains a valid multi-byte sequence (it would take
/// an `Ã` followed by a byte in 0x80–0xBF), while every accented letter in it is an
/// invalid byte; a UTF-8 file with a few broken bytes is the other way round.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut multibyte, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += chunk.invalid().len();
    }
    multibyte > invalid
}

/// The refusal message for a file that starts like a known binary format, if any.
fn binary_magic(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"PK\x03\x04") {
        Some("this looks like a binary file (an Excel .xlsx workbook, or another zip archive?), not a CSV or tab-separated text export; save it as CSV first")
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Some("this looks like a binary file (an old-style Excel .xls workbook?), not a CSV or tab-separated text export; save it as CSV first")
    } else if bytes.starts_with(b"%PDF") {
        Some("this looks like a binary file (a PDF document?), not a CSV or tab-separated text export; save it as CSV first")
    } else if bytes.starts_with(b"\x89PNG")
        || bytes.starts_with(b"GIF8")
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
    {
        Some("this looks like a binary file (an image?), not a CSV or tab-separated text export; save it as CSV first")
    } else {
        None
    }
}

/// Detects BOM-less UTF-16 by where the zero bytes sit; `Some(true)` is big-endian.
fn bomless_utf16(bytes: &[u8]) -> Option<bool> {
    let sample = bytes.get(..SNIFF_BYTES).unwrap_or(bytes);
    let pairs = sample.len() / 2;
    if pairs < 2 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        if let [a, b] = pair {
            even += usize::from(*a == 0);
            odd += usize::from(*b == 0);
        }
    }
    // ASCII text in UTF-16LE puts its zero in the second byte of each pair.
    if odd * 4 >= pairs && even * 10 <= odd {
        Some(false)
    } else if even * 4 >= pairs && odd * 10 <= even {
        Some(true)
    } else {
        None
    }
}

/// Decodes UTF-16 (its BOM already taken off), replacing anything broken with U+FFFD;
/// an odd byte or a high surrogate at a chunk's end waits for the next chunk.
fn decode_utf16(carry: &mut Vec<u8>, bytes: &[u8], big_endian: bool, eof: bool, out: &mut String) {
    let mut all = std::mem::take(carry);
    all.extend_from_slice(bytes);
    let unit = |pair: &[u8]| match pair {
        [a, b] if big_endian => u16::from_be_bytes([*a, *b]),
        [a, b] => u16::from_le_bytes([*a, *b]),
        _ => 0xFFFD,
    };
    let mut usable = all.len() - all.len() % 2;
    if !eof {
        let last = usable
            .checked_sub(2)
            .and_then(|i| all.get(i..usable))
            .map(unit);
        if last.is_some_and(|u| (0xD800..0xDC00).contains(&u)) {
            usable -= 2;
        }
    }
    let units = all.get(..usable).unwrap_or(&[]).chunks_exact(2).map(unit);
    out.extend(char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)));
    let rest = all.get(usable..).unwrap_or(&[]);
    if eof {
        if !rest.is_empty() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    } else {
        *carry = rest.to_vec();
    }
}

/// Decodes Windows-1252; its five undefined bytes map to the C1 controls, like browsers do.
fn decode_windows_1252(bytes: &[u8], out: &mut String) {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    out.reserve(bytes.len() + bytes.len() / 8);
    for &b in bytes {
        let c = match b {
            0x80..=0x9F => HIGH
                .get(usize::from(b - 0x80))
                .copied()
                .unwrap_or(char::REPLACEMENT_CHARACTER),
            _ => char::from(b),
        };
        out.push(c);
    }
}

/// True when the start of the file has too many NULs or control characters to be text.
fn too_many_controls(units: impl Iterator<Item = u32>) -> bool {
    let (mut n, mut nul, mut ctrl) = (0usize, 0usize, 0usize);
    for u in units.take(SNIFF_BYTES) {
        n += 1;
        if u == 0 {
            nul += 1;
        } else if (u < 0x20 && !matches!(u, 0x09 | 0x0A | 0x0C | 0x0D)) || u == 0x7F {
            ctrl += 1;
        }
    }
    nul * 100 > n || (nul + ctrl) * 10 > n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::read_table;
    use crate::ingest::tests::{reason, table};

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut units: Vec<u16> = text.encode_utf16().collect();
        if bom {
            units.insert(0, 0xFEFF);
        }
        for u in units {
            let pair = if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            };
            out.extend_from_slice(&pair);
        }
        out
    }

    #[test]
    fn plain_utf8() {
        let t = table("id,mrr\n1,10\n2,20\n");
        assert_eq!(t.encoding, Encoding::Utf8);
        assert_eq!(t.headers, vec!["id", "mrr"]);
        assert_eq!(t.header_line, 1);
        assert_eq!(t.delimiter, b',');
        assert!(!t.decimal_comma);
        assert_eq!(t.records.len(), 2);
        assert_eq!(t.records[1].fields, vec!["2", "20"]);
        assert_eq!(t.records[1].line, 3);
        assert!(t.records[1].warnings.is_empty());
    }

    #[test]
    fn utf8_bom_is_removed_from_the_header() {
        let t = table("\u{feff}id,name\n1,Zoë\n");
        assert_eq!(t.encoding, Encoding::Utf8Bom);
        assert_eq!(t.headers, vec!["id", "name"]);
        assert_eq!(t.records[0].fields, vec!["1", "Zoë"]);
    }

    #[test]
    fn excel_unicode_text_is_utf16le_with_tabs() {
        let bytes = utf16("id\tmrr\r\n1\t12,5\r\n2\t3\r\n", false, true);
        let t = read_table(&bytes, "u.txt").unwrap();
        assert_eq!(t.encoding, Encoding::Utf16Le);
        assert_eq!(t.delimiter, b'\t');
        assert_eq!(t.headers, vec!["id", "mrr"]);
        assert_eq!(t.records[0].fields, vec!["1", "12,5"]);
        assert_eq!(t.records[1].line, 3);
        assert!(t.decimal_comma);
    }

    #[test]
    fn utf16be_with_bom_and_bomless_utf16() {
        let t = read_table(&utf16("a;b\nä;2\n", true, true), "f").unwrap();
        assert_eq!(t.encoding, Encoding::Utf16Be);
        assert_eq!(t.records[0].fields, vec!["ä", "2"]);
        let t = read_table(&utf16("a,b\nx,2\n", false, false), "f").unwrap();
        assert_eq!(t.encoding, Encoding::Utf16Le);
        assert_eq!(t.headers, vec!["a", "b"]);
        let t = read_table(&utf16("a,b\nx,2\n", true, false), "f").unwrap();
        assert_eq!(t.encoding, Encoding::Utf16Be);
        assert_eq!(t.records[0].fields, vec!["x", "2"]);
    }

    #[test]
    fn broken_utf16_becomes_replacement_characters() {
        // Odd length: the last lone byte is a replacement character.
        let mut bytes = utf16("a,b\n1,2", false, true);
        bytes.push(b'x');
        let t = read_table(&bytes, "f").unwrap();
        assert_eq!(t.records[0].fields, vec!["1", "2\u{fffd}"]);
        // A lone high surrogate D800 in the middle.
        let mut bytes = utf16("a,b\n1,", false, true);
        bytes.extend_from_slice(&[0x00, 0xD8]);
        bytes.extend_from_slice(&utf16("z\n", false, false));
        let t = read_table(&bytes, "f").unwrap();
        assert_eq!(t.records[0].fields, vec!["1", "\u{fffd}z"]);
    }

    #[test]
    fn windows_1252_fallback() {
        let bytes = b"name;note\nJos\xe9;\x93quoted\x94 \x80 5 \x96 ok\n";
        let t = read_table(bytes, "f").unwrap();
        assert_eq!(t.encoding, Encoding::Latin1);
        assert_eq!(t.records[0].fields, vec!["José", "“quoted” € 5 – ok"]);
    }

    #[test]
    fn utf8_cut_in_the_middle_of_a_character_stays_utf8() {
        let mut bytes = "a,b\nx,é".as_bytes().to_vec();
        bytes.pop();
        let t = read_table(&bytes, "f").unwrap();
        assert_eq!(t.encoding, Encoding::Utf8);
        assert_eq!(t.records[0].fields, vec!["x", "\u{fffd}"]);
    }

    #[test]
    fn binary_files_are_refused_with_their_kind() {
        let xlsx = reason(b"PK\x03\x04\x14\x00\x06\x00rest");
        assert!(xlsx.contains("xlsx"), "{xlsx}");
        assert!(xlsx.contains("save it as CSV first"));
        let xls = reason(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        assert!(xls.contains(".xls "), "{xls}");
        assert!(reason(b"%PDF-1.7\n").contains("PDF"));
        assert!(reason(b"\x89PNG\r\n\x1a\n").contains("image"));
        assert!(reason(b"GIF89a").contains("image"));
        let nul = reason(b"a,b\n1,\x00\x00\x002\n");
        assert!(nul.starts_with("this looks like a binary file"), "{nul}");
        let ctrl = reason(b"\x01\x02\x03\x04abc\x05\x06");
        assert!(ctrl.starts_with("this looks like a binary file"));
    }

    #[test]
    fn a_stray_nul_in_a_long_text_file_is_kept() {
        let mut text = String::from("id,note\n");
        for i in 0..200 {
            text.push_str(&format!("{i},plain text\n"));
        }
        text.push_str("200,a\0b\n");
        let t = table(&text);
        assert_eq!(t.records[200].fields, vec!["200", "a\0b"]);
    }

    #[test]
    fn empty_files_are_refused() {
        assert_eq!(reason(b""), "the file is empty");
        assert_eq!(reason(b"  \r\n\n\t \n"), "the file is empty");
        assert_eq!(reason(b"\xEF\xBB\xBF"), "the file is empty");
        assert_eq!(reason(b"sep=;\n"), "the file is empty");
        let e = read_table(b"", "accounts.csv").unwrap_err();
        assert_eq!(e.to_string(), "accounts.csv: the file is empty");
    }

    #[test]
    fn encoding_names() {
        assert_eq!(Encoding::Utf8.name(), "UTF-8");
        assert_eq!(Encoding::Utf8Bom.name(), "UTF-8 with BOM");
        assert_eq!(Encoding::Utf16Le.name(), "UTF-16LE");
        assert_eq!(Encoding::Utf16Be.name(), "UTF-16BE");
        assert_eq!(Encoding::Latin1.name(), "Latin-1 (Windows-1252)");
    }

    #[test]
    fn mostly_utf8_files_with_a_broken_byte_stay_utf8() {
        let t = read_table("a,b\nZoë,Café\nx\u{ff}".as_bytes(), "f").unwrap();
        assert_eq!(t.encoding, Encoding::Utf8);
        let mut bytes = "a,b\nZoë,Café\n".as_bytes().to_vec();
        bytes.extend_from_slice(b"bad\xff,1\n");
        let t = read_table(&bytes, "f").unwrap();
        assert_eq!(t.encoding, Encoding::Utf8);
        assert_eq!(t.records[0].fields, vec!["Zoë", "Café"]);
        assert_eq!(t.records[1].fields, vec!["bad\u{fffd}", "1"]);
        // One accented UTF-8 letter against one Latin-1 byte: Latin-1, as before.
        let t = read_table(b"a,b\nZo\xc3\xab,Caf\xe9\n", "f").unwrap();
        assert_eq!(t.encoding, Encoding::Latin1);
    }
}
