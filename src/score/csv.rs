//! The scored CSV (comma, LF, RFC 4180 quoting, formula prefixes neutralised), written
//! in place row by row, without an allocation per row, and in blocks on threads.

use crate::model::{push_reason_memo, top_features, Memo, Model, Score};

use super::blocks::write_blocks;
use super::scored::{revenue_at_risk, Lookups, WARNING_SEPARATOR};
use super::{AuditResult, Scored, ScoredRow, REASONS_PER_ACCOUNT};

/// The scored CSV columns, as DESIGN.md fixes them.
pub const CSV_COLUMNS: [&str; 7] = [
    "account_id",
    "account_name",
    "churn_probability",
    "risk_tier",
    "revenue_at_risk",
    "top_reasons",
    "warnings",
];

/// Writes the scored rows as CSV (comma, LF, RFC 4180 quoting), in file order.
///
/// Numbers are written in full precision (shortest round-trip form). Text cells that a
/// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) are
/// prefixed with a `'`, so an account named `=HYPERLINK(...)` stays text.
pub fn to_csv(result: &AuditResult) -> String {
    let mut out = String::with_capacity(64 + result.rows.len() * 128);
    out.push_str(&csv_header());
    for row in &result.rows {
        push_csv_row(row, &mut out);
    }
    out
}

/// The scored CSV's header line.
pub fn csv_header() -> String {
    let mut line = CSV_COLUMNS.join(",");
    line.push('\n');
    line
}

/// Appends one scored row as a line of the scored CSV (see [`to_csv`]).
pub fn push_csv_row(row: &ScoredRow, out: &mut String) {
    push_text_cell(out, &row.account_id);
    out.push(',');
    push_text_cell(out, &row.account_name);
    out.push(',');
    push_f64(out, row.churn_probability);
    out.push(',');
    push_text_cell(out, &row.risk_tier);
    out.push(',');
    if let Some(v) = row.revenue_at_risk {
        push_f64(out, v);
    }
    out.push(',');
    push_joined_cell(out, &row.top_reasons, "; ");
    out.push(',');
    push_joined_cell(out, &row.warnings, WARNING_SEPARATOR);
    out.push('\n');
}

/// [`to_csv`] for Excel: the same text after a UTF-8 byte-order mark, which Excel needs
/// to read accented names correctly instead of guessing a legacy code page.
pub fn to_csv_excel(result: &AuditResult) -> String {
    format!("\u{feff}{}", to_csv(result))
}

/// The scored CSV of a file whose rows are in `parts`, one list after another in file
/// order ([`Scorer::finish_apart`](super::Scorer::finish_apart)), exactly as [`Scored::write_csv`] writes them
/// joined; blocks of rows are formatted on `threads` threads (see
/// [`Scored::write_csv_threaded`]).
pub fn write_csv_parts(
    parts: &[&Scored],
    w: &mut impl std::io::Write,
    threads: usize,
) -> std::io::Result<()> {
    // Each block holds the rows of one part.
    let blocks: Vec<(usize, usize)> = parts
        .iter()
        .enumerate()
        .flat_map(|(p, part)| (0..part.len()).step_by(CSV_BLOCK_ROWS).map(move |r| (p, r)))
        .collect();
    w.write_all(csv_header().as_bytes())?;
    write_blocks(
        blocks.len(),
        threads,
        &|| {
            parts
                .iter()
                .map(|part| RowBuffers::new(part))
                .collect::<Vec<_>>()
        },
        &|buffers, b, block| {
            let Some(&(p, start)) = blocks.get(b) else {
                return;
            };
            if let (Some(part), Some(buffers)) = (parts.get(p), buffers.get_mut(p)) {
                part.push_csv_rows(start..start + CSV_BLOCK_ROWS, block, buffers);
            }
        },
        &mut |block| w.write_all(block.as_bytes()),
    )
}

/// Rows per block of the scored CSV: a few megabytes of text, written in one go.
const CSV_BLOCK_ROWS: usize = 16 * 1024;

