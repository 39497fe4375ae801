//! The column plan: what training makes of each column of a table, decided from the
//! training rows only, as a model fitted there would be.
//!
//! Each column's kind is read from its cells ([`infer_kind`]: boolean, numeric, date,
//! categorical); the label, id, name and segment columns, identifiers, empty columns
//! and excluded columns are set aside ([`plan_columns`]). Any schema works: a column that
//! matches a canonical column of [`schema::CANONICAL`] only takes its name, label,
//! group, aliases and reason templates; it is fitted like any other. Categorical levels
//! rarer than [`MIN_LEVEL_ROWS`] are pooled with unseen levels; a date becomes days
//! before `as_of`. Every feature starts as a placeholder [`FeatureSpec`] that the
//! fitting fills in, and the id, name and segment columns become the model's
//! [`ColumnSpec`]s.

use crate::error::{show_value, Error};
use crate::features;
use crate::ingest;
use crate::model::{
    Basis, ColumnSpec, FeatureSpec, Kind, Metrics, Model, Provenance, Reasons, Tier, Transform,
    FORMAT, FORMAT_VERSION,
};
use crate::schema::{self, normalize_header};

use super::{find_header, TrainConfig, SYNTHETIC_ID};

/// How the cells of a column read, as decided by [`infer_kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// No value at all.
    Empty,
    /// Two values read as yes/no (yes/no, true/false, 1/0...).
    Boolean,
    /// Numbers (with the column's decimal style, currency, thousands separators).
    Numeric,
    /// Dates, turned into days before the as-of date.
    Date,
    /// Anything else: text labels.
    Categorical,
}

/// Share of a column's non-missing cells that must read as numbers (or dates) for the
/// column to be numeric (or a date); the rest become missing with a warning, as a CRM
/// export's odd cell does when scoring.
pub const KIND_SHARE: f64 = 0.95;

/// Decides how a column reads from its cells (missing tokens ignored): boolean when every
/// value is a yes/no word and there are at most two; numeric when [`KIND_SHARE`] of them
/// are numbers; a date when that share are dates; otherwise categorical.
///
/// ```
/// use churn_audit::train::{infer_kind, ColumnKind};
/// assert_eq!(infer_kind(&["yes", "No", ""], false), ColumnKind::Boolean);
/// assert_eq!(infer_kind(&["$1,200", "35", "n/a"], false), ColumnKind::Numeric);
/// assert_eq!(infer_kind(&["2026-01-03", "2025-12-30"], false), ColumnKind::Date);
/// assert_eq!(infer_kind(&["Fiber optic", "DSL", "No"], false), ColumnKind::Categorical);
/// ```
pub fn infer_kind(cells: &[&str], decimal_comma: bool) -> ColumnKind {
    let present: Vec<&str> = cells
        .iter()
        .copied()
        .filter(|c| !ingest::is_missing(c))
        .collect();
    if present.is_empty() {
        return ColumnKind::Empty;
    }
    let mut distinct: Vec<String> = Vec::new();
    let mut all_bool = true;
    for c in &present {
        if ingest::parse_bool(c).ok().flatten().is_none() {
            all_bool = false;
            break;
        }
        let key = c.trim().to_lowercase();
        if !distinct.contains(&key) {
            distinct.push(key);
            if distinct.len() > 2 {
                all_bool = false;
                break;
            }
        }
    }
    if all_bool {
        return ColumnKind::Boolean;
    }
    let need = (KIND_SHARE * present.len() as f64).ceil() as usize;
    let style = ingest::infer_number_style(present.iter().copied(), decimal_comma);
    let numbers = present
        .iter()
        .filter(|c| matches!(ingest::parse_number(c, style), Ok(Some(_))))
        .count();
    if numbers >= need {
        return ColumnKind::Numeric;
    }
    let order = ingest::infer_date_order(present.iter().copied(), decimal_comma);
    let dates = present
        .iter()
        .filter(|c| matches!(ingest::parse_date(c, order), Ok(Some(_))))
        .count();
    if dates >= need {
        return ColumnKind::Date;
    }
    ColumnKind::Categorical
}

