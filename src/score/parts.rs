//! A file scored in parts, and the parts joined into exactly one scorer's result.
//!
//! Several scorers (threads, web workers) read one file at once: each part starts just
//! after a line feed beyond the file's head and makes every reading choice from that
//! same head ([`Scorer::part`]). A part counts its lines from 1 until it is joined after
//! the part before it ([`Scorer::join`]), when its lines (and the "line N" of its
//! warnings) are counted from the file's start and every sum merges exactly. A cut
//! inside a quoted field, or a part that decoded its first non-ASCII byte differently,
//! is found at the join: that part is then read again by the scorer before it.
//!
//! Between web workers a part travels as bytes ([`Part::to_bytes`], in the plain format
//! of [`crate::support::wire`]): its head (the magic, how its bytes ended), its rows as raw
//! columns, then its summary and portfolio sums. Rows may go ahead in pieces
//! ([`Scorer::take_piece`]) while the part is still being read. Damaged bytes are an
//! error or a refusal, never a panic.

use crate::error::Result;
use crate::explain::PortfolioBuilder;
use crate::features::Mapping;
use crate::ingest::{self, CellIssue, RowIssue, RowWarning};
use crate::model::Model;
use crate::support::{fixed_sum::FixedSum, wire};

use super::scorer::too_large;
use super::{Overview, Scored, Scorer, SummaryBuilder};

/// A part of a file scored on its own ([`Scorer::part`], [`Scorer::into_part`]), ready to
/// be joined after the part before it ([`Scorer::join`]). Its lines count from 1 within
/// the part until it is joined.
#[derive(Debug, Clone)]
pub struct Part {
    scored: Scored,
    summary: SummaryBuilder,
    portfolio: PortfolioBuilder,
    end: ingest::PartEnd,
    /// The part's bytes ended exactly at a record's end ([`Scorer::end_part`]), so the
    /// part after it can be joined too; false for a part read to the end of the file.
    open_end: bool,
}

impl Part {
    /// The part as bytes, to hand to the worker holding the part before it (a copy of
    /// the columns, no text format); read back with [`Part::from_bytes`].
    /// `None` when memory runs out (the part's rows are then read again by the worker
    /// before it).
    pub fn to_bytes(&self) -> Option<Vec<u8>> {
        let s = &self.scored;
        let mut w = wire::Writer::with_capacity(4096 + s.wire_len());
        PART_MAGIC.iter().for_each(|&b| w.u8(b));
        w.u8(u8::from(self.open_end));
        w.u8(u8::from(self.end.started_undecided));
        w.u8(self.end.decided.map_or(0, |e| 1 + e as u8));
        w.len(self.end.next_line);
        w.u8(u8::from(s.has_segment));
        s.write_rows(&mut w);
        let b = &self.summary;
        w.len(b.accounts);
        w.len(b.warned);
        b.churners.write(&mut w);
        b.revenue.write(&mut w);
        w.len(b.tiers.len());
        for (_, accounts, revenue) in &b.tiers {
            w.len(*accounts);
            revenue.write(&mut w);
        }
        self.portfolio.write(&mut w);
        w.finish()
    }

    /// Reads a part written by [`Part::to_bytes`] of a file scored with `model`. A
    /// damaged or foreign buffer is an error, never a panic.
    pub fn from_bytes(bytes: &[u8], model: &Model, file: &str, as_of: i64) -> Result<Part> {
        Part::read(bytes, model, file, as_of).map_err(|why| crate::Error::unusable(file, why))
    }

    fn read(
        bytes: &[u8],
        model: &Model,
        file: &str,
        as_of: i64,
    ) -> std::result::Result<Part, &'static str> {
        let (mut r, head) = WireHead::read(bytes)?;
        let mut scored = Scored::empty(model.clone(), file, as_of);
        scored.has_segment = head.has_segment;
        scored.append_wire(&mut r, 0)?;
        let (summary, portfolio) = read_builders(&mut r, model, head.has_segment)?;
        Ok(Part {
            scored,
            summary,
            portfolio,
            end: head.end,
            open_end: head.open_end,
        })
    }
}

/// What a part's bytes say before its rows.
struct WireHead {
    open_end: bool,
    end: ingest::PartEnd,
    has_segment: bool,
}

