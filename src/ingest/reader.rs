//! The streaming reader: the file's head decides the encoding, the delimiter and the
//! header, then records are split and fitted to the header as they complete.
//!
//! * Rows whose cells are all empty (blank lines, `;;;;`) are skipped silently.
//! * A row shorter than the header is padded with empty cells, with a warning. A longer
//!   row is cut, with a warning unless the extra cells are all empty (Excel pads rows
//!   with trailing delimiters).
//! * A quoted field never closed runs to the end of the file, with a warning; in the
//!   header that is an error.
//! * The file looks *decimal-comma* (European) when its delimiter is `;`, or when, in
//!   its first 1000 rows, more cells are unmistakably decimal-comma numbers (`12,5`,
//!   `1.234,56`, `1.234.567`) than unmistakably decimal-point ones (`12.5`,
//!   `1,234.56`, `1,234,567`). Numbers like `1,234` prove nothing.

use super::decode::{sniff_encoding, Decoder, Encoding, BINARY_GENERIC};
use super::numbers::number_evidence;
use super::sniff::{sep_directive, sniff};
use super::split::{is_blank, Cells, Fields, RawRecord, Splitter};
use super::{Record, RowIssue, RowWarning, Table, EMPTY, HEAD_BYTES};
use crate::error::{Error, Result};

/// Rows looked at for the file's decimal-comma hint.
const HINT_RECORDS: usize = 1000;

/// Reads a file chunk by chunk: [`Reader::push`] the bytes, [`Reader::finish`] at the
/// end, take the head's [`Table`] with [`Reader::take_head`] once it is ready, then take
/// the remaining records with [`Reader::records`] as they complete.
///
/// ```
/// use churn_audit::ingest::Reader;
/// let mut reader = Reader::new("accounts.csv");
/// reader.push(b"id,days\nA,1\nB,")?;
/// reader.push(b"2\n")?;
/// reader.finish()?;
/// let head = reader.take_head().unwrap();
/// assert_eq!(head.headers, ["id", "days"]);
/// assert_eq!(head.records.len(), 2);
/// # Ok::<(), churn_audit::Error>(())
/// ```
pub struct Reader {
    file: String,
    /// Raw bytes of the head, until it is complete.
    head: Vec<u8>,
    decoder: Option<Decoder>,
    /// Decoded text not yet split into records.
    text: String,
    layout: Option<Layout>,
    /// The head's table, until taken.
    head_table: Option<Table>,
    eof: bool,
    /// For a reader of a later part of a file ([`Reader::resume_mid_file`]): whether it
    /// started before any byte outside ASCII decided between UTF-8 and Windows-1252.
    resumed_undecided: bool,
    /// Ended by [`Reader::end_at_boundary`]: a part may follow.
    open_end: bool,
}

/// The encoding a file is read in after a part read by its own [`Reader`] ends `part`,
/// when the reader before it had decided `mine` (`None`: still undecided, ASCII only);
/// `None` when the part decoded differently ([`Reader::continued_by`]).
pub fn continues(mine: Option<Encoding>, part: &PartEnd) -> Option<Encoding> {
    match (mine, part.decided) {
        // The part saw only ASCII, which every one of these decoders reads alike.
        (_, None) => Some(mine.unwrap_or(Encoding::Utf8)),
        // Still undecided here: the part's first other byte decided as it would have.
        (None, Some(theirs)) if part.started_undecided => Some(theirs),
        (Some(m), Some(theirs)) if m == theirs => Some(m),
        _ => None,
    }
}

/// How a part of a file read by its own [`Reader`] ([`Reader::resume_mid_file`])
/// decoded, so the part before it can check that it reads on exactly the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartEnd {
    /// The part started with every byte so far in ASCII (encoding still undecided).
    pub started_undecided: bool,
    /// The encoding at the part's end; `None` while still undecided (ASCII only).
    pub decided: Option<Encoding>,
    /// Line, counted from 1 within the part, where a record after the part would start.
    pub next_line: usize,
}

/// How records are split once the header has been read.
struct Layout {
    /// `None` for a one-column file.
    split: Option<u8>,
    width: usize,
    /// Line where the next record starts.
    line: usize,
}

impl Reader {
    /// A reader for the file named `file` (used only in messages).
    pub fn new(file: &str) -> Reader {
        Reader {
            file: file.to_string(),
            head: Vec::new(),
            decoder: None,
            text: String::new(),
            layout: None,
            head_table: None,
            eof: false,
            resumed_undecided: false,
            open_end: false,
        }
    }