impl Scored {
    /// Appends rows `rows` as lines of the scored CSV ([`to_csv`]) to `out`, reusing
    /// `buffers`: no allocation per row once the buffers have grown.
    fn push_csv_rows(
        &self,
        rows: std::ops::Range<usize>,
        out: &mut String,
        buffers: &mut RowBuffers,
    ) {
        let model = &self.model;
        let RowBuffers {
            score,
            memo,
            lookups,
            order,
            ends,
            reasons,
        } = buffers;
        for r in rows {
            let Some(&line) = self.lines.get(r) else {
                break;
            };
            let values = self.row_values(r);
            // The probability is the one scoring stored (the same computation on the same
            // values): only the contributions are needed again, for the reasons.
            model.contributions_memo(values, score, memo);
            score.probability = self.probability.get(r).copied().unwrap_or(f64::NAN);
            let text = self.row_text(r);
            push_text_cell(out, text.account_id);
            out.push(',');
            push_text_cell(out, text.account_name);
            out.push(',');
            push_f64(out, score.probability);
            out.push(',');
            push_text_cell(out, model.tier(score.probability));
            out.push(',');
            if let Some(v) = revenue_at_risk(lookups.value, values, score.probability) {
                push_f64(out, v);
            }
            out.push(',');
            let start = out.len();
            top_features(&score.contributions, REASONS_PER_ACCOUNT, order);
            for (k, &i) in order.iter().enumerate() {
                if k > 0 {
                    out.push_str("; ");
                }
                reasons.push(out, model, values, score, i, memo);
            }
            finish_text_cell(out, start);
            out.push(',');
            let start = out.len();
            self.push_warnings(r, line, values, score, lookups, out, ends);
            finish_text_cell(out, start);
            out.push('\n');
        }
    }

    /// About how many bytes the scored CSV ([`Scored::write_csv`]) takes: its first rows
    /// written, scaled to every row, with a margin. Room for the whole text reserved up
    /// front spares a buffer of hundreds of megabytes its copies as it grows.
    pub fn csv_len_estimate(&self) -> usize {
        let sample = self.len().min(256);
        let mut text = csv_header();
        let header = text.len();
        self.push_csv_rows(0..sample, &mut text, &mut RowBuffers::new(self));
        let per_row = (text.len() - header).div_ceil(sample.max(1));
        per_row
            .saturating_mul(self.len())
            .saturating_add(per_row.saturating_mul(self.len()) / 16)
            .saturating_add(header)
    }

    /// Appends the whole scored CSV ([`Scored::write_csv`]'s text) to `out`, for a
    /// caller that wants it as one text (the page's export): written in place, with no
    /// block to copy and no UTF-8 check of the bytes afterwards.
    pub fn push_csv(&self, out: &mut String) {
        out.push_str(&csv_header());
        self.push_csv_rows(0..self.len(), out, &mut RowBuffers::new(self));
    }

    /// Writes the scored CSV ([`to_csv`]) block by block, without holding every row's
    /// text: a million rows take the memory of a few thousand.
    pub fn write_csv(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        write_csv_parts(&[self], w, 1)
    }

    /// [`Scored::write_csv`] on `threads` threads: blocks of rows are formatted in
    /// parallel and written in order, the same bytes. Memory stays bounded: each thread
    /// has two blocks of a few megabytes, one it formats while the other is written.
    ///
    /// In the wasm build, which has no threads, this is [`Scored::write_csv`].
    pub fn write_csv_threaded(
        &self,
        w: &mut impl std::io::Write,
        threads: usize,
    ) -> std::io::Result<()> {
        write_csv_parts(&[self], w, threads)
    }
}

/// What formatting a row of the scored CSV reuses from one row to the next.
struct RowBuffers {
    score: Score,
    memo: Memo,
    lookups: Lookups,
    /// The features behind the row's reasons.
    order: Vec<usize>,
    /// Where each of the row's warnings ends.
    ends: Vec<usize>,
    /// The reasons already written for tabled values.
    reasons: ReasonTexts,
}

/// The text of every reason written so far whose value is tabled in the memo
/// ([`Memo::tabled_slot`]): such a reason, its odds included, depends on the feature and
/// the value alone, and most reasons are about small counts and day numbers, so most are
/// written once per writer and copied after. (Making each one took ~10% of the scored
/// CSV's time: the template filled in, the value's digits, the odds'.)
struct ReasonTexts {
    text: String,
    /// Per memo slot, where its reason is in `text`; `(0, 0)` when not made yet (no
    /// reason is empty: each ends with its odds).
    spans: Vec<(u32, u32)>,
}