impl WireHead {
    /// Reads the head of a part's bytes; returns the reader at the part's rows.
    fn read(bytes: &[u8]) -> std::result::Result<(wire::Reader<'_>, WireHead), &'static str> {
        use wire::DAMAGED;
        let body = bytes.strip_prefix(PART_MAGIC).ok_or(DAMAGED)?;
        let mut r = wire::Reader::new(body);
        let flag = |v: u8| v != 0;
        let open_end = flag(r.u8()?);
        let started_undecided = flag(r.u8()?);
        let decided = match r.u8()? {
            0 => None,
            k => Some(ENCODINGS.get(usize::from(k - 1)).copied().ok_or(DAMAGED)?),
        };
        let next_line = r.usize()?;
        let has_segment = flag(r.u8()?);
        let end = ingest::PartEnd {
            started_undecided,
            decided,
            next_line,
        };
        Ok((
            r,
            WireHead {
                open_end,
                end,
                has_segment,
            },
        ))
    }
}

/// Reads the summary and portfolio figures at the end of a part's bytes.
fn read_builders(
    r: &mut wire::Reader<'_>,
    model: &Model,
    has_segment: bool,
) -> std::result::Result<(SummaryBuilder, PortfolioBuilder), &'static str> {
    use wire::DAMAGED;
    let mut summary = SummaryBuilder::new(model);
    summary.accounts = r.usize()?;
    summary.warned = r.usize()?;
    summary.churners = FixedSum::read(r)?;
    summary.revenue = FixedSum::read(r)?;
    if r.count()? != summary.tiers.len() {
        return Err(DAMAGED);
    }
    for tier in summary.tiers.iter_mut() {
        tier.1 = r.usize()?;
        tier.2 = FixedSum::read(r)?;
    }
    let portfolio = PortfolioBuilder::read(r, model, has_segment)?;
    if !r.is_done() {
        return Err(DAMAGED);
    }
    Ok((summary, portfolio))
}

/// The first bytes of [`Part::to_bytes`].
const PART_MAGIC: &[u8] = b"churn-audit part 1\n";
/// The start of a piece of a part's rows ([`Scorer::take_piece`]).
const PIECE_MAGIC: &[u8] = b"churn-audit piece 1\n";
/// Encodings by their number in [`Part::to_bytes`].
const ENCODINGS: [ingest::Encoding; 5] = [
    ingest::Encoding::Utf8,
    ingest::Encoding::Utf8Bom,
    ingest::Encoding::Utf16Le,
    ingest::Encoding::Utf16Be,
    ingest::Encoding::Latin1,
];

impl Scorer {
    /// A scorer for the part of a file that starts at a byte just after a line feed
    /// beyond the file's head, so that several scorers (threads, web workers) can read
    /// one file at once. `head` is the file's first [`ingest::HEAD_BYTES`] bytes: the
    /// part reads them to make every reading choice exactly as the whole file's scorer
    /// does, but scores none of their records. Push the part's bytes, then
    /// [`Scorer::end_part`] (when another part follows) and [`Scorer::into_part`].
    /// `None` when the file cannot be read in parts: shorter than its head, UTF-16, or
    /// unusable (the first part's scorer reports why).
    pub fn part(
        model: Model,
        file: &str,
        as_of: i64,
        mapping: Mapping,
        head: &[u8],
    ) -> Option<Scorer> {
        if head.len() != ingest::HEAD_BYTES {
            return None;
        }
        let mut part = Scorer::new(model, file, as_of, mapping).without_digest();
        part.is_part = true;
        part.push(head).ok()?;
        (part.plan.is_some() && part.reader.resume_mid_file()).then_some(part)
    }

    /// For a scorer that has been given every byte before the next part's start: true
    /// when they end exactly at a record's end; the scorer then takes no more bytes and
    /// the next part can be joined ([`Scorer::join`]). When false the next part cannot
    /// be used: push its bytes to this scorer instead.
    pub fn end_part(&mut self) -> Result<bool> {
        if self.plan.is_none() || !self.reader.end_at_boundary() {
            return Ok(false);
        }
        self.drain()?;
        Ok(true)
    }

