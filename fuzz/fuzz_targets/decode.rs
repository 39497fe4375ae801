//! Encoding sniffing and decoding: any bytes are read (no panic), and the same text
//! written in each encoding the reader knows reads as the same table.
//!
//! The decoder is not public on its own, so this goes through `ingest::read_table`, as
//! cheap as it gets for small inputs. The `ingest` module documents that a byte-order
//! mark decides the encoding (UTF-8, UTF-16LE, UTF-16BE) and that non-UTF-8 bytes are
//! Windows-1252. So the input's text (invalid UTF-8 replaced by U+FFFD), when read as
//! UTF-8, must give the same headers, records, delimiter and hints again with a UTF-8
//! BOM, as UTF-16LE and UTF-16BE with a BOM, and as Windows-1252 bytes when the reader
//! takes those for Windows-1252 (characters Windows-1252 lacks made `?` in both). The
//! binary-file checks look at bytes or characters depending on the encoding, so a
//! variant that is refused is skipped.
#![no_main]

use churn_audit::ingest::{self, Encoding, Table};
use libfuzzer_sys::fuzz_target;

/// Windows-1252's characters for the bytes 0x80 to 0x9F (`None`: unassigned).
const CP1252_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

fuzz_target!(|data: &[u8]| {
    let lossy = String::from_utf8_lossy(data);
    // A BOM already there would be doubled by the variants below.
    let text = lossy.trim_start_matches('\u{feff}');
    let utf8 = read(text.as_bytes());
    if text.as_bytes() != data {
        // The bytes as they are (any encoding, binary, broken): no panic, and widths.
        let _ = read(data);
    }
    let Ok(utf8) = utf8 else {
        return;
    };
    if !matches!(utf8.encoding, Encoding::Utf8 | Encoding::Utf8Bom) {
        // Valid UTF-8 that looks like BOM-less UTF-16 (NUL bytes on one side).
        return;
    }
    let bom = [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat();
    same(&utf8, read(&bom), Encoding::Utf8Bom);
    let utf16le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    same(&utf8, read(&utf16le), Encoding::Utf16Le);
    let utf16be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    same(&utf8, read(&utf16be), Encoding::Utf16Be);
    if !text.is_ascii() {
        // Windows-1252 has no byte for most characters: those become `?` (in both).
        let latin: String = text
            .chars()
            .map(|c| if cp1252(c).is_some() { c } else { '?' })
            .collect();
        let bytes: Vec<u8> = latin.chars().filter_map(cp1252).collect();
        if let Ok(table) = read(&bytes) {
            if table.encoding == Encoding::Latin1 {
                if latin == text {
                    same(&utf8, Ok(table), Encoding::Latin1);
                } else if let Ok(expected) = read(latin.as_bytes()) {
                    if matches!(expected.encoding, Encoding::Utf8 | Encoding::Utf8Bom) {
                        same(&expected, Ok(table), Encoding::Latin1);
                    }
                }
            }
        }
    }
});

fn read(bytes: &[u8]) -> Result<Table, churn_audit::Error> {
    let table = ingest::read_table(bytes, "fuzz.csv")?;
    check_widths(&table);
    Ok(table)
}

fn check_widths(table: &Table) {
    for record in &table.records {
        assert_eq!(record.fields.len(), table.headers.len());
    }
}

/// `other` (when read at all) is `utf8` read with `encoding`.
fn same(utf8: &Table, other: Result<Table, churn_audit::Error>, encoding: Encoding) {
    let Ok(other) = other else {
        return;
    };
    assert_eq!(other.encoding, encoding);
    let other = Table {
        encoding: utf8.encoding,
        ..other
    };
    assert_eq!(&other, utf8, "read as {encoding:?}");
}

/// The character's Windows-1252 byte, if it has one.
fn cp1252(c: char) -> Option<u8> {
    match u32::from(c) {
        u @ (0..=0x7F | 0xA0..=0xFF) => u8::try_from(u).ok(),
        _ => CP1252_HIGH
            .iter()
            .position(|&h| h == Some(c))
            .and_then(|i| u8::try_from(0x80 + i).ok()),
    }
}