/// Most levels a categorical feature keeps (the most frequent ones).
pub const MAX_LEVELS: usize = 30;

/// Training rows a level needs to keep its own indicator: at least this many and at
/// least [`MIN_LEVEL_SHARE`] of the rows; rarer levels are pooled with unseen ones
/// ("other", all indicators zero).
pub const MIN_LEVEL_ROWS: usize = 10;

/// See [`MIN_LEVEL_ROWS`].
pub const MIN_LEVEL_SHARE: f64 = 0.005;

/// Share of distinct values above which a text column is an identifier or free text.
const ID_DISTINCT_SHARE: f64 = 0.5;

/// What training makes of a table's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnPlan {
    /// The account id column, if the table has one.
    pub id: Option<usize>,
    /// The account name column, if any (read, not scored).
    pub name: Option<usize>,
    /// The segment column, if any (read, not scored).
    pub segment: Option<usize>,
    /// Placeholder feature specs (name, label, group, kind, aliases, levels), in table order.
    pub specs: Vec<FeatureSpec>,
    /// The column each spec reads.
    pub sources: Vec<usize>,
    /// Columns left out, with the reason.
    pub left_out: Vec<(String, String)>,
    /// `--exclude` names that match no header.
    pub unknown_excludes: Vec<String>,
    /// How each column's cells read ([`ColumnKind::Empty`] for the label, the id and
    /// excluded columns, which are not inspected), in table order.
    pub kinds: Vec<ColumnKind>,
}

/// The words of a header: split at non-alphanumerics and at lower-to-upper case changes
/// ("customerID" is "customer", "id").
pub(super) fn header_words(header: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in header.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current).to_lowercase());
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current).to_lowercase());
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current.to_lowercase());
    }
    words
}

/// A header that names an identifier: one of the id aliases, or ending in the word
/// "id", "key", "uuid", "guid", "number" or "no".
pub(super) fn id_like_header(header: &str) -> bool {
    let n = normalize_header(header);
    if schema::ID_ALIASES.iter().any(|a| normalize_header(a) == n) {
        return true;
    }
    matches!(
        header_words(header).last().map(String::as_str),
        Some("id" | "ids" | "key" | "uuid" | "guid" | "number" | "no" | "num" | "index")
    )
}

/// A name for a feature made from its header: lower-case words joined by `_`.
fn slug(header: &str) -> String {
    header_words(header).join("_")
}

fn in_aliases(header: &str, aliases: &[&str]) -> bool {
    let n = normalize_header(header);
    !n.is_empty() && aliases.iter().any(|a| normalize_header(a) == n)
}

/// Decides every column's role and kind from the cells of `rows` (the training rows).
///
/// The label column and `cfg.exclude` are left out; the id column is `cfg.id`, else the
/// first header among the usual id names; a text column matching the usual name or
/// segment headers is read as such and not scored. Of the rest, identifiers (an id-like
/// header with a different value in nearly every row, text with a different value in
/// most rows, a run of consecutive row numbers), empty columns and categorical columns
/// without a level frequent enough to learn from are left out. A column matching a
/// canonical column of [`schema::CANONICAL`] (by name or alias, with the right kind)
/// takes its canonical name, label, group, aliases and reasons; any other gets a name
/// from its header, group Other and generic reasons.
pub fn plan_columns(
    table: &ingest::Table,
    label_col: usize,
    rows: &[usize],
    cfg: &TrainConfig,
) -> ColumnPlan {
    plan_columns_with(table, Some(label_col), rows, cfg)
}