    /// The scored part, for [`Scorer::join`] (or [`Part::to_bytes`] to send it to the
    /// worker that holds the first part). A part not ended by [`Scorer::end_part`]
    /// is read to its end as the end of the file.
    pub fn into_part(mut self) -> Result<Part> {
        let open_end = self.reader.part_end_is_open();
        if !open_end {
            self.reader.finish()?;
            self.drain()?;
        }
        let portfolio = self
            .portfolio
            .take()
            .unwrap_or_else(|| PortfolioBuilder::new(&self.scored.model, false));
        Ok(Part {
            end: self.reader.part_end(),
            scored: self.scored,
            summary: self.summary,
            portfolio,
            open_end,
        })
    }

    /// Joins the part that starts where this scorer's bytes ended ([`Scorer::end_part`]
    /// returned true): its rows follow this scorer's, with their lines counted from the
    /// file's start, and every sum merges exactly, so the result is the one a single
    /// scorer would give. False (nothing joined) when the part decoded its bytes
    /// differently (its first non-ASCII byte read as another encoding); then push the
    /// part's bytes to this scorer instead. A joined part's bytes are not in this
    /// scorer's SHA-256: feed them to [`Scorer::hash`].
    pub fn join(&mut self, part: Part) -> Result<bool> {
        // Parts joined apart before this one go first.
        self.fold_apart()?;
        let Some(rows) = self.join_figures(part)? else {
            return Ok(false);
        };
        let first_row = self.scored.len();
        self.scored
            .append(rows)
            .map_err(|_| too_large(&self.scored.file, first_row))?;
        Ok(true)
    }

    /// [`Scorer::join`], the part's rows kept apart rather than copied onto the end of
    /// this scorer's columns: [`Scorer::finish_apart`] gives them as lists of their own,
    /// for a caller that only goes through the rows in order (the command line writing
    /// the scored CSV), which spares it the copy. Rows read here later (a part that
    /// could not be joined is read on here) join the kept ones onto the columns first,
    /// so the rows stay in file order. The page's engine, which joins parts as bytes
    /// ([`Scorer::join_bytes`]), keeps no rows apart: there this is [`Scorer::join`].
    pub fn join_apart(&mut self, part: Part) -> Result<bool> {
        if cfg!(target_arch = "wasm32") {
            return self.join(part);
        }
        let Some(rows) = self.join_figures(part)? else {
            return Ok(false);
        };
        self.apart.push(rows);
        Ok(true)
    }

    /// What joining `part` after this scorer's bytes does but the rows: the checks, the
    /// sums, the reader's state. The part's rows, their lines counted from the file's
    /// start; `None` (nothing changed but the reader reopened) when it cannot be joined.
    fn join_figures(&mut self, part: Part) -> Result<Option<Scored>> {
        if !self.reader.part_end_is_open() || self.plan.is_none() {
            return Ok(None);
        }
        let Some(encoding) = self.reader.continued_by(&part.end) else {
            self.reader.reopen();
            return Ok(None);
        };
        let lines_before = self.reader.part_end().next_line - 1;
        let mut rows = part.scored;
        if !rows.shift_lines(lines_before) {
            return Err(too_large(&self.scored.file, self.rows()));
        }
        self.summary.merge(&part.summary);
        if let Some(portfolio) = &mut self.portfolio {
            portfolio.merge(&part.portfolio);
        }
        self.reader.adopt(&part.end, lines_before);
        if !part.open_end {
            self.reader.finish()?;
        }
        self.joined_encoding = Some(encoding);
        Ok(Some(rows))
    }

