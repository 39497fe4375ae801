//! The preview of a training run: what training would make of a labelled history
//! (the columns with their kinds and roles, the label counts, the problem that would
//! stop it), without fitting anything, so that a page can show it before training
//! starts. It runs the same label reading, split and column plan as training.

use serde::Serialize;

use crate::error::{show_value, Error, Result};
use crate::ingest;
use crate::model::{Actionable, Basis, Kind};

use super::basis::MISSING_TERM_RATE;
use super::labels::{
    no_label_column, no_labelled_rows, parse_label, small_history_warning, suggest_label,
};
use super::plan::{no_usable_column, plan_columns_with, ColumnKind};
use super::split::stratified_split;
use super::{field, find_header, mark_actionable, suggest_value, TrainConfig, NO_ACCOUNTS};

/// Whether column `col` holds one value (compared trimmed, ignoring case) in every one
/// of `rows`, or nearly every one: training leaves such a column out unless it is
/// missing often enough ([`MISSING_TERM_RATE`]) for its absence to say something.
fn constant_column(table: &ingest::Table, col: usize, rows: &[usize]) -> bool {
    let mut first: Option<String> = None;
    let mut missing = 0usize;
    for &r in rows {
        let cell = field(&table.records[r], col);
        if ingest::is_missing(cell) {
            missing += 1;
            continue;
        }
        let key = cell.trim().to_lowercase();
        match &first {
            None => first = Some(key),
            Some(f) if *f != key => return false,
            Some(_) => {}
        }
    }
    (missing as f64) < MISSING_TERM_RATE * rows.len() as f64
}

/// What a column is for, in a [`HistoryPreview`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    /// The churn label: what the model learns to predict.
    Label,
    /// The account identifier (not used to predict).
    Id,
    /// The account name (shown with results, not used to predict).
    Name,
    /// The segment (results are grouped by it, not used to predict).
    Segment,
    /// An input of the model.
    Feature,
    /// Not used, for the reason in [`ColumnPreview::note`].
    LeftOut,
}

/// One column of a [`HistoryPreview`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnPreview {
    /// The header as written in the file.
    pub header: String,
    /// What training does with it.
    pub role: ColumnRole,
    /// How its cells read: "number", "yes/no", "date", "category", "empty", or
    /// "churn label"; `None` for identifiers and excluded columns, which are not read.
    pub kind: Option<String>,
    /// The model feature it becomes (for [`ColumnRole::Feature`]).
    pub feature: Option<String>,
    /// A plain-language note: why it is left out, how many categories are kept...
    pub note: String,
    /// Up to three different values from the file, shortened.
    pub examples: Vec<String>,
    /// For an input: whether next-best actions may change it, and which way (the
    /// default of its kind and name, or as [`TrainConfig::actionable`] says).
    pub actionable: Option<Actionable>,
    /// For an input: whether it holds numbers (and can be the value column).
    pub numeric: bool,
}

/// What training would make of a labelled history, without fitting anything: the
/// columns with their inferred kinds and roles, the label counts, and the problem that
/// would stop training, if any, so that a page can show them before training starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryPreview {
    /// Data rows in the file.
    pub rows: usize,
    /// The file's headers, in order.
    pub headers: Vec<String>,
    /// The column [`suggest_label`] picks, if any.
    pub suggested_label: Option<String>,
    /// The label column used for this preview: the one asked for, else the suggestion.
    pub label: Option<String>,
    /// Rows labelled churned.
    pub churned: usize,
    /// Rows labelled retained.
    pub retained: usize,
    /// Rows whose label is missing or unreadable (left out of training).
    pub unlabelled: usize,
    /// Every column, in file order.
    pub columns: Vec<ColumnPreview>,
    /// Why training would fail, in plain words; `None` when it can start.
    pub problem: Option<String>,
    /// What training would warn about (skipped rows, a small history).
    pub warnings: Vec<String>,
    /// The header of the numeric column that most looks like each account's value
    /// ([`suggest_value`]), to offer as the value column (revenue at risk).
    pub suggested_value: Option<String>,
}

