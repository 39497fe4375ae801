//! Any bytes through the streaming reader alone (`ingest::Reader`: decoding, `sep=`
//! line, delimiter sniffing, RFC 4180 splitting, fitting records to the header), fed
//! in chunks whose sizes come from the input. Invariants, from the `ingest` module's
//! contract ("a file read in chunks of any size is read exactly like the whole file"):
//!
//! * chunked reading gives exactly what `ingest::read_table` gives (table or error);
//! * every record is as wide as the header, lines increase, header names are trimmed,
//!   the delimiter is `,` `;` or tab, and a `;` file is decimal-comma;
//! * a later part of the file, read by a reader that has read the head before it
//!   (`Reader::resume_mid_file`, what parallel reading does), gives the same records
//!   whether pushed whole or in chunks, and, cut where the whole file has a record
//!   and read with the head's encoding, delimiter and header, the whole file's records
//!   (lines and warnings counted from the file's start).
//!
//! The head is `ingest::HEAD_BYTES` (4 MB) in real use: here a small head stands for it,
//! ended by `Reader::finish` and opened again with `Reader::reopen`, so that the
//! streaming code after the head runs thousands of times a second.
#![no_main]

use churn_audit::ingest::{self, Cells, Reader, RowWarning, Table};
use churn_audit::Error;
use libfuzzer_sys::fuzz_target;

const FILE: &str = "fuzz.csv";

/// One record as a reader hands it out.
#[derive(Debug, PartialEq)]
struct Rec {
    line: usize,
    cells: Vec<String>,
    warnings: Vec<RowWarning>,
}

impl Rec {
    fn new(cells: &Cells, line: usize, warnings: Vec<RowWarning>) -> Rec {
        Rec {
            line,
            cells: cells.iter().map(str::to_string).collect(),
            warnings,
        }
    }
}

/// Where to cut, from a small generator seeded by the input: up to 32 cuts anywhere,
/// half the time each with a second one a byte after it (one-byte chunks: characters,
/// CRLFs and doubled quotes cut in two). At most 64 chunks, because the reader looks
/// again from the start of a record that a chunk leaves unfinished.
struct Cuts(u64);

impl Cuts {
    fn new(data: &[u8]) -> Cuts {
        // FNV-1a: a small change of the input gives other cuts.
        let seed = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Cuts(seed | 1)
    }

    fn next(&mut self) -> u64 {
        // xorshift64
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (> 0).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn chunks<'a>(&mut self, bytes: &'a [u8]) -> Vec<&'a [u8]> {
        let len = bytes.len();
        let mut at = vec![0, len];
        let pairs = self.next().is_multiple_of(2);
        for _ in 0..=self.below(32) {
            let cut = self.below(len + 1);
            at.push(cut);
            if pairs {
                at.push((cut + 1).min(len));
            }
        }
        at.sort_unstable();
        at.dedup();
        at.windows(2).map(|w| &bytes[w[0]..w[1]]).collect()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut cuts = Cuts::new(data);
    let whole = ingest::read_table(data, FILE);
    assert_eq!(read_chunked(&cuts.chunks(data)), whole);
    let Ok(whole) = whole else {
        return;
    };
    check_table(&whole, data.len());
    if whole.records.is_empty() {
        return;
    }
    // Cut where a record of the whole file starts.
    let line = whole.records[cuts.below(whole.records.len())].line;
    if let Some(cut) = line_start(data, line) {
        check_part(data, cut, line, &whole, &mut cuts);
    }
});

/// `read_table` as a streaming caller does it: push, take what is ready, finish.
fn read_chunked(chunks: &[&[u8]]) -> Result<Table, Error> {
    let mut reader = Reader::new(FILE);
    let mut head = None;
    let mut later = Vec::new();
    for chunk in chunks {
        reader.push(chunk)?;
        head = head.or_else(|| reader.take_head());
        reader.records(|cells, line, warnings| later.push(Rec::new(cells, line, warnings)));
    }
    reader.finish()?;
    head = head.or_else(|| reader.take_head());
    reader.records(|cells, line, warnings| later.push(Rec::new(cells, line, warnings)));
    let mut table = head.expect("a finished reader has its head");
    assert!(later.is_empty(), "a file under HEAD_BYTES is all head");
    table.encoding = reader.encoding();
    Ok(table)
}