    /// [`Scorer::join`] for a part received as bytes ([`Part::to_bytes`]), read
    /// straight into this scorer's columns. False, and nothing joined, when the part
    /// cannot be used (see [`Scorer::join`]) or its bytes are damaged or do not fit in
    /// memory: then push the part's bytes to this scorer instead.
    /// Pieces of the part joined before ([`Scorer::join_piece`]) are checked with it:
    /// all of its rows must be there.
    pub fn join_bytes(&mut self, bytes: &[u8]) -> Result<bool> {
        self.fold_apart()?;
        let usable = self.reader.part_end_is_open() && self.plan.is_some() && !self.piece_refused;
        let head = WireHead::read(bytes).ok().filter(|_| usable);
        let encoding = head
            .as_ref()
            .and_then(|(_, head)| self.reader.continued_by(&head.end));
        let (Some((mut r, head)), Some(encoding)) = (head, encoding) else {
            self.drop_pieces();
            return Ok(false);
        };
        let lines_before = self.reader.part_end().next_line - 1;
        let s = &self.scored;
        let before = self
            .pieces_from
            .unwrap_or((s.len(), s.text.len(), s.read_warnings.len()));
        let builders = match self.scored.append_wire(&mut r, lines_before) {
            Ok(()) => read_builders(&mut r, &self.scored.model, head.has_segment).ok(),
            Err(_) => None,
        };
        // The part's sums count every row it scored: a piece lost on the way shows here.
        let complete = |(summary, _): &(SummaryBuilder, PortfolioBuilder)| {
            summary.accounts == self.scored.len() - before.0
        };
        let Some((summary, portfolio)) = builders.filter(complete) else {
            self.drop_pieces();
            self.scored.truncate(before);
            return Ok(false);
        };
        self.pieces_from = None;
        self.summary.merge(&summary);
        if let Some(mine) = &mut self.portfolio {
            mine.merge(&portfolio);
        }
        self.reader.adopt(&head.end, lines_before);
        if !head.open_end {
            self.reader.finish()?;
        }
        self.joined_encoding = Some(encoding);
        Ok(true)
    }

    /// The file's figures once the parts after this scorer's bytes ([`Scorer::end_part`]
    /// returned true) are scored elsewhere, from their bytes ([`Part::to_bytes`], in file
    /// order), before their rows are joined: the sums and the encoding are exactly those
    /// [`Scorer::join_bytes`] then [`Scorer::finish`] give (a part's rows do not change
    /// its sums), so the page shows them while a million rows are still being joined. The
    /// row warnings are those of the rows here (up to `max_warnings`; pieces of the next
    /// part may be joined already, [`Scorer::join_piece`]). `None` when a part cannot be
    /// joined (it decoded differently, or is damaged, or a piece was).
    pub fn preview(&self, parts: &[&[u8]], max_warnings: usize) -> Option<Overview> {
        let ready = self.reader.part_end_is_open() && self.plan.is_some();
        if parts.is_empty() || !ready || self.piece_refused {
            return None;
        }
        let s = &self.scored;
        let mut summary = self.summary.clone();
        let mut portfolio = self.portfolio.clone();
        let (mut decided, mut encoding) = (self.reader.part_end().decided, None);
        for (k, bytes) in parts.iter().enumerate() {
            let (mut r, head) = WireHead::read(bytes).ok()?;
            // Every part but the last ends where the next one starts.
            if head.open_end != (k + 1 < parts.len()) {
                return None;
            }
            encoding = Some(ingest::continues(decided, &head.end)?);
            decided = head.end.decided.or(decided);
            Scored::skip_wire(&mut r).ok()?;
            let (theirs, their_portfolio) =
                read_builders(&mut r, &s.model, head.has_segment).ok()?;
            summary.merge(&theirs);
            if let Some(mine) = &mut portfolio {
                mine.merge(&their_portfolio);
            }
        }
        let portfolio = portfolio?.finish(&s.model, Vec::new());
        let result = s.result_with(summary.finish(), portfolio, encoding?);
        Some(Overview {
            result,
            row_warnings: s.first_warnings(max_warnings),
        })
    }

    /// Takes bytes again after [`Scorer::end_part`], when the part after it cannot be
    /// joined (it could not be read, or [`Scorer::join`] refused it).
    pub fn reopen(&mut self) {
        self.drop_pieces();
        if self.reader.part_end_is_open() {
            self.reader.reopen();
        }
    }

    /// For a part scored in another worker: the rows scored since the last piece, as
    /// bytes for the worker holding the part before it ([`Scorer::join_piece`]), then
    /// forgotten here. So the copying happens while the file is still being read, and
    /// this worker's memory holds one piece, not the part; the last rows and the part's
    /// sums follow in [`Part::to_bytes`]. `None` (nothing forgotten) when memory runs out.
    pub fn take_piece(&mut self) -> Option<Vec<u8>> {
        let s = &mut self.scored;
        let mut w = wire::Writer::with_capacity(PIECE_MAGIC.len() + s.wire_len());
        PIECE_MAGIC.iter().for_each(|&b| w.u8(b));
        s.write_rows(&mut w);
        let bytes = w.finish()?;
        self.rows_taken += s.len();
        s.truncate((0, 0, 0));
        Some(bytes)
    }

