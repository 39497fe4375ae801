//! Records and cells: an RFC 4180 splitter over decoded text.
//!
//! * Quoting follows RFC 4180: a field that starts with `"` (after spaces) may contain
//!   delimiters, line breaks and doubled quotes `""`. A quote in the middle of an
//!   unquoted field is an ordinary character. Line breaks may be CRLF, LF or CR.
//! * Unquoted fields are trimmed; quoted fields keep the spaces inside the quotes.
//!   Header names are trimmed even when quoted. Duplicate or empty header names are
//!   kept as they are.

/// True for a record whose cells are all empty.
pub(super) fn is_blank(fields: &Cells) -> bool {
    fields.iter().all(str::is_empty)
}

/// Where a record was found, and where its unclosed quote opened, if any.
pub(super) struct RawRecord {
    pub(super) line: usize,
    pub(super) unclosed: Option<usize>,
}

/// An RFC 4180 record splitter over decoded text.
///
/// Every position it stops at is next to an ASCII byte, so slicing is always on a
/// character boundary.
pub(super) struct Splitter<'a> {
    text: &'a str,
    pub(super) pos: usize,
    pub(super) line: usize,
    /// `None` for a one-column file: fields end only at line breaks.
    delimiter: Option<u8>,
}

impl<'a> Splitter<'a> {
    pub(super) fn new(text: &'a str, delimiter: Option<u8>, line: usize) -> Self {
        Splitter {
            text,
            pos: 0,
            line,
            delimiter,
        }
    }

    /// Reads the next record's cells into `out`; `None` at the end of the text.
    pub(super) fn next_record(&mut self, out: &mut Cells<'a>) -> Option<RawRecord> {
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
/// decoding in the usual case (see [`trim`](super::trim)).
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

/// The cells of one record as the record splitter finds them: spans of the text it splits,
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
    pub(super) fn fit(&mut self, width: usize) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::tests::{draw, table};

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
}
