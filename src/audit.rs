//! A whole account list: scores, tiers, revenue at risk, a summary, and the warnings.
//!
//! [`audit`] is the one entry point the command line and the page share, so both give
//! the same numbers for the same bytes. [`AuditResult`] is what the page receives and
//! what `score --format json` prints; [`to_csv`] is the scored CSV both write.

use serde::{Deserialize, Serialize};

use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::explain::{self, Portfolio, PortfolioBuilder};
use crate::features::{self, ColumnMatch, Inspection, Mapping};
use crate::ingest;
use crate::model::{push_reason_memo, push_value, top_features, top_reasons, Memo, Model, Score};
use crate::support::{fixed_sum::FixedSum, wire};

/// How many reasons each account gets.
pub const REASONS_PER_ACCOUNT: usize = 3;

/// One scored account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredRow {
    /// 1-based line where the record starts in the file.
    pub line: usize,
    /// The account id as written.
    pub account_id: String,
    /// The account name, empty when the file has none.
    pub account_name: String,
    /// The segment, empty when the file has none.
    pub segment: String,
    /// Probability of churn.
    pub churn_probability: f64,
    /// Log-odds of churn (`intercept + Σ contributions`).
    pub log_odds: f64,
    /// The risk tier's name.
    pub risk_tier: String,
    /// Probability times contract value; `None` when the contract value is unknown.
    pub revenue_at_risk: Option<f64>,
    /// Up to three plain-language reasons that raise the risk, strongest first.
    pub top_reasons: Vec<String>,
    /// Everything that was imputed, clipped or unreadable on this row.
    pub warnings: Vec<String>,
}

/// Accounts and revenue at risk in one tier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierSummary {
    /// Tier name.
    pub name: String,
    /// Accounts in the tier.
    pub accounts: usize,
    /// Revenue at risk summed over the tier's accounts with a known contract value.
    pub revenue_at_risk: f64,
}

/// Figures for the whole list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Accounts scored (every data row).
    pub accounts_scored: usize,
    /// Rows with at least one warning.
    pub rows_with_warnings: usize,
    /// Sum of churn probabilities: the expected number of churners.
    pub expected_churners: f64,
    /// Total revenue at risk over accounts with a known contract value.
    pub revenue_at_risk: f64,
    /// Per tier, in the model's order (highest risk first).
    pub tiers: Vec<TierSummary>,
}

/// The result of auditing one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditResult {
    /// The file's name.
    pub file: String,
    /// SHA-256 of the file's bytes, hex, so a report names exactly what it audited.
    pub file_sha256: String,
    /// Encoding detected.
    pub encoding: String,
    /// Delimiter detected, as text ("," ";" or "\t").
    pub delimiter: String,
    /// The as-of date used for date columns, YYYY-MM-DD.
    pub as_of: String,
    /// The model's name.
    pub model: String,
    /// Every header and what it matched.
    pub columns: Vec<ColumnMatch>,
    /// Model features with no column in the file (imputed for every account).
    pub missing_features: Vec<String>,
    /// Scored rows in file order (left out of JSON when empty, as in an [`Overview`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<ScoredRow>,
    /// Figures for the whole list.
    pub summary: Summary,
    /// Distribution, drivers by group and feature, segments, typical values.
    pub portfolio: Portfolio,
    /// Problems with the file as a whole that did not stop scoring.
    pub file_warnings: Vec<String>,
}

/// Reads, scores and summarises one file. `as_of` is days since 1970-01-01.
///
/// Fails only when the file cannot be used at all; everything confined to a cell or a
/// row becomes a warning on that row.
pub fn audit(bytes: &[u8], file: &str, model: &Model, as_of: i64) -> Result<AuditResult> {
    audit_mapped(bytes, file, model, as_of, &Mapping::new())
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut hash = FileHash::new();
    hash.update(bytes);
    hash.finish()
}

/// A file's SHA-256, fed chunk by chunk, so a report names exactly the bytes it audited.
#[derive(Debug, Clone, Default)]
pub struct FileHash(Sha256);

impl FileHash {
    /// An empty hash.
    pub fn new() -> FileHash {
        FileHash(Sha256::new())
    }