/// Previews training on the history in `bytes` with `cfg` (an empty `cfg.label` takes
/// the suggested label): the same split and column plan as [`train`](super::train), without fitting.
/// Fails only when the file cannot be read as a table at all.
pub fn preview_history(bytes: &[u8], file: &str, cfg: &TrainConfig) -> Result<HistoryPreview> {
    let table = ingest::read_table(bytes, file)?;
    let suggested = suggest_label(&table);
    let mut problem: Option<String> = None;
    let mut warnings = Vec::new();
    let label_col = if cfg.label.trim().is_empty() {
        if suggested.is_none() {
            problem = Some(
                Error::train(
                    file,
                    "no column looks like a churn label. Choose the column that says whether each account churned (yes/no, churned/retained...)",
                )
                .to_string(),
            );
        }
        suggested
    } else {
        let found = find_header(&table.headers, &cfg.label);
        if found.is_none() {
            problem = Some(no_label_column(file, &cfg.label, &table.headers).to_string());
        }
        found
    };
    if table.records.is_empty() {
        problem = Some(Error::train(file, NO_ACCOUNTS).to_string());
    }
    let (mut labelled, mut labels) = (Vec::new(), Vec::new());
    if let Some(c) = label_col {
        for (r, record) in table.records.iter().enumerate() {
            if let Some(y) = parse_label(field(record, c)) {
                labelled.push(r);
                labels.push(y);
            }
        }
        if labels.is_empty() && !table.records.is_empty() {
            problem = Some(no_labelled_rows(file, &table, c).to_string());
        }
    }
    let churned = labels.iter().filter(|&&y| y).count();
    let retained = labels.len() - churned;
    let unlabelled = if label_col.is_some() {
        table.records.len() - labels.len()
    } else {
        0
    };
    // The rows the plan is made from: the training split, as training will use it.
    let mut plan_rows: Vec<usize> = (0..table.records.len()).collect();
    if let Some(c) = label_col.filter(|_| !labels.is_empty()) {
        let header = table.headers[c].trim().to_string();
        match stratified_split(&labels, cfg.seed, cfg.held_out_share, &header, file) {
            Ok(split) => plan_rows = split.train.iter().map(|&i| labelled[i]).collect(),
            Err(e) => {
                problem.get_or_insert(e.to_string());
                plan_rows = labelled.clone();
            }
        }
        if unlabelled > 0 {
            warnings.push(format!(
                "{unlabelled} row(s) have no churn label in '{}' (missing, or not a value such as yes/no) and will be left out of training",
                show_value(&header)
            ));
        }
        if let Some(w) = small_history_warning(&labels) {
            warnings.push(w);
        }
    }
    let plan = plan_columns_with(&table, label_col, &plan_rows, cfg);
    if problem.is_none() && plan.specs.is_empty() {
        let header = label_col.map_or("", |c| table.headers[c].trim());
        problem = Some(no_usable_column(file, header, &plan.left_out).to_string());
    }

    // What training would record per input: the defaults, or the inputs chosen (a
    // choice training would refuse is told as the problem).
    let sources: Vec<&str> = plan
        .sources
        .iter()
        .map(|&c| table.headers[c].as_str())
        .collect();
    let mut marked = plan.specs.clone();
    if let Err(e) = mark_actionable(&mut marked, &sources, cfg, file, &mut warnings) {
        problem.get_or_insert(e.to_string());
    }
    let suggested_value = suggest_value(&plan.specs, &sources).map(String::from);

    let mut left_out_used = vec![false; plan.left_out.len()];
    let columns = (0..table.headers.len())
        .map(|c| {
            let header = table.headers[c].clone();
            let mut examples: Vec<String> = Vec::new();
            for &r in &plan_rows {
                let cell = field(&table.records[r], c).trim();
                let shown = show_value(cell);
                if !ingest::is_missing(cell) && !examples.contains(&shown) {
                    examples.push(shown);
                    if examples.len() == 3 {
                        break;
                    }
                }
            }
            let kind_word = |k: ColumnKind| {
                match k {
                    ColumnKind::Empty => "empty",
                    ColumnKind::Boolean => "yes/no",
                    ColumnKind::Numeric => "number",
                    ColumnKind::Date => "date",
                    ColumnKind::Categorical => "category",
                }
                .to_string()
            };
            let read_kind = plan.kinds.get(c).map(|&k| kind_word(k));
            let input = plan.sources.iter().position(|&s| s == c);
            let (role, kind, feature, note) = if Some(c) == label_col {
                (
                    ColumnRole::Label,
                    Some("churn label".to_string()),
                    None,
                    format!(
                        "what the model learns to predict: {churned} churned, {retained} retained"
                    ),
                )
            } else if Some(c) == plan.id {
                (
                    ColumnRole::Id,
                    None,
                    None,
                    "identifies each account; not used to predict".to_string(),
                )
            } else if Some(c) == plan.name {
                (
                    ColumnRole::Name,
                    read_kind,
                    None,
                    "the account's name, shown with its score; not used to predict".to_string(),
                )
            } else if Some(c) == plan.segment {
                (
                    ColumnRole::Segment,
                    read_kind,
                    None,
                    "groups the results; not used to predict".to_string(),
                )
            } else if let Some(k) = plan
                .sources
                .iter()
                .position(|&s| s == c)
                .filter(|_| !constant_column(&table, c, &plan_rows))
            {
                let spec = &plan.specs[k];
                let note = match (&spec.basis, plan.kinds.get(c)) {
                    (Basis::Categorical { levels }, _) => format!(
                        "{} categor{} kept; rarer ones are pooled",
                        levels.len(),
                        if levels.len() == 1 { "y" } else { "ies" }
                    ),
                    (_, Some(ColumnKind::Date)) => "counted in days up to the as-of date".into(),
                    _ => String::new(),
                };
                (
                    ColumnRole::Feature,
                    read_kind,
                    Some(spec.name.clone()),
                    note,
                )
            } else {
                let why = (0..plan.left_out.len())
                    .find(|&i| !left_out_used[i] && plan.left_out[i].0 == header)
                    .map(|i| {
                        left_out_used[i] = true;
                        plan.left_out[i].1.clone()
                    })
                    .unwrap_or_else(|| {
                        if plan.sources.contains(&c) {
                            "it has the same value in every row".to_string()
                        } else {
                            "you chose to leave it out".to_string()
                        }
                    });
                let kind = read_kind.filter(|k| k != "empty" || why.contains("no value"));
                (ColumnRole::LeftOut, kind, None, why)
            };
            let is_feature = role == ColumnRole::Feature;
            let spec = input.filter(|_| is_feature);
            ColumnPreview {
                header,
                role,
                kind,
                feature,
                note,
                examples,
                actionable: spec.and_then(|k| marked.get(k)).and_then(|s| s.actionable),
                numeric: spec.and_then(|k| marked.get(k)).is_some_and(|s| {
                    s.kind == Kind::Numeric && !matches!(plan.kinds.get(c), Some(ColumnKind::Date))
                }),
            }
        })
        .collect();
    Ok(HistoryPreview {
        rows: table.records.len(),
        headers: table.headers.clone(),
        suggested_label: suggested.map(|c| table.headers[c].clone()),
        label: label_col.map(|c| table.headers[c].clone()),
        churned,
        retained,
        unlabelled,
        columns,
        problem,
        warnings,
        suggested_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::tests::{cfg, foreign_table};
    use crate::train::train;

    #[test]
    fn the_preview_shows_columns_kinds_and_problems() {
        let csv = foreign_table(600, 5);
        let c = TrainConfig {
            label: String::new(),
            ..cfg(3, None)
        };
        let p = preview_history(csv.as_bytes(), "foreign.csv", &c).unwrap();
        assert_eq!(p.suggested_label.as_deref(), Some("Status"));
        assert_eq!(p.label.as_deref(), Some("Status"));
        assert_eq!(
            (p.rows, p.churned + p.retained, p.unlabelled),
            (600, 600, 0)
        );
        assert_eq!(p.problem, None);
        let col = |h: &str| p.columns.iter().find(|c| c.header == h).unwrap();
        assert_eq!(col("Status").role, ColumnRole::Label);
        assert_eq!(col("Plan").role, ColumnRole::Feature);
        assert_eq!(col("Plan").kind.as_deref(), Some("category"));
        assert_eq!(col("Monthly Spend ($)").kind.as_deref(), Some("number"));
        assert_eq!(col("Autopay").kind.as_deref(), Some("yes/no"));
        assert_eq!(col("Signup Date").kind.as_deref(), Some("date"));
        assert_eq!(
            col("Signup Date").feature.as_deref(),
            Some("days_since_signup_date")
        );
        assert_eq!(col("row").role, ColumnRole::LeftOut);
        assert!(
            col("Customer Ref").note.contains("identifier"),
            "{:?}",
            col("Customer Ref")
        );
        assert_eq!(col("Notes").role, ColumnRole::LeftOut);
        assert_eq!(
            col("Region Code").note,
            "it has the same value in every row"
        );
        assert_eq!(col("Plan").examples.len(), 3);
        // The preview's features are the trained model's features.
        let mut t = cfg(3, None);
        t.label = "Status".into();
        let m = train(csv.as_bytes(), "foreign.csv", &t).unwrap();
        let previewed: Vec<&str> = p
            .columns
            .iter()
            .filter_map(|c| c.feature.as_deref())
            .collect();
        let trained: Vec<&str> = m.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(previewed, trained);

        // Problems come back as words, with the columns still listed.
        let one = preview_history(
            b"account_id,logins_30d,churned\nA,1,no\nB,2,no\n",
            "x.csv",
            &cfg(1, None),
        )
        .unwrap();
        assert!(one.problem.unwrap().contains("only one class"));
        assert_eq!(one.columns.len(), 3);
        let none = preview_history(
            b"account_id,logins_30d\nA,1\nB,2\n",
            "x.csv",
            &TrainConfig {
                label: String::new(),
                ..cfg(1, None)
            },
        )
        .unwrap();
        assert!(none
            .problem
            .unwrap()
            .contains("no column looks like a churn label"));
        let wrong =
            preview_history(b"account_id,logins_30d\nA,1\n", "x.csv", &cfg(1, None)).unwrap();
        assert!(wrong.problem.unwrap().contains("no label column 'churned'"));
        let unusable = preview_history(
            b"account_id,notes,churned\nA,,yes\nB,,no\nC,,yes\nD,,no\n",
            "x.csv",
            &cfg(1, None),
        )
        .unwrap();
        assert!(unusable.problem.unwrap().contains("no usable column"));
        assert!(preview_history(b"", "x.csv", &cfg(1, None)).is_err());
    }
}
