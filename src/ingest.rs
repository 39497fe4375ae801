//! Reading CRM exports: decoding, splitting, and reading numbers, booleans and dates.
//!
//! Account lists arrive from HubSpot, Salesforce, Pipedrive and Excel in many shapes.
//! This module turns the bytes of such a file into a [`Table`] of trimmed text cells,
//! and offers the cell readers ([`parse_number`], [`parse_bool`], [`parse_date`]) that
//! the rest of the crate uses. The rules below are the whole contract.
//!
//! ## Encoding
//!
//! * A byte-order mark decides: UTF-8 with BOM, UTF-16LE (Excel's "Unicode text"
//!   export) or UTF-16BE.
//! * Without a BOM, a file where a quarter or more of the byte pairs have a zero byte
//!   on the same side (and almost none on the other) is read as UTF-16LE or UTF-16BE.
//! * Every choice here is made on the file's first [`HEAD_BYTES`] bytes, so a file
//!   read in chunks is read exactly like the whole file. A head of plain ASCII decides
//!   nothing: the first other byte makes the file UTF-8 if it starts a valid character,
//!   Windows-1252 otherwise.
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
//!
//! ## Delimiter and records
//!
//! * An Excel `sep=;` first line (also `sep=,`, `sep=<tab>`, `sep=\t`, quoted or not)
//!   sets the delimiter and is skipped; the header is then line 2.
//! * Otherwise the delimiter is sniffed among tab, semicolon and comma on the first 50
//!   records, honouring quotes: the winner is the one where the most records have the
//!   same number of fields as the header, which must have at least two. Ties go to tab,
//!   then semicolon, then comma, so a semicolon file full of decimal commas is not read
//!   as comma-separated. When no delimiter gives two header fields the file is one
//!   column wide: its lines are not split at all (the delimiter is reported as comma).
//! * Quoting follows RFC 4180: a field that starts with `"` (after spaces) may contain
//!   delimiters, line breaks and doubled quotes `""`. A quote in the middle of an
//!   unquoted field is an ordinary character. Line breaks may be CRLF, LF or CR.
//! * Unquoted fields are trimmed; quoted fields keep the spaces inside the quotes.
//!   Header names are trimmed even when quoted. Duplicate or empty header names are
//!   kept as they are.
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
//!
//! ## Missing values
//!
//! These cells mean "no value", in any letter case and with surrounding spaces:
//! empty, `n/a`, `na`, `-`, `--`, `null`, `nan`, `none`, `unknown`, `#n/a`,
//! `(blank)`, `?`.
//!
//! ## Numbers
//!
//! * Accepted around the number: spaces; a sign `+`, `-` or `−`; accounting brackets
//!   `(1,200)` for negatives; a currency symbol (`$ € £ ¥ ₹ ৳ ₩ ₽ ₺ ₪ ₫ ₱ R$ US$ C$ A$
//!   CA$ AU$ NZ$ HK$ S$`) or a three-capital-letter code (`USD`, `BDT`, `CHF`, …)
//!   before or after, with or without a space; a trailing `%`, kept as written
//!   (`12%` is 12). Scientific notation (`1.5e3`) is accepted.
//! * Not accepted: `k`/`M` suffixes (`12k`), which are too ambiguous, and anything
//!   that would overflow.
//! * Thousands may be grouped with `,`, `.`, a space (also no-break and thin spaces) or
//!   an apostrophe (`1'234.50`): the first group has 1–3 digits, the others exactly 3,
//!   and one number uses one kind of grouping. The Indian lakh/crore grouping with
//!   commas is read too (`₹ 1,50,000`, `12,34,567.50`: the last group 3 digits, the
//!   ones before it 2, the first 1–2).
//! * Digits of other scripts are read like ASCII digits: Arabic-Indic (`١٢٣`, with `٫`
//!   and `٬` as decimal and thousands separators), Persian, the Indic scripts
//!   (Devanagari, Bengali, Gurmukhi, Gujarati, Oriya, Tamil, Telugu, Kannada,
//!   Malayalam), Thai, Lao, Tibetan, Myanmar, Khmer, Mongolian and fullwidth (`１２３`).
//! * Which of `.` and `,` is the decimal separator:
//!   - when both appear, the last one (`1,234.56`, `1.234,56`);
//!   - when one appears several times, it groups thousands (`1.234.567`);
//!   - when one appears once, it is the decimal separator (`12,5`, `0.75`, `1234,567`)
//!     — except when it is followed by exactly three digits and preceded by one to
//!     three digits not starting with 0 (`1,234`, `1.234`). Such a number is read
//!     with the column's style: in a decimal-point column `1,234` is 1234 and `1.234`
//!     is 1.234; in a decimal-comma column `1.234` is 1234 and `1,234` is 1.234.
//! * A column's style ([`infer_number_style`]) is decimal-comma when more of its cells
//!   are unmistakably decimal-comma than unmistakably decimal-point, decimal-point in
//!   the opposite case, and follows the file on a tie (including no evidence).
//!
//! ## Booleans
//!
//! True: `yes y true t 1 1.0 x ja oui sí si checked on`.
//! False: `no n false f 0 0.0 nein non unchecked off`.
//! Any letter case, surrounding spaces ignored; missing tokens give no value.
//!
//! ## Dates
//!
//! * Year first: `2024-03-05`, `2024/03/05`, `2024.03.05`, optionally followed by a
//!   time (`2024-03-05T10:00:00Z`, `2024-03-05 10:00`, `2024-03-05 10:00:00+02:00`);
//!   the time is checked, then ignored.
//! * Day and month as numbers: `05/03/2024`, `5/3/2024`, `05.03.2024`, `05-03-2024`,
//!   two-digit years (`05/03/24`; 00–69 are 2000–2069, 70–99 are 1970–1999), with an
//!   optional time (`3/5/2024 14:30`, `3/5/2024 2:30 PM`, `3/5/2024, 2:30 PM`).
//! * English month names: `5 Mar 2024`, `05-Mar-2024`, `March 5, 2024`, `Mar 5 2024`,
//!   `5 March 2024`, optionally with a weekday (`Tue, 5 Mar 2024`) and a time.
//! * Not dates: plain numbers such as `20240305` or Excel serial numbers (`45356`).
//! * The day must exist in its month (29 February only in leap years).
//! * Day/month order for `03/04/2024` is decided for the column from the records in
//!   the file's head ([`HEAD_BYTES`], [`infer_date_order`]): a value whose first number is over 12 votes day-first, one
//!   whose second number is over 12 votes month-first, and the majority wins. Without
//!   votes (or on a tie), a column written mostly with dots (`05.03.2024`) is
//!   day-first; otherwise it is day-first when the file looks European (`;` delimiter
//!   or decimal commas) and month-first otherwise, as in US CRM exports. Each cell is
//!   then read in the column's order; cells that do not make a valid date that way
//!   are errors. Year-first dates are always year-month-day.

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

/// One record of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based physical line (in the decoded text) where the record starts.
    pub line: usize,
    /// Exactly as many cells as the header: short rows padded with "", long rows cut.
    pub fields: Fields,
    /// Record-level problems, such as a wrong number of fields.
    pub warnings: Vec<String>,
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

const BINARY_GENERIC: &str = "this looks like a binary file (an Excel workbook, a PDF or an image?), not a CSV or tab-separated text export; save it as CSV first";
const EMPTY: &str = "the file is empty";
/// Rows looked at when sniffing the delimiter.
const SNIFF_RECORDS: usize = 50;
/// Blank rows after which sniffing gives up looking for more records.
const SNIFF_BLANK_RECORDS: usize = 1000;
/// Bytes (or characters) looked at when deciding whether a file is binary.
const SNIFF_BYTES: usize = 8192;
/// Rows looked at for the file's decimal-comma hint.
const HINT_RECORDS: usize = 1000;

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
    pub fn records(&mut self, mut f: impl FnMut(&Cells, usize, Vec<String>)) {
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
type RecordSink<'a> = dyn FnMut(&Cells, usize, Vec<String>) + 'a;

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
fn fit_record(fields: &mut Cells, raw: &RawRecord, width: usize) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(open) = raw.unclosed {
        warnings.push(format!(
            "line {open}: a quoted field is never closed; read to the end of the file"
        ));
    }
    let n = fields.len();
    if n < width {
        warnings.push(format!(
            "line {} has {n} fields, the header has {width}: missing fields left empty",
            raw.line
        ));
        fields.fit(width);
    } else if n > width {
        if fields.iter().skip(width).any(|f| !f.is_empty()) {
            warnings.push(format!(
                "line {} has {n} fields, the header has {width}: extra fields ignored",
                raw.line
            ));
        }
        fields.fit(width);
    }
    warnings
}