    /// Adds the next bytes of the file.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest as lowercase hex.
    pub fn finish(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// How a file's headers would be matched with `mapping` applied, before scoring (the
/// page's column-mapping step). Fails only when the bytes are not a table at all.
pub fn inspect(bytes: &[u8], file: &str, model: &Model, mapping: &Mapping) -> Result<Inspection> {
    let table = ingest::read_table(bytes, file)?;
    Ok(features::inspect(&table, model, mapping, file))
}

/// [`audit`] with the user's column mapping.
pub fn audit_mapped(
    bytes: &[u8],
    file: &str,
    model: &Model,
    as_of: i64,
    mapping: &Mapping,
) -> Result<AuditResult> {
    let mut scorer = Scorer::new(model.clone(), file, as_of, mapping.clone());
    scorer.push(bytes)?;
    let scored = scorer.finish()?;
    Ok(scored.to_result())
}

/// Scores a file as its bytes arrive, keeping only the results: the command line feeds
/// it the whole file, the page feeds it chunks read from disk. Chunk boundaries never
/// change a figure (see [`ingest::HEAD_BYTES`]).
///
/// ```
/// use churn_audit::{audit::Scorer, default_model, features::Mapping};
/// let mut scorer = Scorer::new(default_model()?, "accounts.csv", 20_000, Mapping::new());
/// scorer.push(b"account_id,open_escalations\nA-1,4\nA-")?;
/// scorer.push(b"2,0\n")?;
/// let scored = scorer.finish()?;
/// assert_eq!(scored.len(), 2);
/// assert!(scored.probability[0] > scored.probability[1]);
/// # Ok::<(), churn_audit::Error>(())
/// ```
pub struct Scorer {
    reader: ingest::Reader,
    plan: Option<features::Plan>,
    scored: Scored,
    mapping: Mapping,
    digest: Option<FileHash>,
    summary: SummaryBuilder,
    portfolio: Option<PortfolioBuilder>,
    score: Score,
    /// Contributions of small whole numbers, computed once per file.
    memo: Memo,
    /// Set with the plan, once the head is read.
    lookups: Lookups,
    /// The values of cells read so far, by their texts (set with the plan).
    read_memo: features::ReadMemo,
    /// The file's size in bytes, when known ([`Scorer::expect_bytes`]).
    expected_bytes: Option<u64>,
    /// A scorer of a later part of the file ([`Scorer::part`]): the head's records
    /// belong to the first part and are not scored here.
    is_part: bool,
    /// The encoding of everything read, once parts are joined ([`Scorer::join`]).
    joined_encoding: Option<ingest::Encoding>,
    /// Rows already handed on as pieces ([`Scorer::take_piece`]).
    rows_taken: usize,
    /// Where the pieces of the next part joined so far start, to take them back out
    /// when that part cannot be joined after all ([`Scorer::join_piece`]).
    pieces_from: Option<(usize, usize, usize)>,
    /// A piece was refused: so is the part it belongs to.
    piece_refused: bool,
    /// The rows of the parts joined after this scorer's own, kept apart from its columns
    /// in file order ([`Scorer::join_apart`]): they follow every row in the columns.
    apart: Vec<Scored>,
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

/// A scored file, kept column by column: everything the page's table, account detail,
/// what-if and export read, without a per-row object.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The model the file was scored with.
    pub model: Model,
    /// The file's name.
    pub file: String,
    /// SHA-256 of the file's bytes, hex (empty when left out, see [`Scorer::without_digest`]).
    pub file_sha256: String,
    /// Encoding detected.
    pub encoding: ingest::Encoding,
    /// Delimiter detected.
    pub delimiter: u8,
    /// Days since 1970-01-01 used for date columns.
    pub as_of: i64,
    /// Every header and what it matched.
    pub columns: Vec<ColumnMatch>,
    /// Model features with no column in the file.
    pub missing_features: Vec<String>,
    /// Problems with the file as a whole that did not stop scoring.
    pub file_warnings: Vec<String>,
    /// Whether the file has a segment column.
    pub has_segment: bool,
    /// Per row: the 1-based line where its record starts.
    pub lines: Vec<u32>,
    /// Per row: the feature values, row-major ([`Model::features`] per row; NaN = missing).
    pub values: Vec<f64>,
    /// Per row: the churn probability.
    pub probability: Vec<f64>,
    /// Per row: the index of its tier in [`Model::tiers`].
    pub tier: Vec<u8>,
    /// Per row: the revenue at risk, NaN when the contract value is unknown.
    pub revenue: Vec<f64>,
    /// Per row: whether it has any warning.
    pub warned: Vec<bool>,
    /// Id, name and segment of every row, one after the other.
    text: String,
    /// Per row, where its id, name and segment end in `text`.
    text_ends: Vec<u32>,
    /// The warnings found while reading, for the rows that have any (sorted by row).
    read_warnings: Vec<(u32, Vec<String>)>,
    /// Figures for the whole list.
    pub summary: Summary,
    /// Distribution, drivers, segments; `typical` is filled by [`Scored::typical`].
    pub portfolio: Portfolio,
}

/// The accounts in a file of `total` bytes whose head ([`ingest::HEAD_BYTES`]) holds
/// `head_records` of them, with a margin; CRM exports have rows of much the same length.
fn estimated_rows(total: u64, head_records: usize) -> usize {
    let head = (ingest::HEAD_BYTES as u64).min(total.max(1));
    let rows = (total as f64 / head as f64) * head_records as f64 * 1.02;
    (rows.ceil() as usize).saturating_add(16)
}

/// The refusal for a file whose estimated size does not fit in memory.
fn too_large_estimate(file: &str, rows: usize) -> crate::Error {
    crate::Error::unusable(
        file,
        format!(
            "the file has about {rows} accounts, more than the memory available here can hold; split it into smaller files, or score it with the command line"
        ),
    )
}

/// The refusal for a file that does not fit in memory, `rows` accounts in.
fn too_large(file: &str, rows: usize) -> crate::Error {
    crate::Error::unusable(
        file,
        format!(
            "the file is too large to score in the memory available here: memory ran out after {rows} accounts; split it into files of at most {} accounts, or score it with the command line",
            rows / 2
        ),
    )
}

impl Scorer {
    /// A scorer for one file; `as_of` is days since 1970-01-01.
    pub fn new(model: Model, file: &str, as_of: i64, mapping: Mapping) -> Scorer {
        Scorer {
            reader: ingest::Reader::new(file),
            plan: None,
            summary: SummaryBuilder::new(&model),
            portfolio: None,
            score: model.score(&[]),
            memo: model.memo(),
            lookups: Lookups::new(&model, &[]),
            read_memo: features::ReadMemo::default(),
            scored: Scored::empty(model, file, as_of),
            mapping,
            digest: Some(FileHash::new()),
            expected_bytes: None,
            is_part: false,
            joined_encoding: None,
            rows_taken: 0,
            pieces_from: None,
            piece_refused: false,
            apart: Vec::new(),
        }
    }

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

    /// Adds bytes to the file's SHA-256 only: the bytes of parts scored elsewhere.
    pub fn hash(&mut self, bytes: &[u8]) {
        if let Some(digest) = &mut self.digest {
            digest.update(bytes);
        }
    }

    /// Tells the scorer the file's size: once the head is read it estimates the number of
    /// accounts and reserves room for all of them, so a file too large for memory is
    /// refused at once (not after a minute of scoring) and the columns never move.
    pub fn expect_bytes(mut self, bytes: u64) -> Scorer {
        self.expected_bytes = Some(bytes);
        self
    }

    /// Leaves the file's SHA-256 out ([`Scored::file_sha256`] stays empty): the page
    /// hashes the file separately, after the summary is shown.
    pub fn without_digest(mut self) -> Scorer {
        self.digest = None;
        self
    }

    /// Reads the file's first [`ingest::HEAD_BYTES`] bytes and returns how its columns
    /// are matched ([`features::inspect`] of the head's records), without scoring yet:
    /// the next [`Scorer::push`] scores the head's records with it, so a file that is
    /// inspected and then scored is read once. `None` when the head is shorter (the
    /// file is smaller: inspect it with [`inspect`]) or bytes were pushed before.
    ///
    /// The inspection is [`inspect`]'s for the same bytes, except that a last record cut
    /// off by the head's end is not counted (nor shown), which [`inspect`] reads as a
    /// whole file would.
    pub fn inspect_head(&mut self, head: &[u8]) -> Result<Option<Inspection>> {
        if head.len() != ingest::HEAD_BYTES || self.plan.is_some() || self.reader.head().is_some() {
            return Ok(None);
        }
        if let Some(digest) = &mut self.digest {
            digest.update(head);
        }
        self.reader.push(head)?;
        let s = &self.scored;
        Ok(self
            .reader
            .head()
            .map(|table| features::inspect(table, &s.model, &self.mapping, &s.file)))
    }

    /// Reads and scores the next bytes of the file.
    pub fn push(&mut self, chunk: &[u8]) -> Result<()> {
        // Bytes after parts joined apart (the scorer reads on): their rows go first.
        self.fold_apart()?;
        if let Some(digest) = &mut self.digest {
            digest.update(chunk);
        }
        self.reader.push(chunk)?;
        self.drain()
    }

    /// Rows scored so far (with those handed on as pieces).
    pub fn rows(&self) -> usize {
        let apart: usize = self.apart.iter().map(Scored::len).sum();
        self.rows_taken + self.scored.lines.len() + apart
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
    fn fold_apart(&mut self) -> Result<()> {
        let later = std::mem::take(&mut self.apart);
        self.scored.join_later(later)
    }

    /// The page's engine keeps no rows apart (there [`Scorer::join_apart`] joins), so
    /// it has none to copy, and no copy of the copying.
    #[cfg(target_arch = "wasm32")]
    fn fold_apart(&mut self) -> Result<()> {
        Ok(())
    }

    /// [`Scorer::finish`] for a scorer that kept the rows of later parts apart
    /// ([`Scorer::join_apart`]): the scored list of this scorer's own rows, with the
    /// whole file's figures, then the later parts' rows, in file order (see
    /// [`write_csv_parts`]).
    pub fn finish_apart(mut self) -> Result<(Scored, Vec<Scored>)> {
        if self.scored.is_empty() {
            // The "no rows" check looks at the columns: an empty first part (a head of
            // blank lines) takes the others' rows.
            self.fold_apart()?;
        }
        let apart = std::mem::take(&mut self.apart);
        Ok((self.finish()?, apart))
    }

    /// Ends the file and returns the scored list. Fails when the file cannot be used at
    /// all (see [`audit`]).
    pub fn finish(mut self) -> Result<Scored> {
        self.fold_apart()?;
        self.reader.finish()?;
        self.drain()?;
        if self.plan.is_none() {
            return Err(crate::Error::unusable(
                &self.scored.file,
                "the file is empty",
            ));
        }
        if self.scored.lines.is_empty() {
            return Err(features::no_rows(&self.scored.file));
        }
        let mut scored = self.scored;
        scored.encoding = self.joined_encoding.unwrap_or(self.reader.encoding());
        scored.file_sha256 = self.digest.map(FileHash::finish).unwrap_or_default();
        scored.summary = self.summary.finish();
        if let Some(portfolio) = self.portfolio {
            scored.portfolio = portfolio.finish(&scored.model, Vec::new());
        }
        Ok(scored)
    }

    /// Plans the columns once the head is read, then scores every complete record.
    fn drain(&mut self) -> Result<()> {
        if self.plan.is_none() {
            let Some(head) = self.reader.take_head() else {
                return Ok(());
            };
            let model = &self.scored.model;
            let file = self.scored.file.as_str();
            let plan = features::Plan::new(&head, model, self.scored.as_of, file, &self.mapping)?;
            let warnings = file_warnings(model, &plan);
            self.portfolio =
                Some(PortfolioBuilder::new(model, plan.has_segment).with_memo(self.memo.clone()));
            self.lookups = Lookups::new(model, &plan.missing_features);
            let s = &mut self.scored;
            s.delimiter = head.delimiter;
            s.columns = plan.columns.clone();
            s.missing_features = plan.missing_features.clone();
            s.has_segment = plan.has_segment;
            s.file_warnings = warnings;
            // The file's rows, estimated from the head's when its size is known.
            let expected_rows = self
                .expected_bytes
                .map(|total| estimated_rows(total, head.records.len()));
            if let Some(rows) = expected_rows {
                s.reserve(rows, plan.n_features)
                    .map_err(|_| too_large_estimate(&s.file, rows))?;
            }
            self.read_memo = plan.read_memo();
            self.plan = Some(plan);
            let head_records = if self.is_part { &[][..] } else { &head.records };
            let mut cells = ingest::Cells::default();
            for record in head_records {
                // As spans of cells, like every later record: one copy of `add` in the
                // page's engine, not one per cell type.
                cells.load(&record.fields);
                self.add(&cells, record.line, record.warnings.clone())?;
            }
            // The ids, names and segments of the whole file, at the head's length a row:
            // left to double, the text would be copied whole near the end (tens of MB
            // for a million rows, as the page joins the last rows of a partner).
            let s = &mut self.scored;
            if let (Some(rows), false) = (expected_rows, s.is_empty()) {
                let per_row = s.text.len().div_ceil(s.len());
                let more = rows.saturating_mul(per_row).saturating_sub(s.text.len());
                // Only a hint: when memory is short the text grows as it comes.
                let _ = s.text.try_reserve_exact(more);
            }
        }
        let mut failed = None;
        let mut reader = std::mem::replace(&mut self.reader, ingest::Reader::new(""));
        reader.records(|fields, line, warnings| {
            if failed.is_none() {
                failed = self.add(fields, line, warnings).err();
            }
        });
        self.reader = reader;
        failed.map_or(Ok(()), Err)
    }

    /// Reads, scores and stores one record.
    fn add(
        &mut self,
        fields: &ingest::Cells,
        line: usize,
        record_warnings: Vec<String>,
    ) -> Result<()> {
        let (Some(plan), Some(portfolio)) = (&self.plan, &mut self.portfolio) else {
            return Ok(());
        };
        let s = &mut self.scored;
        let model = &s.model;
        let p = plan.n_features;
        let file = s.file.as_str();
        let scored_rows = s.lines.len();
        let refuse = || too_large(file, scored_rows);
        // Memory is the one limit a huge file can hit: fail with a message, not an abort.
        let grow = |len: usize, cap: usize, need: usize| len + need > cap;
        if grow(s.values.len(), s.values.capacity(), p) {
            s.values
                .try_reserve(s.values.len().max(p * 1024))
                .map_err(|_| refuse())?;
            let rows = s.values.capacity() / p.max(1) - s.lines.len();
            s.lines.try_reserve(rows).map_err(|_| refuse())?;
            s.probability.try_reserve(rows).map_err(|_| refuse())?;
            s.tier.try_reserve(rows).map_err(|_| refuse())?;
            s.revenue.try_reserve(rows).map_err(|_| refuse())?;
            s.warned.try_reserve(rows).map_err(|_| refuse())?;
            s.text_ends.try_reserve(3 * rows).map_err(|_| refuse())?;
        }
        let start = s.values.len();
        s.values.resize(start + p, f64::NAN);
        let mut warnings = record_warnings;
        let out = &mut s.values[start..];
        let text = plan.read(model, fields, line, out, &mut warnings, &mut self.read_memo);
        let values = &s.values[start..];
        model.score_memo(values, &mut self.score, &self.memo);
        let score = &self.score;
        let warned = !warnings.is_empty()
            || score.clipped.iter().any(|&c| c)
            || imputed(model, values, &self.lookups.has_column)
                .next()
                .is_some();
        let revenue = revenue_at_risk(self.lookups.value, values, score.probability);
        let tier = model.tier_index(score.probability);
        self.summary.add(tier, score.probability, revenue, warned);
        portfolio.add(score, text.segment, revenue);

        let row = u32::try_from(s.lines.len()).map_err(|_| refuse())?;
        if s.text.capacity() - s.text.len() < 256 {
            s.text
                .try_reserve(s.text.len().max(1 << 16))
                .map_err(|_| refuse())?;
        }
        for part in [text.account_id, text.account_name, text.segment] {
            s.text.push_str(part);
            s.text_ends
                .push(u32::try_from(s.text.len()).map_err(|_| refuse())?);
        }
        s.lines.push(u32::try_from(line).map_err(|_| refuse())?);
        s.probability.push(score.probability);
        s.tier.push(u8::try_from(tier).unwrap_or(u8::MAX));
        s.revenue.push(revenue.unwrap_or(f64::NAN));
        s.warned.push(warned);
        if !warnings.is_empty() {
            s.read_warnings.push((row, warnings));
        }
        Ok(())
    }
}

/// A record's warning from a part read on its own, with its line counted from the
/// file's start: every record warning starts with "line N" (see `ingest::fit_record`
/// and `features::Plan::read`; tests/chunks.rs compares parts with whole files).
fn shift_line(warning: &str, lines_before: usize) -> String {
    let Some(rest) = warning.strip_prefix("line ") else {
        return warning.to_string();
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (number, after) = rest.split_at_checked(digits).unwrap_or((rest, ""));
    match number.parse::<usize>() {
        Ok(line) => format!("line {}{after}", line + lines_before),
        Err(_) => warning.to_string(),
    }
}

/// The file-level warnings about missing columns.
fn file_warnings(model: &Model, plan: &features::Plan) -> Vec<String> {
    let mut out = plan.file_warnings.clone();
    if !plan.missing_features.is_empty() {
        let labels: Vec<&str> = plan
            .missing_features
            .iter()
            .filter_map(|name| model.features.iter().find(|f| &f.name == name))
            .map(|f| f.label.as_str())
            .collect();
        out.push(format!(
            "no column for {}: imputed with typical values for every account",
            labels.join(", ")
        ));
    }
    let value_missing = model
        .value_feature
        .as_deref()
        .is_some_and(|v| plan.missing_features.iter().any(|m| m == v));
    if value_missing {
        out.push("no contract value column: revenue at risk cannot be computed".into());
    }
    out
}

/// What scoring and writing a row would otherwise look up by name on every row, found
/// once per file: feature names are compared here, never per row.
#[derive(Debug, Clone)]
struct Lookups {
    /// The index of the model's contract value feature ([`Model::value_feature`]).
    value: Option<usize>,
    /// Per feature: whether the file has a column for it, so that a row without a
    /// value gets the "imputed" warning (a feature with no column is imputed on every
    /// row and told once, in the file's warnings).
    has_column: Vec<bool>,
}

impl Lookups {
    fn new(model: &Model, missing_features: &[String]) -> Lookups {
        Lookups {
            value: model
                .value_feature
                .as_deref()
                .and_then(|v| model.feature_index(v)),
            has_column: model
                .features
                .iter()
                .map(|f| !missing_features.contains(&f.name))
                .collect(),
        }
    }
}

/// The features of a row that had a column but no value (imputed); `has_column` as
/// in [`Lookups`].
fn imputed<'a>(
    model: &'a Model,
    values: &'a [f64],
    has_column: &'a [bool],
) -> impl Iterator<Item = &'a str> + 'a {
    model
        .features
        .iter()
        .zip(values)
        .zip(has_column)
        .filter(|((_, x), &has)| x.is_nan() && has)
        .map(|((spec, _), _)| spec.name.as_str())
}

/// Probability times the contract value, when the model has one (its index `value`,
/// see [`Lookups`]) and the row knows it.
fn revenue_at_risk(value: Option<usize>, values: &[f64], probability: f64) -> Option<f64> {
    value
        .and_then(|i| values.get(i).copied())
        .filter(|v| v.is_finite())
        .map(|v| probability * v)
}

impl Scored {
    /// No rows yet, for `model`.
    fn empty(model: Model, file: &str, as_of: i64) -> Scored {
        Scored {
            file: file.to_string(),
            file_sha256: String::new(),
            encoding: ingest::Encoding::Utf8,
            delimiter: b',',
            as_of,
            columns: Vec::new(),
            missing_features: Vec::new(),
            file_warnings: Vec::new(),
            has_segment: false,
            lines: Vec::new(),
            values: Vec::new(),
            probability: Vec::new(),
            tier: Vec::new(),
            revenue: Vec::new(),
            warned: Vec::new(),
            text: String::new(),
            text_ends: Vec::new(),
            read_warnings: Vec::new(),
            summary: SummaryBuilder::new(&model).finish(),
            portfolio: PortfolioBuilder::new(&model, false).finish(&model, Vec::new()),
            model,
        }
    }

    /// Reserves room for `rows` rows of `p` features in every per-row column.
    fn reserve(
        &mut self,
        rows: usize,
        p: usize,
    ) -> std::result::Result<(), std::collections::TryReserveError> {
        let n = rows.saturating_sub(self.lines.len());
        self.values.try_reserve_exact(n.saturating_mul(p))?;
        self.lines.try_reserve_exact(n)?;
        self.probability.try_reserve_exact(n)?;
        self.tier.try_reserve_exact(n)?;
        self.revenue.try_reserve_exact(n)?;
        self.warned.try_reserve_exact(n)?;
        self.text_ends.try_reserve_exact(n.saturating_mul(3))
    }

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
    /// the "line N" of its read warnings. False, and nothing changed, when a line would
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
                *w = shift_line(w, lines_before);
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
    fn append_wire(
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
                && ends.first().map_or(true, |&e| e >= text_base);
            if overflow || !ends_ok {
                return Err(DAMAGED);
            }
            for _ in 0..r.count()? {
                let row = r.u32()?;
                if row as usize >= n {
                    return Err(DAMAGED);
                }
                let warnings = (0..r.count()?)
                    .map(|_| r.str().map(|w| shift_line(&w, lines_before)))
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
                r.bytes()?;
            }
        }
        Ok(())
    }

    /// About how many bytes [`Scored::write_rows`] writes.
    fn wire_len(&self) -> usize {
        64 + self.len() * (8 * (self.model.features.len() + 2) + 18) + self.text.len()
    }

    /// Writes the rows as [`Scored::append_wire`] reads them.
    fn write_rows(&self, w: &mut wire::Writer) {
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
            warnings.iter().for_each(|x| w.str(x));
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

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there are no rows (never true for a finished scorer).
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Row `r`'s feature values.
    pub fn row_values(&self, r: usize) -> &[f64] {
        let p = self.model.features.len();
        self.values.get(r * p..(r + 1) * p).unwrap_or(&[])
    }

    /// Row `r`'s id, name and segment.
    pub fn row_text(&self, r: usize) -> features::RowText<'_> {
        let end = |k: usize| self.text_ends.get(k).map_or(0, |&e| e as usize);
        let start = if r == 0 { 0 } else { end(3 * r - 1) };
        let (a, b, c) = (end(3 * r), end(3 * r + 1), end(3 * r + 2));
        let part = |from: usize, to: usize| self.text.get(from..to).unwrap_or("");
        features::RowText {
            account_id: part(start, a),
            account_name: part(a, b),
            segment: part(b, c),
        }
    }

    /// Row `r` in full: reasons and every warning.
    pub fn row(&self, r: usize) -> Option<ScoredRow> {
        self.row_with(r, &self.lookups())
    }

    /// The list's [`Lookups`], for [`Scored::row_with`] over many rows.
    fn lookups(&self) -> Lookups {
        Lookups::new(&self.model, &self.missing_features)
    }

    /// [`Scored::row`] with the list's lookups found once for every row asked for.
    fn row_with(&self, r: usize, lookups: &Lookups) -> Option<ScoredRow> {
        let line = *self.lines.get(r)?;
        let model = &self.model;
        let values = self.row_values(r);
        let score = model.score(values);
        // The warnings are written as the CSV writes them, then cut apart: one text.
        let mut joined = String::new();
        let mut ends = Vec::new();
        self.push_warnings(r, line, values, &score, lookups, &mut joined, &mut ends);
        let mut start = 0;
        let warnings = ends
            .iter()
            .map(|&end| {
                let w = joined.get(start..end).unwrap_or("").to_string();
                start = end + WARNING_SEPARATOR.len();
                w
            })
            .collect();
        let text = self.row_text(r);
        Some(ScoredRow {
            line: line as usize,
            account_id: text.account_id.to_string(),
            account_name: text.account_name.to_string(),
            segment: text.segment.to_string(),
            churn_probability: score.probability,
            log_odds: score.log_odds,
            risk_tier: model.tier(score.probability).to_string(),
            revenue_at_risk: revenue_at_risk(lookups.value, values, score.probability),
            top_reasons: top_reasons(model, values, &score, REASONS_PER_ACCOUNT),
            warnings,
        })
    }

    /// The warnings found while reading row `r`.
    fn read_warnings_of(&self, r: usize) -> &[String] {
        self.read_warnings
            .binary_search_by_key(&r, |(row, _)| *row as usize)
            .ok()
            .and_then(|i| self.read_warnings.get(i))
            .map_or(&[], |(_, w)| w.as_slice())
    }

    /// Appends every warning of row `r` (starting at `line`, scored as `score`) to `out`,
    /// separated by [`WARNING_SEPARATOR`], and where each ends to `ends`; `lookups` are
    /// this list's ([`Lookups::new`] of its model and missing features).
    #[allow(clippy::too_many_arguments)]
    fn push_warnings(
        &self,
        r: usize,
        line: u32,
        values: &[f64],
        score: &Score,
        lookups: &Lookups,
        out: &mut String,
        ends: &mut Vec<usize>,
    ) {
        ends.clear();
        for w in self.read_warnings_of(r) {
            separate(out, ends);
            out.push_str(w);
            ends.push(out.len());
        }
        let mut imputed = imputed(&self.model, values, &lookups.has_column).peekable();
        if imputed.peek().is_some() {
            separate(out, ends);
            out.push_str("line ");
            out.push_str(itoa::Buffer::new().format(line));
            out.push_str(": no value for ");
            for (k, name) in imputed.enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                out.push_str(name);
            }
            out.push_str("; imputed");
            ends.push(out.len());
        }
        let clipped = score.clipped.iter().zip(&self.model.features);
        for (f, (_, spec)) in clipped.enumerate().filter(|(_, (&c, _))| c) {
            separate(out, ends);
            let x = values.get(f).copied().unwrap_or(f64::NAN);
            out.push_str("line ");
            out.push_str(itoa::Buffer::new().format(line));
            out.push_str(": ");
            out.push_str(&spec.name);
            out.push_str(" = ");
            push_value(out, x);
            out.push_str(" is outside the training range [");
            push_value(out, spec.range[0]);
            out.push_str(", ");
            push_value(out, spec.range[1]);
            out.push_str("]; scored as ");
            push_value(out, crate::model::clip(x, spec.range));
            ends.push(out.len());
        }
    }

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

    /// The portfolio's median value per feature ([`Portfolio::typical`]).
    pub fn typical(&self) -> Vec<Option<f64>> {
        explain::typical_values(&self.model, &self.values, self.model.features.len())
    }

    /// Writes the JSON of [`Scored::to_result`] (the same bytes) a few rows at a time:
    /// memory holds a few megabytes of text, never every row's [`ScoredRow`].
    pub fn write_json(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        self.write_json_threaded(out, 1)
    }

    /// [`Scored::write_json`] with the rows formatted on `threads` threads, in blocks
    /// written in order: the same bytes.
    ///
    /// serde_json writes the result with its first row only; the text is cut just after
    /// that row, and the other rows go in between, each as serde_json writes an item of
    /// an array after the first: a comma, then the row.
    pub fn write_json_threaded(
        &self,
        out: &mut impl std::io::Write,
        threads: usize,
    ) -> std::io::Result<()> {
        let mut result = self.result_without_rows();
        result.portfolio.typical = self.typical();
        let lookups = self.lookups();
        let Some((first, row)) =
            (0..self.len()).find_map(|r| Some((r, self.row_with(r, &lookups)?)))
        else {
            // No rows: no `rows` field, as in `to_result`.
            serde_json::to_writer(&mut *out, &result)?;
            return Ok(());
        };
        let row_text = serde_json::to_string(&row)?;
        result.rows = vec![row];
        let text = serde_json::to_string(&result)?;
        // The first `"rows":[` is the field's: inside a string a quote is escaped, and no
        // object before it in the result has a field of that name.
        let start = text.find("\"rows\":[").map(|at| at + "\"rows\":[".len());
        let (head, tail) = start
            .and_then(|at| text.split_at_checked(at + row_text.len()))
            .filter(|(head, tail)| head.ends_with(&row_text) && tail.starts_with(']'))
            .ok_or_else(|| std::io::Error::other("the JSON of the rows could not be placed"))?;
        out.write_all(head.as_bytes())?;
        let failed = std::sync::atomic::AtomicBool::new(false);
        let rest = first + 1;
        write_blocks(
            (self.len() - rest).div_ceil(JSON_BLOCK_ROWS),
            threads,
            &|| (),
            &|(), b, block| {
                let mut bytes = std::mem::take(block).into_bytes();
                let start = rest + b * JSON_BLOCK_ROWS;
                for r in start..self.len().min(start + JSON_BLOCK_ROWS) {
                    if let Some(row) = self.row_with(r, &lookups) {
                        bytes.push(b',');
                        if serde_json::to_writer(&mut bytes, &row).is_err() {
                            failed.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                }
                // serde_json writes UTF-8: the conversion only checks it.
                *block = String::from_utf8(bytes).unwrap_or_else(|_| {
                    failed.store(true, std::sync::atomic::Ordering::Relaxed);
                    String::new()
                });
            },
            &mut |block| out.write_all(block.as_bytes()),
        )?;
        if failed.into_inner() {
            return Err(std::io::Error::other("a row could not be written as JSON"));
        }
        out.write_all(tail.as_bytes())
    }

    /// The whole result with every row, as the command line prints it.
    pub fn to_result(&self) -> AuditResult {
        let mut result = self.result_without_rows();
        result.portfolio.typical = self.typical();
        let lookups = self.lookups();
        result.rows = (0..self.len())
            .filter_map(|r| self.row_with(r, &lookups))
            .collect();
        result
    }
}

/// Everything about a scored file except its rows: what the page shows first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    /// The result with no rows (they are not serialised when empty).
    #[serde(flatten)]
    pub result: AuditResult,
    /// The first row warnings in file order (at most the number asked for).
    pub row_warnings: Vec<String>,
}

/// Scores a small made-up list of `model`'s columns, twice, joins the rows of one to the
/// other as a part's piece is joined, sorts a view and makes the overview, which it
/// returns (for the engine to send it once as it sends a file's); `None` when any of
/// that failed.
///
/// For the page's engine when it starts: a browser first runs WebAssembly through a
/// quick baseline compiler and compiles a function at full speed only once it has been
/// used for a while, which helps the next call, not the running one. Sorting a view of
/// a million rows is one call, so it ran twice as slowly as it could on the first file
/// (96 ms against 47 in V8), as did a file's first chunks and its overview. After this
/// the real file finds that code compiled.
pub fn warm_up(model: &Model) -> Option<Overview> {
    use std::fmt::Write;
    const ROWS: usize = 4000;
    let mut csv = String::from("account_id,account_name,segment");
    for f in &model.features {
        csv.push(',');
        csv.push_str(&f.name);
    }
    csv.push('\n');
    for i in 0..ROWS {
        let _ = write!(csv, "W{i},Account {i},{}", ["A", "B", "C"][i % 3]);
        for j in 0..model.features.len() {
            csv.push(',');
            match (i + j) % 11 {
                0 => {}
                1 => csv.push_str("12.5"),
                k => {
                    let _ = write!(csv, "{}", k * (i % 97));
                }
            }
        }
        csv.push('\n');
    }
    let bytes = csv.as_bytes();
    let read = || {
        let mut scorer =
            Scorer::new(model.clone(), "warm-up.csv", 0, Mapping::new()).without_digest();
        bytes
            .chunks(bytes.len() / 8 + 1)
            .try_for_each(|chunk| scorer.push(chunk))
            .and_then(|()| scorer.finish())
            .ok()
    };
    // Two lists, as a worker and its partner: the second's rows cross as a piece does
    // (written, then read onto the end of the first).
    let (mut first, partner) = (read()?, read()?);
    let mut w = wire::Writer::with_capacity(partner.wire_len());
    partner.write_rows(&mut w);
    let joined = w.finish().is_some_and(|piece| {
        let mut r = wire::Reader::new(&piece);
        first.append_wire(&mut r, ROWS).is_ok() && r.is_done()
    });
    let view = first.view(&ViewQuery::default());
    (joined && view.len() == 2 * ROWS).then(|| first.overview(100))
}

/// Which rows to show and in what order (the page's table). Every field may be left
/// out (then empty or false) and other fields are ignored: the page sends what it has.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ViewQuery {
    /// `account_id`, `account_name`, `segment`, `churn_probability` (the default),
    /// `risk_tier` or `revenue_at_risk`.
    pub sort: String,
    /// Largest first.
    pub descending: bool,
    /// Only this tier (empty: all).
    pub tier: String,
    /// Only this segment, "(none)" for rows without one (empty: all).
    pub segment: String,
    /// Only rows whose id or name contains this text, ignoring case (empty: all).
    pub search: String,
}

impl Scored {
    /// The file's figures without its rows, with up to `max_warnings` row warnings.
    pub fn overview(&self, max_warnings: usize) -> Overview {
        Overview {
            result: self.result_without_rows(),
            row_warnings: self.first_warnings(max_warnings),
        }
    }