    /// Joins, in order, a piece of the part that starts where this scorer's bytes ended
    /// ([`Scorer::end_part`] returned true), before that part's own bytes
    /// ([`Scorer::join_bytes`]), which check the part as a whole: if it cannot be joined,
    /// its pieces are taken back out again. False when the piece is damaged or does not
    /// fit in memory; the part is then refused too.
    pub fn join_piece(&mut self, bytes: &[u8]) -> bool {
        if self.fold_apart().is_err() {
            return false;
        }
        if !self.reader.part_end_is_open() || self.plan.is_none() || self.piece_refused {
            return false;
        }
        let s = &mut self.scored;
        let from = *self
            .pieces_from
            .get_or_insert((s.len(), s.text.len(), s.read_warnings.len()));
        let lines_before = self.reader.part_end().next_line - 1;
        let joined = bytes.strip_prefix(PIECE_MAGIC).is_some_and(|body| {
            let mut r = wire::Reader::new(body);
            s.append_wire(&mut r, lines_before).is_ok() && r.is_done()
        });
        if !joined {
            s.truncate(from);
            self.piece_refused = true;
        }
        joined
    }

    /// Takes out the pieces joined for a part that is not joined after all.
    fn drop_pieces(&mut self) {
        if let Some(from) = self.pieces_from.take() {
            self.scored.truncate(from);
        }
        self.piece_refused = false;
    }

    /// Copies the rows kept apart ([`Scorer::join_apart`]) onto the end of the columns.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn fold_apart(&mut self) -> Result<()> {
        let later = std::mem::take(&mut self.apart);
        self.scored.join_later(later)
    }

    /// The page's engine keeps no rows apart (there [`Scorer::join_apart`] joins), so
    /// it has none to copy, and no copy of the copying.
    #[cfg(target_arch = "wasm32")]
    pub(super) fn fold_apart(&mut self) -> Result<()> {
        Ok(())
    }

    /// [`Scorer::finish`] for a scorer that kept the rows of later parts apart
    /// ([`Scorer::join_apart`]): the scored list of this scorer's own rows, with the
    /// whole file's figures, then the later parts' rows, in file order (see
    /// [`write_csv_parts`](super::write_csv_parts)).
    pub fn finish_apart(mut self) -> Result<(Scored, Vec<Scored>)> {
        if self.scored.is_empty() {
            // The "no rows" check looks at the columns: an empty first part (a head of
            // blank lines) takes the others' rows.
            self.fold_apart()?;
        }
        let apart = std::mem::take(&mut self.apart);
        Ok((self.finish()?, apart))
    }
}

/// Writes a row's warning as [`read_warning`] reads it: its line, then its issue.
fn write_warning(w: &mut wire::Writer, warning: &RowWarning) {
    w.len(warning.line);
    match &warning.issue {
        RowIssue::UnclosedQuote => w.u8(0),
        RowIssue::MissingFields { fields, width } => {
            w.u8(1);
            w.len(*fields);
            w.len(*width);
        }
        RowIssue::ExtraFields { fields, width } => {
            w.u8(2);
            w.len(*fields);
            w.len(*width);
        }
        RowIssue::Cell(c) => {
            w.u8(3);
            for text in [&c.column, &c.value, &c.problem, &c.action] {
                w.str(text);
            }
        }
        RowIssue::NoAccountId => w.u8(4),
    }
}

/// Reads a row's warning [`write_warning`] wrote, its line counted `lines_before` lines
/// further (a part read on its own counts from 1 within the part).
fn read_warning(
    r: &mut wire::Reader<'_>,
    lines_before: usize,
) -> std::result::Result<RowWarning, &'static str> {
    let line = r.usize()?.checked_add(lines_before).ok_or(wire::DAMAGED)?;
    let issue = match r.u8()? {
        0 => RowIssue::UnclosedQuote,
        1 => RowIssue::MissingFields {
            fields: r.usize()?,
            width: r.usize()?,
        },
        2 => RowIssue::ExtraFields {
            fields: r.usize()?,
            width: r.usize()?,
        },
        3 => RowIssue::Cell(Box::new(CellIssue {
            column: r.str()?,
            value: r.str()?,
            problem: r.str()?,
            action: r.str()?,
        })),
        4 => RowIssue::NoAccountId,
        _ => return Err(wire::DAMAGED),
    };
    Ok(RowWarning { line, issue })
}

