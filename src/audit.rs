//! A whole account list: scores, tiers, revenue at risk, a summary, and the warnings.
//!
//! [`audit`] is the one entry point the command line and the page share, so both give
//! the same numbers for the same bytes. [`AuditResult`] is what the page receives and
//! what `score --format json` prints; [`to_csv`] is the scored CSV both write.

use serde::Serialize;

use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::explain::{self, Portfolio, PortfolioBuilder};
use crate::features::{self, ColumnMatch, Inspection, Mapping};
use crate::ingest;
use crate::metrics::FixedSum;
use crate::model::{format_value, top_reasons, Model, Score};

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
    scratch: Vec<f64>,
    /// The file's size in bytes, when known ([`Scorer::expect_bytes`]).
    expected_bytes: Option<u64>,
    /// A scorer of a later part of the file ([`Scorer::part`]): the head's records
    /// belong to the first part and are not scored here.
    is_part: bool,
    /// The encoding of everything read, once parts are joined ([`Scorer::join`]).
    joined_encoding: Option<ingest::Encoding>,
}

impl Part {
    /// The part as bytes, to hand to the worker holding the part before it (a copy of
    /// the columns, no text format); read back with [`Part::from_bytes`].
    pub fn to_bytes(&self) -> Vec<u8> {
        let s = &self.scored;
        let mut w = crate::wire::Writer(Vec::with_capacity(
            64 + s.len() * (8 * (s.model.features.len() + 2) + 18) + s.text.len(),
        ));
        w.0.extend_from_slice(PART_MAGIC);
        w.u8(u8::from(self.open_end));
        w.u8(u8::from(self.end.started_undecided));
        w.u8(self.end.decided.map_or(0, |e| 1 + e as u8));
        w.len(self.end.next_line);
        w.u8(u8::from(s.has_segment));
        w.u32s(&s.lines);
        w.f64s(&s.values);
        w.f64s(&s.probability);
        w.bytes(&s.tier);
        w.f64s(&s.revenue);
        w.len(s.warned.len());
        s.warned.iter().for_each(|&b| w.u8(u8::from(b)));
        w.str(&s.text);
        w.u32s(&s.text_ends);
        w.len(s.read_warnings.len());
        for (row, warnings) in &s.read_warnings {
            w.u32(*row);
            w.len(warnings.len());
            warnings.iter().for_each(|x| w.str(x));
        }
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
        w.0
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
        use crate::wire::DAMAGED;
        let body = bytes.strip_prefix(PART_MAGIC).ok_or(DAMAGED)?;
        let mut r = crate::wire::Reader::new(body);
        let flag = |v: u8| v != 0;
        let open_end = flag(r.u8()?);
        let started_undecided = flag(r.u8()?);
        let decided = match r.u8()? {
            0 => None,
            k => Some(ENCODINGS.get(usize::from(k - 1)).copied().ok_or(DAMAGED)?),
        };
        let next_line = r.usize()?;
        let mut s = Scored::empty(model.clone(), file, as_of);
        s.has_segment = flag(r.u8()?);
        s.lines = r.u32s()?;
        s.values = r.f64s()?;
        s.probability = r.f64s()?;
        s.tier = r.bytes()?.to_vec();
        s.revenue = r.f64s()?;
        let n = r.len(1)?;
        s.warned = (0..n)
            .map(|_| r.u8().map(flag))
            .collect::<std::result::Result<_, _>>()?;
        s.text = r.str()?;
        s.text_ends = r.u32s()?;
        for _ in 0..r.count()? {
            let row = r.u32()?;
            let warnings = (0..r.count()?)
                .map(|_| r.str())
                .collect::<std::result::Result<_, _>>()?;
            s.read_warnings.push((row, warnings));
        }
        let rows = s.lines.len();
        let p = model.features.len();
        let text_ok = s
            .text_ends
            .iter()
            .all(|&e| (e as usize) <= s.text.len() && s.text.is_char_boundary(e as usize))
            && s.text_ends.windows(2).all(|w| w[0] <= w[1]);
        let sizes_ok = s.values.len() == rows * p
            && [
                s.probability.len(),
                s.tier.len(),
                s.revenue.len(),
                s.warned.len(),
            ]
            .iter()
            .all(|&n| n == rows)
            && s.text_ends.len() == 3 * rows
            && s.read_warnings
                .iter()
                .all(|(row, _)| (*row as usize) < rows);
        if !(text_ok && sizes_ok) {
            return Err(DAMAGED);
        }
        let mut summary = SummaryBuilder::new(model);
        summary.accounts = r.usize()?;
        summary.warned = r.usize()?;
        summary.churners = FixedSum::read(&mut r)?;
        summary.revenue = FixedSum::read(&mut r)?;
        if r.count()? != summary.tiers.len() {
            return Err(DAMAGED);
        }
        for tier in summary.tiers.iter_mut() {
            tier.1 = r.usize()?;
            tier.2 = FixedSum::read(&mut r)?;
        }
        let portfolio = PortfolioBuilder::read(&mut r, model, s.has_segment)?;
        if !r.is_done() {
            return Err(DAMAGED);
        }
        Ok(Part {
            scored: s,
            summary,
            portfolio,
            end: ingest::PartEnd {
                started_undecided,
                decided,
                next_line,
            },
            open_end,
        })
    }
}