    fn result_without_rows(&self) -> AuditResult {
        self.result_with(self.summary.clone(), self.portfolio.clone(), self.encoding)
    }

    /// The first `max_warnings` row warnings, in file order.
    fn first_warnings(&self, max_warnings: usize) -> Vec<String> {
        let mut row_warnings = Vec::new();
        let lookups = self.lookups();
        for r in (0..self.len()).filter(|&r| self.warned[r]) {
            if row_warnings.len() >= max_warnings {
                break;
            }
            if let Some(row) = self.row_with(r, &lookups) {
                row_warnings.extend(row.warnings);
            }
        }
        row_warnings.truncate(max_warnings);
        row_warnings
    }

    /// The result without rows, with these figures.
    fn result_with(
        &self,
        summary: Summary,
        portfolio: Portfolio,
        encoding: ingest::Encoding,
    ) -> AuditResult {
        AuditResult {
            file: self.file.clone(),
            file_sha256: self.file_sha256.clone(),
            encoding: encoding.name().to_string(),
            delimiter: match self.delimiter {
                b'\t' => "\\t".to_string(),
                d => (d as char).to_string(),
            },
            as_of: ingest::format_iso_date(self.as_of),
            model: self.model.name.clone(),
            columns: self.columns.clone(),
            missing_features: self.missing_features.clone(),
            rows: Vec::new(),
            summary,
            portfolio,
            file_warnings: self.file_warnings.clone(),
        }
    }

