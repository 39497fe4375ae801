//! A scored list, kept column by column, and its rows read back in full.
//!
//! [`Scored`] holds what the page's table, account detail, what-if and export read,
//! without a per-row object: the feature values, probability, tier, revenue at risk and
//! texts of every row, and the warnings found while reading. A row's reasons and its
//! other warnings (imputed values, values outside the training range) are made again
//! from its values when asked for ([`Scored::row`]), exactly as scoring made them.

use std::fmt::Write as _;

use crate::explain::{self, Portfolio, PortfolioBuilder};
use crate::features::{self, ColumnMatch};
use crate::ingest::{self, RowWarning};
use crate::model::{push_value, top_reasons, Model, Score};

use super::{
    AuditResult, ScoredRow, Summary, SummaryBuilder, ACTIONS_PER_ACCOUNT, REASONS_PER_ACCOUNT,
};

/// A scored file, kept column by column: everything the page's table, account detail,
/// what-if and export read, without a per-row object.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The model the file was scored with.
    pub model: Model,
    /// The file's name.
    pub file: String,
    /// SHA-256 of the file's bytes, hex (empty when left out, see [`Scorer::without_digest`](super::Scorer::without_digest)).
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
    pub(super) text: String,
    /// Per row, where its id, name and segment end in `text`.
    pub(super) text_ends: Vec<u32>,
    /// The warnings found while reading, for the rows that have any (sorted by row).
    pub(super) read_warnings: Vec<(u32, Vec<RowWarning>)>,
    /// Figures for the whole list.
    pub summary: Summary,
    /// Distribution, drivers, segments; `typical` is filled by [`Scored::typical`].
    pub portfolio: Portfolio,
    /// How much of the model's power the file's columns supply.
    pub coverage: features::Coverage,
}

/// What scoring and writing a row would otherwise look up by name on every row, found
/// once per file: feature names are compared here, never per row.
#[derive(Debug, Clone)]
pub(super) struct Lookups {
    /// The index of the model's contract value feature ([`Model::value_feature`]).
    pub(super) value: Option<usize>,
    /// Per feature: whether the file has a column for it, so that a row without a
    /// value gets the "imputed" warning (a feature with no column is imputed on every
    /// row and told once, in the file's warnings).
    pub(super) has_column: Vec<bool>,
}

impl Lookups {
    pub(super) fn new(model: &Model, missing_features: &[String]) -> Lookups {
        Lookups {
            value: model
                .value_feature
                .as_deref()
                .and_then(|v| model.feature_index(v)),
            has_column: model.presence(missing_features),
        }
    }
}

/// The features of a row that had a column but no value (imputed); `has_column` as
/// in [`Lookups`].
pub(super) fn imputed<'a>(
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
pub(super) fn revenue_at_risk(
    value: Option<usize>,
    values: &[f64],
    probability: f64,
) -> Option<f64> {
    value
        .and_then(|i| values.get(i).copied())
        .filter(|v| v.is_finite())
        .map(|v| probability * v)
}

impl Scored {
    /// No rows yet, for `model`.
    pub(super) fn empty(model: Model, file: &str, as_of: i64) -> Scored {
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
            coverage: features::coverage(&model, &[]),
            model,
        }
    }

    /// Reserves room for `rows` rows of `p` features in every per-row column.
    pub(super) fn reserve(
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
    pub(super) fn lookups(&self) -> Lookups {
        Lookups::new(&self.model, &self.missing_features)
    }

    /// [`Scored::row`] with the list's lookups found once for every row asked for.
    pub(super) fn row_with(&self, r: usize, lookups: &Lookups) -> Option<ScoredRow> {
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
            actions: explain::top_changes(
                model,
                values,
                &score,
                &lookups.has_column,
                ACTIONS_PER_ACCOUNT,
            ),
        })
    }

    /// The warnings found while reading row `r`.
    fn read_warnings_of(&self, r: usize) -> &[RowWarning] {
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
    pub(super) fn push_warnings(
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
            // Writing to a String cannot fail.
            let _ = write!(out, "{w}");
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

    /// Per model input: whether the file has a column for it (the presence mask the
    /// explanations take).
    pub fn present(&self) -> Vec<bool> {
        self.lookups().has_column
    }

    /// The portfolio's median value per feature ([`Portfolio::typical`]).
    pub fn typical(&self) -> Vec<Option<f64>> {
        explain::typical_values(&self.model, &self.values, self.model.features.len())
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

/// What goes between two warnings of a row in the scored CSV's `warnings` cell.
pub(super) const WARNING_SEPARATOR: &str = "; ";

/// Puts the separator before a warning that is not the row's first.
fn separate(out: &mut String, ends: &[usize]) {
    if !ends.is_empty() {
        out.push_str(WARNING_SEPARATOR);
    }
}
