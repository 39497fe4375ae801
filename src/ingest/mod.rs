//! Reading CRM exports: decoding, splitting, and reading numbers, booleans and dates.
//!
//! Account lists arrive from HubSpot, Salesforce, Pipedrive and Excel in many shapes.
//! This module turns the bytes of such a file into a [`Table`] of trimmed text cells,
//! and offers the cell readers ([`parse_number`], [`parse_bool`], [`parse_date`]) that
//! the rest of the crate uses. The rules are the whole contract; each stage states its
//! own in its file's module documentation:
//!
//! * `decode.rs`: the encoding (a byte-order mark, UTF-16 without one, UTF-8 or
//!   Windows-1252), and the binary and empty files that are refused;
//! * `sniff.rs`: the delimiter (an Excel `sep=` line, or sniffed among tab, semicolon
//!   and comma);
//! * `split.rs`: records and cells (RFC 4180 quoting, line breaks, trimming);
//! * `reader.rs`: the header, blank and ragged rows, unclosed quotes, the file's
//!   decimal-comma hint, and reading a file in chunks ([`Reader`]);
//! * `cells.rs`: the tokens that mean "no value", and booleans;
//! * `numbers.rs`: numbers, and a column's number style;
//! * `dates.rs`: dates, and a column's day/month order.
//!
//! Every choice made for the whole file or a whole column (encoding, delimiter, header,
//! number style, date order) is made on the file's first [`HEAD_BYTES`] bytes, so a
//! file read in chunks is read exactly like the whole file.

mod cells;
mod dates;
mod decode;
mod numbers;
mod reader;
mod sniff;
mod split;
mod warning;
pub mod workbook;
mod xls_span;

pub(crate) use cells::trim;
pub use cells::{is_missing, parse_bool};
pub use dates::{
    civil_from_days, days_from_civil, format_iso_date, infer_date_order, parse_date,
    parse_iso_date, DateOrder, DateVotes,
};
pub use decode::Encoding;
pub use numbers::{infer_number_style, parse_number, NumberStyle, NumberVotes};
pub use reader::{continues, PartEnd, Reader};
pub use split::{CellKey, Cells, Fields};
pub use warning::{CellIssue, RowIssue, RowWarning};

use crate::error::{Error, Result};

/// One record of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based physical line (in the decoded text) where the record starts.
    pub line: usize,
    /// Exactly as many cells as the header: short rows padded with "", long rows cut.
    pub fields: Fields,
    /// Record-level problems, such as a wrong number of fields.
    pub warnings: Vec<RowWarning>,
}

/// A decoded, split table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Trimmed header cells, byte-order mark removed.
    pub headers: Vec<String>,
    /// 1-based line of the header (2 when a `sep=;` line precedes it).
    pub header_line: usize,
    /// Data records; rows with only empty cells are skipped.
    pub records: Vec<Record>,
    /// The encoding the file was read with.
    pub encoding: Encoding,
    /// The delimiter: `b','`, `b';'` or `b'\t'`.
    pub delimiter: u8,
    /// File-level hint: the file looks like it comes from a decimal-comma locale.
    pub decimal_comma: bool,
    /// How many of the first records end within the file's head ([`HEAD_BYTES`]); the
    /// column-level choices (number style, date order) are made on these alone so that
    /// a file read in chunks is read exactly like the whole file.
    pub head_records: usize,
}

/// Why a file without a header row is refused (by whichever stage finds it out).
const EMPTY: &str = "the file is empty";

/// Decodes and splits `bytes` (the file's name is used only in messages).
///
/// The same as feeding the bytes to a [`Reader`] in one piece: whole files and files
/// read in chunks are read by the same rules.
pub fn read_table(bytes: &[u8], file: &str) -> Result<Table> {
    let mut reader = Reader::new(file);
    reader.push(bytes)?;
    reader.finish()?;
    let Some(mut table) = reader.take_head() else {
        return Err(Error::unusable(file, EMPTY));
    };
    reader.records(|fields, line, warnings| {
        table.records.push(Record {
            line,
            fields: Fields::from_cells(fields),
            warnings,
        })
    });
    table.encoding = reader.encoding();
    Ok(table)
}