    /// Turns a reader that has read a file's head (and taken it) into the reader of a
    /// later part of the same file: the text after the head's last complete record is
    /// dropped, the next bytes pushed must start a record (the byte after a line feed),
    /// and lines count from 1 within the part. The head decided the encoding, delimiter
    /// and header, so the part is read by the same rules as the whole file.
    /// False (nothing changed) before the head is read, and for UTF-16, whose line
    /// feeds are not single bytes.
    pub fn resume_mid_file(&mut self) -> bool {
        let (Some(decoder), Some(layout)) = (&mut self.decoder, &mut self.layout) else {
            return false;
        };
        *decoder = match decoder {
            Decoder::Utf8 { encoding, .. } => Decoder::utf8(*encoding),
            Decoder::Ascii { .. } => Decoder::Ascii { carry: Vec::new() },
            Decoder::Latin1 => Decoder::Latin1,
            Decoder::Utf16 { .. } => return false,
        };
        self.resumed_undecided = matches!(decoder, Decoder::Ascii { .. });
        layout.line = 1;
        self.text.clear();
        true
    }

    /// True when the bytes pushed so far end exactly at the end of a record (not inside
    /// a quoted field, no character cut in two), so that a part starting at the next
    /// byte ([`Reader::resume_mid_file`]) reads the rest of the file exactly as this
    /// reader would. Then the reader is ended as by [`Reader::finish`] and its last
    /// records can be taken; when false nothing changes and reading goes on.
    pub fn end_at_boundary(&mut self) -> bool {
        let (Some(decoder), Some(layout)) = (&self.decoder, &self.layout) else {
            return false;
        };
        let carries = match decoder {
            Decoder::Utf8 { carry, .. } | Decoder::Ascii { carry } => !carry.is_empty(),
            Decoder::Latin1 => false,
            Decoder::Utf16 { .. } => true,
        };
        if carries || self.eof || !(self.text.is_empty() || self.text.ends_with('\n')) {
            return false;
        }
        let mut splitter = Splitter::new(&self.text, layout.split, layout.line);
        let mut fields = Cells::new(&self.text);
        while let Some(raw) = splitter.next_record(&mut fields) {
            if raw.unclosed.is_some() {
                return false;
            }
        }
        self.eof = true;
        self.open_end = true;
        true
    }

    /// Whether the reader was ended by [`Reader::end_at_boundary`] (not by
    /// [`Reader::finish`]), so that a part may follow.
    pub fn part_end_is_open(&self) -> bool {
        self.open_end
    }

    /// Un-does [`Reader::end_at_boundary`]: the reader takes more bytes again.
    pub fn reopen(&mut self) {
        self.eof = false;
        self.open_end = false;
    }

    /// How this reader (of a part, or of the whole file) decoded, and where its next
    /// record would start; meaningful once its records are taken.
    pub fn part_end(&self) -> PartEnd {
        PartEnd {
            started_undecided: self.resumed_undecided,
            decided: match &self.decoder {
                Some(Decoder::Ascii { .. }) | None => None,
                Some(d) => Some(d.encoding()),
            },
            next_line: self.layout.as_ref().map_or(1, |l| l.line),
        }
    }

    /// Whether a part that ended as `part` reads on exactly where this reader stopped:
    /// both decode the same way. Returns the encoding of everything read so far
    /// (this reader's then the part's) when they do.
    pub fn continued_by(&self, part: &PartEnd) -> Option<Encoding> {
        continues(self.part_end().decided, part)
    }

    /// Takes on the end state of a part joined after this reader's bytes: its decoder's
    /// decision and where its next record starts (`lines_before` lines precede the part).
    pub fn adopt(&mut self, part: &PartEnd, lines_before: usize) {
        if let Some(encoding) = part.decided {
            self.decoder = Some(match encoding {
                Encoding::Latin1 => Decoder::Latin1,
                other => Decoder::utf8(other),
            });
        }
        if let Some(layout) = &mut self.layout {
            layout.line = lines_before + part.next_line;
        }
    }

    /// Feeds the next bytes of the file. Fails when the file cannot be a table at all
    /// (binary, empty, an unreadable `sep=` line or header).
    pub fn push(&mut self, mut chunk: &[u8]) -> Result<()> {
        if self.decoder.is_none() {
            let need = HEAD_BYTES - self.head.len();
            let (now, later) = chunk.split_at(need.min(chunk.len()));
            self.head.extend_from_slice(now);
            if self.head.len() < HEAD_BYTES {
                return Ok(());
            }
            self.start()?;
            chunk = later;
        }
        if let Some(decoder) = &mut self.decoder {
            decoder.decode(chunk, false, &mut self.text);
        }
        Ok(())
    }

    /// Marks the end of the file.
    pub fn finish(&mut self) -> Result<()> {
        self.eof = true;
        self.open_end = false;
        if self.decoder.is_none() {
            return self.start();
        }
        if let Some(decoder) = &mut self.decoder {
            decoder.decode(&[], true, &mut self.text);
        }
        Ok(())
    }