/// The first bytes of [`Part::to_bytes`].
const PART_MAGIC: &[u8] = b"churn-audit part 1\n";
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
            scored: Scored::empty(model, file, as_of),
            mapping,
            digest: Some(FileHash::new()),
            scratch: Vec::new(),
            expected_bytes: None,
            is_part: false,
            joined_encoding: None,
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
        if !self.reader.part_end_is_open() || self.plan.is_none() {
            return Ok(false);
        }
        let Some(encoding) = self.reader.continued_by(&part.end) else {
            self.reader.reopen();
            return Ok(false);
        };
        let lines_before = self.reader.part_end().next_line - 1;
        let first_row = self.scored.len();
        self.scored
            .append(part.scored, lines_before)
            .map_err(|_| too_large(&self.scored.file, first_row))?;
        self.summary.merge(&part.summary);
        if let Some(portfolio) = &mut self.portfolio {
            portfolio.merge(&part.portfolio);
        }
        self.reader.adopt(&part.end, lines_before);
        if !part.open_end {
            self.reader.finish()?;
        }
        self.joined_encoding = Some(encoding);
        Ok(true)
    }

    /// [`Scorer::join`] for a part received as bytes ([`Part::to_bytes`]).
    pub fn join_bytes(&mut self, bytes: &[u8]) -> Result<bool> {
        let s = &self.scored;
        let part = Part::from_bytes(bytes, &s.model, &s.file, s.as_of)?;
        self.join(part)
    }

    /// Takes bytes again after [`Scorer::end_part`], when the part after it cannot be
    /// joined (it could not be read, or [`Scorer::join`] refused it).
    pub fn reopen(&mut self) {
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

    /// Reads and scores the next bytes of the file.
    pub fn push(&mut self, chunk: &[u8]) -> Result<()> {
        if let Some(digest) = &mut self.digest {
            digest.update(chunk);
        }
        self.reader.push(chunk)?;
        self.drain()
    }

    /// Rows scored so far.
    pub fn rows(&self) -> usize {
        self.scored.lines.len()
    }

    /// Ends the file and returns the scored list. Fails when the file cannot be used at
    /// all (see [`audit`]).
    pub fn finish(mut self) -> Result<Scored> {
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
            self.portfolio = Some(PortfolioBuilder::new(model, plan.has_segment));
            let s = &mut self.scored;
            s.delimiter = head.delimiter;
            s.columns = plan.columns.clone();
            s.missing_features = plan.missing_features.clone();
            s.has_segment = plan.has_segment;
            s.file_warnings = warnings;
            if let Some(total) = self.expected_bytes {
                let rows = estimated_rows(total, head.records.len());
                s.reserve(rows, plan.n_features)
                    .map_err(|_| too_large_estimate(&s.file, rows))?;
            }
            self.plan = Some(plan);
            let head_records = if self.is_part { &[][..] } else { &head.records };
            for record in head_records {
                self.add(&record.fields, record.line, record.warnings.clone())?;
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
    fn add<S: AsRef<str>>(
        &mut self,
        fields: &[S],
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
        let text = plan.read(model, fields, line, &mut s.values[start..], &mut warnings);
        let values = &s.values[start..];
        model.score_into(values, &mut self.score, &mut self.scratch);
        let score = &self.score;
        let warned = !warnings.is_empty()
            || score.clipped.iter().any(|&c| c)
            || imputed(model, values, &s.missing_features).next().is_some();
        let revenue = revenue_at_risk(model, values, score.probability);
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
    match rest[..digits].parse::<usize>() {
        Ok(line) => format!("line {}{}", line + lines_before, &rest[digits..]),
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

/// The features of a row that had a column but no value (imputed).
fn imputed<'a>(
    model: &'a Model,
    values: &'a [f64],
    missing_features: &'a [String],
) -> impl Iterator<Item = &'a str> + 'a {
    model
        .features
        .iter()
        .zip(values)
        .filter(move |(spec, x)| x.is_nan() && !missing_features.contains(&spec.name))
        .map(|(spec, _)| spec.name.as_str())
}

/// Probability times the contract value, when the model has one and the row knows it.
fn revenue_at_risk(model: &Model, values: &[f64], probability: f64) -> Option<f64> {
    model
        .value_feature
        .as_deref()
        .and_then(|v| model.feature_index(v))
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

    /// Appends the rows of a part of the same file read after this one, whose lines
    /// count from 1 after `lines_before` lines ([`Scorer::join`]).
    fn append(
        &mut self,
        part: Scored,
        lines_before: usize,
    ) -> std::result::Result<(), std::collections::TryReserveError> {
        let rows = u32::try_from(self.len()).unwrap_or(u32::MAX);
        let text_base = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        let shift = u32::try_from(lines_before).unwrap_or(u32::MAX);
        // Line numbers and text offsets are u32: a part that would overflow them is
        // refused like a file too large for memory, never wrapped.
        let too_far = |n: Option<u32>| n.is_none();
        if too_far(part.lines.last().map_or(Some(0), |l| l.checked_add(shift)))
            || too_far(rows.checked_add(u32::try_from(part.len()).unwrap_or(u32::MAX)))
            || too_far(text_base.checked_add(u32::try_from(part.text.len()).unwrap_or(u32::MAX)))
        {
            // Reuse the allocator's error type for "does not fit".
            return Err(Vec::<u8>::new().try_reserve(usize::MAX).unwrap_err());
        }
        self.reserve(self.len() + part.len(), self.model.features.len())?;
        self.text.try_reserve(part.text.len())?;
        self.read_warnings.try_reserve(part.read_warnings.len())?;
        self.lines.extend(part.lines.iter().map(|l| l + shift));
        self.values.extend_from_slice(&part.values);
        self.probability.extend_from_slice(&part.probability);
        self.tier.extend_from_slice(&part.tier);
        self.revenue.extend_from_slice(&part.revenue);
        self.warned.extend_from_slice(&part.warned);
        self.text.push_str(&part.text);
        self.text_ends
            .extend(part.text_ends.iter().map(|e| e + text_base));
        self.read_warnings
            .extend(part.read_warnings.into_iter().map(|(row, warnings)| {
                let warnings = warnings
                    .iter()
                    .map(|w| shift_line(w, lines_before))
                    .collect();
                (row + rows, warnings)
            }));
        Ok(())
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
        let line = *self.lines.get(r)? as usize;
        let model = &self.model;
        let values = self.row_values(r);
        let score = model.score(values);
        let mut warnings = self
            .read_warnings
            .binary_search_by_key(&(r as u32), |(row, _)| *row)
            .ok()
            .and_then(|i| self.read_warnings.get(i))
            .map(|(_, w)| w.clone())
            .unwrap_or_default();
        let imputed: Vec<&str> = imputed(model, values, &self.missing_features).collect();
        if !imputed.is_empty() {
            warnings.push(format!(
                "line {line}: no value for {}; imputed",
                imputed.join(", ")
            ));
        }
        for (f, spec) in model.features.iter().enumerate() {
            if score.clipped[f] {
                warnings.push(format!(
                    "line {line}: {} = {} is outside the training range [{}, {}]; scored as {}",
                    spec.name,
                    format_value(values[f]),
                    format_value(spec.range[0]),
                    format_value(spec.range[1]),
                    format_value(values[f].clamp(spec.range[0], spec.range[1]))
                ));
            }
        }
        let text = self.row_text(r);
        Some(ScoredRow {
            line,
            account_id: text.account_id.to_string(),
            account_name: text.account_name.to_string(),
            segment: text.segment.to_string(),
            churn_probability: score.probability,
            log_odds: score.log_odds,
            risk_tier: model.tier(score.probability).to_string(),
            revenue_at_risk: revenue_at_risk(model, values, score.probability),
            top_reasons: top_reasons(model, values, &score, REASONS_PER_ACCOUNT),
            warnings,
        })
    }

    /// Writes the scored CSV ([`to_csv`]) row by row, without holding every row's text:
    /// a million rows take the memory of one.
    pub fn write_csv(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut line = csv_header();
        w.write_all(line.as_bytes())?;
        for r in 0..self.len() {
            if let Some(row) = self.row(r) {
                line.clear();
                push_csv_row(&row, &mut line);
                w.write_all(line.as_bytes())?;
            }
        }
        Ok(())
    }

    /// The portfolio's median value per feature ([`Portfolio::typical`]).
    pub fn typical(&self) -> Vec<Option<f64>> {
        explain::typical_values(&self.model, &self.values, self.model.features.len())
    }

    /// The whole result with every row, as the command line prints it.
    pub fn to_result(&self) -> AuditResult {
        let mut result = self.result_without_rows();
        result.portfolio.typical = self.typical();
        result.rows = (0..self.len()).filter_map(|r| self.row(r)).collect();
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

/// Which rows to show and in what order (the page's table).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
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
        let mut row_warnings = Vec::new();
        for r in (0..self.len()).filter(|&r| self.warned[r]) {
            if row_warnings.len() >= max_warnings {
                break;
            }
            if let Some(row) = self.row(r) {
                row_warnings.extend(row.warnings);
            }
        }
        row_warnings.truncate(max_warnings);
        Overview {
            result: self.result_without_rows(),
            row_warnings,
        }
    }

    fn result_without_rows(&self) -> AuditResult {
        AuditResult {
            file: self.file.clone(),
            file_sha256: self.file_sha256.clone(),
            encoding: self.encoding.name().to_string(),
            delimiter: match self.delimiter {
                b'\t' => "\\t".to_string(),
                d => (d as char).to_string(),
            },
            as_of: ingest::format_iso_date(self.as_of),
            model: self.model.name.clone(),
            columns: self.columns.clone(),
            missing_features: self.missing_features.clone(),
            rows: Vec::new(),
            summary: self.summary.clone(),
            portfolio: self.portfolio.clone(),
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
        let p = &self.probability;
        let at = |r: u32| r as usize;
        let by: Box<Compare> = match q.sort.as_str() {
            "account_id" => Box::new(|a, b| {
                self.row_text(at(*a))
                    .account_id
                    .cmp(self.row_text(at(*b)).account_id)
            }),
            "account_name" => Box::new(|a, b| {
                self.row_text(at(*a))
                    .account_name
                    .cmp(self.row_text(at(*b)).account_name)
            }),
            "segment" => Box::new(|a, b| {
                self.row_text(at(*a))
                    .segment
                    .cmp(self.row_text(at(*b)).segment)
            }),
            "revenue_at_risk" => {
                let key = |r: u32| {
                    Some(self.revenue[at(r)])
                        .filter(|v| !v.is_nan())
                        .unwrap_or(f64::NEG_INFINITY)
                };
                Box::new(move |a, b| key(*a).total_cmp(&key(*b)))
            }
            // Tiers in risk order (the model lists the highest first), then probability.
            "risk_tier" => Box::new(|a, b| {
                self.tier[at(*b)]
                    .cmp(&self.tier[at(*a)])
                    .then(p[at(*a)].total_cmp(&p[at(*b)]))
            }),
            _ => Box::new(|a, b| p[at(*a)].total_cmp(&p[at(*b)])),
        };
        let descending = q.descending;
        crate::sort::sort_indices(&mut rows, &|a, b| {
            let order = if descending { by(&b, &a) } else { by(&a, &b) };
            order.then(a.cmp(&b))
        });
        rows
    }
}

/// Orders two row indices.
type Compare<'a> = dyn Fn(&u32, &u32) -> std::cmp::Ordering + 'a;

/// Whether `haystack` contains `needle` (already lower case), ignoring case.
fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        return haystack
            .as_bytes()
            .windows(needle.len().max(1))
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()));
    }
    haystack.to_lowercase().contains(needle)
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
    format!("{}\n", CSV_COLUMNS.join(","))
}

/// Appends one scored row as a line of the scored CSV (see [`to_csv`]).
pub fn push_csv_row(row: &ScoredRow, out: &mut String) {
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

/// [`to_csv`] for Excel: the same text after a UTF-8 byte-order mark, which Excel needs
/// to read accented names correctly instead of guessing a legacy code page.
pub fn to_csv_excel(result: &AuditResult) -> String {
    format!("\u{feff}{}", to_csv(result))
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::tiny_model;

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
    fn formula_prefixes_are_neutralised_and_quotes_doubled() {
        assert_eq!(text_cell("-5"), "'-5");
        assert_eq!(text_cell("@SUM"), "'@SUM");
        assert_eq!(text_cell("Acme"), "Acme");
        assert_eq!(quote("a,\"b\""), "\"a,\"\"b\"\"\"");
    }
}