/// Raw bytes at the start of a file that decide its encoding and layout.
///
/// The encoding, the delimiter, the header, the file's decimal-comma hint and (in
/// [`crate::features`]) every column's number style and date order are decided from
/// the first `HEAD_BYTES` bytes and the records that end within them, so a file read
/// in chunks of any size is read exactly like the whole file.
pub const HEAD_BYTES: usize = 4 << 20;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // The helpers marked `pub(super)` serve the stages' tests too.

    pub(super) fn table(text: &str) -> Table {
        match read_table(text.as_bytes(), "t.csv") {
            Ok(t) => t,
            Err(e) => panic!("read_table failed: {e}"),
        }
    }

    pub(super) fn reason(bytes: &[u8]) -> String {
        match read_table(bytes, "t.csv") {
            Ok(t) => panic!("expected an error, got {t:?}"),
            Err(Error::Unusable { reason, .. }) => reason,
            Err(e) => panic!("unexpected error {e}"),
        }
    }

    pub(super) const US: NumberStyle = NumberStyle {
        decimal_comma: false,
    };

    pub(super) const EU: NumberStyle = NumberStyle {
        decimal_comma: true,
    };

    /// A deterministic xorshift stream for the fast-path tests.
    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    /// A string of up to `max` characters drawn from `alphabet`.
    pub(super) fn draw(x: &mut u64, alphabet: &[&str], max: usize) -> String {
        let len = (xorshift(x) % (max as u64 + 1)) as usize;
        (0..len)
            .map(|_| alphabet[(xorshift(x) % alphabet.len() as u64) as usize])
            .collect()
    }

    fn quote(cell: &str) -> String {
        format!("\"{}\"", cell.replace('"', "\"\""))
    }

    proptest! {
        #[test]
        fn read_table_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = read_table(&bytes, "fuzz");
        }

        #[test]
        fn read_table_never_panics_on_csv_like_text(
            text in "[a,;\t\"\r\n 1.é\u{feff}]{0,200}"
        ) {
            if let Ok(t) = read_table(text.as_bytes(), "fuzz") {
                for r in &t.records {
                    prop_assert_eq!(r.fields.len(), t.headers.len());
                }
            }
        }

        #[test]
        fn cell_readers_never_panic(cell in "\\PC{0,30}|[0-9.,' ()$€%eE+-]{0,20}|[0-9/:. -]{0,20}") {
            let _ = parse_number(&cell, US);
            let _ = parse_number(&cell, EU);
            let _ = parse_bool(&cell);
            let _ = parse_date(&cell, DateOrder::DayFirst);
            let _ = parse_date(&cell, DateOrder::MonthFirst);
            let _ = infer_number_style([cell.as_str()], false);
            let _ = infer_date_order([cell.as_str()], false);
            let _ = parse_iso_date(&cell);
        }

        #[test]
        fn quoted_table_round_trips(
            width in 2usize..5,
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-zA-Z0-9 ,;\t\"\r\n'é€]{0,10}", 5), 0..8),
            delimiter in prop_oneof![Just(','), Just(';'), Just('\t')],
            crlf in any::<bool>(),
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let headers: Vec<String> = (0..width).map(|i| format!("col{i}")).collect();
            let rows: Vec<Vec<String>> = rows
                .into_iter()
                .map(|r| r.into_iter().take(width).collect::<Vec<String>>())
                .filter(|r| r.iter().any(|c| !c.is_empty()))
                .collect();
            let mut text = headers.iter().map(|h| quote(h)).collect::<Vec<_>>()
                .join(&delimiter.to_string());
            text.push_str(eol);
            for r in &rows {
                text.push_str(&r.iter().map(|c| quote(c)).collect::<Vec<_>>()
                    .join(&delimiter.to_string()));
                text.push_str(eol);
            }
            let t = read_table(text.as_bytes(), "rt").unwrap();
            prop_assert_eq!(t.delimiter, delimiter as u8);
            prop_assert_eq!(&t.headers, &headers);
            let got: Vec<Vec<String>> = t.records.iter().map(|r| r.fields.to_vec()).collect();
            prop_assert_eq!(got, rows);
            prop_assert!(t.records.iter().all(|r| r.warnings.is_empty()));
        }
    }
}
