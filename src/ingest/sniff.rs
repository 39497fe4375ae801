//! The delimiter: an Excel `sep=` line, or sniffed from the first records.
//!
//! * An Excel `sep=;` first line (also `sep=,`, `sep=<tab>`, `sep=\t`, quoted or not)
//!   sets the delimiter and is skipped; the header is then line 2.
//! * Otherwise the delimiter is sniffed among tab, semicolon and comma on the first 50
//!   records, honouring quotes: the winner is the one where the most records have the
//!   same number of fields as the header, which must have at least two. Ties go to tab,
//!   then semicolon, then comma, so a semicolon file full of decimal commas is not read
//!   as comma-separated. When no delimiter gives two header fields the file is one
//!   column wide: its lines are not split at all (the delimiter is reported as comma).

use super::cells::strip_prefix_ci;
use super::split::{is_blank, Cells, Splitter};
use crate::error::{Error, Result};

/// Rows looked at when sniffing the delimiter.
const SNIFF_RECORDS: usize = 50;
/// Blank rows after which sniffing gives up looking for more records.
const SNIFF_BLANK_RECORDS: usize = 1000;

/// Reads an Excel `sep=X` first line: the delimiter and the byte offset after the line.
pub(super) fn sep_directive(text: &str, file: &str) -> Result<Option<(u8, usize)>> {
    let bytes = text.as_bytes();
    let end = bytes
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(bytes.len());
    let line = text.get(..end).unwrap_or("");
    let t = line.trim_matches(' ');
    let t = t
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(t);
    let Some(rest) = strip_prefix_ci(t, "sep=") else {
        return Ok(None);
    };
    let delimiter = match rest.trim_matches(' ') {
        "\t" | "\\t" => b'\t',
        ";" => b';',
        "," => b',',
        _ => {
            return Err(Error::unusable(
                file,
                format!(
                    "the first line '{}' asks for a delimiter this tool does not read; export with commas, semicolons or tabs",
                    crate::error::show_value(line)
                ),
            ))
        }
    };
    let next = match (bytes.get(end), bytes.get(end + 1)) {
        (Some(b'\r'), Some(b'\n')) => end + 2,
        (Some(_), _) => end + 1,
        (None, _) => end,
    };
    Ok(Some((delimiter, next)))
}

/// Picks the delimiter whose field counts agree best with the header's; `None` when
/// every candidate leaves the header a single field.
pub(super) fn sniff(text: &str) -> Option<u8> {
    // (delimiter, records matching the header's width, records looked at)
    let mut best: Option<(u8, usize, usize)> = None;
    let mut buf = Cells::new(text);
    for delimiter in [b'\t', b';', b','] {
        let mut splitter = Splitter::new(text, Some(delimiter), 1);
        let (mut header, mut matches, mut total) = (None, 0usize, 0usize);
        let mut blank = 0usize;
        while total < SNIFF_RECORDS && blank < SNIFF_BLANK_RECORDS {
            if splitter.next_record(&mut buf).is_none() {
                break;
            }
            if is_blank(&buf) {
                // Blank lines before the header cost nothing to skip and say nothing;
                // only those after it count towards giving up.
                blank += usize::from(header.is_some());
                continue;
            }
            let width = *header.get_or_insert(buf.len());
            total += 1;
            matches += usize::from(buf.len() == width);
        }
        if header.unwrap_or(0) < 2 {
            continue;
        }
        // Candidates come in order of preference, so only a strictly better one replaces.
        let better = match best {
            None => true,
            Some((_, m, t)) => matches * t > m * total,
        };
        if better {
            best = Some((delimiter, matches, total));
        }
    }
    best.map(|(d, _, _)| d)
}

#[cfg(test)]
mod tests {
    use crate::ingest::tests::{reason, table};

    #[test]
    fn excel_sep_line_sets_the_delimiter() {
        let t = table("sep=;\nid;mrr\n1;2,5\n");
        assert_eq!(t.delimiter, b';');
        assert_eq!(t.header_line, 2);
        assert_eq!(t.records[0].line, 3);
        assert_eq!(t.records[0].fields, vec!["1", "2,5"]);
        let t = table("\"sep=,\"\r\na;b,c\r\n1;2,3\r\n");
        assert_eq!(t.delimiter, b',');
        assert_eq!(t.headers, vec!["a;b", "c"]);
        let t = table("sep=\t\na\tb\n1\t2\n");
        assert_eq!(t.delimiter, b'\t');
        let t = table("SEP=\\t\na\tb\n");
        assert_eq!(t.delimiter, b'\t');
        assert!(reason(b"sep=|\na|b\n").contains("delimiter"));
    }

    #[test]
    fn semicolon_file_with_decimal_commas_is_not_comma_separated() {
        let t = table("id;mrr;nps\n1;12,5;8\n2;3,75;9\n3;100;7\n");
        assert_eq!(t.delimiter, b';');
        assert_eq!(t.headers, vec!["id", "mrr", "nps"]);
        assert_eq!(t.records[1].fields, vec!["2", "3,75", "9"]);
        assert!(t.decimal_comma);
        // Header with one comma and data rows with one comma each: a tie, semicolon wins.
        let t = table("a;b,c\n1;2,5\n");
        assert_eq!(t.delimiter, b';');
    }

    #[test]
    fn sniffing_is_quote_aware_and_prefers_tab() {
        let t = table("name,city\n\"Smith; John\",Paris\n\"Doe; Jane\",Rome\n");
        assert_eq!(t.delimiter, b',');
        assert_eq!(t.records[0].fields, vec!["Smith; John", "Paris"]);
        let t = table("Last, First\tCity\nSmith, John\tParis\n");
        assert_eq!(t.delimiter, b'\t');
        assert_eq!(t.headers, vec!["Last, First", "City"]);
    }

    #[test]
    fn single_column_file() {
        let t = table("account\nacme\nbeta\n");
        assert_eq!(t.delimiter, b',');
        assert_eq!(t.headers, vec!["account"]);
        assert_eq!(t.records.len(), 2);
        // Commas inside the values of a one-column file are content.
        let t = table("name\nSmith, John\n\"Doe\nJane\"\n");
        assert_eq!(t.records[0].fields, vec!["Smith, John"]);
        assert_eq!(t.records[1].fields, vec!["Doe\nJane"]);
        assert!(t.records[0].warnings.is_empty());
    }

    #[test]
    fn blank_lines_before_the_header_do_not_stop_sniffing() {
        let text = format!("{}id;mrr\n1;2,5\n", "\n".repeat(5000));
        let t = table(&text);
        assert_eq!(t.delimiter, b';');
        assert_eq!(t.header_line, 5001);
        assert_eq!(t.records[0].fields, vec!["1", "2,5"]);
    }
}