impl Scored {
    /// Joins the rows of the later parts of the file kept apart from these
    /// ([`Scorer::finish_apart`]), in file order: the one list [`Scorer::finish`]
    /// gives. Fails when they do not fit in memory.
    pub fn join_later(&mut self, later: Vec<Scored>) -> Result<()> {
        for rows in later {
            let first_row = self.len();
            self.append(rows)
                .map_err(|_| too_large(&self.file, first_row))?;
        }
        Ok(())
    }

    /// Counts the lines of a part of a file read on its own (from 1 within the part) from
    /// the file's start, `lines_before` lines preceding the part: its line column and
    /// the lines of its read warnings. False, and nothing changed, when a line would
    /// not fit in u32.
    fn shift_lines(&mut self, lines_before: usize) -> bool {
        if lines_before == 0 {
            return true;
        }
        // Lines grow row by row: the last is the largest.
        let last = self.lines.last().copied().unwrap_or(0);
        let Some(shift) = u32::try_from(lines_before)
            .ok()
            .filter(|s| last.checked_add(*s).is_some())
        else {
            return false;
        };
        self.lines.iter_mut().for_each(|l| *l += shift);
        for (_, warnings) in &mut self.read_warnings {
            for w in warnings.iter_mut() {
                w.line += lines_before;
            }
        }
        true
    }

    /// Appends the rows of a part of the same file read after this one, their lines
    /// counted from the file's start already ([`Scored::shift_lines`]).
    fn append(
        &mut self,
        part: Scored,
    ) -> std::result::Result<(), std::collections::TryReserveError> {
        let rows = u32::try_from(self.len()).unwrap_or(u32::MAX);
        let text_base = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        // Row numbers and text offsets are u32: a part that would overflow them is
        // refused like a file too large for memory, never wrapped.
        let too_far = |n: Option<u32>| n.is_none();
        if too_far(rows.checked_add(u32::try_from(part.len()).unwrap_or(u32::MAX)))
            || too_far(text_base.checked_add(u32::try_from(part.text.len()).unwrap_or(u32::MAX)))
        {
            // Reuse the allocator's error type for "does not fit".
            return Err(Vec::<u8>::new().try_reserve(usize::MAX).unwrap_err());
        }
        self.reserve(self.len() + part.len(), self.model.features.len())?;
        self.text.try_reserve(part.text.len())?;
        self.read_warnings.try_reserve(part.read_warnings.len())?;
        self.lines.extend_from_slice(&part.lines);
        self.values.extend_from_slice(&part.values);
        self.probability.extend_from_slice(&part.probability);
        self.tier.extend_from_slice(&part.tier);
        self.revenue.extend_from_slice(&part.revenue);
        self.warned.extend_from_slice(&part.warned);
        self.text.push_str(&part.text);
        self.text_ends
            .extend(part.text_ends.iter().map(|e| e + text_base));
        self.read_warnings.extend(
            part.read_warnings
                .into_iter()
                .map(|(row, warnings)| (row + rows, warnings)),
        );
        Ok(())
    }