    /// The rows `q` selects, in its order; ties keep file order.
    pub fn view(&self, q: &ViewQuery) -> Vec<u32> {
        let needle = q.search.trim().to_lowercase();
        let tier = self.model.tiers.iter().position(|t| t.name == q.tier);
        let mut rows: Vec<u32> = (0..self.len())
            .filter(|&r| {
                if !q.tier.is_empty() && tier != Some(usize::from(self.tier[r])) {
                    return false;
                }
                if q.segment.is_empty() && needle.is_empty() {
                    return true;
                }
                let text = self.row_text(r);
                if !q.segment.is_empty() {
                    let segment = Some(text.segment.trim()).filter(|s| !s.is_empty());
                    if segment.unwrap_or("(none)") != q.segment {
                        return false;
                    }
                }
                needle.is_empty()
                    || contains_ignoring_case(text.account_id, &needle)
                    || contains_ignoring_case(text.account_name, &needle)
            })
            .filter_map(|r| u32::try_from(r).ok())
            .collect();
        self.sort_view(&mut rows, &q.sort, q.descending);
        rows
    }

    /// Sorts rows by a column, ties in row order. Every row's key is computed once, not at
    /// each comparison: for numeric columns an order-preserving integer (as
    /// `f64::total_cmp` orders floats), for text columns the text itself. A key ends with
    /// the row, so no two are equal and std's unstable sort gives the one order. Measured
    /// natively on 1,000,000 simulated accounts: a numeric column sorts in 100 to 140 ms
    /// (a radix sort of the same keys took the same), five times faster than a comparator
    /// reading the rows; a text column in 0.8 s, against 1.75 s comparing rows' text.
    fn sort_view(&self, rows: &mut Vec<u32>, sort: &str, descending: bool) {
        let at = |r: u32| r as usize;
        let numeric = |x: f64| {
            let bits = x.to_bits() as i64;
            ((bits ^ (((bits >> 63) as u64) >> 1) as i64) as u64) ^ (1 << 63)
        };
        // Descending flips the key, never the row order of ties.
        let flip = |k: u64| if descending { !k } else { k };
        let keyed: Option<Vec<(u8, u64, u32)>> = match sort {
            "account_id" | "account_name" | "segment" => None,
            "revenue_at_risk" => Some(
                rows.iter()
                    .map(|&r| {
                        let v = Some(self.revenue[at(r)])
                            .filter(|v| !v.is_nan())
                            .unwrap_or(f64::NEG_INFINITY);
                        (0, flip(numeric(v)), r)
                    })
                    .collect(),
            ),
            // Tiers in risk order (the model lists the highest first), then probability.
            "risk_tier" => Some(
                rows.iter()
                    .map(|&r| {
                        let tier = u8::MAX - self.tier[at(r)];
                        let tier = if descending { !tier } else { tier };
                        (tier, flip(numeric(self.probability[at(r)])), r)
                    })
                    .collect(),
            ),
            _ => Some(
                rows.iter()
                    .map(|&r| (0, flip(numeric(self.probability[at(r)])), r))
                    .collect(),
            ),
        };
        if let Some(mut keyed) = keyed {
            keyed.sort_unstable();
            rows.clear();
            rows.extend(keyed.into_iter().map(|(_, _, r)| r));
            return;
        }
        let text = |r: u32| {
            let t = self.row_text(at(r));
            match sort {
                "account_id" => t.account_id,
                "account_name" => t.account_name,
                _ => t.segment,
            }
        };
        let mut keyed: Vec<(&str, u32)> = rows.iter().map(|&r| (text(r), r)).collect();
        keyed.sort_unstable_by(|a, b| {
            let order = a.0.cmp(b.0);
            let order = if descending { order.reverse() } else { order };
            order.then(a.1.cmp(&b.1))
        });
        rows.clear();
        rows.extend(keyed.into_iter().map(|(_, r)| r));
    }
}

/// Whether `haystack` contains `needle` (already lower case), ignoring case.
fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        return haystack
            .as_bytes()
            .windows(needle.len().max(1))
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()));
    }
    // A byte search finds what `str::contains` finds: UTF-8 never matches a character's
    // start inside another character.
    let haystack = haystack.to_lowercase();
    needle.is_empty()
        || haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
}