/// Decides how to decode a file from its head (`whole`: the head is the whole file);
/// returns the decoder and the number of byte-order-mark bytes to skip.
fn sniff_encoding(head: &[u8], whole: bool, file: &str) -> Result<(Decoder, usize)> {
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
enum Decoder {
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
    fn utf8(encoding: Encoding) -> Decoder {
        Decoder::Utf8 {
            encoding,
            carry: Vec::new(),
        }
    }

    fn encoding(&self) -> Encoding {
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
    fn refuses_controls(&self, text: &str) -> bool {
        matches!(self, Decoder::Utf16 { .. }) && too_many_controls(text.chars().map(u32::from))
    }

    /// Appends the text of `bytes` to `out`; `eof` flushes whatever was carried.
    fn decode(&mut self, bytes: &[u8], eof: bool, out: &mut String) {
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

/// Reads an Excel `sep=X` first line: the delimiter and the byte offset after the line.
fn sep_directive(text: &str, file: &str) -> Result<Option<(u8, usize)>> {
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
fn sniff(text: &str) -> Option<u8> {
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

fn is_blank(fields: &Cells) -> bool {
    fields.iter().all(str::is_empty)
}

/// Where a record was found, and where its unclosed quote opened, if any.
struct RawRecord {
    line: usize,
    unclosed: Option<usize>,
}

/// An RFC 4180 record splitter over decoded text.
///
/// Every position it stops at is next to an ASCII byte, so slicing is always on a
/// character boundary.
struct Splitter<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    /// `None` for a one-column file: fields end only at line breaks.
    delimiter: Option<u8>,
}

impl<'a> Splitter<'a> {
    fn new(text: &'a str, delimiter: Option<u8>, line: usize) -> Self {
        Splitter {
            text,
            pos: 0,
            line,
            delimiter,
        }
    }

    /// Reads the next record's cells into `out`; `None` at the end of the text.
    fn next_record(&mut self, out: &mut Cells<'a>) -> Option<RawRecord> {
        if self.pos >= self.text.len() {
            return None;
        }
        out.clear(self.text);
        let line = self.line;
        if let Some(d) = self.delimiter {
            if self.plain_record(out, d) {
                return Some(RawRecord {
                    line,
                    unclosed: None,
                });
            }
        }
        self.quoted_record(out)
    }

    /// The record at `pos` when it holds no quote: its cells are pushed to `out`, and
    /// the splitter moves past its line break, exactly as [`Splitter::quoted_record`]
    /// would. False (nothing pushed, nothing moved) for a record with a quote, or one
    /// that reaches the last 8 bytes of the text: the full splitter reads it.
    ///
    /// Most records of most exports quote nothing, and this reads them eight bytes at a
    /// time with one mask of every stop (delimiter, line feed, carriage return, quote)
    /// in the word, taken lowest first: a stop costs a few instructions and a cell no
    /// call, where the full splitter scans each cell from its start. The masks are exact
    /// per byte (see [`byte_mask`]), unlike [`find_stop`]'s, which only its lowest
    /// flag can be trusted.
    #[inline]
    fn plain_record(&mut self, out: &mut Cells<'a>, d: u8) -> bool {
        let bytes = self.text.as_bytes();
        let mut cell = self.pos;
        let mut at = self.pos;
        while let Some(word) = bytes.get(at..at + 8) {
            let v = <[u8; 8]>::try_from(word).map_or(0, u64::from_le_bytes);
            let mut stops =
                byte_mask(v, d) | byte_mask(v, b'\n') | byte_mask(v, b'\r') | byte_mask(v, b'"');
            while stops != 0 {
                let stop = at + (stops.trailing_zeros() / 8) as usize;
                stops &= stops - 1;
                match bytes.get(stop) {
                    Some(&b) if b == d => {
                        out.push_span(trim_span(bytes, cell, stop));
                        cell = stop + 1;
                    }
                    Some(b'\n') => {
                        out.push_span(trim_span(bytes, cell, stop));
                        self.pos = stop + 1;
                        self.line += 1;
                        return true;
                    }
                    Some(b'\r') => {
                        out.push_span(trim_span(bytes, cell, stop));
                        self.pos = stop + 1;
                        if bytes.get(self.pos) == Some(&b'\n') {
                            self.pos += 1;
                        }
                        self.line += 1;
                        return true;
                    }
                    _ => {
                        out.spans.clear();
                        return false;
                    }
                }
            }
            at += 8;
        }
        out.spans.clear();
        false
    }

    /// [`Splitter::next_record`] for any record, quoted fields included.
    fn quoted_record(&mut self, out: &mut Cells<'a>) -> Option<RawRecord> {
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        let mut raw = RawRecord {
            line: self.line,
            unclosed: None,
        };
        loop {
            if let Some(open) = self.field(out) {
                raw.unclosed = Some(open);
            }
            match bytes.get(self.pos) {
                Some(&b) if Some(b) == self.delimiter => self.pos += 1,
                Some(b'\r') => {
                    self.pos += 1;
                    if bytes.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    self.line += 1;
                    return Some(raw);
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    return Some(raw);
                }
                _ => return Some(raw),
            }
        }
    }

    /// End of an unquoted stretch starting at `from`: the next delimiter or line break.
    #[inline]
    fn stretch_end(&self, from: usize) -> usize {
        let bytes = self.text.as_bytes();
        // A line feed already ends the stretch, so it stands in for "no delimiter".
        let d = self.delimiter.unwrap_or(b'\n');
        bytes
            .get(from..)
            .and_then(|rest| find_stop(rest, d))
            .map_or(bytes.len(), |p| from + p)
    }

    /// Counts the line breaks (CRLF, LF or CR) between `from` and `to`.
    fn count_lines(&mut self, from: usize, to: usize) {
        let bytes = self.text.as_bytes();
        let Some(stretch) = bytes.get(from..to) else {
            return;
        };
        for (j, &b) in stretch.iter().enumerate() {
            if b == b'\n' || (b == b'\r' && bytes.get(from + j + 1) != Some(&b'\n')) {
                self.line += 1;
            }
        }
    }

    /// Reads one field into `out`; returns the line of a quote that never closes.
    #[inline]
    fn field(&mut self, out: &mut Cells<'a>) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut i = start;
        while let Some(&b) = bytes.get(i) {
            if b == b' ' || (b == b'\t' && self.delimiter != Some(b'\t')) {
                i += 1;
            } else {
                break;
            }
        }
        if bytes.get(i) != Some(&b'"') {
            let end = self.stretch_end(start);
            self.pos = end;
            out.push_span(trim_span(bytes, start, end));
            return None;
        }

        let open_line = self.line;
        i += 1;
        let from = out.quoted.len();
        loop {
            let Some(quote) = bytes
                .get(i..)
                .and_then(|rest| rest.iter().position(|&b| b == b'"'))
                .map(|p| i + p)
            else {
                self.count_lines(i, bytes.len());
                out.quoted.push_str(self.text.get(i..).unwrap_or(""));
                self.pos = bytes.len();
                out.push_quoted(from);
                return Some(open_line);
            };
            self.count_lines(i, quote);
            out.quoted.push_str(self.text.get(i..quote).unwrap_or(""));
            if bytes.get(quote + 1) == Some(&b'"') {
                out.quoted.push('"');
                i = quote + 2;
            } else {
                i = quote + 1;
                break;
            }
        }
        // Text after the closing quote (`"abc" def`) is kept rather than lost.
        let end = self.stretch_end(i);
        let tail = self.text.get(i..end).unwrap_or("").trim_end();
        out.quoted.push_str(tail);
        self.pos = end;
        out.push_quoted(from);
        None
    }
}

/// `start..end` of `bytes` without the whitespace `str::trim` removes, found without
/// decoding in the usual case (see [`trim`]).
#[inline]
fn trim_span(bytes: &[u8], start: usize, end: usize) -> (usize, usize) {
    let plain = |b: Option<&u8>| b.is_some_and(|b| (0x21..0x7F).contains(b));
    if start >= end || (plain(bytes.get(start)) && plain(bytes.get(end - 1))) {
        return (start, end);
    }
    match bytes
        .get(start..end)
        .and_then(|b| std::str::from_utf8(b).ok())
    {
        Some(cell) => {
            let lead = cell.len() - cell.trim_start().len();
            (start + lead, start + lead + cell.trim().len())
        }
        None => (start, end),
    }
}

/// The cells of one record as [`Splitter`] finds them: spans of the text it splits,
/// or, for a quoted cell (its quotes undone), of a side buffer. One `Cells` serves
/// record after record, so splitting allocates nothing once its buffers have grown,
/// and there is nothing to drop per cell.
#[derive(Debug, Default, Clone)]
pub struct Cells<'a> {
    text: &'a str,
    quoted: String,
    /// Per cell `(start, end)`; a start with [`QUOTED`] set is in `quoted`.
    spans: Vec<(usize, usize)>,
}

/// Marks a span of [`Cells::quoted`] (text is never that long).
const QUOTED: usize = 1 << (usize::BITS - 1);

/// Per cell length below 16, the masks that keep a key's bytes of the cell: a look-up,
/// where computing them takes branches.
const KEY_MASKS: [(u64, u64); 16] = {
    let mut masks = [(0, 0); 16];
    let mut n = 0;
    while n < 16 {
        masks[n] = (keep_bytes(n), keep_bytes(n.saturating_sub(8)));
        n += 1;
    }
    masks
};

/// A mask of a word's first `n` bytes (all of them from 8 on).
const fn keep_bytes(n: usize) -> u64 {
    if n >= 8 {
        u64::MAX
    } else {
        (1 << (8 * n)) - 1
    }
}

/// A cell of at most 15 bytes as two words (see [`Cells::key`]): equal keys are equal
/// texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellKey {
    /// The cell's first 8 bytes, little-endian, zeros past its end.
    pub low: u64,
    /// Its bytes 8 to 14, likewise, and its length in the top byte.
    pub high: u64,
}

impl<'a> Cells<'a> {
    /// No cells, over `text`.
    pub fn new(text: &'a str) -> Self {
        Cells {
            text,
            quoted: String::new(),
            spans: Vec::new(),
        }
    }

    /// The cells of an owned record, as spans of its text.
    pub fn of(fields: &'a Fields) -> Self {
        let mut cells = Cells::new(&fields.text);
        cells.load(fields);
        cells
    }

    /// Replaces the cells by those of `fields` (the buffer is reused).
    pub fn load(&mut self, fields: &'a Fields) {
        self.clear(&fields.text);
        let spans = fields.spans.iter();
        self.spans
            .extend(spans.map(|&(s, e)| (s as usize, e as usize)));
    }

    fn clear(&mut self, text: &'a str) {
        self.text = text;
        self.quoted.clear();
        self.spans.clear();
    }

    #[inline]
    fn push_span(&mut self, (start, end): (usize, usize)) {
        self.spans.push((start, end));
    }

    /// The quoted cell that starts at `from` in `quoted` and ends at its end.
    fn push_quoted(&mut self, from: usize) {
        self.spans.push((from | QUOTED, self.quoted.len()));
    }

    /// The cell in column `c`, if the record has one.
    #[inline]
    pub fn get(&self, c: usize) -> Option<&str> {
        let &(start, end) = self.spans.get(c)?;
        if start & QUOTED == 0 {
            self.text.get(start..end)
        } else {
            self.quoted.get(start & !QUOTED..end)
        }
    }

    /// The cell in column `c`, empty when the record has none.
    #[inline]
    pub fn cell(&self, c: usize) -> &str {
        self.get(c).unwrap_or("")
    }

    /// The cell in column `c` as a look-up key ([`CellKey`]); `None` for a cell longer
    /// than 15 bytes, a quoted cell or a column the record does not have.
    #[inline]
    pub fn key(&self, c: usize) -> Option<CellKey> {
        let &(start, end) = self.spans.get(c)?;
        if start & QUOTED != 0 {
            return None;
        }
        let len = end.checked_sub(start).filter(|&n| n < 16)?;
        let bytes = self.text.as_bytes();
        // Two loads when 16 bytes follow the cell's start in the text (nearly always),
        // the bytes past its end then masked off.
        let words = match bytes.get(start..start + 16) {
            Some(w) => <[u8; 16]>::try_from(w).ok()?,
            None => {
                let mut w = [0; 16];
                w.get_mut(..len)?.copy_from_slice(bytes.get(start..end)?);
                w
            }
        };
        let (low, high) = words.split_at(8);
        let word = |w: &[u8]| w.try_into().ok().map(u64::from_le_bytes);
        Some(CellKey {
            low: word(low)? & KEY_MASKS.get(len)?.0,
            high: word(high)? & KEY_MASKS.get(len)?.1 | (len as u64) << 56,
        })
    }

    /// How many cells the record has.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True for a record without cells.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The cells in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|c| self.cell(c))
    }

    /// Pads with empty cells or cuts to `width` cells.
    fn fit(&mut self, width: usize) {
        self.spans.resize(width, (0, 0));
    }
}

/// The cells of one record, owned: one text and where each cell is in it (a record of
/// the head keeps two buffers, not one string per cell).
#[derive(Debug, Default, Clone)]
pub struct Fields {
    text: String,
    /// Per cell `(start, end)` in `text`.
    spans: Vec<(u32, u32)>,
}

impl Fields {
    /// A copy of `cells`: the stretch of the split text that holds its unquoted cells in
    /// one copy (delimiters and all: a copy per cell cost a fifth of planning a file's
    /// head), then its quoted cells. Text past 4 GiB cannot be kept (the reader never
    /// holds that much): such cells are empty.
    pub fn from_cells(cells: &Cells) -> Self {
        let plain = || cells.spans.iter().filter(|&&(s, _)| s & QUOTED == 0);
        let base = plain().map(|&(s, _)| s).min().unwrap_or(0);
        let top = plain().map(|&(_, e)| e).max().unwrap_or(base);
        let stretch = cells.text.get(base..top).unwrap_or("");
        let mut text = String::with_capacity(stretch.len() + cells.quoted.len());
        text.push_str(stretch);
        let quoted_at = text.len();
        text.push_str(&cells.quoted);
        let spans = cells
            .spans
            .iter()
            .map(|&(s, e)| {
                let span = if s & QUOTED == 0 {
                    span32(s - base, e - base)
                } else {
                    span32((s & !QUOTED) + quoted_at, e + quoted_at)
                };
                span.unwrap_or((0, 0))
            })
            .collect();
        Fields { text, spans }
    }

    /// Adds a cell at the end.
    pub fn push(&mut self, cell: &str) {
        let span = span32(self.text.len(), self.text.len() + cell.len());
        if span.is_some() {
            self.text.push_str(cell);
        }
        self.spans.push(span.unwrap_or((0, 0)));
    }

    /// The cell in column `c`, if the record has one.
    #[inline]
    pub fn get(&self, c: usize) -> Option<&str> {
        let &(start, end) = self.spans.get(c)?;
        self.text.get(start as usize..end as usize)
    }

    /// How many cells the record has.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True for a record without cells.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The cells in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|c| self.get(c).unwrap_or(""))
    }

    /// The cells as strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }
}

/// A span of a [`Fields`] text as kept (`None` past 4 GiB).
fn span32(start: usize, end: usize) -> Option<(u32, u32)> {
    Some((u32::try_from(start).ok()?, u32::try_from(end).ok()?))
}

/// Records are equal when their cells are, however their text is laid out.
impl PartialEq for Fields {
    fn eq(&self, other: &Fields) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Fields {
    fn eq(&self, other: &Vec<S>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl<S: AsRef<str>> FromIterator<S> for Fields {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut fields = Fields::default();
        for cell in iter {
            fields.push(cell.as_ref());
        }
        fields
    }
}

/// The bytes of `v` (eight bytes, first in the lowest) equal to `c`, as 0x80 in each
/// such byte and 0 elsewhere. Exact for every byte: `(x & 0x7F) + 0x7F` sets a byte's high
/// bit for any non-zero low bits without carrying into the next byte, and `| x` adds the
/// high bit itself, so only the zero bytes of `x = v ^ c…c` stay clear.
#[inline]
fn byte_mask(v: u64, c: u8) -> u64 {
    const LOWS: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let x = v ^ (0x0101_0101_0101_0101 * u64::from(c));
    !(((x & LOWS) + LOWS) | x) & !LOWS
}

/// The index of the first `d`, `\n` or `\r` in `hay`.
///
/// Cells are short, so this reads eight bytes at a time as one `u64` (plain integer
/// arithmetic, the same on wasm32) rather than testing byte by byte. For a word `v`,
/// `(v - 0x01…01) & !v & 0x80…80` flags its zero bytes; a borrow can also flag bytes
/// *above* a zero byte, but never below one, so the lowest flag is the first match.
#[inline]
fn find_stop(hay: &[u8], d: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zeros = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let (delimiter, lf, cr) = (
        ONES * u64::from(d),
        ONES * u64::from(b'\n'),
        ONES * u64::from(b'\r'),
    );
    let mut words = hay.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        // A word is always eight bytes; as an array it loads in one instruction, where
        // `copy_from_slice` stays a call in the page's size-optimised engine.
        let v = <[u8; 8]>::try_from(word).map_or(0, u64::from_le_bytes);
        let hits = zeros(v ^ delimiter) | zeros(v ^ lf) | zeros(v ^ cr);
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == d || b == b'\n' || b == b'\r')
        .map(|p| at + p)
}

/// `str::trim`, with a shortcut for the usual cell that has nothing to trim.
///
/// A cell that is empty, or starts and ends with a visible ASCII character, cannot
/// start or end with whitespace (a non-ASCII space would start and end with bytes
/// above 0x7F): it is returned as it is.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    let plain = |b: &u8| (0x21..0x7F).contains(b);
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (None, _) => s,
        (Some(first), Some(last)) if plain(first) && plain(last) => s,
        _ => s.trim(),
    }
}

