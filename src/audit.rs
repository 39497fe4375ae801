//! A whole account list: scores, tiers, revenue at risk, a summary, and the warnings.
//!
//! [`audit`] is the one entry point the command line and the page share, so both give
//! the same numbers for the same bytes. [`AuditResult`] is what the page receives and
//! what `score --format json` prints; [`to_csv`] is the scored CSV both write.

use serde::Serialize;

use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::explain::{self, Portfolio};
use crate::features::{self, ColumnMatch, Inspection, Mapping, MatchKind, Prepared};
use crate::ingest;
use crate::model::{format_value, top_reasons, Model};

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
    /// Scored rows in file order.
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
    audit_mapped(bytes, file, model, as_of, &Mapping::new()).map(|(result, _)| result)
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How a file's headers would be matched with `mapping` applied, before scoring (the
/// page's column-mapping step). Fails only when the bytes are not a table at all.
pub fn inspect(bytes: &[u8], file: &str, model: &Model, mapping: &Mapping) -> Result<Inspection> {
    let table = ingest::read_table(bytes, file)?;
    Ok(features::inspect(&table, model, mapping, file))
}

/// [`audit`] with the user's column mapping, also returning the prepared inputs so that a
/// caller (the page's engine) can explain and re-score single accounts later.
pub fn audit_mapped(
    bytes: &[u8],
    file: &str,
    model: &Model,
    as_of: i64,
    mapping: &Mapping,
) -> Result<(AuditResult, Prepared)> {
    let table = ingest::read_table(bytes, file)?;
    let prepared = features::prepare_mapped(&table, model, as_of, file, mapping)?;
    let value_index = model
        .value_feature
        .as_deref()
        .and_then(|v| model.feature_index(v));

    let mut file_warnings = prepared.file_warnings.clone();
    if !prepared.missing_features.is_empty() {
        let labels: Vec<&str> = prepared
            .missing_features
            .iter()
            .filter_map(|name| model.features.iter().find(|f| &f.name == name))
            .map(|f| f.label.as_str())
            .collect();
        file_warnings.push(format!(
            "no column for {}: imputed with typical values for every account",
            labels.join(", ")
        ));
    }
    if value_index.is_some_and(|i| prepared.missing_features.contains(&model.features[i].name)) {
        file_warnings.push("no contract value column: revenue at risk cannot be computed".into());
    }

    let mut rows = Vec::with_capacity(prepared.rows.len());
    for (r, meta) in prepared.rows.iter().enumerate() {
        let values = prepared.row(r);
        let score = model.score(values);
        let mut warnings = prepared.warnings[r].clone();
        let imputed: Vec<&str> = model
            .features
            .iter()
            .enumerate()
            .filter(|&(f, spec)| {
                values[f].is_nan() && !prepared.missing_features.contains(&spec.name)
            })
            .map(|(_, spec)| spec.name.as_str())
            .collect();
        if !imputed.is_empty() {
            warnings.push(format!(
                "line {}: no value for {}; imputed",
                meta.line,
                imputed.join(", ")
            ));
        }
        for (f, spec) in model.features.iter().enumerate() {
            if score.clipped[f] {
                warnings.push(format!(
                    "line {}: {} = {} is outside the training range [{}, {}]; scored as {}",
                    meta.line,
                    spec.name,
                    format_value(values[f]),
                    format_value(spec.range[0]),
                    format_value(spec.range[1]),
                    format_value(values[f].clamp(spec.range[0], spec.range[1]))
                ));
            }
        }
        let revenue_at_risk = value_index
            .map(|i| values[i])
            .filter(|v| v.is_finite())
            .map(|v| score.probability * v);
        rows.push(ScoredRow {
            line: meta.line,
            account_id: meta.account_id.clone(),
            account_name: meta.account_name.clone(),
            segment: meta.segment.clone(),
            churn_probability: score.probability,
            log_odds: score.log_odds,
            risk_tier: model.tier(score.probability).to_string(),
            revenue_at_risk,
            top_reasons: top_reasons(model, values, &score, REASONS_PER_ACCOUNT),
            warnings,
        });
    }

    let summary = summarize(model, &rows);
    let revenue: Vec<Option<f64>> = rows.iter().map(|r| r.revenue_at_risk).collect();
    let has_segment = prepared
        .columns
        .iter()
        .any(|c| c.how == Some(MatchKind::Segment));
    let portfolio = explain::portfolio(model, &prepared, &revenue, has_segment);
    let result = AuditResult {
        file: file.to_string(),
        file_sha256: sha256_hex(bytes),
        encoding: table.encoding.name().to_string(),
        delimiter: match table.delimiter {
            b'\t' => "\\t".to_string(),
            d => (d as char).to_string(),
        },
        as_of: ingest::format_iso_date(as_of),
        model: model.name.clone(),
        columns: prepared.columns.clone(),
        missing_features: prepared.missing_features.clone(),
        rows,
        summary,
        portfolio,
        file_warnings,
    };
    Ok((result, prepared))
}

/// Totals over the scored rows.
pub fn summarize(model: &Model, rows: &[ScoredRow]) -> Summary {
    let mut tiers: Vec<TierSummary> = model
        .tiers
        .iter()
        .map(|t| TierSummary {
            name: t.name.clone(),
            accounts: 0,
            revenue_at_risk: 0.0,
        })
        .collect();
    for row in rows {
        if let Some(t) = tiers.iter_mut().find(|t| t.name == row.risk_tier) {
            t.accounts += 1;
            t.revenue_at_risk += row.revenue_at_risk.unwrap_or(0.0);
        }
    }
    Summary {
        accounts_scored: rows.len(),
        rows_with_warnings: rows.iter().filter(|r| !r.warnings.is_empty()).count(),
        expected_churners: rows.iter().map(|r| r.churn_probability).sum(),
        revenue_at_risk: rows.iter().filter_map(|r| r.revenue_at_risk).sum(),
        tiers,
    }
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
    out.push_str(&CSV_COLUMNS.join(","));
    out.push('\n');
    for row in &result.rows {
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
    out
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
        let (r, p) = audit_mapped(text.as_bytes(), "t.csv", &m, 0, &mapping).unwrap();
        assert_eq!(r.rows[0].account_id, "A");
        assert_eq!(p.row(0)[0], 120.0);
        assert!(p.row(0)[1].is_nan(), "the ignored column must not be read");
        assert_eq!(r.missing_features, vec!["reference", "segment"]);
        assert_eq!(r.columns[1].how, Some(MatchKind::Manual));
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
