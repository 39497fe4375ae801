//! From a read table to feature values: header matching, cell parsing, imputation flags.
//!
//! Headers are matched to the model's columns after [`normalize_header`]: first the id,
//! name and segment columns, then each feature by its own name and aliases, then by its
//! date aliases (a date column turned into days before or after the as-of date). Each
//! header serves at most one column and each column takes the first header that
//! matches, so a duplicated header is reported rather than silently merged.
//!
//! Cells are parsed with the column's inferred number style or date order (see
//! [`crate::ingest`]); a cell that cannot be read becomes missing, and its row gets a
//! warning naming the line, the column and the value.
//!
//! `matching` decides which header feeds which column; `read` holds the [`Plan`] (the
//! readers decided from the head) and reads each record with it.

mod coverage;
mod matching;
mod read;
#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::error::{show_value, Error, Result};
use crate::ingest::{self, DateOrder, Table};
use crate::model::{ColumnSpec, Kind, Model};
use crate::schema::{normalize_header, DateDirection};

pub use coverage::{coverage, Coverage, SUFFICIENT_SHARE};
pub use matching::{inspect, Inspection, Mapping, Target, IGNORE};
pub use read::ReadMemo;
pub use read::{Plan, RowText};

/// How a header was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The account id column.
    Id,
    /// The account name column.
    Name,
    /// The segment column.
    Segment,
    /// The feature's own name.
    Exact,
    /// One of the feature's aliases.
    Alias,
    /// A date alias, turned into days.
    Date,
    /// Chosen by the user in the column mapping.
    Manual,
}

/// One header of the file and what it was matched to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnMatch {
    /// The header as written in the file.
    pub header: String,
    /// The model column it feeds (a feature name, or the id/name/segment column's name).
    pub feature: Option<String>,
    /// How it matched.
    pub how: Option<MatchKind>,
}

/// The non-feature facts of one account row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowMeta {
    /// 1-based line where the record starts.
    pub line: usize,
    /// The account id as written (trimmed).
    pub account_id: String,
    /// The account name, empty when the file has none.
    pub account_name: String,
    /// The segment, empty when the file has none.
    pub segment: String,
}

/// A table turned into model inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// One per data record, in file order.
    pub rows: Vec<RowMeta>,
    /// `rows.len() × n_features` values, row-major; NaN = missing.
    pub values: Vec<f64>,
    /// Number of model features (the row stride of `values`).
    pub n_features: usize,
    /// Warnings per row (parse failures, imputed features, ragged records).
    pub warnings: Vec<Vec<ingest::RowWarning>>,
    /// Every header and what it matched.
    pub columns: Vec<ColumnMatch>,
    /// Model features with no column in the file (imputed for every row).
    pub missing_features: Vec<String>,
    /// Problems with the file as a whole that did not stop scoring.
    pub file_warnings: Vec<String>,
}

impl Prepared {
    /// The values of row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        let start = (i * self.n_features).min(self.values.len());
        let end = (start + self.n_features).min(self.values.len());
        &self.values[start..end]
    }
}

const NO_ROWS: &str = "the file has column headers but no account rows";

/// The error for a file with a header and no data rows.
pub fn no_rows(file: &str) -> Error {
    Error::unusable(file, NO_ROWS)
}

/// Matches the table's headers to the model's columns and parses every cell.
///
/// Fails only when the file cannot be scored at all: no account id column, none of the
/// model's features present, or no data rows.
pub fn prepare(table: &Table, model: &Model, as_of: i64, file: &str) -> Result<Prepared> {
    prepare_mapped(table, model, as_of, file, &Mapping::new())
}

/// [`prepare`] with the user's corrections to the header matching applied first.
pub fn prepare_mapped(
    table: &Table,
    model: &Model,
    as_of: i64,
    file: &str,
    mapping: &Mapping,
) -> Result<Prepared> {
    let plan = Plan::new(table, model, as_of, file, mapping)?;
    if table.records.is_empty() {
        return Err(no_rows(file));
    }
    let n = table.records.len();
    let p = plan.n_features;
    let mut values = vec![f64::NAN; n * p];
    let mut warnings = Vec::with_capacity(n);
    let mut rows = Vec::with_capacity(n);
    let mut memo = plan.read_memo();
    for (record, out) in table.records.iter().zip(values.chunks_exact_mut(p.max(1))) {
        let mut w = record.warnings.clone();
        let cells = ingest::Cells::of(&record.fields);
        let meta = plan.read(model, &cells, record.line, out, &mut w, &mut memo);
        rows.push(RowMeta {
            line: record.line,
            account_id: meta.account_id.to_string(),
            account_name: meta.account_name.to_string(),
            segment: meta.segment.to_string(),
        });
        warnings.push(w);
    }
    Ok(Prepared {
        rows,
        values,
        n_features: p,
        warnings,
        columns: plan.columns,
        missing_features: plan.missing_features,
        file_warnings: plan.file_warnings,
    })
}