/// Collects the [`Summary`] one account at a time, with exact sums (see [`FixedSum`]).
#[derive(Debug, Clone)]
pub struct SummaryBuilder {
    accounts: usize,
    warned: usize,
    churners: FixedSum,
    revenue: FixedSum,
    tiers: Vec<(String, usize, FixedSum)>,
}

impl SummaryBuilder {
    /// An empty summary for `model`'s tiers.
    pub fn new(model: &Model) -> SummaryBuilder {
        SummaryBuilder {
            accounts: 0,
            warned: 0,
            churners: FixedSum::fine(),
            revenue: FixedSum::money(),
            tiers: model
                .tiers
                .iter()
                .map(|t| (t.name.clone(), 0, FixedSum::money()))
                .collect(),
        }
    }

    /// Adds one account: its tier's index, probability, revenue at risk, and whether it
    /// has a warning.
    pub fn add(&mut self, tier: usize, probability: f64, revenue: Option<f64>, warned: bool) {
        self.accounts += 1;
        self.warned += usize::from(warned);
        self.churners.add(probability);
        if let Some(v) = revenue {
            self.revenue.add(v);
        }
        if let Some(t) = self.tiers.get_mut(tier) {
            t.1 += 1;
            t.2.add(revenue.unwrap_or(0.0));
        }
    }