/// Case-insensitive ASCII `strip_prefix`.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// True for the tokens that mean "no value": "", n/a, N/A, na, NA, -, --, null, NULL,
/// nan, NaN, none, None, unknown, #N/A, (blank), ? — case-insensitive, after trimming.
pub fn is_missing(cell: &str) -> bool {
    const TOKENS: [&str; 12] = [
        "", "n/a", "na", "-", "--", "null", "nan", "none", "unknown", "#n/a", "(blank)", "?",
    ];
    let t = trim(cell);
    // Every token starts with one of these (or is empty): most cells are ruled out by
    // their first byte alone.
    let may_be_token = match t.as_bytes().first() {
        None => true,
        Some(b) => matches!(
            b.to_ascii_lowercase(),
            b'n' | b'-' | b'u' | b'#' | b'(' | b'?'
        ),
    };
    may_be_token && t.len() <= 7 && TOKENS.iter().any(|m| t.eq_ignore_ascii_case(m))
}

/// How the numbers of a column are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NumberStyle {
    /// `,` is the decimal separator and `.` groups thousands (`1.234,56`).
    pub decimal_comma: bool,
}

const NOT_A_NUMBER: &str = "is not a number";
const BAD_GROUPS: &str = "has misplaced thousands separators";
const OUT_OF_RANGE: &str = "is out of range";
const SUFFIX: &str = "uses a k/M suffix; write the number in full";

/// Decides a column's number style from its cells; `file_hint` is [`Table::decimal_comma`].
///
/// Decimal-comma when more cells are unmistakably decimal-comma (`12,5`, `1.234,56`)
/// than unmistakably decimal-point (`12.5`, `1,234.56`), decimal-point in the opposite
/// case, `file_hint` on a tie.
pub fn infer_number_style<'a>(
    cells: impl IntoIterator<Item = &'a str>,
    file_hint: bool,
) -> NumberStyle {
    let mut votes = NumberVotes::default();
    cells.into_iter().for_each(|cell| votes.add(cell));
    votes.style(file_hint)
}

/// [`infer_number_style`]'s count, a cell at a time: a file's head is read once, row
/// by row, for every column (a pass per column went through its memory once each).
#[derive(Debug, Clone, Copy, Default)]
pub struct NumberVotes {
    comma: usize,
    point: usize,
}

impl NumberVotes {
    /// Counts one cell.
    pub fn add(&mut self, cell: &str) {
        match number_evidence(cell) {
            Some(true) => self.comma += 1,
            Some(false) => self.point += 1,
            None => {}
        }
    }

    /// The style the cells counted say; `file_hint` on a tie.
    pub fn style(self, file_hint: bool) -> NumberStyle {
        NumberStyle {
            decimal_comma: match self.comma.cmp(&self.point) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Less => false,
                std::cmp::Ordering::Equal => file_hint,
            },
        }
    }
}

/// What one cell says about the column's style: `Some(true)` decimal comma,
/// `Some(false)` decimal point, `None` nothing.
fn number_evidence(cell: &str) -> Option<bool> {
    if !cell.bytes().any(|b| b == b'.' || b == b',') {
        return None;
    }
    let s = trim(cell);
    if let Some(quick) = quick_evidence(s) {
        return quick;
    }
    if is_missing(s) {
        return None;
    }
    let lexed = lex_number(s).ok()?;
    let decimal = match shape(lexed.mantissa, lexed.exponent.is_some()).ok()? {
        Shape::Ambiguous(_) => return None,
        Shape::Decided(d) => d,
    };
    build_number(&lexed, decimal).ok()?;
    match decimal {
        Some(b',') => Some(true),
        Some(_) => Some(false),
        None if lexed.mantissa.contains(',') => Some(false),
        None if lexed.mantissa.contains('.') => Some(true),
        None => None,
    }
}

/// [`number_evidence`] for the common `-123.45` shape without building a copy;
/// `None` when the cell needs the full reader.
fn quick_evidence(s: &str) -> Option<Option<bool>> {
    let b = s.as_bytes();
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    let sep = digits.iter().position(|&c| c == b'.' || c == b',')?;
    let (before, after) = (digits.get(..sep)?, digits.get(sep + 1..)?);
    let all_digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    if !all_digits(before) || !all_digits(after) {
        return None;
    }
    let ambiguous = after.len() == 3 && before.len() <= 3 && before.first() != Some(&b'0');
    Some((!ambiguous).then_some(digits.get(sep) == Some(&b',')))
}

/// Parses one number. `Ok(None)` = missing token. `Err(reason)` when unreadable.
pub fn parse_number(
    cell: &str,
    style: NumberStyle,
) -> std::result::Result<Option<f64>, &'static str> {
    let s = trim(cell);
    // A plain number is never a missing token: try it first.
    if let Some(v) = fast_number(s, style) {
        return Ok(Some(v));
    }
    if is_missing(s) {
        return Ok(None);
    }
    if let Some(folded) = fold_digits(s) {
        return parse_number(&folded, style);
    }
    let lexed = lex_number(s)?;
    let decimal = match shape(lexed.mantissa, lexed.exponent.is_some())? {
        Shape::Decided(d) => d,
        Shape::Ambiguous(sep) => {
            let grouping = if style.decimal_comma { b'.' } else { b',' };
            (sep != grouping).then_some(sep)
        }
    };
    build_number(&lexed, decimal).map(Some)
}

/// Code points of the digit zero in the scripts whose digits are read as numbers
/// (Arabic-Indic, Persian, Devanagari, Bengali, Gurmukhi, Gujarati, Oriya, Tamil,
/// Telugu, Kannada, Malayalam, Thai, Lao, Tibetan, Myanmar, Khmer, Mongolian, and the
/// fullwidth digits of East Asian spreadsheets); each is followed by 1 to 9.
const DIGIT_ZEROS: [u32; 18] = [
    0x0660, 0x06F0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0E50,
    0x0ED0, 0x0F20, 0x1040, 0x17E0, 0x1810, 0xFF10,
];

/// The cell with other scripts' digits (and the Arabic decimal and thousands
/// separators `٫` `٬`) turned into ASCII; `None` when it has none.
fn fold_digits(s: &str) -> Option<String> {
    let ascii_digit = |c: char| -> Option<char> {
        let u = u32::from(c);
        let zero = DIGIT_ZEROS.iter().find(|&&z| (z..z + 10).contains(&u))?;
        char::from_digit(u - zero, 10)
    };
    if s.is_ascii() || !s.chars().any(|c| ascii_digit(c).is_some()) {
        return None;
    }
    Some(
        s.chars()
            .map(|c| match c {
                '\u{066B}' => '.',
                '\u{066C}' => ',',
                c => ascii_digit(c).unwrap_or(c),
            })
            .collect(),
    )
}

/// The common case, plain `-123` or `45.6`, without building a copy.
#[inline]
fn fast_number(s: &str, style: NumberStyle) -> Option<f64> {
    let b = s.as_bytes();
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    if !digits.first()?.is_ascii_digit() || !digits.last()?.is_ascii_digit() {
        return None;
    }
    // One pass checks the shape and gathers the digits; past 19 digits `m` wraps, but
    // it is only used below for 15 digits or fewer.
    let (mut dot, mut m) = (None, 0u64);
    for (i, &c) in digits.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        } else if c == b'.' && dot.is_none() {
            dot = Some(i);
        } else {
            return None;
        }
    }
    if let Some(p) = dot {
        let ambiguous =
            digits.len() - p - 1 == 3 && (1..=3).contains(&p) && digits.first() != Some(&b'0');
        if ambiguous && style.decimal_comma {
            return None;
        }
    }
    // Up to 15 digits the integer and the power of ten are exact doubles, so one
    // division is correctly rounded: the same value `parse` gives, faster.
    let n_digits = digits.len() - usize::from(dot.is_some());
    if n_digits <= 15 {
        // `m < 10^15` converts exactly through i64 (one instruction, where u64 takes
        // several), and an integer needs no division: dividing by 1 is exact.
        let whole = m as i64 as f64;
        let v = match dot {
            Some(p) => whole / POW10[digits.len() - p - 1],
            None => whole,
        };
        return Some(if b.first() == Some(&b'-') { -v } else { v });
    }
    crate::decimal::parse_f64(s).filter(|v| v.is_finite())
}

/// 10^0 … 10^15, all exact doubles.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A number cell with its sign, currency and percent taken off.
struct Lexed<'a> {
    negative: bool,
    mantissa: &'a str,
    exponent: Option<&'a str>,
}

/// Currency symbols accepted before or after a number; longer ones first.
const CURRENCIES: [&str; 21] = [
    "US$", "CA$", "AU$", "NZ$", "HK$", "R$", "C$", "A$", "S$", "$", "€", "£", "¥", "₹", "৳", "₩",
    "₽", "₺", "₪", "₫", "₱",
];

