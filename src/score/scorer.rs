//! The streaming scorer: a file's bytes in, as they arrive, the scored columns out.
//!
//! The head's records plan the columns ([`features::Plan`]); every record is then read,
//! scored and stored in one pass ([`Scorer::push`]), the summary and the portfolio
//! growing with it. Memory is the one limit a huge file can hit, and it fails with a
//! message, never an abort. Scoring a file in parts and joining them is in `parts.rs`.

use crate::error::Result;
use crate::explain::PortfolioBuilder;
use crate::features::{self, Inspection, Mapping};
use crate::ingest::{self, RowWarning};
use crate::model::{Memo, Model, Score};

use super::scored::{imputed, revenue_at_risk, Lookups};
use super::{FileHash, Scored, SummaryBuilder};

/// Scores a file as its bytes arrive, keeping only the results: the command line feeds
/// it the whole file, the page feeds it chunks read from disk. Chunk boundaries never
/// change a figure (see [`ingest::HEAD_BYTES`]).
///
/// ```
/// use churn_audit::{score::Scorer, default_model, features::Mapping};
/// let mut scorer = Scorer::new(default_model()?, "accounts.csv", 20_000, Mapping::new());
/// scorer.push(b"account_id,open_escalations\nA-1,4\nA-")?;
/// scorer.push(b"2,0\n")?;
/// let scored = scorer.finish()?;
/// assert_eq!(scored.len(), 2);
/// assert!(scored.probability[0] > scored.probability[1]);
/// # Ok::<(), churn_audit::Error>(())
/// ```
pub struct Scorer {
    pub(super) reader: ingest::Reader,
    pub(super) plan: Option<features::Plan>,
    pub(super) scored: Scored,
    pub(super) mapping: Mapping,
    pub(super) digest: Option<FileHash>,
    pub(super) summary: SummaryBuilder,
    pub(super) portfolio: Option<PortfolioBuilder>,
    pub(super) score: Score,
    /// Contributions of small whole numbers, computed once per file.
    pub(super) memo: Memo,
    /// Set with the plan, once the head is read.
    pub(super) lookups: Lookups,
    /// The values of cells read so far, by their texts (set with the plan).
    pub(super) read_memo: features::ReadMemo,
    /// The file's size in bytes, when known ([`Scorer::expect_bytes`]).
    pub(super) expected_bytes: Option<u64>,
    /// A scorer of a later part of the file ([`Scorer::part`]): the head's records
    /// belong to the first part and are not scored here.
    pub(super) is_part: bool,
    /// The encoding of everything read, once parts are joined ([`Scorer::join`]).
    pub(super) joined_encoding: Option<ingest::Encoding>,
    /// Rows already handed on as pieces ([`Scorer::take_piece`]).
    pub(super) rows_taken: usize,
    /// Where the pieces of the next part joined so far start, to take them back out
    /// when that part cannot be joined after all ([`Scorer::join_piece`]).
    pub(super) pieces_from: Option<(usize, usize, usize)>,
    /// A piece was refused: so is the part it belongs to.
    pub(super) piece_refused: bool,
    /// The rows of the parts joined after this scorer's own, kept apart from its columns
    /// in file order ([`Scorer::join_apart`]): they follow every row in the columns.
    pub(super) apart: Vec<Scored>,
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
pub(super) fn too_large(file: &str, rows: usize) -> crate::Error {
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
    /// file is smaller: inspect it with [`inspect`](super::inspect)) or bytes were pushed before.
    ///
    /// The inspection is [`inspect`](super::inspect)'s for the same bytes, except that a last record cut
    /// off by the head's end is not counted (nor shown), which [`inspect`](super::inspect) reads as a
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

    /// Ends the file and returns the scored list. Fails when the file cannot be used at
    /// all (see [`audit`](super::audit)).
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
    pub(super) fn drain(&mut self) -> Result<()> {
        if self.plan.is_none() {
            let Some(head) = self.reader.take_head() else {
                return Ok(());
            };
            let model = &self.scored.model;
            let file = self.scored.file.as_str();
            let plan = features::Plan::new(&head, model, self.scored.as_of, file, &self.mapping)?;
            if !plan.missing_features.is_empty() {
                // An input the file has no column for counts for nothing: every figure,
                // reason and what-if comes from this copy of the model.
                self.scored.model = model.without_inputs(&plan.missing_features);
                self.memo = self.scored.model.memo();
            }
            let model = &self.scored.model;
            self.lookups = Lookups::new(model, &plan.missing_features);
            let coverage = features::coverage(model, &self.lookups.has_column);
            let warnings = file_warnings(model, &plan, &coverage);
            self.portfolio =
                Some(PortfolioBuilder::new(model, plan.has_segment).with_memo(self.memo.clone()));
            let s = &mut self.scored;
            s.coverage = coverage;
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
        record_warnings: Vec<RowWarning>,
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

/// The file-level warnings about missing columns.
fn file_warnings(
    model: &Model,
    plan: &features::Plan,
    coverage: &features::Coverage,
) -> Vec<String> {
    let mut out = plan.file_warnings.clone();
    if !plan.missing_features.is_empty() {
        let labels: Vec<&str> = plan
            .missing_features
            .iter()
            .filter_map(|name| model.features.iter().find(|f| &f.name == name))
            .map(|f| f.label.as_str())
            .collect();
        out.push(format!(
            "not in this file: {}. These inputs count for nothing in the scores (coverage {}%)",
            labels.join("; "),
            (coverage.share * 100.0).round()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::tiny_model;

    /// The tiny model (intercept -1; days: hinge at 90, weights 0.01 and 0.02, centres 40
    /// and 5; reference: weight -1.5, centre 0.2, missing term 0.5 centred at 0.1;
    /// segment: two levels) on a file with a days column only. By hand: A (100 days)
    /// gets 0.01·(100 − 40) + 0.02·(10 − 5) = 0.7, B (empty cell, imputed 30) gets
    /// 0.01·(30 − 40) + 0.02·(0 − 5) = −0.2; the absent reference and segment add
    /// exactly 0 (with their "not recorded" effect they would add 0.3 + 0.45 and −0.03).
    #[test]
    fn an_absent_column_contributes_nothing() {
        let mut scorer = Scorer::new(tiny_model(), "t.csv", 0, Mapping::new());
        scorer.push(b"account_id,days\nA,100\nB,\n").unwrap();
        let scored = scorer.finish().unwrap();
        let r = scored.to_result();
        let log_odds: Vec<f64> = r.rows.iter().map(|row| row.log_odds).collect();
        assert!((log_odds[0] - (-1.0 + 0.7)).abs() < 1e-12, "{log_odds:?}");
        assert!((log_odds[1] - (-1.0 - 0.2)).abs() < 1e-12, "{log_odds:?}");
        let score = scored.model.score(scored.row_values(0));
        assert_eq!(score.contributions[1], 0.0);
        assert_eq!(score.contributions[2], 0.0);
        // Reasons cite the input the file has, never an absent one.
        assert_eq!(
            r.rows[0].top_reasons.len(),
            1,
            "{:?}",
            r.rows[0].top_reasons
        );
        assert!(r.rows[0].top_reasons[0].starts_with("No contact for 100 days"));
        assert!(r.rows.iter().all(|row| row
            .top_reasons
            .iter()
            .all(|t| !t.contains("Reference") && !t.contains("Segment"))));
        // The empty cell of a column that is there is imputed and said so; the absent
        // columns are said once, for the file.
        assert!(r.rows[1]
            .warnings
            .iter()
            .any(|w| w.contains("no value for days")));
        assert_eq!(r.missing_features, vec!["reference", "segment"]);
        assert!(r
            .file_warnings
            .iter()
            .any(|w| w.starts_with("not in this file: Reference; Segment.")));
        // Coverage: the tiny model records no covariance, so one input of three.
        assert_eq!(r.coverage.missing, vec!["reference", "segment"]);
        assert!(!r.coverage.sufficient && !r.coverage.measured);
        assert!((r.coverage.share - 1.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn a_column_with_no_values_is_not_in_the_file() {
        let mut scorer = Scorer::new(tiny_model(), "t.csv", 0, Mapping::new());
        scorer
            .push(b"account_id,days,reference\nA,100,\nB,20,n/a\n")
            .unwrap();
        let r = scorer.finish().unwrap().to_result();
        assert_eq!(r.missing_features, vec!["reference", "segment"]);
        assert!((r.rows[0].log_odds - (-1.0 + 0.7)).abs() < 1e-12);
        assert!(r.file_warnings[0].starts_with("column 'reference' (Reference) has no values"));
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
}