    /// The encoding the file is being read with.
    pub fn encoding(&self) -> Encoding {
        self.decoder
            .as_ref()
            .map_or(Encoding::Utf8, Decoder::encoding)
    }

    /// The table of the header and the records that end within the head, once the head
    /// is complete (after [`HEAD_BYTES`] bytes or the end of the file); `None` before
    /// that and after it has been taken.
    pub fn take_head(&mut self) -> Option<Table> {
        self.head_table.take()
    }

    /// The head's table ([`Reader::take_head`]) without taking it.
    pub fn head(&self) -> Option<&Table> {
        self.head_table.as_ref()
    }

    /// Calls `f` with each complete record after the head, in file order: its cells
    /// (exactly as many as the header), its line and its record-level warnings.
    pub fn records(&mut self, mut f: impl FnMut(&Cells, usize, Vec<RowWarning>)) {
        let Some(layout) = &mut self.layout else {
            return;
        };
        let consumed = split_records(&self.text, layout, self.eof, &mut f);
        self.text.drain(..consumed);
    }

    /// Decides the encoding from the head, decodes it and reads the header and the
    /// head's records.
    fn start(&mut self) -> Result<()> {
        let whole = self.eof;
        let head = std::mem::take(&mut self.head);
        let (mut decoder, skip) = sniff_encoding(&head, whole, &self.file)?;
        let mut text = String::with_capacity(head.len() + 16);
        decoder.decode(head.get(skip..).unwrap_or(&[]), whole, &mut text);
        if decoder.refuses_controls(&text) {
            return Err(Error::unusable(&self.file, BINARY_GENERIC));
        }
        let encoding = decoder.encoding();
        self.decoder = Some(decoder);
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        if whole && text.trim().is_empty() {
            return Err(Error::unusable(&self.file, EMPTY));
        }
        let file = self.file.as_str();
        let (forced, body_start, body_line) = match sep_directive(&text, file)? {
            Some((d, start)) => (Some(d), start, 2),
            None => (None, 0, 1),
        };
        text.drain(..body_start.min(text.len()));
        // A one-column file is not split at all, so commas in its values stay put.
        let split = forced.or_else(|| sniff(&text));
        let delimiter = split.unwrap_or(b',');

        let mut splitter = Splitter::new(&text, split, body_line);
        let mut buf = Cells::new(&text);
        let header = loop {
            match splitter.next_record(&mut buf) {
                None => return Err(Error::unusable(file, EMPTY)),
                Some(_) if !whole && splitter.pos >= text.len() => {
                    return Err(Error::unusable(
                        file,
                        format!(
                            "no header row ends within the first {} MB of the file",
                            HEAD_BYTES >> 20
                        ),
                    ))
                }
                Some(raw) if raw.unclosed.is_some() || !is_blank(&buf) => break raw,
                Some(_) => continue,
            }
        };
        if let Some(open) = header.unclosed {
            return Err(Error::unusable(
                file,
                format!("the header (line {open}) has a quoted field that is never closed"),
            ));
        }
        let headers: Vec<String> = buf
            .iter()
            .map(|h| {
                let h = h.trim();
                h.strip_prefix('\u{feff}').unwrap_or(h).trim().to_string()
            })
            .collect();
        let mut layout = Layout {
            split,
            width: headers.len(),
            line: splitter.line,
        };
        let consumed = splitter.pos;
        text.drain(..consumed);

        let mut records = Vec::new();
        let used = split_records(&text, &mut layout, whole, &mut |fields, line, warnings| {
            records.push(Record {
                line,
                fields: Fields::from_cells(fields),
                warnings,
            })
        });
        text.drain(..used);

        let decimal_comma = delimiter == b';' || {
            let (mut comma, mut point) = (0usize, 0usize);
            for record in records.iter().take(HINT_RECORDS) {
                for cell in record.fields.iter() {
                    match number_evidence(cell) {
                        Some(true) => comma += 1,
                        Some(false) => point += 1,
                        None => {}
                    }
                }
            }
            comma > point
        };
        self.head_table = Some(Table {
            headers,
            header_line: header.line,
            head_records: records.len(),
            records,
            encoding,
            delimiter,
            decimal_comma,
        });
        self.layout = Some(layout);
        // Whatever followed the head's last complete record waits for more bytes.
        text.push_str(&self.text);
        self.text = text;
        Ok(())
    }
}

/// What receives each record: its cells, its line and its record-level warnings.
type RecordSink<'a> = dyn FnMut(&Cells, usize, Vec<RowWarning>) + 'a;