/// Takes sign, brackets, currency and percent off a trimmed cell.
fn lex_number(s: &str) -> std::result::Result<Lexed<'_>, &'static str> {
    let mut rest = s;
    let mut brackets = false;
    if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        brackets = true;
        rest = inner;
    }
    let (mut sign, mut currency) = (None, false);
    loop {
        rest = rest.trim_start();
        if sign.is_none() {
            if let Some(r) = rest.strip_prefix('-').or_else(|| rest.strip_prefix('−')) {
                sign = Some(true);
                rest = r;
                continue;
            }
            if let Some(r) = rest.strip_prefix('+') {
                sign = Some(false);
                rest = r;
                continue;
            }
        }
        if !currency {
            if let Some(r) = strip_currency_prefix(rest) {
                currency = true;
                rest = r;
                continue;
            }
        }
        break;
    }
    let mut percent = false;
    loop {
        rest = rest.trim_end();
        if !percent {
            if let Some(r) = rest.strip_suffix('%') {
                percent = true;
                rest = r;
                continue;
            }
        }
        if !currency {
            if let Some(r) = strip_currency_suffix(rest) {
                currency = true;
                rest = r;
                continue;
            }
        }
        break;
    }
    if brackets && sign.is_some() {
        return Err(NOT_A_NUMBER);
    }
    let negative = brackets || sign == Some(true);

    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(p) => {
            let m = rest.get(..p).unwrap_or("");
            let e = rest.get(p + 1..).unwrap_or("");
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(NOT_A_NUMBER);
            }
            (m, Some(e))
        }
        None => (rest, None),
    };
    if exponent.is_none() {
        if let Some(before) = rest.strip_suffix(['k', 'K', 'm', 'M']) {
            if before.ends_with(|c: char| c.is_ascii_digit() || c == ' ') {
                return Err(SUFFIX);
            }
        }
    }
    Ok(Lexed {
        negative,
        mantissa,
        exponent,
    })
}

/// Takes a currency symbol or three-capital-letter code off the front of `s`.
fn strip_currency_prefix(s: &str) -> Option<&str> {
    if let Some(r) = CURRENCIES.iter().find_map(|c| s.strip_prefix(c)) {
        return Some(r);
    }
    let b = s.as_bytes();
    match b {
        [a, b2, c, next, ..]
            if [a, b2, c].iter().all(|x| x.is_ascii_uppercase()) && !next.is_ascii_alphabetic() =>
        {
            s.get(3..)
        }
        _ => None,
    }
}

/// Takes a currency symbol or three-capital-letter code off the end of `s`.
fn strip_currency_suffix(s: &str) -> Option<&str> {
    if let Some(r) = CURRENCIES.iter().find_map(|c| s.strip_suffix(c)) {
        return Some(r);
    }
    match s.as_bytes() {
        [.., before, a, b, c]
            if [a, b, c].iter().all(|x| x.is_ascii_uppercase())
                && !before.is_ascii_alphabetic() =>
        {
            s.get(..s.len() - 3)
        }
        _ => None,
    }
}

/// Where the decimal separator of a mantissa is, as far as its text alone tells.
enum Shape {
    /// The decimal separator (`None`: an integer).
    Decided(Option<u8>),
    /// One `.` or `,` followed by exactly three digits: the column's style decides.
    Ambiguous(u8),
}

fn is_space_group(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

fn is_apostrophe_group(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}')
}

/// Decides which of `.` and `,` is the decimal separator, by the rules of the module
/// documentation; the grouping itself is checked later by [`build_number`].
fn shape(mantissa: &str, has_exponent: bool) -> std::result::Result<Shape, &'static str> {
    let (mut dots, mut commas, mut last_dot, mut last_comma) = (0usize, 0usize, 0usize, 0usize);
    let (mut digits, mut other_group) = (0usize, false);
    for (i, c) in mantissa.char_indices() {
        match c {
            '0'..='9' => digits += 1,
            '.' => {
                dots += 1;
                last_dot = i;
            }
            ',' => {
                commas += 1;
                last_comma = i;
            }
            c if is_space_group(c) || is_apostrophe_group(c) => other_group = true,
            _ => return Err(NOT_A_NUMBER),
        }
    }
    if digits == 0 {
        return Err(NOT_A_NUMBER);
    }
    Ok(match (dots, commas) {
        (0, 0) => Shape::Decided(None),
        (d, c) if d > 0 && c > 0 => {
            Shape::Decided(Some(if last_dot > last_comma { b'.' } else { b',' }))
        }
        _ => {
            let (sep, count, pos) = if dots > 0 {
                (b'.', dots, last_dot)
            } else {
                (b',', commas, last_comma)
            };
            if count > 1 {
                Shape::Decided(None)
            } else {
                let before = mantissa.get(..pos).unwrap_or("");
                let after = mantissa.get(pos + 1..).unwrap_or("");
                let ambiguous = !has_exponent
                    && !other_group
                    && after.len() == 3
                    && after.bytes().all(|b| b.is_ascii_digit())
                    && (1..=3).contains(&before.len())
                    && !before.starts_with('0');
                if ambiguous {
                    Shape::Ambiguous(sep)
                } else {
                    Shape::Decided(Some(sep))
                }
            }
        }
    })
}

/// Kind of a grouping character, so one number cannot mix two kinds.
fn group_kind(c: char) -> u8 {
    match c {
        '.' => 0,
        ',' => 1,
        c if is_space_group(c) => 2,
        _ => 3,
    }
}

/// Checks the grouping and turns the number into an `f64`, given its decimal separator.
fn build_number(lexed: &Lexed<'_>, decimal: Option<u8>) -> std::result::Result<f64, &'static str> {
    let exponent = lexed.exponent.unwrap_or("");
    let mut buf = String::with_capacity(lexed.mantissa.len() + exponent.len() + 4);
    if lexed.negative {
        buf.push('-');
    }
    // A leading 0 makes ".5" readable and changes nothing else.
    buf.push('0');
    let (mut kind, mut grouped, mut run, mut in_fraction) = (None, false, 0usize, false);
    // Two groupings are accepted: thousands (1,234,567) and, with commas only, the
    // Indian lakh/crore one (12,34,567: the last group 3 digits, the others 2).
    let (mut thousands, mut lakh) = (true, true);
    for c in lexed.mantissa.chars() {
        if c.is_ascii_digit() {
            buf.push(c);
            run += 1;
            continue;
        }
        if in_fraction {
            return Err(NOT_A_NUMBER);
        }
        if decimal.is_some_and(|d| char::from(d) == c) {
            if grouped && run != 3 {
                return Err(BAD_GROUPS);
            }
            in_fraction = true;
            buf.push('.');
            continue;
        }
        let k = group_kind(c);
        if kind.is_some_and(|prev| prev != k) {
            return Err(BAD_GROUPS);
        }
        kind = Some(k);
        if grouped {
            thousands &= run == 3;
            lakh &= run == 2;
        } else {
            thousands &= (1..=3).contains(&run);
            lakh &= (1..=2).contains(&run);
        }
        lakh &= c == ',';
        if !thousands && !lakh {
            return Err(BAD_GROUPS);
        }
        grouped = true;
        run = 0;
    }
    if grouped && !in_fraction && run != 3 {
        return Err(BAD_GROUPS);
    }
    if let Some(e) = lexed.exponent {
        buf.push('e');
        buf.push_str(e);
    }
    let value = crate::decimal::parse_f64(&buf).ok_or(NOT_A_NUMBER)?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(OUT_OF_RANGE)
    }
}

/// Parses yes/no, true/false, y/n, 1/0, t/f, x (checked) and a few other languages'
/// words. `Ok(None)` = missing.
pub fn parse_bool(cell: &str) -> std::result::Result<Option<bool>, &'static str> {
    const NOT_BOOL: &str = "is not yes/no";
    let t = trim(cell);
    // An ASCII cell (nearly all) is lowered on the stack: `to_lowercase` allocates, once
    // per yes/no cell of every row. For ASCII text both give the same letters. No word
    // below is a missing token, so a word is taken before looking for one.
    let mut lowered = [0u8; 12];
    if let Some(ascii) = lowered.get_mut(..t.len()).filter(|_| t.is_ascii()) {
        ascii.copy_from_slice(t.as_bytes());
        ascii.make_ascii_lowercase();
        return match &*ascii {
            b"yes" | b"y" | b"true" | b"t" | b"1" | b"1.0" | b"x" | b"ja" | b"oui" | b"si"
            | b"checked" | b"on" => Ok(Some(true)),
            b"no" | b"n" | b"false" | b"f" | b"0" | b"0.0" | b"nein" | b"non" | b"unchecked"
            | b"off" => Ok(Some(false)),
            _ if is_missing(t) => Ok(None),
            _ => Err(NOT_BOOL),
        };
    }
    if is_missing(t) {
        return Ok(None);
    }
    if t.len() > 12 {
        return Err(NOT_BOOL);
    }
    match crate::case::lowercase(t).as_str() {
        "yes" | "y" | "true" | "t" | "1" | "1.0" | "x" | "ja" | "oui" | "sí" | "si" | "checked"
        | "on" => Ok(Some(true)),
        "no" | "n" | "false" | "f" | "0" | "0.0" | "nein" | "non" | "unchecked" | "off" => {
            Ok(Some(false))
        }
        _ => Err(NOT_BOOL),
    }
}

/// Day/month order for ambiguous dates like 03/04/2024.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// 03/04/2024 is 3 April.
    DayFirst,
    /// 03/04/2024 is 4 March.
    MonthFirst,
}

const NOT_A_DATE: &str = "is not a date";
const INVALID_DATE: &str = "is not a valid date";

/// The parts of a date cell, before the day/month order is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateShape {
    /// Year, month, day, all known.
    Known(i64, u32, u32),
    /// `a sep b sep year`: which of `a` and `b` is the day depends on the column.
    Numeric { a: u32, b: u32, year: i64, sep: u8 },
}

/// Decides a column's date order from its cells; `day_first_hint` = the file looks European.
///
/// See the module documentation for the rule.
pub fn infer_date_order<'a>(
    cells: impl IntoIterator<Item = &'a str>,
    day_first_hint: bool,
) -> DateOrder {
    let mut votes = DateVotes::default();
    cells.into_iter().for_each(|cell| votes.add(cell));
    votes.order(day_first_hint)
}

/// [`infer_date_order`]'s count, a cell at a time (see [`NumberVotes`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct DateVotes {
    day: usize,
    month: usize,
    dots: usize,
    others: usize,
}

impl DateVotes {
    /// Counts one cell.
    pub fn add(&mut self, cell: &str) {
        let s = trim(cell);
        if is_missing(s) {
            return;
        }
        if let Some(DateShape::Numeric { a, b, sep, .. }) = lex_date(s) {
            self.day += usize::from(a > 12);
            self.month += usize::from(b > 12);
            if sep == b'.' {
                self.dots += 1;
            } else {
                self.others += 1;
            }
        }
    }

    /// The order the cells counted say; `day_first_hint` when they do not decide.
    pub fn order(self, day_first_hint: bool) -> DateOrder {
        if self.day > self.month {
            DateOrder::DayFirst
        } else if self.month > self.day {
            DateOrder::MonthFirst
        } else if self.dots > self.others || day_first_hint {
            DateOrder::DayFirst
        } else {
            DateOrder::MonthFirst
        }
    }
}