/// [`plan_columns`] for a table whose label column may not be chosen yet (a preview).
pub(super) fn plan_columns_with(
    table: &ingest::Table,
    label_col: Option<usize>,
    rows: &[usize],
    cfg: &TrainConfig,
) -> ColumnPlan {
    let mut plan = ColumnPlan {
        id: None,
        name: None,
        segment: None,
        specs: Vec::new(),
        sources: Vec::new(),
        left_out: Vec::new(),
        unknown_excludes: Vec::new(),
        kinds: Vec::new(),
    };
    let headers = &table.headers;
    let mut excluded = vec![false; headers.len()];
    if let Some(c) = label_col.filter(|&c| c < headers.len()) {
        excluded[c] = true;
    }
    for name in &cfg.exclude {
        let n = normalize_header(name);
        let mut found = false;
        for (c, h) in headers.iter().enumerate() {
            if !n.is_empty() && normalize_header(h) == n {
                excluded[c] = true;
                found = true;
            }
        }
        if !found {
            plan.unknown_excludes.push(name.clone());
        }
    }
    // Duplicated headers: the first is used, as when scoring.
    for c in 0..headers.len() {
        let n = normalize_header(&headers[c]);
        if !excluded[c] && (0..c).any(|d| normalize_header(&headers[d]) == n) {
            excluded[c] = true;
            plan.left_out.push((
                headers[c].clone(),
                "the header appears twice; the first is used".into(),
            ));
        }
    }
    plan.id = match &cfg.id {
        Some(id) => find_header(headers, id),
        None => (0..headers.len())
            .find(|&c| !excluded[c] && in_aliases(&headers[c], schema::ID_ALIASES)),
    };
    if let Some(c) = plan.id {
        excluded[c] = true;
    }
    let cells_of = |c: usize| -> Vec<&str> {
        rows.iter()
            .map(|&r| table.records[r].fields.get(c).unwrap_or(""))
            .collect()
    };
    let mut used_names: Vec<String> = [features::IGNORE, SYNTHETIC_ID]
        .iter()
        .map(|s| normalize_header(s))
        .collect();
    if let Some(c) = plan.id {
        used_names.push(normalize_header(&headers[c]));
    }
    let mut claimed_canonical: Vec<&str> = Vec::new();
    // Two passes: columns that hold a canonical feature's value directly claim it
    // before date columns that could derive it.
    let kinds: Vec<ColumnKind> = (0..headers.len())
        .map(|c| {
            if excluded[c] {
                ColumnKind::Empty
            } else {
                infer_kind(&cells_of(c), table.decimal_comma)
            }
        })
        .collect();
    let mut canonical_of: Vec<Option<&'static schema::CanonicalFeature>> =
        vec![None; headers.len()];
    for pass in [false, true] {
        for c in 0..headers.len() {
            if excluded[c] {
                continue;
            }
            let n = normalize_header(&headers[c]);
            let found = schema::CANONICAL.iter().find(|f| {
                !claimed_canonical.contains(&f.name)
                    && if pass {
                        kinds[c] == ColumnKind::Date
                            && f.date_aliases.iter().any(|a| normalize_header(a) == n)
                    } else {
                        let named = normalize_header(f.name) == n
                            || f.aliases.iter().any(|a| normalize_header(a) == n);
                        named
                            && match kinds[c] {
                                ColumnKind::Boolean => true,
                                ColumnKind::Numeric => !f.boolean,
                                _ => false,
                            }
                    }
            });
            if let Some(f) = found {
                claimed_canonical.push(f.name);
                canonical_of[c] = Some(f);
                used_names.push(normalize_header(f.name));
            }
        }
    }
    for c in 0..headers.len() {
        if excluded[c] {
            continue;
        }
        let header = &headers[c];
        let kind = kinds[c];
        let cells = cells_of(c);
        if kind == ColumnKind::Empty {
            plan.left_out.push((
                header.clone(),
                "it has no value in the training rows".into(),
            ));
            continue;
        }
        if kind == ColumnKind::Categorical {
            if plan.name.is_none() && in_aliases(header, schema::NAME_ALIASES) {
                plan.name = Some(c);
                continue;
            }
            if plan.segment.is_none() && in_aliases(header, schema::SEGMENT_ALIASES) {
                plan.segment = Some(c);
                continue;
            }
        }
        if let Some(why) = identifier_reason(header, kind, &cells, table.decimal_comma) {
            plan.left_out.push((header.clone(), why));
            continue;
        }
        let spec = match canonical_of[c] {
            Some(f) => canonical_spec(f, header, kind == ColumnKind::Date),
            None => {
                let base = match kind {
                    ColumnKind::Date => format!("days_since_{}", slug(header)),
                    _ => slug(header),
                };
                let base = if base.is_empty() {
                    format!("column_{}", c + 1)
                } else {
                    base
                };
                let mut name = base.clone();
                let mut k = 2;
                while used_names.contains(&normalize_header(&name)) {
                    name = format!("{base}_{k}");
                    k += 1;
                }
                used_names.push(normalize_header(&name));
                let levels = if kind == ColumnKind::Categorical {
                    match frequent_levels(&cells) {
                        Some(levels) => Some(levels),
                        None => {
                            plan.left_out.push((
                                header.clone(),
                                format!(
                                    "no value occurs in {MIN_LEVEL_ROWS} or more training rows"
                                ),
                            ));
                            continue;
                        }
                    }
                } else {
                    None
                };
                generic_spec(name, header, kind, levels)
            }
        };
        plan.specs.push(spec);
        plan.sources.push(c);
    }
    plan.kinds = kinds;
    plan
}