    /// Adds the accounts of another builder (of a later part of the same file): the
    /// result is exactly the one a single builder would give.
    pub fn merge(&mut self, other: &SummaryBuilder) {
        self.accounts += other.accounts;
        self.warned += other.warned;
        self.churners.merge(&other.churners);
        self.revenue.merge(&other.revenue);
        for (mine, theirs) in self.tiers.iter_mut().zip(&other.tiers) {
            mine.1 += theirs.1;
            mine.2.merge(&theirs.2);
        }
    }

    /// The summary.
    pub fn finish(&self) -> Summary {
        Summary {
            accounts_scored: self.accounts,
            rows_with_warnings: self.warned,
            expected_churners: self.churners.value(),
            revenue_at_risk: self.revenue.value(),
            tiers: self
                .tiers
                .iter()
                .map(|(name, accounts, revenue)| TierSummary {
                    name: name.clone(),
                    accounts: *accounts,
                    revenue_at_risk: revenue.value(),
                })
                .collect(),
        }
    }
}

/// Totals over the scored rows.
pub fn summarize(model: &Model, rows: &[ScoredRow]) -> Summary {
    let mut builder = SummaryBuilder::new(model);
    for row in rows {
        let tier = model
            .tiers
            .iter()
            .position(|t| t.name == row.risk_tier)
            .unwrap_or(usize::MAX);
        builder.add(
            tier,
            row.churn_probability,
            row.revenue_at_risk,
            !row.warnings.is_empty(),
        );
    }
    builder.finish()
}

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
/// order ([`Scorer::finish_apart`]), exactly as [`Scored::write_csv`] writes them
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