/// Parses a date to days since 1970-01-01 (negative before). `Ok(None)` = missing.
pub fn parse_date(cell: &str, order: DateOrder) -> std::result::Result<Option<i64>, &'static str> {
    let s = trim(cell);
    // A plain `2024-03-05` (the usual CRM export) is never a missing token.
    if let Some((y, m, d)) = iso_ymd(s) {
        return if valid_ymd(y, m, d) {
            Ok(Some(days_from_civil(y, m, d)))
        } else {
            Err(INVALID_DATE)
        };
    }
    if is_missing(s) {
        return Ok(None);
    }
    let (y, m, d) = match lex_date(s).ok_or(NOT_A_DATE)? {
        DateShape::Known(y, m, d) => (y, m, d),
        DateShape::Numeric { a, b, year, .. } => match order {
            DateOrder::DayFirst => (year, b, a),
            DateOrder::MonthFirst => (year, a, b),
        },
    };
    if valid_ymd(y, m, d) {
        Ok(Some(days_from_civil(y, m, d)))
    } else {
        Err(INVALID_DATE)
    }
}

/// Year, month and day of exactly `YYYY-MM-DD`, unvalidated: what [`lex_date`] makes
/// of that shape, without its general search.
#[inline]
fn iso_ymd(s: &str) -> Option<(i64, u32, u32)> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *<&[u8; 10]>::try_from(s.as_bytes()).ok()?
    else {
        return None;
    };
    let digit = |c: u8| -> Option<u32> {
        let d = c.wrapping_sub(b'0');
        (d < 10).then_some(u32::from(d))
    };
    let year = ((digit(y0)? * 10 + digit(y1)?) * 10 + digit(y2)?) * 10 + digit(y3)?;
    let month = digit(m0)? * 10 + digit(m1)?;
    let day = digit(d0)? * 10 + digit(d1)?;
    Some((i64::from(year), month, day))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn valid_ymd(y: i64, m: u32, d: u32) -> bool {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// Reads up to `max` ASCII digits at `*i`; `None` if fewer than `min` or more than `max`.
fn take_digits(b: &[u8], i: &mut usize, min: usize, max: usize) -> Option<(u32, usize)> {
    let start = *i;
    let mut value = 0u32;
    while let Some(&c) = b.get(*i) {
        if !c.is_ascii_digit() {
            break;
        }
        if *i - start == max {
            return None;
        }
        value = value * 10 + u32::from(c - b'0');
        *i += 1;
    }
    let n = *i - start;
    (n >= min).then_some((value, n))
}

/// Recognises the date forms of the module documentation, without validating the day.
fn lex_date(s: &str) -> Option<DateShape> {
    let b = s.as_bytes();
    if b.first().is_some_and(u8::is_ascii_digit) {
        if let Some(shape) = lex_numeric_date(s) {
            return Some(shape);
        }
    }
    lex_named_date(s)
}

fn lex_numeric_date(s: &str) -> Option<DateShape> {
    let b = s.as_bytes();
    let mut i = 0;
    let (n1, len1) = take_digits(b, &mut i, 1, 4)?;
    let sep = *b.get(i).filter(|c| matches!(c, b'-' | b'/' | b'.'))?;
    i += 1;
    let (n2, len2) = take_digits(b, &mut i, 1, 2)?;
    if b.get(i) != Some(&sep) {
        return None;
    }
    i += 1;
    let (n3, len3) = take_digits(b, &mut i, 1, 4)?;
    let rest = s.get(i..)?;
    let year_first = len1 == 4;
    let time_ok = match rest.as_bytes().first() {
        None => true,
        Some(b' ') => is_time(rest.trim_start()),
        // Salesforce writes "3/5/2024, 2:30 PM".
        Some(b',') => is_time(rest.get(1..)?.trim_start()),
        Some(b'T') if year_first => is_time(rest.get(1..)?),
        _ => false,
    };
    if !time_ok {
        return None;
    }
    if year_first && len3 <= 2 {
        return Some(DateShape::Known(i64::from(n1), n2, n3));
    }
    if len1 <= 2 && len2 <= 2 && (len3 == 2 || len3 == 4) {
        let year = if len3 == 2 {
            pivot_year(n3)
        } else {
            i64::from(n3)
        };
        return Some(DateShape::Numeric {
            a: n1,
            b: n2,
            year,
            sep,
        });
    }
    None
}

/// Two-digit years: 00–69 are 2000–2069, 70–99 are 1970–1999.
fn pivot_year(yy: u32) -> i64 {
    if yy < 70 {
        2000 + i64::from(yy)
    } else {
        1900 + i64::from(yy)
    }
}

fn lex_named_date(s: &str) -> Option<DateShape> {
    let date_part = match s.find(':') {
        Some(colon) => {
            let before = s.get(..colon)?;
            let start = before.rfind([' ', '\t'])? + 1;
            if !is_time(s.get(start..)?) {
                return None;
            }
            s.get(..start)?.trim_end_matches([' ', '\t', ','])
        }
        None => s,
    };
    let (mut month, mut numbers, mut count) = (None, [(0u32, 0usize); 2], 0usize);
    let tokens = date_part
        .split([' ', '\t', ',', '-', '/', '.'])
        .filter(|t| !t.is_empty());
    for token in tokens {
        if token.bytes().all(|c| c.is_ascii_alphabetic()) {
            if let Some(m) = month_from_name(token) {
                if month.replace(m).is_some() {
                    return None;
                }
            } else if !is_weekday(token) {
                return None;
            }
            continue;
        }
        let digits = ["st", "nd", "rd", "th"]
            .iter()
            .find_map(|suffix| {
                let body = token.get(..token.len().checked_sub(2)?)?;
                let tail = token.get(body.len()..)?;
                tail.eq_ignore_ascii_case(suffix).then_some(body)
            })
            .unwrap_or(token);
        if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let value: u32 = digits.parse().ok()?;
        *numbers.get_mut(count)? = (value, digits.len());
        count += 1;
    }
    let month = month?;
    if count != 2 {
        return None;
    }
    let [(first, first_len), (second, second_len)] = numbers;
    let (day, day_len, year, year_len) = if first_len == 4 && second_len != 4 {
        (second, second_len, first, first_len)
    } else {
        (first, first_len, second, second_len)
    };
    let year = match year_len {
        4 => i64::from(year),
        2 => pivot_year(year),
        _ => return None,
    };
    if day_len > 2 {
        return None;
    }
    Some(DateShape::Known(year, month, day))
}

fn month_from_name(token: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if token.len() < 3 {
        return None;
    }
    let n = MONTHS
        .iter()
        .position(|name| strip_prefix_ci(name, token).is_some())?;
    u32::try_from(n + 1).ok()
}

fn is_weekday(token: &str) -> bool {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    token.len() >= 3
        && DAYS
            .iter()
            .any(|name| strip_prefix_ci(name, token).is_some())
}

/// A time of day after a date: `14:30`, `2:30 PM`, `10:00:00.123Z`, `10:00+02:00`, ...
fn is_time(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    let Some((hour, _)) = take_digits(b, &mut i, 1, 2) else {
        return false;
    };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some((minute, 2)) = take_digits(b, &mut i, 2, 2) else {
        return false;
    };
    let mut second = 0;
    if b.get(i) == Some(&b':') {
        i += 1;
        let Some((s, 2)) = take_digits(b, &mut i, 2, 2) else {
            return false;
        };
        second = s;
        if matches!(b.get(i), Some(b'.' | b',')) {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return false;
            }
        }
    }
    if minute > 59 || second > 60 {
        return false;
    }
    let (mut meridiem, mut zone) = (false, false);
    let mut rest = t.get(i..).unwrap_or("");
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if !meridiem && !zone {
            if let Some(r) = ["am", "pm", "a.m.", "p.m."]
                .iter()
                .find_map(|m| strip_prefix_ci(rest, m))
            {
                meridiem = true;
                rest = r;
                continue;
            }
        }
        if !zone {
            if let Some(r) = ["z", "utc", "gmt"]
                .iter()
                .find_map(|z| strip_prefix_ci(rest, z))
            {
                zone = true;
                rest = r;
                continue;
            }
        }
        if let Some(r) = strip_offset(rest) {
            zone = true;
            rest = r;
            continue;
        }
        return false;
    }
    if meridiem {
        (1..=12).contains(&hour)
    } else {
        hour <= 24
    }
}

/// Takes a `+02:00`, `-0500` or `+2` UTC offset off the front of `s`.
fn strip_offset(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if !matches!(b.first(), Some(b'+' | b'-')) {
        return None;
    }
    let mut i = 1;
    let (_, n) = take_digits(b, &mut i, 1, 4)?;
    if n <= 2 && b.get(i) == Some(&b':') {
        i += 1;
        take_digits(b, &mut i, 2, 2)?;
    }
    s.get(i..)
}

/// Parses strictly `YYYY-MM-DD` (for `--as-of`); `None` if invalid.
pub fn parse_iso_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0, |acc, c| acc * 10 + u32::from(c - b'0')))
    };
    let (y, m, d) = (i64::from(num(0..4)?), num(5..7)?, num(8..10)?);
    valid_ymd(y, m, d).then(|| days_from_civil(y, m, d))
}

/// Days since 1970-01-01 to `YYYY-MM-DD`.
pub fn format_iso_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Largest year magnitude the calendar functions compute exactly; inputs are clamped
/// to it so that no argument can overflow.
const YEAR_LIMIT: i64 = 1_000_000_000_000;