/// Why a column looks like an identifier rather than a feature, if it does.
fn identifier_reason(
    header: &str,
    kind: ColumnKind,
    cells: &[&str],
    decimal_comma: bool,
) -> Option<String> {
    let present: Vec<&str> = cells
        .iter()
        .copied()
        .filter(|c| !ingest::is_missing(c))
        .collect();
    if present.len() < 20 {
        return None;
    }
    let mut distinct: Vec<&str> = present.iter().map(|c| c.trim()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let share = distinct.len() as f64 / present.len() as f64;
    match kind {
        ColumnKind::Categorical if share > ID_DISTINCT_SHARE => Some(format!(
            "{:.0}% of its values are different (an identifier or free text)",
            100.0 * share
        )),
        ColumnKind::Numeric | ColumnKind::Categorical if id_like_header(header) && share > 0.9 => {
            Some("an identifier (its header names one and nearly every value differs)".into())
        }
        ColumnKind::Numeric if share == 1.0 => {
            // Whole numbers, all different and rising down the file: a row number (the
            // cells are in file order; training rows are a subset, so gaps are normal).
            let style = ingest::infer_number_style(present.iter().copied(), decimal_comma);
            let v: Vec<f64> = present
                .iter()
                .filter_map(|c| ingest::parse_number(c, style).ok().flatten())
                .collect();
            let row_number = v.len() == present.len()
                && v.iter().all(|x| x.fract() == 0.0)
                && v.windows(2).all(|w| w[1] > w[0]);
            row_number.then(|| "a row number (whole numbers rising down the file)".into())
        }
        _ => None,
    }
}

/// The levels of a categorical column that occur often enough to learn from, most
/// frequent first (ties in order of first appearance); `None` when there are none.
fn frequent_levels(cells: &[&str]) -> Option<Vec<String>> {
    // Keyed like `FeatureSpec::level_index` matches: trimmed, ASCII case ignored.
    let mut counts: Vec<(String, String, usize)> = Vec::new();
    let mut present = 0usize;
    for c in cells {
        if ingest::is_missing(c) {
            continue;
        }
        present += 1;
        let shown = c.trim();
        let key = shown.to_ascii_lowercase();
        match counts.iter_mut().find(|(k, _, _)| *k == key) {
            Some(entry) => entry.2 += 1,
            None => counts.push((key, shown.to_string(), 1)),
        }
    }
    let min = MIN_LEVEL_ROWS.max((MIN_LEVEL_SHARE * present as f64).ceil() as usize);
    // A stable sort keeps first-appearance order among equal counts.
    counts.sort_by_key(|c| std::cmp::Reverse(c.2));
    let levels: Vec<String> = counts
        .into_iter()
        .filter(|(_, _, n)| *n >= min)
        .take(MAX_LEVELS)
        .map(|(_, shown, _)| shown)
        .collect();
    (!levels.is_empty()).then_some(levels)
}

/// The placeholder spec of a canonical column; `date` when the column holds dates.
fn canonical_spec(c: &schema::CanonicalFeature, header: &str, date: bool) -> FeatureSpec {
    let mut aliases: Vec<String> = std::iter::once(c.name)
        .chain(c.aliases.iter().copied())
        .map(String::from)
        .collect();
    let mut date_aliases: Vec<String> = c.date_aliases.iter().map(|a| a.to_string()).collect();
    let list = if date {
        &mut date_aliases
    } else {
        &mut aliases
    };
    if !list
        .iter()
        .any(|a| normalize_header(a) == normalize_header(header))
    {
        list.push(header.trim().to_string());
    }
    placeholder(
        c.name.to_string(),
        c.label.to_string(),
        c.group,
        if c.boolean {
            Kind::Boolean
        } else {
            Kind::Numeric
        },
        aliases,
        date_aliases,
        c.date_direction,
        c.unit.to_string(),
        None,
        Reasons {
            high: c.reason_high.to_string(),
            low: c.reason_low.to_string(),
        },
    )
}

/// The placeholder spec of a column the canonical schema does not know.
fn generic_spec(
    name: String,
    header: &str,
    kind: ColumnKind,
    levels: Option<Vec<String>>,
) -> FeatureSpec {
    let header = header.trim().to_string();
    let (kind, aliases, date_aliases, direction, label, unit) = match kind {
        ColumnKind::Date => (
            Kind::Numeric,
            Vec::new(),
            vec![header.clone()],
            Some(schema::DateDirection::Since),
            format!("Days since {header}"),
            "days".to_string(),
        ),
        ColumnKind::Boolean => (
            Kind::Boolean,
            vec![header.clone()],
            Vec::new(),
            None,
            header.clone(),
            String::new(),
        ),
        ColumnKind::Categorical => (
            Kind::Categorical,
            vec![header.clone()],
            Vec::new(),
            None,
            header.clone(),
            String::new(),
        ),
        _ => (
            Kind::Numeric,
            vec![header.clone()],
            Vec::new(),
            None,
            header.clone(),
            String::new(),
        ),
    };
    placeholder(
        name,
        label,
        schema::Group::Other,
        kind,
        aliases,
        date_aliases,
        direction,
        unit,
        levels,
        Reasons::default(),
    )
}

#[allow(clippy::too_many_arguments)]
fn placeholder(
    name: String,
    label: String,
    group: schema::Group,
    kind: Kind,
    aliases: Vec<String>,
    date_aliases: Vec<String>,
    date_direction: Option<schema::DateDirection>,
    unit: String,
    levels: Option<Vec<String>>,
    reasons: Reasons,
) -> FeatureSpec {
    let basis = match levels {
        Some(levels) => Basis::Categorical { levels },
        None => Basis::Linear,
    };
    let width = basis.width();
    FeatureSpec {
        name,
        label,
        group,
        kind,
        aliases,
        date_aliases,
        date_direction,
        unit,
        impute: 0.0,
        typical: 0.0,
        range: [0.0, 0.0],
        transform: Transform::None,
        basis,
        coefficients: vec![0.0; width],
        centers: vec![0.0; width],
        missing: None,
        reasons,
    }
}

/// "No column can be used", with each column's reason.
pub(super) fn no_usable_column(
    file: &str,
    label_header: &str,
    dropped: &[(String, String)],
) -> Error {
    let reasons: Vec<String> = dropped
        .iter()
        .take(8)
        .map(|(h, why)| format!("'{}' ({why})", show_value(h)))
        .collect();
    let what = if reasons.is_empty() {
        format!(
            "the file has no column besides '{}' and the account identifiers",
            show_value(label_header)
        )
    } else {
        format!(
            "{}{}",
            reasons.join("; "),
            if dropped.len() > 8 { "; …" } else { "" }
        )
    };
    Error::train(
        file,
        format!(
            "no usable column to learn from: {what}. Besides the churn label, a history needs columns that describe each account and differ between accounts, such as logins, support tickets, contract value or the last contact date"
        ),
    )
}

/// An id, name or segment column of the trained model: the training header (if any)
/// first, then the usual CRM synonyms that are not another column's header.
pub(super) fn final_column(
    header: Option<&str>,
    aliases: &[&str],
    used_headers: &[String],
) -> ColumnSpec {
    let name = header
        .or(aliases.first().copied())
        .unwrap_or("")
        .to_string();
    let own = normalize_header(&name);
    let mut seen = vec![own];
    let mut kept = Vec::new();
    for a in aliases {
        let n = normalize_header(a);
        if !seen.contains(&n) && !used_headers.contains(&n) {
            kept.push(a.to_string());
            seen.push(n);
        }
    }
    ColumnSpec {
        name,
        aliases: kept,
    }
}

fn column_spec(aliases: &[&str]) -> ColumnSpec {
    ColumnSpec {
        name: aliases.first().copied().unwrap_or("").to_string(),
        aliases: aliases.iter().skip(1).map(|a| a.to_string()).collect(),
    }
}

/// A model holding only what [`features::prepare`] reads: the columns and features.
pub(super) fn scaffold_model(features: Vec<FeatureSpec>, label: &str) -> Model {
    Model {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        name: String::new(),
        description: String::new(),
        label: label.to_string(),
        id_column: column_spec(schema::ID_ALIASES),
        name_column: Some(column_spec(schema::NAME_ALIASES)),
        segment_column: Some(column_spec(schema::SEGMENT_ALIASES)),
        value_feature: None,
        intercept: 0.0,
        features,
        contribution_covariance: Vec::new(),
        tiers: vec![Tier {
            name: "Low".into(),
            min_probability: 0.0,
        }],
        metrics: Metrics::default(),
        provenance: Provenance {
            tool: String::new(),
            trained_at: String::new(),
            data_file: String::new(),
            data_sha256: String::new(),
            rows: 0,
            churn_rate: 0.0,
            seed: 0,
            l2: 0.0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_kinds_are_inferred_from_cells() {
        use ColumnKind::*;
        assert_eq!(infer_kind(&["yes", "no", "YES", ""], false), Boolean);
        assert_eq!(infer_kind(&["1", "0", "n/a"], false), Boolean);
        assert_eq!(infer_kind(&["true", "FALSE"], false), Boolean);
        assert_eq!(infer_kind(&["1", "0", "2"], false), Numeric);
        assert_eq!(
            infer_kind(&["$12,500", "€ 900", "-12%", "1.5"], false),
            Numeric
        );
        assert_eq!(infer_kind(&["1.234,5", "12,25"], true), Numeric);
        assert_eq!(infer_kind(&["2026-01-15", "2025-03-02", ""], false), Date);
        assert_eq!(infer_kind(&["15/01/2026", "02/03/2025"], false), Date);
        assert_eq!(infer_kind(&["Gold", "Silver", "Gold"], false), Categorical);
        assert_eq!(infer_kind(&["", "n/a", "NULL"], false), Empty);
        // One unreadable cell in forty does not stop a column from being numeric...
        let mut cells: Vec<String> = (0..39).map(|i| i.to_string()).collect();
        cells.push("lots".into());
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        assert_eq!(infer_kind(&refs, false), Numeric);
        // ...but one in ten does.
        assert_eq!(
            infer_kind(
                &["1", "2", "3", "4", "5", "6", "7", "8", "9", "many"],
                false
            ),
            Categorical
        );
    }

    #[test]
    fn header_words_and_identifiers() {
        assert_eq!(header_words("customerID"), ["customer", "id"]);
        assert_eq!(
            header_words("Total Day-Minutes"),
            ["total", "day", "minutes"]
        );
        assert!(id_like_header("customerID"));
        assert!(id_like_header("Record ID"));
        assert!(id_like_header("phone number"));
        assert!(!id_like_header("paid"));
        assert!(!id_like_header("number_customer_service_calls"));
        assert_eq!(slug("Monthly Charges ($)"), "monthly_charges");
    }
}