/// What goes between two warnings of a row in the scored CSV's `warnings` cell.
const WARNING_SEPARATOR: &str = "; ";

/// Rows per block of the scored CSV: a few megabytes of text, written in one go.
const CSV_BLOCK_ROWS: usize = 16 * 1024;
/// Rows of JSON formatted at a time (about 1.7 MB of text with reasons and warnings).
const JSON_BLOCK_ROWS: usize = 4 * 1024;

/// Formats `blocks` blocks of text, block `b` by `format(state, b, text)` appending to
/// an empty `text`, and hands each to `write` in order. On `threads` threads: thread
/// `t` (with its own `state()`) formats blocks `t`, `t + threads`, ..., and this thread
/// takes them round robin and hands each buffer back to be refilled, so memory stays
/// at two blocks per thread. In the wasm build, which has no threads, block by block.
fn write_blocks<S>(
    blocks: usize,
    threads: usize,
    state: &(dyn Fn() -> S + Sync),
    format: &(dyn Fn(&mut S, usize, &mut String) + Sync),
    write: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::sync::mpsc;
    let threads = if cfg!(target_arch = "wasm32") {
        1
    } else {
        threads.min(blocks)
    };
    if threads <= 1 {
        let (mut state, mut block) = (state(), String::new());
        for b in 0..blocks {
            block.clear();
            format(&mut state, b, &mut block);
            write(&block)?;
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        let lanes: Vec<_> = (0..threads)
            .map(|t| {
                let (full_tx, full_rx) = mpsc::sync_channel::<String>(1);
                let (empty_tx, empty_rx) = mpsc::channel::<String>();
                for _ in 0..2 {
                    let _ = empty_tx.send(String::new());
                }
                scope.spawn(move || {
                    let mut state = state();
                    for b in (t..blocks).step_by(threads) {
                        // Either channel closes only when the writer has stopped.
                        let Ok(mut block) = empty_rx.recv() else {
                            return;
                        };
                        block.clear();
                        format(&mut state, b, &mut block);
                        if full_tx.send(block).is_err() {
                            return;
                        }
                    }
                });
                (full_rx, empty_tx)
            })
            .collect();
        for (full_rx, empty_tx) in lanes.iter().cycle().take(blocks) {
            let block = full_rx
                .recv()
                .map_err(|_| std::io::Error::other("a thread formatting the rows stopped"))?;
            write(&block)?;
            let _ = empty_tx.send(block);
        }
        Ok(())
    })
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

/// Puts the separator before a warning that is not the row's first.
fn separate(out: &mut String, ends: &[usize]) {
    if !ends.is_empty() {
        out.push_str(WARNING_SEPARATOR);
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

/// Appends `s` as a text cell (see [`finish_text_cell`]).
fn push_text_cell(out: &mut String, s: &str) {
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

    #[test]
    fn the_warm_up_list_scores_with_every_bundled_model() {
        // A warm-up that failed early would compile nothing: it must read its own list.
        assert!(warm_up(&crate::default_model().unwrap()).is_some());
        assert!(warm_up(&crate::model::tests::tiny_model()).is_some());
    }
    use crate::model::tests::tiny_model;
    use crate::model::tests::Rng;

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
        let mut warnings = scored
            .read_warnings
            .binary_search_by_key(&(r as u32), |(row, _)| *row)
            .ok()
            .and_then(|i| scored.read_warnings.get(i))
            .map(|(_, w)| w.clone())
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
    fn audits_a_small_file_end_to_end() {
        let mut m = tiny_model();
        m.name_column = Some(crate::model::ColumnSpec {
            name: "account_name".into(),
            aliases: vec!["name".into()],
        });
        let text = "id,name,days,reference\nA,Acme,120,\nB,\"=cmd|' /C calc'!A0\",,yes\n";
        let r = audit(text.as_bytes(), "t.csv", &m, 0).unwrap();
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.summary.accounts_scored, 2);
        // Row A: hand computation in model::tests (1.3 + 0.75 + segment unseen/missing).
        let seg_missing = 0.3 * -0.5 - 0.3 * -0.4; // both indicators 0
        let z = -1.0 + 1.3 + 0.75 + seg_missing;
        assert!((r.rows[0].log_odds - z).abs() < 1e-12);
        // Contract value is "days" in the tiny model: revenue at risk = p * 120.
        assert!(
            (r.rows[0].revenue_at_risk.unwrap() - 120.0 * r.rows[0].churn_probability).abs() < 1e-9
        );
        assert_eq!(r.rows[1].revenue_at_risk, None);
        assert!(r.rows[1]
            .warnings
            .iter()
            .any(|w| w.contains("no value for days")));
        assert_eq!(r.summary.rows_with_warnings, 2);
        let csv = to_csv(&r);
        assert!(csv.starts_with("account_id,account_name,churn_probability,risk_tier,revenue_at_risk,top_reasons,warnings\n"));
        assert!(csv.contains(",'=cmd|' /C calc'!A0,"), "{csv}");
        let tiers: usize = r.summary.tiers.iter().map(|t| t.accounts).sum();
        assert_eq!(tiers, 2);
        // sha256 of the file's bytes, from Python's hashlib.sha256(text).hexdigest().
        assert_eq!(r.file_sha256, sha256_hex(text.as_bytes()));
        assert!(to_csv_excel(&r).starts_with("\u{feff}account_id,"));
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
    fn a_file_too_large_for_memory_is_refused_from_its_head() {
        let m = tiny_model();
        let text = "id,days\nA,1\nB,2\n";
        // Announced as far bigger than any memory: refused as soon as the head is read.
        let mut scorer = Scorer::new(m, "t.csv", 0, Mapping::new()).expect_bytes(u64::MAX / 2);
        let e = match scorer
            .push(text.as_bytes())
            .and_then(|_| scorer.finish().map(|_| ()))
        {
            Err(e) => e.to_string(),
            Ok(()) => panic!("a file of 2^63 bytes was not refused"),
        };
        assert!(
            e.contains("more than the memory available here can hold"),
            "{e}"
        );
        assert_eq!(estimated_rows(4 << 20, 1000), 1036);
        assert_eq!(estimated_rows(40 << 20, 1000), 10216);
    }

    #[test]
    fn the_text_of_a_file_of_known_size_is_reserved_once_from_its_head() {
        let m = tiny_model();
        let mut text = String::from("id,days\n");
        let mut i = 0;
        // Two and a half heads: left to double, the text would grow after the head.
        while text.len() < 5 * ingest::HEAD_BYTES / 2 {
            text.push_str(&format!("account-{i:09},{}\n", i % 30));
            i += 1;
        }
        let mut scorer = Scorer::new(m, "t.csv", 0, Mapping::new()).expect_bytes(text.len() as u64);
        let mut capacities = Vec::new();
        for chunk in text.as_bytes().chunks(1 << 20) {
            scorer.push(chunk).unwrap();
            if scorer.plan.is_some() {
                capacities.push(scorer.scored.text.capacity());
            }
        }
        let scored = scorer.finish().unwrap();
        assert_eq!(scored.len(), i);
        capacities.push(scored.text.capacity());
        let used = scored.text.len();
        assert!(
            capacities.windows(2).all(|w| w[0] == w[1]),
            "{capacities:?}"
        );
        assert!(capacities
            .first()
            .is_some_and(|&c| c >= used && c < used + used / 16));
    }

    #[test]
    fn sha256_matches_a_known_digest() {
        // FIPS 180-2 test vector for "abc".
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_mapping_renames_and_ignores_columns() {
        let m = tiny_model();
        let text = "Client,Silence,reference\nA,120,no\nB,3,yes\n";
        // Without a mapping there is no id column.
        assert!(audit(text.as_bytes(), "t.csv", &m, 0).is_err());
        let mut mapping = Mapping::new();
        mapping.insert("Client".into(), "account_id".into());
        mapping.insert("Silence".into(), "days".into());
        mapping.insert("reference".into(), features::IGNORE.into());
        let mut scorer = Scorer::new(m.clone(), "t.csv", 0, mapping.clone());
        scorer.push(text.as_bytes()).unwrap();
        let p = scorer.finish().unwrap();
        let r = p.to_result();
        assert_eq!(r.rows[0].account_id, "A");
        assert_eq!(p.row_values(0)[0], 120.0);
        assert!(
            p.row_values(0)[1].is_nan(),
            "the ignored column must not be read"
        );
        assert_eq!(r.missing_features, vec!["reference", "segment"]);
        assert_eq!(r.columns[1].how, Some(features::MatchKind::Manual));
        let i = inspect(text.as_bytes(), "t.csv", &m, &Mapping::new()).unwrap();
        assert!(i.problem.unwrap().contains("no account id column"));
        assert_eq!(i.examples[1], vec!["120", "3"]);
        assert_eq!(i.targets[0].role, "id");
        let i = inspect(text.as_bytes(), "t.csv", &m, &mapping).unwrap();
        assert_eq!(i.problem, None);
        mapping.insert("Silence".into(), "nonsense".into());
        assert!(audit_mapped(text.as_bytes(), "t.csv", &m, 0, &mapping).is_err());
    }

    #[test]
    fn search_matches_what_lower_casing_and_contains_match() {
        const POOL: &[&str] = &[
            "a", "A", "É", "é", "cole", "COLE", "Σ", "σ", "ς", "ΟΔΟ", "İ", "i", "\u{307}", " ",
            "ß", "SS", "-", "1", "漢", "'",
        ];
        let mut x = 0x5eed_5ea7_u64;
        let mut draw = |n: u64| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            let k = (x.wrapping_mul(0x2545_f491_4f6c_dd1d) % (n + 1)) as usize;
            (0..k)
                .map(|i| POOL[(x.rotate_left(i as u32 * 5) % POOL.len() as u64) as usize])
                .collect::<String>()
        };
        for _ in 0..200_000 {
            let (haystack, search) = (draw(8), draw(3));
            let needle = search.to_lowercase();
            if needle.is_empty() {
                continue;
            }
            let want = haystack.to_lowercase().contains(&needle);
            assert_eq!(
                contains_ignoring_case(&haystack, &needle),
                want,
                "{haystack:?} {search:?}"
            );
        }
    }

    #[test]
    fn formula_prefixes_are_neutralised_and_quotes_doubled() {
        assert_eq!(text_cell("-5"), "'-5");
        assert_eq!(text_cell("@SUM"), "'@SUM");
        assert_eq!(text_cell("Acme"), "Acme");
        assert_eq!(quote("a,\"b\""), "\"a,\"\"b\"\"\"");
    }

    #[test]
    fn views_sort_every_column_exactly_as_a_comparator_would() {
        // Repeated rows give ties (kept in row order), missing contract values sort as
        // the smallest revenue, text columns compare their text.
        let csv = crate::simulate::simulate(&crate::simulate::SimConfig {
            accounts: 3000,
            seed: 3,
            as_of: 20_000,
        });
        let mut lines: Vec<&str> = csv.lines().collect();
        let repeated: Vec<&str> = lines[1..400].to_vec();
        lines.extend(repeated);
        let text = lines.join("\n");
        let model = crate::default_model().unwrap();
        let mut scorer = Scorer::new(model, "v.csv", 20_000, Mapping::new());
        scorer.push(text.as_bytes()).unwrap();
        let mut scored = scorer.finish().unwrap();
        for r in (0..scored.len()).step_by(7) {
            scored.revenue[r] = f64::NAN;
        }
        let p = &scored.probability;
        let rev = |r: usize| {
            Some(scored.revenue[r])
                .filter(|v| !v.is_nan())
                .unwrap_or(f64::NEG_INFINITY)
        };
        let text = |r: usize| scored.row_text(r);
        type Cmp<'a> = Box<dyn Fn(usize, usize) -> std::cmp::Ordering + 'a>;
        let cases: Vec<(&str, Cmp)> = vec![
            (
                "account_id",
                Box::new(|a, b| text(a).account_id.cmp(text(b).account_id)),
            ),
            (
                "account_name",
                Box::new(|a, b| text(a).account_name.cmp(text(b).account_name)),
            ),
            (
                "segment",
                Box::new(|a, b| text(a).segment.cmp(text(b).segment)),
            ),
            ("churn_probability", Box::new(|a, b| p[a].total_cmp(&p[b]))),
            (
                "revenue_at_risk",
                Box::new(|a, b| rev(a).total_cmp(&rev(b))),
            ),
            (
                "risk_tier",
                Box::new(|a, b| {
                    scored.tier[b]
                        .cmp(&scored.tier[a])
                        .then(p[a].total_cmp(&p[b]))
                }),
            ),
        ];
        for (sort, by) in &cases {
            for descending in [false, true] {
                let mut expected: Vec<u32> = (0..scored.len() as u32).collect();
                expected.sort_by(|&a, &b| {
                    let (a, b) = (a as usize, b as usize);
                    let o = if descending { by(b, a) } else { by(a, b) };
                    o.then(a.cmp(&b))
                });
                let q = ViewQuery {
                    sort: sort.to_string(),
                    descending,
                    ..Default::default()
                };
                assert_eq!(scored.view(&q), expected, "{sort} descending={descending}");
            }
        }
    }
}