/// (year, month, day) to days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
///
/// Exact for valid dates with years within ±10¹²; other inputs give some number
/// without panicking.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let (m, d) = (i64::from(m.min(1_000)), i64::from(d.min(100_000)));
    let y = y.clamp(-YEAR_LIMIT, YEAR_LIMIT) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to (year, month, day); the inverse of [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days.clamp(-YEAR_LIMIT * 366, YEAR_LIMIT * 366) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // Both are in range by construction (d in 1..=31, m in 1..=12).
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two cells have the same key exactly when they have the same text, wherever they
    /// are in the record (the last cells are read near the text's end, the others with
    /// the bytes after them masked off); long and quoted cells have none.
    #[test]
    fn cell_keys_are_equal_exactly_for_equal_texts() {
        let texts = [
            "",
            "a",
            "a\0",
            "\0",
            "0",
            "00",
            "1",
            "10",
            "2026-05-04",
            "2026-05-14",
            "2026-05-0",
            "12345678",
            "123456789",
            "123456789012345",
            "123456789012346",
            "é",
            "ü1",
            "-2.5",
        ];
        // Every text at the start, in the middle and as the last cell of a record.
        let line = |a: &str, b: &str| format!("{a},x,{b},yyyyyyyyyyyyyyyy,{a}\n");
        let mut keys = Vec::new();
        for (i, a) in texts.iter().enumerate() {
            let text = line(a, texts[(i + 7) % texts.len()]);
            let mut splitter = Splitter::new(&text, Some(b','), 1);
            let mut cells = Cells::new(&text);
            assert!(splitter.next_record(&mut cells).is_some());
            let (first, last) = (cells.key(0).unwrap(), cells.key(4).unwrap());
            assert_eq!(first, last, "{a:?}");
            assert_eq!(cells.key(3), None, "longer than 15 bytes");
            assert_eq!(cells.key(5), None, "no such column");
            keys.push((a, first));
            keys.push((&texts[(i + 7) % texts.len()], cells.key(2).unwrap()));
        }
        for (a, ka) in &keys {
            for (b, kb) in &keys {
                assert_eq!(ka == kb, a == b, "{a:?} {b:?}");
            }
        }
        let text = "\"1\",1\n";
        let mut splitter = Splitter::new(text, Some(b','), 1);
        let mut cells = Cells::new(text);
        assert!(splitter.next_record(&mut cells).is_some());
        assert_eq!(
            (cells.key(0), cells.key(1).map(|k| k.high >> 56)),
            (None, Some(1))
        );
    }

    #[test]
    fn a_record_keeps_its_cells_in_one_text() {
        let text = "a, \"b \"\"q\"\"\" ,  c  ,,\"d\"\n";
        let mut splitter = Splitter::new(text, Some(b','), 1);
        let mut cells = Cells::new(text);
        assert!(splitter.next_record(&mut cells).is_some());
        let got: Vec<&str> = cells.iter().collect();
        assert_eq!(got, ["a", "b \"q\"", "c", "", "d"]);
        assert_eq!(cells.get(5), None);
        assert_eq!(cells.cell(9), "");
        let fields = Fields::from_cells(&cells);
        assert_eq!(fields, vec!["a", "b \"q\"", "c", "", "d"]);
        assert_eq!(fields.get(1), Some("b \"q\""));
        assert_eq!(fields.get(5), None);
        // Equal to the same cells laid out one after another.
        assert_eq!(fields, got.iter().copied().collect::<Fields>());
        assert_ne!(
            fields,
            ["a", "b \"q\"", "c", "", "e"]
                .into_iter()
                .collect::<Fields>()
        );
        let again = Cells::of(&fields);
        assert_eq!(again.iter().collect::<Vec<_>>(), got);
        let mut padded = cells.clone();
        padded.fit(7);
        assert_eq!(padded.len(), 7);
        assert_eq!(padded.cell(6), "");
        padded.fit(2);
        assert_eq!(padded.iter().collect::<Vec<_>>(), ["a", "b \"q\""]);
        let mut built: Fields = ["x", "", "zz"].into_iter().collect();
        built.push("w");
        assert_eq!(built.to_vec(), ["x", "", "zz", "w"]);
        assert!(Fields::default().is_empty() && Cells::default().is_empty());
    }
    use proptest::prelude::*;

    fn table(text: &str) -> Table {
        match read_table(text.as_bytes(), "t.csv") {
            Ok(t) => t,
            Err(e) => panic!("read_table failed: {e}"),
        }
    }

    fn reason(bytes: &[u8]) -> String {
        match read_table(bytes, "t.csv") {
            Ok(t) => panic!("expected an error, got {t:?}"),
            Err(Error::Unusable { reason, .. }) => reason,
            Err(e) => panic!("unexpected error {e}"),
        }
    }

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

    const US: NumberStyle = NumberStyle {
        decimal_comma: false,
    };
    const EU: NumberStyle = NumberStyle {
        decimal_comma: true,
    };

    fn num(cell: &str, style: NumberStyle) -> Option<f64> {
        match parse_number(cell, style) {
            Ok(v) => v,
            Err(e) => panic!("{cell:?}: {e}"),
        }
    }

    // ---- encodings ----

    #[test]
    fn the_fast_number_path_matches_the_standard_parser() {
        // A deterministic spread of shapes: integers, decimals with 1–15 digits, signs,
        // leading zeros; the standard library's correctly rounded parser is the reference.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 1 + (x % 15) as usize;
            let mut s = String::new();
            if x & (1 << 20) != 0 {
                s.push('-');
            }
            let digits = format!("{:015}", x % 1_000_000_000_000_000);
            let body = &digits[15 - len..];
            let dot = (x >> 24) as usize % (len + 1);
            if dot > 0 && dot < len {
                s.push_str(&body[..dot]);
                s.push('.');
                s.push_str(&body[dot..]);
            } else {
                s.push_str(body);
            }
            let expected: f64 = s.parse().unwrap();
            let got = fast_number(&s, NumberStyle::default()).unwrap();
            assert_eq!(got.to_bits(), expected.to_bits(), "{s}");
        }
    }

    /// A deterministic xorshift stream for the fast-path tests.
    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    /// A string of up to `max` characters drawn from `alphabet`.
    fn draw(x: &mut u64, alphabet: &[&str], max: usize) -> String {
        let len = (xorshift(x) % (max as u64 + 1)) as usize;
        (0..len)
            .map(|_| alphabet[(xorshift(x) % alphabet.len() as u64) as usize])
            .collect()
    }

    #[test]
    fn the_fast_number_path_takes_exactly_the_plain_shapes() {
        // Plain shapes (with up to 22 digits, so both the exact and the `parse` branch
        // run) must read as the standard parser reads them; every other cell is left to
        // the general reader. The shape is checked here independently of the code.
        let alphabet = [
            "0", "1", "5", "9", "9", "7", ".", ".", "-", "e", ",", " ", "+",
        ];
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..200_000 {
            let s = draw(&mut x, &alphabet, 22);
            let body = s.strip_prefix('-').unwrap_or(&s);
            let plain = body.starts_with(|c: char| c.is_ascii_digit())
                && body.ends_with(|c: char| c.is_ascii_digit())
                && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && body.bytes().filter(|&b| b == b'.').count() <= 1;
            let ambiguous = body.split_once('.').is_some_and(|(before, after)| {
                after.len() == 3 && (1..=3).contains(&before.len()) && !before.starts_with('0')
            });
            for style in [US, EU] {
                let expected = (plain && !(ambiguous && style.decimal_comma))
                    .then(|| s.parse::<f64>().unwrap())
                    .filter(|v| v.is_finite());
                let got = fast_number(&s, style);
                assert_eq!(got.map(f64::to_bits), expected.map(f64::to_bits), "{s:?}");
            }
        }
    }

    #[test]
    fn finding_a_stop_matches_a_byte_by_byte_search() {
        let alphabet = [
            "a", "1", " ", ",", ";", "\t", "\n", "\r", "\"", "é", "\u{0}", "\u{7f}", "€", "\u{10a}",
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..50_000 {
            let s = draw(&mut x, &alphabet, 40);
            for d in [b',', b';', b'\t', b'\n'] {
                let expected = s.bytes().position(|b| b == d || b == b'\n' || b == b'\r');
                assert_eq!(find_stop(s.as_bytes(), d), expected, "{s:?} {d}");
            }
        }
        // Every byte value, at every offset of a word.
        for b in 0..=255u8 {
            for at in 0..20 {
                let mut hay = vec![b'x'; 24];
                hay[at] = b;
                let stop = matches!(b, b',' | b'\n' | b'\r');
                assert_eq!(find_stop(&hay, b','), stop.then_some(at), "{b} at {at}");
            }
        }
    }

    #[test]
    fn byte_masks_flag_exactly_the_equal_bytes() {
        // Every byte value at every position, against each stop the splitter looks for,
        // next to neighbours that differ by one bit (where borrow tricks misfire).
        for c in [b',', b';', b'\t', b'\n', b'\r', b'"', 0, 0x7F, 0x80, 0xFF] {
            for b in 0..=255u8 {
                for at in 0..8 {
                    let mut word = [c ^ 1; 8];
                    word[at] = b;
                    let expected = word
                        .iter()
                        .enumerate()
                        .map(|(i, &x)| if x == c { 0x80u64 << (8 * i) } else { 0 })
                        .sum::<u64>();
                    assert_eq!(
                        byte_mask(u64::from_le_bytes(word), c),
                        expected,
                        "{c} {b} {at}"
                    );
                }
            }
        }
    }

    /// Every record the splitter finds in `text` (`full`: without the plain-record
    /// path): its cells, line, unclosed quote and the position after it.
    fn records_of(
        text: &str,
        delimiter: Option<u8>,
        full: bool,
    ) -> Vec<(Vec<String>, usize, Option<usize>, usize)> {
        let mut splitter = Splitter::new(text, delimiter, 1);
        let mut cells = Cells::new(text);
        let mut out = Vec::new();
        loop {
            cells.clear(text);
            let record = if full {
                splitter.quoted_record(&mut cells)
            } else {
                splitter.next_record(&mut cells)
            };
            let Some(raw) = record else {
                return out;
            };
            let got = cells.iter().map(str::to_string).collect();
            out.push((got, raw.line, raw.unclosed, splitter.pos));
        }
    }

    #[test]
    fn the_plain_record_path_splits_as_the_full_splitter_does() {
        // Quotes, both line breaks, spaces and tabs, non-ASCII text and empty cells,
        // in records of every length (short ones end within the last word of the text).
        let alphabet = [
            "a", "1", "-", " ", ",", ";", "\t", "\n", "\r", "\r\n", "\"", "é", "€", "\u{a0}", "ab",
            "12.5", ",,", "\n\n",
        ];
        let mut x: u64 = 0x94D0_49BB_1331_11EB;
        for _ in 0..40_000 {
            let text = draw(&mut x, &alphabet, 60);
            for d in [Some(b','), Some(b';'), Some(b'\t'), None] {
                let full = records_of(&text, d, true);
                let fast = records_of(&text, d, false);
                assert_eq!(fast, full, "{text:?} {d:?}");
            }
        }
    }

    #[test]
    fn the_trim_shortcut_matches_str_trim() {
        let alphabet = [
            "a", "1", " ", "\t", "\n", "\r", "\u{a0}", "\u{2009}", "\u{3000}", "é", "~", "\u{7f}",
            "\u{0}", "\u{1f}", "!", "\u{85}",
        ];
        let mut x: u64 = 0xBF58_476D_1CE4_E5B9;
        for _ in 0..100_000 {
            let cell = draw(&mut x, &alphabet, 6);
            assert_eq!(trim(&cell), cell.trim(), "{cell:?}");
        }
    }

    #[test]
    fn missing_tokens_match_the_plain_definition() {
        const TOKENS: [&str; 12] = [
            "", "n/a", "na", "-", "--", "null", "nan", "none", "unknown", "#n/a", "(blank)", "?",
        ];
        let alphabet = [
            "n", "N", "a", "A", "/", "-", "u", "l", "#", "(", "?", " ", "1", "é", "k",
        ];
        let mut x: u64 = 0xD1B5_4A32_D192_ED03;
        let mut cells: Vec<String> = TOKENS
            .iter()
            .map(|t| format!(" {} ", t.to_uppercase()))
            .collect();
        cells.extend((0..200_000).map(|_| draw(&mut x, &alphabet, 9)));
        for cell in &cells {
            let t = cell.trim();
            let expected = TOKENS.iter().any(|m| t.to_lowercase() == *m);
            assert_eq!(is_missing(cell), expected, "{cell:?}");
        }
    }

    #[test]
    fn the_iso_date_path_matches_the_general_reader() {
        let alphabet = ["0", "1", "2", "3", "9", "-", "-", "/", "a", " "];
        let mut x: u64 = 0x94D0_49BB_1331_11EB;
        let mut cells: Vec<String> = (0..200_000).map(|_| draw(&mut x, &alphabet, 11)).collect();
        for days in (-800_000..3_000_000).step_by(7) {
            cells.push(format_iso_date(days));
        }
        for cell in &cells {
            if let Some(ymd) = iso_ymd(cell) {
                assert_eq!(
                    lex_date(cell),
                    Some(DateShape::Known(ymd.0, ymd.1, ymd.2)),
                    "{cell:?}"
                );
                assert!(!is_missing(cell));
            }
            let iso = cell.len() == 10
                && cell.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
            assert_eq!(iso_ymd(cell).is_some(), iso, "{cell:?}");
            if iso {
                let expected = parse_iso_date(cell);
                let got = parse_date(cell, DateOrder::DayFirst);
                assert_eq!(got.ok().flatten(), expected, "{cell:?}");
                assert_eq!(got.is_err(), expected.is_none(), "{cell:?}");
            }
        }
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

    // ---- delimiters ----

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
    fn decimal_comma_hint_from_numbers_in_a_tab_file() {
        let t = table("id\tmrr\n1\t12,5\n2\t0,75\n3\t1.234\n");
        assert!(t.decimal_comma);
        let t = table("id\tmrr\n1\t12.5\n2\t0.75\n3\t1,234\n");
        assert!(!t.decimal_comma);
        // Only ambiguous numbers: no evidence.
        let t = table("id\tmrr\n1\t1,234\n2\t5.678\n");
        assert!(!t.decimal_comma);
    }

    // ---- records ----

    #[test]
    fn rfc4180_quoting_and_line_numbers() {
        let text = "id,note,mrr\r\n1,\"a, b\",5\r\n2,\"say \"\"hi\"\"\",6\r\n3,\"two\r\nlines\nthree\",7\r\n4,x,8\r\n";
        let t = table(text);
        assert_eq!(t.records.len(), 4);
        assert_eq!(t.records[0].fields, vec!["1", "a, b", "5"]);
        assert_eq!(t.records[1].fields, vec!["2", "say \"hi\"", "6"]);
        assert_eq!(t.records[2].fields, vec!["3", "two\r\nlines\nthree", "7"]);
        assert_eq!(t.records[2].line, 4);
        assert_eq!(t.records[3].line, 7);
    }

    #[test]
    fn lone_cr_line_endings() {
        let t = table("a,b\r1,2\r3,4\r");
        assert_eq!(t.records.len(), 2);
        assert_eq!(t.records[1].fields, vec!["3", "4"]);
        assert_eq!(t.records[1].line, 3);
    }

    #[test]
    fn trimming_rules() {
        let t = table(" a , \" b \" \n  x  ,  \"  y  \"  \n");
        assert_eq!(t.headers, vec!["a", "b"]);
        assert_eq!(t.records[0].fields, vec!["x", "  y  "]);
    }

    #[test]
    fn quote_inside_an_unquoted_field_is_literal() {
        let t = table("a,b\n5'10\",ab\"c\n");
        assert_eq!(t.records[0].fields, vec!["5'10\"", "ab\"c"]);
        let t = table("a,b\n\"abc\" def,2\n");
        assert_eq!(t.records[0].fields, vec!["abc def", "2"]);
    }

    #[test]
    fn unterminated_quote_reads_to_the_end() {
        let t = table("a,b\n1,2\n3,\"open\n4,5\n");
        assert_eq!(t.records.len(), 2);
        assert_eq!(t.records[1].fields, vec!["3", "open\n4,5\n"]);
        assert_eq!(
            t.records[1].warnings,
            vec!["line 3: a quoted field is never closed; read to the end of the file"]
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
            vec!["line 2 has 2 fields, the header has 3: missing fields left empty"]
        );
        assert_eq!(t.records[1].fields, vec!["1", "2", "3"]);
        assert_eq!(
            t.records[1].warnings,
            vec!["line 3 has 4 fields, the header has 3: extra fields ignored"]
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

    #[test]
    fn many_columns_and_a_huge_field() {
        let header: Vec<String> = (0..10_000).map(|i| format!("c{i}")).collect();
        let text = format!("{}\n{}\n", header.join(","), "1,".repeat(9_999) + "1");
        let t = table(&text);
        assert_eq!(t.headers.len(), 10_000);
        assert_eq!(t.records[0].fields.len(), 10_000);
        let big = "x".repeat(1 << 20);
        let t = table(&format!("a,b\n\"{big}\",2\n"));
        assert_eq!(t.records[0].fields.get(0).map(str::len), Some(1 << 20));
    }

    // ---- missing ----

    #[test]
    fn missing_tokens() {
        for m in [
            "", " ", "n/a", "N/A", "na", "NA", "-", "--", "null", "NULL", "nan", "NaN", "none",
            "None", "unknown", "UNKNOWN", "#N/A", "(blank)", "?", "  n/a  ",
        ] {
            assert!(is_missing(m), "{m:?}");
        }
        for m in ["0", "no", "nil", "---", "n/a/", "nana", "x"] {
            assert!(!is_missing(m), "{m:?}");
        }
    }

    // ---- numbers ----

    #[test]
    fn plain_and_signed_numbers() {
        assert_eq!(num("42", US), Some(42.0));
        assert_eq!(num("  -7.25 ", US), Some(-7.25));
        assert_eq!(num("+3", US), Some(3.0));
        assert_eq!(num("−12", US), Some(-12.0));
        assert_eq!(num("(1,200)", US), Some(-1200.0));
        assert_eq!(num(".5", US), Some(0.5));
        assert_eq!(num("1.5e3", US), Some(1500.0));
        assert_eq!(num("2E-2", US), Some(0.02));
        assert_eq!(num("n/a", US), None);
        assert_eq!(num("NaN", US), None);
    }

    #[test]
    fn currencies_and_percent() {
        assert_eq!(num("$12,500", US), Some(12500.0));
        assert_eq!(num("BDT 50,000", US), Some(50000.0));
        assert_eq!(num("€ 1.200,00", EU), Some(1200.0));
        assert_eq!(num("€ 1.200,00", US), Some(1200.0));
        assert_eq!(num("1.200,00 €", US), Some(1200.0));
        assert_eq!(num("12 500 EUR", US), Some(12500.0));
        assert_eq!(num("R$ 1.234,56", US), Some(1234.56));
        assert_eq!(num("-$5", US), Some(-5.0));
        assert_eq!(num("$-5", US), Some(-5.0));
        assert_eq!(num("(€1.000,50)", EU), Some(-1000.5));
        assert_eq!(num("CHF1'234.50", US), Some(1234.5));
        assert_eq!(num("৳ 500", US), Some(500.0));
        assert_eq!(num("12%", US), Some(12.0));
        assert_eq!(num("-4,5 %", US), Some(-4.5));
    }

    #[test]
    fn grouping_characters() {
        assert_eq!(num("1 234 567", US), Some(1234567.0));
        assert_eq!(num("1\u{a0}234,5", EU), Some(1234.5));
        assert_eq!(num("1\u{202f}234", US), Some(1234.0));
        assert_eq!(num("1'234.50", US), Some(1234.5));
        assert_eq!(num("1,234,567", US), Some(1234567.0));
        assert_eq!(num("1.234.567", US), Some(1234567.0));
        assert_eq!(num("1,234,567.89", EU), Some(1234567.89));
        assert_eq!(num("1.234.567,89", US), Some(1234567.89));
    }

    #[test]
    fn the_ambiguous_single_separator() {
        assert_eq!(num("1,234", US), Some(1234.0));
        assert_eq!(num("1.234", US), Some(1.234));
        assert_eq!(num("1.234", EU), Some(1234.0));
        assert_eq!(num("1,234", EU), Some(1.234));
        assert_eq!(num("-1.234", EU), Some(-1234.0));
        // Not ambiguous: other than three digits after, a leading zero, or 4+ before.
        assert_eq!(num("1,5", US), Some(1.5));
        assert_eq!(num("12.75", EU), Some(12.75));
        assert_eq!(num("0,750", US), Some(0.75));
        assert_eq!(num("1234,567", US), Some(1234.567));
        assert_eq!(num("1 234,567", US), Some(1234.567));
    }

    #[test]
    fn unreadable_numbers() {
        assert_eq!(parse_number("abc", US), Err("is not a number"));
        assert_eq!(parse_number("12k", US), Err(SUFFIX));
        assert_eq!(parse_number("1.5M", US), Err(SUFFIX));
        assert_eq!(parse_number("12,3,456", US), Err(BAD_GROUPS));
        assert_eq!(parse_number("1,2.5", US), Err(BAD_GROUPS));
        assert_eq!(parse_number("1.234,5,6", US), Err("is not a number"));
        assert_eq!(parse_number("1 234.567,8", US), Err(BAD_GROUPS));
        assert_eq!(parse_number("1e999", US), Err("is out of range"));
        assert_eq!(parse_number(&"9".repeat(400), US), Err("is out of range"));
        assert_eq!(parse_number("inf", US), Err("is not a number"));
        assert_eq!(parse_number("INF", US), Err("is not a number"));
        assert_eq!(parse_number("(-5)", US), Err("is not a number"));
        assert_eq!(parse_number("--5", US), Err("is not a number"));
        assert_eq!(parse_number("$", US), Err("is not a number"));
        assert_eq!(parse_number("1e", US), Err("is not a number"));
        assert_eq!(parse_number("5 eur", US), Err("is not a number"));
    }

    #[test]
    fn indian_grouping_and_other_scripts_digits() {
        assert_eq!(num("1,50,000", US), Some(150_000.0));
        assert_eq!(num("₹ 1,00,00,000", US), Some(10_000_000.0));
        assert_eq!(num("12,34,567.50", US), Some(1_234_567.5));
        assert_eq!(num("BDT 12,34,567", EU), Some(1_234_567.0));
        // Neither grouping: refused as before.
        assert_eq!(parse_number("1,234,56,789", US), Err(BAD_GROUPS));
        assert_eq!(parse_number("123,45,678", US), Err(BAD_GROUPS));
        assert_eq!(parse_number("1.50.000", US), Err(BAD_GROUPS));
        assert_eq!(parse_number("1,50,00", US), Err(BAD_GROUPS));
        // Arabic-Indic with its own separators, Persian, Bengali, Devanagari, fullwidth.
        assert_eq!(num("١٢٣", US), Some(123.0));
        assert_eq!(num("١٬٢٣٤٫٥", US), Some(1234.5));
        assert_eq!(num("۴۵", US), Some(45.0));
        assert_eq!(num("৳ ৫০০", US), Some(500.0));
        assert_eq!(num("-९.५", US), Some(-9.5));
        assert_eq!(num("１２３", US), Some(123.0));
        assert_eq!(parse_number("١٢x", US), Err("is not a number"));
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

    #[test]
    fn blank_lines_before_the_header_do_not_stop_sniffing() {
        let text = format!("{}id;mrr\n1;2,5\n", "\n".repeat(5000));
        let t = table(&text);
        assert_eq!(t.delimiter, b';');
        assert_eq!(t.header_line, 5001);
        assert_eq!(t.records[0].fields, vec!["1", "2,5"]);
    }

    #[test]
    fn number_style_inference() {
        assert_eq!(
            infer_number_style(["12,5", "1.234,56", "3", "0,75", "1.5"], false),
            EU
        );
        assert_eq!(infer_number_style(["12.5", "1,234.56", "7"], true), US);
        // Only ambiguous or integer cells: the file decides.
        assert_eq!(infer_number_style(["1,234", "5", "n/a"], true), EU);
        assert_eq!(infer_number_style(["1.234", "5"], false), US);
        // Groups of several separators count too: 1.234.567 is decimal-comma style.
        assert_eq!(infer_number_style(["1.234.567"], false), EU);
        // Dates and versions are no evidence.
        assert_eq!(infer_number_style(["05.03.2024", "1.2.3"], false), US);
    }

    // ---- booleans ----

    #[test]
    fn booleans() {
        for t in [
            "yes", "Y", "TRUE", "t", "1", "1.0", "x", "X", "ja", "Oui", "sí", "SÍ", "si",
            "checked", "ON", " yes ",
        ] {
            assert_eq!(parse_bool(t), Ok(Some(true)), "{t:?}");
        }
        for f in [
            "no",
            "N",
            "False",
            "f",
            "0",
            "0.0",
            "nein",
            "NON",
            "unchecked",
            "off",
        ] {
            assert_eq!(parse_bool(f), Ok(Some(false)), "{f:?}");
        }
        for m in ["", "n/a", "-", "None"] {
            assert_eq!(parse_bool(m), Ok(None), "{m:?}");
        }
        assert_eq!(parse_bool("maybe"), Err("is not yes/no"));
        assert_eq!(parse_bool("2"), Err("is not yes/no"));
        assert_eq!(parse_bool(&"y".repeat(1000)), Err("is not yes/no"));
    }

    #[test]
    fn booleans_read_as_the_lowercasing_reference_reads_them() {
        // The reader as it was before its ASCII path: every cell through to_lowercase.
        fn reference(cell: &str) -> std::result::Result<Option<bool>, &'static str> {
            let t = cell.trim();
            if is_missing(t) {
                return Ok(None);
            }
            if t.len() > 12 {
                return Err("is not yes/no");
            }
            match t.to_lowercase().as_str() {
                "yes" | "y" | "true" | "t" | "1" | "1.0" | "x" | "ja" | "oui" | "sí" | "si"
                | "checked" | "on" => Ok(Some(true)),
                "no" | "n" | "false" | "f" | "0" | "0.0" | "nein" | "non" | "unchecked" | "off" => {
                    Ok(Some(false))
                }
                _ => Err("is not yes/no"),
            }
        }
        let pieces = [
            "y", "E", "s", "N", "o", "T", "rue", "F", "alse", "1", ".", "0", "x", "J", "a", "OU",
            "i", "S", "Í", "í", "\u{212a}", "İ", "CHECKED", "un", "O", "n", "ff", " ", "-", "/",
        ];
        let mut rng = crate::model::tests::Rng::new(0x5eed_0012);
        for _ in 0..100_000 {
            let cell: String = (0..rng.next() % 5)
                .map(|_| pieces[(rng.next() % pieces.len() as u64) as usize])
                .collect();
            assert_eq!(parse_bool(&cell), reference(&cell), "{cell:?}");
        }
    }

    // ---- dates ----

    // 2024-03-05 is 19787 days after 1970-01-01: 54 years with 13 leap days
    // (1972..=2020) is 19723, plus 31 + 29 + 4 days into 2024.
    const MAR_5_2024: i64 = 19_787;

    fn date(cell: &str, order: DateOrder) -> Option<i64> {
        match parse_date(cell, order) {
            Ok(v) => v,
            Err(e) => panic!("{cell:?}: {e}"),
        }
    }

    #[test]
    fn civil_conversions() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2024, 3, 5), MAR_5_2024);
        assert_eq!(civil_from_days(MAR_5_2024), (2024, 3, 5));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(format_iso_date(MAR_5_2024), "2024-03-05");
        assert_eq!(format_iso_date(0), "1970-01-01");
        assert_eq!(parse_iso_date("2024-03-05"), Some(MAR_5_2024));
        assert_eq!(parse_iso_date("2024-02-29"), Some(MAR_5_2024 - 5));
        assert_eq!(parse_iso_date("2023-02-29"), None);
        assert_eq!(parse_iso_date("2024-3-05"), None);
        assert_eq!(parse_iso_date(" 2024-03-05"), None);
        assert_eq!(parse_iso_date("2024-13-01"), None);
        assert_eq!(parse_iso_date("2024-03-0é"), None);
        // Extreme arguments do not panic.
        let _ = days_from_civil(i64::MAX, u32::MAX, u32::MAX);
        let _ = days_from_civil(i64::MIN, 0, 0);
        let _ = civil_from_days(i64::MAX);
        let _ = civil_from_days(i64::MIN);
        let _ = format_iso_date(i64::MIN);
    }

    #[test]
    fn year_first_dates_and_times() {
        use DateOrder::*;
        for cell in [
            "2024-03-05",
            "2024/03/05",
            "2024.3.5",
            "2024-03-05T10:00:00Z",
            "2024-03-05T10:00:00.123+02:00",
            "2024-03-05 10:00",
            "2024-03-05 10:00:00+02:00",
            "2024-03-05 00:00:00 UTC",
            " 2024-03-05 ",
        ] {
            assert_eq!(date(cell, DayFirst), Some(MAR_5_2024), "{cell:?}");
            assert_eq!(date(cell, MonthFirst), Some(MAR_5_2024), "{cell:?}");
        }
    }

    #[test]
    fn day_month_forms() {
        use DateOrder::*;
        for cell in [
            "05/03/2024",
            "5/3/2024",
            "05.03.2024",
            "05-03-2024",
            "05/03/24",
        ] {
            assert_eq!(date(cell, DayFirst), Some(MAR_5_2024), "{cell:?}");
        }
        for cell in [
            "3/5/2024",
            "03/05/2024 14:30",
            "3/5/2024 2:30 PM",
            "3/5/24 2:30pm",
            "3/5/2024, 2:30 PM",
        ] {
            assert_eq!(date(cell, MonthFirst), Some(MAR_5_2024), "{cell:?}");
        }
        // Two-digit year pivot.
        assert_eq!(date("01/01/70", DayFirst), Some(0));
        assert_eq!(
            date("01/01/69", DayFirst),
            Some(days_from_civil(2069, 1, 1))
        );
    }

    #[test]
    fn month_names() {
        use DateOrder::*;
        for cell in [
            "5 Mar 2024",
            "05-Mar-2024",
            "5-mar-24",
            "March 5, 2024",
            "Mar 5 2024",
            "5 March 2024",
            "Tue, 5 Mar 2024",
            "Sept 5 2024",
            "March 5th, 2024",
            "March 5, 2024 2:30 PM",
            "5 Mar 2024 14:30:00",
            "2024 Mar 5",
        ] {
            let want = if cell.starts_with("Sept") {
                days_from_civil(2024, 9, 5)
            } else {
                MAR_5_2024
            };
            assert_eq!(date(cell, MonthFirst), Some(want), "{cell:?}");
        }
    }

    #[test]
    fn bad_dates() {
        use DateOrder::*;
        assert_eq!(parse_date("20240305", DayFirst), Err("is not a date"));
        assert_eq!(parse_date("45356", DayFirst), Err("is not a date"));
        assert_eq!(parse_date("hello", DayFirst), Err("is not a date"));
        assert_eq!(
            parse_date("2024-03-05 hello", DayFirst),
            Err("is not a date")
        );
        assert_eq!(
            parse_date("2024-03-05 25:00", DayFirst),
            Err("is not a date")
        );
        assert_eq!(
            parse_date("3/5/2024 13:00 PM", DayFirst),
            Err("is not a date")
        );
        assert_eq!(parse_date("5/3", DayFirst), Err("is not a date"));
        assert_eq!(parse_date("5/3-2024", DayFirst), Err("is not a date"));
        assert_eq!(parse_date("Mar 2024", DayFirst), Err("is not a date"));
        assert_eq!(
            parse_date("2023-02-29", DayFirst),
            Err("is not a valid date")
        );
        assert_eq!(
            parse_date("31/04/2024", DayFirst),
            Err("is not a valid date")
        );
        assert_eq!(
            parse_date("13/05/2024", MonthFirst),
            Err("is not a valid date")
        );
        assert_eq!(
            parse_date("30 Feb 2024", DayFirst),
            Err("is not a valid date")
        );
        assert_eq!(parse_date("29/02/2024", DayFirst), Ok(Some(MAR_5_2024 - 5)));
        assert_eq!(parse_date("n/a", DayFirst), Ok(None));
    }

    #[test]
    fn date_order_inference() {
        use DateOrder::*;
        assert_eq!(
            infer_date_order(["03/04/2024", "25/12/2024"], false),
            DayFirst
        );
        assert_eq!(
            infer_date_order(["03/04/2024", "12/25/2024"], true),
            MonthFirst
        );
        // Both kinds of evidence: the majority wins.
        assert_eq!(
            infer_date_order(["13/01/2024", "14/01/2024", "01/13/2024"], false),
            DayFirst
        );
        assert_eq!(
            infer_date_order(["13/01/2024", "01/13/2024", "01/14/2024"], true),
            MonthFirst
        );
        // No evidence: dots are day-first, otherwise the file hint.
        assert_eq!(infer_date_order(["03.04.2024", "n/a"], false), DayFirst);
        assert_eq!(infer_date_order(["03/04/2024"], false), MonthFirst);
        assert_eq!(infer_date_order(["03/04/2024"], true), DayFirst);
        // Year-first dates carry no evidence.
        assert_eq!(infer_date_order(["2024-12-25"], false), MonthFirst);
    }

    // ---- properties ----

    fn quote(cell: &str) -> String {
        format!("\"{}\"", cell.replace('"', "\"\""))
    }

    fn group(int: u64, sep: char) -> String {
        let digits = int.to_string();
        let mut out = String::new();
        let mut left = digits.len();
        for c in digits.chars() {
            out.push(c);
            left -= 1;
            if left > 0 && left / 3 * 3 == left {
                out.push(sep);
            }
        }
        out
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

        #[test]
        fn grouped_numbers_parse_back_in_either_locale(
            int in 0u64..10_000_000_000,
            cents in 0u64..100,
            negative in any::<bool>(),
        ) {
            let sign = if negative { "-" } else { "" };
            let want = (int as f64 + cents as f64 / 100.0) * if negative { -1.0 } else { 1.0 };
            let us = format!("{sign}{}.{cents:02}", group(int, ','));
            let eu = format!("{sign}{},{cents:02}", group(int, '.'));
            let swiss = format!("{sign}{}.{cents:02}", group(int, '\''));
            prop_assert_eq!(parse_number(&us, US), Ok(Some(want)));
            prop_assert_eq!(parse_number(&eu, EU), Ok(Some(want)));
            prop_assert_eq!(parse_number(&swiss, US), Ok(Some(want)));
            // Integers with grouping only, read in their own locale.
            let whole = if negative { -(int as f64) } else { int as f64 };
            prop_assert_eq!(parse_number(&format!("{sign}{}", group(int, ',')), US), Ok(Some(whole)));
            prop_assert_eq!(parse_number(&format!("{sign}{}", group(int, '.')), EU), Ok(Some(whole)));
            prop_assert_eq!(parse_number(&format!("{sign}{}", group(int, ' ')), EU), Ok(Some(whole)));
        }

        #[test]
        fn indian_grouped_numbers_parse_back(int in 0u64..100_000_000_000, cents in 0u64..100) {
            // Lakh/crore grouping by its definition: the last three digits, then pairs.
            let digits = int.to_string();
            let split = digits.len().saturating_sub(3);
            let (head, tail) = digits.split_at(split);
            let mut pairs: Vec<String> = Vec::new();
            let mut rest = head;
            while rest.len() > 2 {
                let (h, t) = rest.split_at(rest.len() - 2);
                pairs.insert(0, t.to_string());
                rest = h;
            }
            if !rest.is_empty() {
                pairs.insert(0, rest.to_string());
            }
            pairs.push(tail.to_string());
            let text = format!("₹ {}.{cents:02}", pairs.join(","));
            let want = int as f64 + cents as f64 / 100.0;
            prop_assert_eq!(parse_number(&text, US), Ok(Some(want)));
            prop_assert_eq!(parse_number(&text, EU), Ok(Some(want)));
        }

        #[test]
        fn other_scripts_digits_read_like_ascii(
            cell in "-?[0-9]{1,9}(\\.[0-9]{1,4})?",
            zero in proptest::sample::select(DIGIT_ZEROS.to_vec()),
        ) {
            let shifted: String = cell
                .chars()
                .map(|c| match c.to_digit(10) {
                    Some(d) => char::from_u32(zero + d).unwrap_or(c),
                    None => c,
                })
                .collect();
            prop_assert_eq!(parse_number(&shifted, US), parse_number(&cell, US));
        }

        #[test]
        fn civil_round_trip(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
            prop_assert!(valid_ymd(y, m, d));
            if (0..=9999).contains(&y) {
                prop_assert_eq!(parse_iso_date(&format_iso_date(days)), Some(days));
            }
        }

        #[test]
        fn numeric_dates_read_in_both_orders(days in 0i64..40_000) {
            let (y, m, d) = civil_from_days(days);
            let dmy = format!("{d:02}/{m:02}/{y}");
            let mdy = format!("{m}-{d}-{y}");
            prop_assert_eq!(parse_date(&dmy, DateOrder::DayFirst), Ok(Some(days)));
            prop_assert_eq!(parse_date(&mdy, DateOrder::MonthFirst), Ok(Some(days)));
            prop_assert_eq!(parse_date(&format_iso_date(days), DateOrder::MonthFirst), Ok(Some(days)));
        }
    }
}
