//! A whole account list: scores, tiers, revenue at risk, a summary, and the warnings.
//!
//! [`audit`] is the one entry point the command line and the page share, so both give
//! the same numbers for the same bytes. [`AuditResult`] is what the page receives and
//! what `score --format json` prints; [`to_csv`] is the scored CSV both write.
//!
//! The stages, one file each:
//!
//! * `scorer.rs`: [`Scorer`], which reads and scores a file as its bytes arrive and
//!   keeps only the results;
//! * `scored.rs`: [`Scored`], the scored list kept column by column, and a row in full
//!   ([`ScoredRow`]: its reasons and every warning);
//! * `parts.rs`: a file scored in parts ([`Part`]), by threads or web workers, its
//!   parts' byte form between workers, and their joining into exactly the result one
//!   scorer gives;
//! * `restore.rs`: a scored list made again from its rows' inputs (a saved audit
//!   reopened, [`Scored::restore`]);
//! * `threads.rs`: the command line's driver that cuts a file into parts and scores
//!   them on threads ([`score_in_parts`]);
//! * `summary.rs`: the figures for the whole list ([`SummaryBuilder`], exact sums) and
//!   what the page shows first ([`Overview`]);
//! * `view.rs`: the rows the page's table shows, filtered, searched and sorted
//!   ([`ViewQuery`]);
//! * `csv.rs`, `json.rs`: the scored CSV and the JSON, written block by block
//!   (`blocks.rs`: blocks formatted on threads, written in order).

mod blocks;
mod csv;
mod json;
mod parts;
mod restore;
mod scored;
mod scorer;
mod summary;
mod threads;
mod view;
mod xlsx;

use serde::Serialize;

use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::explain::Portfolio;
use crate::features::{self, ColumnMatch, Inspection, Mapping};
use crate::ingest;
use crate::model::Model;

pub use csv::{
    csv_header, push_csv_row, push_f64, push_text_cell, to_csv, to_csv_excel, write_csv_parts,
    CSV_COLUMNS,
};
pub use parts::Part;
pub use restore::RestoreRow;
pub use scored::Scored;
pub use scorer::Scorer;
pub use summary::{summarize, Overview, SummaryBuilder};
pub use threads::{part_starts, score_in_parts, MIN_PARALLEL_BYTES};
pub use view::ViewQuery;
pub use xlsx::{scored_csv_to_xlsx, ReportFacts};

/// How many reasons each account gets.
pub const REASONS_PER_ACCOUNT: usize = 3;

/// How many next-best actions each row of `score --format json` carries.
pub const ACTIONS_PER_ACCOUNT: usize = 3;

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
    /// Up to [`ACTIONS_PER_ACCOUNT`] single changes of actionable inputs that lower the
    /// risk most, best first ([`crate::explain::top_changes`]).
    pub actions: Vec<crate::explain::Change>,
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
    /// True when the model is the bundled demonstration model, trained on simulated
    /// accounts: its scores illustrate, they are not findings about this client.
    pub demonstration_model: bool,
    /// Every header and what it matched.
    pub columns: Vec<ColumnMatch>,
    /// Model features with no column in the file: they count for nothing in the scores.
    pub missing_features: Vec<String>,
    /// The input revenue at risk is computed from (the model's contract value, when the
    /// file has its column); `None`: there is no revenue at risk, and the revenue figures
    /// (zero) are not to be shown.
    pub value_input: Option<String>,
    /// How much of the model's power the file's columns supply; below
    /// [`features::SUFFICIENT_SHARE`] the scores are not presented as findings.
    pub coverage: features::Coverage,
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
    let mut w = crate::support::wire::Writer::with_capacity(partner.wire_len());
    partner.write_rows(&mut w);
    let joined = w.finish().is_some_and(|piece| {
        let mut r = crate::support::wire::Reader::new(&piece);
        first.append_wire(&mut r, ROWS).is_ok() && r.is_done()
    });
    let view = first.view(&ViewQuery::default());
    (joined && view.len() == 2 * ROWS).then(|| first.overview(100))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::tiny_model;

    #[test]
    fn the_warm_up_list_scores_with_every_bundled_model() {
        // A warm-up that failed early would compile nothing: it must read its own list.
        assert!(warm_up(&crate::default_model().unwrap()).is_some());
        assert!(warm_up(&crate::model::tests::tiny_model()).is_some());
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
        // Row A: hand computation in model::tests (1.3 + 0.75); the file has no segment
        // column, which therefore adds exactly 0 (not its empty-cell effect, -0.03).
        let z = -1.0 + 1.3 + 0.75;
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
}