    /// Appends the rows of a part's bytes ([`Part::to_bytes`]) straight into the
    /// columns, in one pass (a million rows cross in about a copy), their lines counted
    /// after `lines_before`. Damaged bytes leave the rows as they were.
    pub(super) fn append_wire(
        &mut self,
        r: &mut wire::Reader<'_>,
        lines_before: usize,
    ) -> std::result::Result<(), &'static str> {
        use wire::{extend_f64s, extend_u32s, DAMAGED, NO_MEMORY};
        let (n, lines) = r.raw_column(4)?;
        let (nv, values) = r.raw_column(8)?;
        let (np, probability) = r.raw_column(8)?;
        let tier = r.bytes()?;
        let (nr, revenue) = r.raw_column(8)?;
        let warned = r.bytes()?;
        let text = std::str::from_utf8(r.bytes()?).map_err(|_| DAMAGED)?;
        let (nt, text_ends) = r.raw_column(4)?;
        let p = self.model.features.len();
        let sizes_ok = nv == n * p
            && [np, tier.len(), nr, warned.len()].iter().all(|&k| k == n)
            && nt == 3 * n;
        let rows = u32::try_from(self.len()).ok();
        let text_base = u32::try_from(self.text.len()).ok();
        let shift = u32::try_from(lines_before).ok();
        let (Some(rows), Some(text_base), Some(shift), true) = (rows, text_base, shift, sizes_ok)
        else {
            return Err(DAMAGED);
        };
        // Offsets must stay within u32 once shifted (checked before anything moves).
        let fits = |base: u32, extra: usize| {
            u32::try_from(extra)
                .ok()
                .and_then(|e| base.checked_add(e))
                .is_some()
        };
        if !fits(rows, n) || !fits(text_base, text.len()) {
            return Err(NO_MEMORY);
        }
        self.reserve(self.len() + n, p).map_err(|_| NO_MEMORY)?;
        self.text.try_reserve(text.len()).map_err(|_| NO_MEMORY)?;
        let before = (self.len(), self.text.len(), self.read_warnings.len());
        let result = (|| {
            let mut overflow = false;
            extend_u32s(&mut self.lines, lines, |l| {
                l.checked_add(shift).unwrap_or_else(|| {
                    overflow = true;
                    u32::MAX
                })
            });
            extend_f64s(&mut self.values, values);
            extend_f64s(&mut self.probability, probability);
            self.tier.extend_from_slice(tier);
            extend_f64s(&mut self.revenue, revenue);
            self.warned.extend(warned.iter().map(|&b| b != 0));
            let ends_at = self.text_ends.len();
            extend_u32s(&mut self.text_ends, text_ends, |e| {
                e.saturating_add(text_base)
            });
            self.text.push_str(text);
            let ends = self.text_ends.get(ends_at..).unwrap_or(&[]);
            let ends_ok = ends.iter().all(|&e| self.text.is_char_boundary(e as usize))
                && ends.windows(2).all(|w| w[0] <= w[1])
                && ends.first().is_none_or(|&e| e >= text_base);
            if overflow || !ends_ok {
                return Err(DAMAGED);
            }
            for _ in 0..r.count()? {
                let row = r.u32()?;
                if row as usize >= n {
                    return Err(DAMAGED);
                }
                let warnings = (0..r.count()?)
                    .map(|_| read_warning(r, lines_before))
                    .collect::<std::result::Result<_, _>>()?;
                self.read_warnings.push((row + rows, warnings));
            }
            Ok(())
        })();
        if result.is_err() {
            self.truncate(before);
        }
        result
    }

    /// Reads past the rows [`Scored::write_rows`] wrote, copying nothing (their part's
    /// sums follow them).
    fn skip_wire(r: &mut wire::Reader<'_>) -> std::result::Result<(), &'static str> {
        for unit in [4, 8, 8, 1, 8, 1, 1, 4] {
            r.raw_column(unit)?;
        }
        for _ in 0..r.count()? {
            r.u32()?;
            for _ in 0..r.count()? {
                read_warning(r, 0)?;
            }
        }
        Ok(())
    }

    /// About how many bytes [`Scored::write_rows`] writes.
    pub(super) fn wire_len(&self) -> usize {
        64 + self.len() * (8 * (self.model.features.len() + 2) + 18) + self.text.len()
    }

    /// Writes the rows as [`Scored::append_wire`] reads them.
    pub(super) fn write_rows(&self, w: &mut wire::Writer) {
        w.u32s(&self.lines);
        w.f64s(&self.values);
        w.f64s(&self.probability);
        w.bytes(&self.tier);
        w.f64s(&self.revenue);
        w.bools(&self.warned);
        w.str(&self.text);
        w.u32s(&self.text_ends);
        w.len(self.read_warnings.len());
        for (row, warnings) in &self.read_warnings {
            w.u32(*row);
            w.len(warnings.len());
            warnings.iter().for_each(|x| write_warning(w, x));
        }
    }

    /// Drops every row from `rows` on (and text and read warnings past the given
    /// lengths): undoes a failed [`Scored::append_wire`].
    fn truncate(&mut self, (rows, text, warnings): (usize, usize, usize)) {
        let p = self.model.features.len();
        self.lines.truncate(rows);
        self.values.truncate(rows * p);
        self.probability.truncate(rows);
        self.tier.truncate(rows);
        self.revenue.truncate(rows);
        self.warned.truncate(rows);
        self.text_ends.truncate(3 * rows);
        self.text.truncate(text);
        self.read_warnings.truncate(warnings);
    }
}