/// Splits the complete records at the start of `text` (all of them at the end of the
/// file), skipping blank ones and fitting each to the header's width; returns the
/// bytes consumed.
fn split_records(
    text: &str,
    layout: &mut Layout,
    eof: bool,
    // `dyn`: one copy of the splitter in the page's engine for both callers.
    f: &mut RecordSink<'_>,
) -> usize {
    let width = layout.width;
    let mut splitter = Splitter::new(text, layout.split, layout.line);
    let mut fields = Cells::new(text);
    let mut consumed = 0;
    while let Some(raw) = splitter.next_record(&mut fields) {
        // A record that reaches the end of the text may go on in the next chunk (even a
        // final CR may be the first half of a CRLF): wait for more unless this is the end.
        if !eof && splitter.pos >= text.len() {
            break;
        }
        consumed = splitter.pos;
        layout.line = splitter.line;
        if is_blank(&fields) {
            continue;
        }
        let warnings = fit_record(&mut fields, &raw, width);
        f(&fields, raw.line, warnings);
    }
    consumed
}

/// Pads a short record with empty cells or cuts a long one to `width`; returns the
/// record's warnings.
fn fit_record(fields: &mut Cells, raw: &RawRecord, width: usize) -> Vec<RowWarning> {
    let mut warnings = Vec::new();
    if let Some(open) = raw.unclosed {
        warnings.push(RowWarning {
            line: open,
            issue: RowIssue::UnclosedQuote,
        });
    }
    let n = fields.len();
    if n < width {
        warnings.push(RowWarning {
            line: raw.line,
            issue: RowIssue::MissingFields { fields: n, width },
        });
        fields.fit(width);
    } else if n > width {
        if fields.iter().skip(width).any(|f| !f.is_empty()) {
            warnings.push(RowWarning {
                line: raw.line,
                issue: RowIssue::ExtraFields { fields: n, width },
            });
        }
        fields.fit(width);
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::{RowIssue, RowWarning};
    use crate::ingest::tests::{reason, table};

    #[test]
    fn decimal_comma_hint_from_numbers_in_a_tab_file() {
        let t = table("id\tmrr\n1\t12,5\n2\t0,75\n3\t1.234\n");
        assert!(t.decimal_comma);
        let t = table("id\tmrr\n1\t12.5\n2\t0.75\n3\t1,234\n");
        assert!(!t.decimal_comma);
        // Only ambiguous numbers: no evidence.
        let t = table("id\tmrr\n1\t1,234\n2\t5.678\n");
        assert!(!t.decimal_comma);
    }

    #[test]
    fn unterminated_quote_reads_to_the_end() {
        let t = table("a,b\n1,2\n3,\"open\n4,5\n");
        assert_eq!(t.records.len(), 2);
        assert_eq!(t.records[1].fields, vec!["3", "open\n4,5\n"]);
        assert_eq!(
            t.records[1].warnings,
            vec![RowWarning {
                line: 3,
                issue: RowIssue::UnclosedQuote
            }]
        );
        assert!(reason(b"\"a,b\n1,2\n").contains("never closed"));
        assert!(reason(b"\"").contains("never closed"));
    }

    #[test]
    fn ragged_rows_are_padded_or_cut() {
        let t = table("a,b,c\n1,2\n1,2,3,4\n1,2,3,,\n");
        assert_eq!(t.records[0].fields, vec!["1", "2", ""]);
        assert_eq!(
            t.records[0].warnings,
            vec![RowWarning {
                line: 2,
                issue: RowIssue::MissingFields {
                    fields: 2,
                    width: 3
                }
            }]
        );
        assert_eq!(t.records[1].fields, vec!["1", "2", "3"]);
        assert_eq!(
            t.records[1].warnings,
            vec![RowWarning {
                line: 3,
                issue: RowIssue::ExtraFields {
                    fields: 4,
                    width: 3
                }
            }]
        );
        assert_eq!(t.records[2].fields, vec!["1", "2", "3"]);
        assert!(t.records[2].warnings.is_empty());
    }

    #[test]
    fn blank_rows_are_skipped_and_headers_kept_as_written() {
        let t = table("\n\nid,,id\n\n1,2,3\n,,\n  \n4,5,6\n");
        assert_eq!(t.header_line, 3);
        assert_eq!(t.headers, vec!["id", "", "id"]);
        assert_eq!(t.records.len(), 2);
        assert_eq!(t.records[0].line, 5);
        assert_eq!(t.records[1].line, 8);
    }

    #[test]
    fn header_only_is_a_table_without_records() {
        let t = table("id,mrr\n");
        assert_eq!(t.headers, vec!["id", "mrr"]);
        assert!(t.records.is_empty());
    }
}