fn check_table(table: &Table, len: usize) {
    assert!(table.header_line >= 1);
    assert!(matches!(table.delimiter, b',' | b';' | b'\t'));
    assert!(table.delimiter != b';' || table.decimal_comma);
    for h in &table.headers {
        assert_eq!(h.trim(), h, "header names are trimmed");
    }
    if len < ingest::HEAD_BYTES {
        assert_eq!(table.head_records, table.records.len());
    }
    let mut last = table.header_line;
    for record in &table.records {
        assert_eq!(record.fields.len(), table.headers.len());
        assert!(record.line > last, "lines increase");
        last = record.line;
    }
}

/// The byte where physical line `line` starts (LF, CR and CRLF end lines): the same
/// lines as the decoded text's for every encoding but UTF-16.
fn line_start(data: &[u8], line: usize) -> Option<usize> {
    let mut at = 1;
    let mut i = 0;
    while at < line {
        let end = i + data
            .get(i..)?
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')?;
        i = end + 1;
        if data.get(end) == Some(&b'\r') && data.get(i) == Some(&b'\n') {
            i += 1;
        }
        at += 1;
    }
    Some(i)
}

/// A reader that has read `head` and goes on with a later part, and the lines before it.
fn part_reader(head: &[u8]) -> Option<(Reader, Table, usize)> {
    let mut reader = Reader::new(FILE);
    reader.push(head).ok()?;
    reader.finish().ok()?;
    let table = reader.take_head()?;
    let lines_before = reader.part_end().next_line - 1;
    reader.reopen();
    reader
        .resume_mid_file()
        .then_some((reader, table, lines_before))
}

fn read_part(mut reader: Reader, chunks: &[&[u8]]) -> Result<Vec<Rec>, Error> {
    let mut out = Vec::new();
    for chunk in chunks {
        reader.push(chunk)?;
        reader.records(|cells, line, warnings| out.push(Rec::new(cells, line, warnings)));
    }
    reader.finish()?;
    reader.records(|cells, line, warnings| out.push(Rec::new(cells, line, warnings)));
    Ok(out)
}

fn check_part(data: &[u8], cut: usize, line: usize, whole: &Table, cuts: &mut Cuts) {
    let (head, part) = data.split_at(cut);
    let Some((reader, head_table, lines_before)) = part_reader(head) else {
        return;
    };
    let in_one = read_part(reader, &[part]);
    let (reader, ..) = part_reader(head).expect("the same head reads the same");
    assert_eq!(read_part(reader, &cuts.chunks(part)), in_one);
    let Ok(records) = in_one else {
        return;
    };
    let mut last = 0;
    for record in &records {
        assert_eq!(record.cells.len(), head_table.headers.len());
        assert!(record.line > last, "lines increase");
        last = record.line;
    }
    // Read by the same rules as the whole file: the whole file's records.
    if head_table.encoding != whole.encoding
        || head_table.delimiter != whole.delimiter
        || head_table.headers != whole.headers
        || head_table.header_line != whole.header_line
    {
        return;
    }
    assert_eq!(lines_before + 1, line);
    let rec = |r: &ingest::Record| Rec {
        line: r.line,
        cells: r.fields.to_vec(),
        warnings: r.warnings.clone(),
    };
    let joined: Vec<Rec> = head_table
        .records
        .iter()
        .map(rec)
        .chain(records.into_iter().map(|r| {
            Rec {
                line: r.line + lines_before,
                cells: r.cells,
                warnings: r
                    .warnings
                    .into_iter()
                    .map(|w| RowWarning {
                        line: w.line + lines_before,
                        ..w
                    })
                    .collect(),
            }
        }))
        .collect();
    let expected: Vec<Rec> = whole.records.iter().map(rec).collect();
    assert_eq!(joined, expected);
}