impl ReasonTexts {
    fn new(memo: &Memo) -> ReasonTexts {
        ReasonTexts {
            text: String::new(),
            spans: vec![(0, 0); memo.len()],
        }
    }

    /// [`push_reason_memo`], from the text made before when feature `i`'s value is tabled.
    fn push(
        &mut self,
        out: &mut String,
        model: &Model,
        values: &[f64],
        score: &Score,
        i: usize,
        memo: &Memo,
    ) {
        let slot = score.tabled.get(i).map_or(usize::MAX, |&k| k as usize);
        let Some(span) = self.spans.get_mut(slot) else {
            push_reason_memo(out, model, values, score, i, memo);
            return;
        };
        if span.1 == 0 {
            let start = self.text.len();
            push_reason_memo(&mut self.text, model, values, score, i, memo);
            *span = (start as u32, self.text.len() as u32);
        }
        out.push_str(
            self.text
                .get(span.0 as usize..span.1 as usize)
                .unwrap_or(""),
        );
    }
}

impl RowBuffers {
    fn new(scored: &Scored) -> RowBuffers {
        let model = &scored.model;
        let memo = model.memo();
        RowBuffers {
            score: model.score(&[]),
            reasons: ReasonTexts::new(&memo),
            memo,
            lookups: scored.lookups(),
            order: Vec::with_capacity(REASONS_PER_ACCOUNT + 1),
            ends: Vec::new(),
        }
    }
}

/// Appends `parts` joined by `separator` as one text cell (see [`finish_text_cell`]).
fn push_joined_cell(out: &mut String, parts: &[String], separator: &str) {
    let start = out.len();
    for (k, part) in parts.iter().enumerate() {
        if k > 0 {
            out.push_str(separator);
        }
        out.push_str(part);
    }
    finish_text_cell(out, start);
}

/// Appends `s` as a text cell: quoted when needed, with a `'` before a formula prefix
/// (against spreadsheet formula injection), as every text cell of the scored CSV.
pub fn push_text_cell(out: &mut String, s: &str) {
    let start = out.len();
    out.push_str(s);
    finish_text_cell(out, start);
}

/// [`CSV_SPECIAL`]'s mark for a byte that makes a cell need quotes.
const NEEDS_QUOTES: u8 = 1;
/// [`CSV_SPECIAL`]'s mark for the quote, which also has to be doubled.
const QUOTE: u8 = 2;
/// Per byte, what it asks of a CSV cell: one table look-up per byte of the output.
const CSV_SPECIAL: [u8; 256] = {
    let mut table = [0; 256];
    table[b',' as usize] = NEEDS_QUOTES;
    table[b'\n' as usize] = NEEDS_QUOTES;
    table[b'\r' as usize] = NEEDS_QUOTES;
    table[b'"' as usize] = NEEDS_QUOTES | QUOTE;
    table
};

/// [`CSV_SPECIAL`]'s marks of every byte of `cell`, or-ed together.
///
/// The reasons and warnings cells run to a hundred bytes and more on most rows, so this
/// tests eight bytes at a time as one `u64` (plain integer arithmetic, the same on
/// wasm32), as `ingest`'s `find_stop` does: `(v - 0x01…01) & !v & 0x80…80` is non-zero
/// exactly when the word `v` has a zero byte, so `v ^ (c · 0x01…01)` has one exactly
/// when `v` holds byte `c`. The few bytes past the last whole word use the table.
#[inline]
fn csv_class(cell: &[u8]) -> u8 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zeros = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let (comma, lf, cr, quote) = (
        ONES * u64::from(b','),
        ONES * u64::from(b'\n'),
        ONES * u64::from(b'\r'),
        ONES * u64::from(b'"'),
    );
    let (mut special, mut quotes) = (0, 0);
    let mut words = cell.chunks_exact(8);
    for word in &mut words {
        // A word is always eight bytes; as an array it loads in one instruction, where
        // `copy_from_slice` stays a call in the page's size-optimised engine.
        let v = <[u8; 8]>::try_from(word).map_or(0, u64::from_le_bytes);
        special |= zeros(v ^ comma) | zeros(v ^ lf) | zeros(v ^ cr);
        quotes |= zeros(v ^ quote);
    }
    let mut class = 0;
    if special != 0 {
        class |= NEEDS_QUOTES;
    }
    if quotes != 0 {
        class |= NEEDS_QUOTES | QUOTE;
    }
    words
        .remainder()
        .iter()
        .fold(class, |class, &b| class | CSV_SPECIAL[usize::from(b)])
}

