//! The figures for a whole list, and what the page shows first.
//!
//! [`SummaryBuilder`] collects the [`Summary`] one account at a time with exact sums, so
//! the parts of a file merge into exactly the figures of the whole; [`Overview`] is a
//! scored file without its rows.

use serde::Serialize;

use crate::explain::Portfolio;
use crate::ingest;
use crate::model::Model;
use crate::support::fixed_sum::FixedSum;

use super::{AuditResult, Scored, ScoredRow, Summary, TierSummary};

/// Collects the [`Summary`] one account at a time, with exact sums (see [`FixedSum`]).
#[derive(Debug, Clone)]
pub struct SummaryBuilder {
    pub(super) accounts: usize,
    pub(super) warned: usize,
    pub(super) churners: FixedSum,
    pub(super) revenue: FixedSum,
    pub(super) tiers: Vec<(String, usize, FixedSum)>,
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

/// Everything about a scored file except its rows: what the page shows first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    /// The result with no rows (they are not serialised when empty).
    #[serde(flatten)]
    pub result: AuditResult,
    /// The first row warnings in file order (at most the number asked for).
    pub row_warnings: Vec<String>,
}

impl Scored {
    /// The file's figures without its rows, with up to `max_warnings` row warnings.
    pub fn overview(&self, max_warnings: usize) -> Overview {
        Overview {
            result: self.result_without_rows(),
            row_warnings: self.first_warnings(max_warnings),
        }
    }

    pub(super) fn result_without_rows(&self) -> AuditResult {
        self.result_with(self.summary.clone(), self.portfolio.clone(), self.encoding)
    }

    /// The first `max_warnings` row warnings, in file order.
    pub(super) fn first_warnings(&self, max_warnings: usize) -> Vec<String> {
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
    pub(super) fn result_with(
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
            demonstration_model: crate::is_demonstration(&self.model),
            columns: self.columns.clone(),
            missing_features: self.missing_features.clone(),
            value_input: self
                .model
                .value_feature
                .clone()
                .filter(|v| !self.missing_features.contains(v)),
            coverage: self.coverage.clone(),
            rows: Vec::new(),
            summary,
            portfolio,
            file_warnings: self.file_warnings.clone(),
        }
    }
}