/// Makes the text from `start` to the end of `out` a safe CSV cell, in place: a `'`
/// before a formula prefix (against spreadsheet formula injection), then RFC 4180
/// quotes when it holds a comma, quote or line break. Most cells need neither, and
/// writing first and fixing rarely is what lets a row be written without allocating.
fn finish_text_cell(out: &mut String, start: usize) {
    let Some(cell) = out.as_bytes().get(start..) else {
        return;
    };
    // The characters checked are ASCII, so bytes find exactly what chars would.
    let formula = matches!(
        cell.first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    let class = csv_class(cell);
    let quoted = class != 0;
    if class & QUOTE != 0 {
        let quotes = cell.iter().filter(|&&b| b == b'"').count();
        // Rare (a quote in a name or a warning): rebuilt with its quotes doubled.
        let cell = out.split_off(start);
        out.reserve(cell.len() + quotes + 3);
        out.push('"');
        if formula {
            out.push('\'');
        }
        for part in cell.split_inclusive('"') {
            out.push_str(part);
            if part.ends_with('"') {
                out.push('"');
            }
        }
        out.push('"');
        return;
    }
    match (quoted, formula) {
        (true, true) => out.insert_str(start, "\"'"),
        (true, false) => out.insert(start, '"'),
        (false, true) => out.insert(start, '\''),
        (false, false) => {}
    }
    if quoted {
        out.push('"');
    }
}

/// Appends `x` exactly as `x.to_string()` writes it: the shortest digits that read
/// back as `x`, never an exponent (`1e-7` is `0.0000001`), `1` for `1.0`, `NaN`,
/// `inf`, `-inf`.
pub fn push_f64(out: &mut String, x: f64) {
    use std::fmt::Write;
    // Writing to a `String` cannot fail.
    let _ = write!(out, "{x}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Mapping;
    use crate::model::tests::tiny_model;
    use crate::model::tests::Rng;
    use crate::score::Scorer;

    // The scored CSV as it was written before the in-place writer: the reference the
    // writer is tested against (format!, to_string and a String per cell).

    /// Neutralises a text cell against spreadsheet formula injection.
    fn text_cell(s: &str) -> String {
        match s.chars().next() {
            Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
            _ => s.to_string(),
        }
    }

    fn quote(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }

    fn push_csv_row_reference(row: &ScoredRow, out: &mut String) {
        let fields = [
            text_cell(&row.account_id),
            text_cell(&row.account_name),
            row.churn_probability.to_string(),
            text_cell(&row.risk_tier),
            row.revenue_at_risk
                .map(|v| v.to_string())
                .unwrap_or_default(),
            text_cell(&row.top_reasons.join("; ")),
            text_cell(&row.warnings.join("; ")),
        ];
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&quote(f));
        }
        out.push('\n');
    }

    /// [`Scored::row`]'s warnings as they were built before [`Scored::push_warnings`].
    fn warnings_reference(scored: &Scored, r: usize) -> Vec<String> {
        let line = scored.lines[r] as usize;
        let model = &scored.model;
        let values = scored.row_values(r);
        let score = model.score(values);
        let mut warnings: Vec<String> = scored
            .read_warnings
            .binary_search_by_key(&(r as u32), |(row, _)| *row)
            .ok()
            .and_then(|i| scored.read_warnings.get(i))
            .map(|(_, w)| w.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        let imputed: Vec<&str> = model
            .features
            .iter()
            .zip(values)
            .filter(|(spec, x)| x.is_nan() && !scored.missing_features.contains(&spec.name))
            .map(|(spec, _)| spec.name.as_str())
            .collect();
        if !imputed.is_empty() {
            warnings.push(format!(
                "line {line}: no value for {}; imputed",
                imputed.join(", ")
            ));
        }
        let show = crate::model::format_value;
        for (f, spec) in model.features.iter().enumerate() {
            if score.clipped[f] {
                warnings.push(format!(
                    "line {line}: {} = {} is outside the training range [{}, {}]; scored as {}",
                    spec.name,
                    show(values[f]),
                    show(spec.range[0]),
                    show(spec.range[1]),
                    show(values[f].clamp(spec.range[0], spec.range[1]))
                ));
            }
        }
        warnings
    }

    /// Generated cells: formula prefixes, quotes, separators, line breaks, non-ASCII.
    fn cell(rng: &mut Rng) -> String {
        let pieces = [
            "a", "Acme", "=", "+", "-", "@", "\t", "\r", "\n", ",", "\"", "'", ";", " ", "é",
            "{value}", "\u{feff}",
        ];
        let n = rng.next() % 6;
        (0..n)
            .map(|_| pieces[(rng.next() % pieces.len() as u64) as usize])
            .collect()
    }

    #[test]
    fn the_threaded_csv_is_the_streamed_csv() {
        let m = tiny_model();
        let mut text = String::from("id,days,reference\n");
        for i in 0..5 * CSV_BLOCK_ROWS / 2 {
            text.push_str(&format!("A-{i},{},{}\n", i % 500, ["yes", "no", ""][i % 3]));
        }
        let mut scorer = Scorer::new(m, "t.csv", 0, Mapping::new());
        scorer.push(text.as_bytes()).unwrap();
        let scored = scorer.finish().unwrap();
        let mut streamed = Vec::new();
        scored.write_csv(&mut streamed).unwrap();
        for threads in [0, 1, 2, 3, 8] {
            let mut threaded = Vec::new();
            scored.write_csv_threaded(&mut threaded, threads).unwrap();
            assert!(threaded == streamed, "{threads} threads");
        }
        let mut whole = String::new();
        scored.push_csv(&mut whole);
        assert!(whole.as_bytes() == streamed);
        // A writer that fails stops every thread and reports the error.
        struct Full(usize);
        impl std::io::Write for Full {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0 += 1;
                if self.0 > 2 {
                    return Err(std::io::Error::other("disk full"));
                }
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let e = scored.write_csv_threaded(&mut Full(0), 2).unwrap_err();
        assert_eq!(e.to_string(), "disk full");
    }

    #[test]
    fn numbers_are_written_as_to_string_writes_them() {
        let mut rng = Rng::new(0x5eed_0003);
        let mut out = String::from("x,");
        let mut check = |x: f64| {
            out.truncate(2);
            push_f64(&mut out, x);
            assert_eq!(out[2..], x.to_string(), "bits {:#x}", x.to_bits());
        };
        for _ in 0..300_000 {
            check(rng.value());
            check(f64::from_bits(rng.next()));
            check(rng.unit());
        }
        for e in -330..=310 {
            let p = format!("1e{e}").parse::<f64>().unwrap_or(0.0);
            for x in [
                p,
                p.next_up(),
                p.next_down(),
                5.0 * p,
                0.1 + p,
                p * (1.0 + f64::EPSILON),
            ] {
                check(x);
                check(-x);
            }
        }
        for e in -1074..=1023 {
            let p = 2f64.powi(e);
            for x in [p, p.next_up(), p.next_down(), 3.0 * p] {
                check(x);
            }
        }
        for x in [
            0.0,
            -0.0,
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            1.0,
            0.1,
            0.3,
            123456789012345680.0,
            9007199254740993.0,
            5e-324,
        ] {
            check(x);
        }
    }

    #[test]
    fn word_at_a_time_classes_are_the_byte_by_byte_classes() {
        // Every special byte at every offset of cells of every length to 40, among
        // generated filler, against the table read one byte at a time.
        let mut rng = Rng::new(0x5eed_0007);
        let specials = [b',', b'\n', b'\r', b'"'];
        let fillers = [
            b'a', b' ', b';', b'\'', 0x80, 0xff, 0x2b, 0x2d, 0x0b, 0x0c, 0x21, 0x23,
        ];
        for len in 0..40 {
            for _ in 0..200 {
                let mut cell: Vec<u8> = (0..len)
                    .map(|_| fillers[(rng.next() % fillers.len() as u64) as usize])
                    .collect();
                for _ in 0..rng.next() % 3 {
                    if len > 0 {
                        let at = (rng.next() % len as u64) as usize;
                        cell[at] = specials[(rng.next() % 4) as usize];
                    }
                }
                let by_byte = cell
                    .iter()
                    .fold(0, |class, &b| class | CSV_SPECIAL[usize::from(b)]);
                assert_eq!(csv_class(&cell), by_byte, "{cell:?}");
            }
        }
    }

    #[test]
    fn text_cells_are_written_as_the_reference_writes_them() {
        let mut rng = Rng::new(0x5eed_0004);
        let mut out = String::from("x,");
        for _ in 0..100_000 {
            let parts: Vec<String> = (0..rng.next() % 4).map(|_| cell(&mut rng)).collect();
            out.truncate(2);
            push_text_cell(&mut out, &parts[..parts.len().min(1)].concat());
            assert_eq!(
                out[2..],
                quote(&text_cell(&parts[..parts.len().min(1)].concat()))
            );
            out.truncate(2);
            push_joined_cell(&mut out, &parts, "; ");
            assert_eq!(out[2..], quote(&text_cell(&parts.join("; "))), "{parts:?}");
        }
    }

    #[test]
    fn rows_are_written_as_the_reference_writes_them() {
        let mut m = tiny_model();
        m.name_column = Some(crate::model::ColumnSpec {
            name: "account_name".into(),
            aliases: vec!["name".into()],
        });
        m.features[0].reasons.low = "=Only {value} days, \"quiet\"".into();
        m.features[1].label = "-Reference".into();
        let mut rng = Rng::new(0x5eed_0005);
        let mut text = String::from("id,name,days,reference,segment\n");
        for i in 0..3 * CSV_BLOCK_ROWS / 2 {
            let days = match rng.next() % 6 {
                0 => String::new(),
                1 => "-5".into(),
                2 => "1e300".into(),
                3 => "abc".into(),
                4 => format!("{}", rng.unit() * 400.0),
                _ => format!("{}", rng.next() % 400),
            };
            let reference = ["", "yes", "no", "maybe"][(rng.next() % 4) as usize];
            let segment = ["", "SMB", "Enterprise", "Gov"][(rng.next() % 4) as usize];
            let name = cell(&mut rng).replace('"', "\"\"");
            text.push_str(&format!(
                "{}{i},\"{name}\",{days},{reference},{segment}\n",
                cell(&mut rng).replace(['"', '\n', '\r', ','], "")
            ));
        }
        let mut scorer = Scorer::new(m, "t.csv", 0, Mapping::new());
        scorer.push(text.as_bytes()).unwrap();
        let scored = scorer.finish().unwrap();
        let mut reference = csv_header();
        for r in 0..scored.len() {
            let row = scored.row(r).unwrap();
            assert_eq!(row.warnings, warnings_reference(&scored, r), "row {r}");
            push_csv_row_reference(&row, &mut reference);
        }
        for part in [
            "'-Reference",
            "outside the training range",
            "\"\"",
            ",'=",
            "; line ",
        ] {
            assert!(reference.contains(part), "{part}");
        }
        let mut written = Vec::new();
        scored.write_csv(&mut written).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), reference);
        assert_eq!(to_csv(&scored.to_result()), reference);
    }

    #[test]
    fn the_streamed_csv_is_the_whole_results_csv() {
        let m = tiny_model();
        let text = "id,days,reference\nA,120,\nB,\"=1+2\",yes\nC,5000,no\n";
        let mut scorer = Scorer::new(m, "t.csv", 0, Mapping::new());
        scorer.push(text.as_bytes()).unwrap();
        let scored = scorer.finish().unwrap();
        let mut streamed = Vec::new();
        scored.write_csv(&mut streamed).unwrap();
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            to_csv(&scored.to_result())
        );
        let mut whole = String::from("before");
        scored.push_csv(&mut whole);
        assert_eq!(whole, format!("before{}", to_csv(&scored.to_result())));
        assert!(scored.csv_len_estimate() >= whole.len() - "before".len());
    }

    #[test]
    fn formula_prefixes_are_neutralised_and_quotes_doubled() {
        assert_eq!(text_cell("-5"), "'-5");
        assert_eq!(text_cell("@SUM"), "'@SUM");
        assert_eq!(text_cell("Acme"), "Acme");
        assert_eq!(quote("a,\"b\""), "\"a,\"\"b\"\"\"");
    }
}
