//! The churn label: reading a label cell ([`parse_label`]), finding the column that
//! holds the labels ([`suggest_label`]), and the plain-language errors and warnings about
//! labels (no label column, no readable label, a small history).
//!
//! A label reads as churned or retained in the spellings CRM exports use (yes/no,
//! true/false, 1/0, churned/retained, lost/renewed...); a missing or unreadable label
//! leaves its row out of training, with a warning, never an error unless no row has one.

use crate::error::{show_value, Error};
use crate::ingest;
use crate::schema::normalize_header;

use super::field;
use super::plan::{header_words, id_like_header};

fn shown_headers(headers: &[String]) -> String {
    let shown: Vec<String> = headers
        .iter()
        .take(30)
        .map(|h| format!("'{}'", show_value(h)))
        .collect();
    shown.join(", ")
}

/// Labelled accounts below which a history is called small (a warning, not an error).
pub const SMALL_HISTORY_ROWS: usize = 200;

/// Accounts of the rarer class (usually the churners) below which a history is called
/// small.
pub const SMALL_HISTORY_CLASS: usize = 20;

/// "There is no label column", naming the columns there are.
pub(super) fn no_label_column(file: &str, label: &str, headers: &[String]) -> Error {
    Error::train(
        file,
        format!(
            "no label column '{}': the file's columns are {}. Choose the column that says whether each account churned (yes/no, churned/retained...)",
            show_value(label),
            shown_headers(headers)
        ),
    )
}

/// "No row has a label", with examples of the values the label column holds.
pub(super) fn no_labelled_rows(file: &str, table: &ingest::Table, label_col: usize) -> Error {
    let header = show_value(table.headers[label_col].trim());
    let mut examples: Vec<String> = Vec::new();
    for record in &table.records {
        let cell = field(record, label_col).trim();
        if ingest::is_missing(cell) {
            continue;
        }
        let shown = format!("'{}'", show_value(cell));
        if !examples.contains(&shown) {
            examples.push(shown);
            if examples.len() == 3 {
                break;
            }
        }
    }
    let reason = if examples.is_empty() {
        format!(
            "no account has a churn label: column '{header}' is empty in every row. Fill it in with whether each account churned (yes/no, churned/retained...), or choose another column"
        )
    } else {
        format!(
            "no account has a churn label: column '{header}' holds values such as {}, which do not say whether an account churned. Use values such as yes/no, true/false, 1/0 or churned/retained, or choose another column",
            examples.join(", ")
        )
    };
    Error::train(file, reason)
}

/// A warning for a history too small for steady estimates, if it is one.
pub(super) fn small_history_warning(labels: &[bool]) -> Option<String> {
    let churned = labels.iter().filter(|&&y| y).count();
    let retained = labels.len() - churned;
    let (rarer, rarer_name) = if churned <= retained {
        (churned, "churned")
    } else {
        (retained, "retained")
    };
    (labels.len() < SMALL_HISTORY_ROWS || rarer < SMALL_HISTORY_CLASS).then(|| {
        format!(
            "a small history: {} labelled accounts, {rarer} of them {rarer_name}. The model will be rough and its metrics uncertain; a few hundred accounts with at least {SMALL_HISTORY_CLASS} churned and {SMALL_HISTORY_CLASS} retained give steadier scores",
            labels.len()
        )
    })
}

/// Headers that usually hold the churn label, most likely first (compared after
/// [`normalize_header`]).
const LABEL_HEADERS: &[&str] = &[
    "churned",
    "churn",
    "is churned",
    "has churned",
    "churn flag",
    "churn label",
    "churn status",
    "exited",
    "attrition",
    "attrited",
    "cancelled",
    "canceled",
    "lost",
    "status",
    "outcome",
    "label",
    "target",
];

/// Share of a label column's non-missing cells that must read as churn labels.
const LABEL_SHARE: f64 = 0.95;

/// Whether column `col` reads as a churn label: most non-missing cells are churn labels
/// ([`parse_label`]) and, when `both` is set, both outcomes occur.
fn label_like(table: &ingest::Table, col: usize, both: bool) -> bool {
    let (mut present, mut readable, mut churned) = (0usize, 0usize, 0usize);
    for record in &table.records {
        let cell = field(record, col);
        if ingest::is_missing(cell) {
            continue;
        }
        present += 1;
        if let Some(y) = parse_label(cell) {
            readable += 1;
            churned += usize::from(y);
        }
    }
    present > 0
        && readable as f64 >= LABEL_SHARE * present as f64
        && (!both || (churned > 0 && churned < readable))
}

/// The column most likely to hold the churn label: the first header among the usual
/// label names (churned, churn, exited, attrition, status...) whose cells read as churn
/// labels, else a header naming churn whose cells do, else the last column when its
/// cells read as labels with both outcomes (labels usually come last), else a header
/// naming churn whatever its cells hold (so that training can say what is wrong with
/// them); `None` when nothing looks like one.
///
/// ```
/// use churn_audit::{ingest::read_table, train::suggest_label};
/// let t = read_table(b"id,is_reference,Churn Status\nA,yes,Churned\nB,no,Active\n", "h.csv").unwrap();
/// assert_eq!(suggest_label(&t), Some(2));
/// ```
pub fn suggest_label(table: &ingest::Table) -> Option<usize> {
    let normalized: Vec<String> = table.headers.iter().map(|h| normalize_header(h)).collect();
    for name in LABEL_HEADERS {
        let wanted = normalize_header(name);
        if let Some(c) = normalized.iter().position(|n| *n == wanted) {
            if label_like(table, c, false) {
                return Some(c);
            }
        }
    }
    let names_churn = |c: usize| {
        header_words(&table.headers[c])
            .iter()
            .any(|w| w.starts_with("churn"))
    };
    let columns = 0..table.headers.len();
    columns
        .clone()
        .find(|&c| names_churn(c) && label_like(table, c, false))
        .or_else(|| columns.clone().find(|&c| names_churn(c)))
        .or_else(|| {
            let last = table.headers.len().checked_sub(1)?;
            (!id_like_header(&table.headers[last]) && label_like(table, last, true)).then_some(last)
        })
}

/// Reads a churn label: yes/no, y/n, true/false, t/f, 1/0, churned/retained,
/// churn/stay, lost/renewed, cancelled/active and similar (case-insensitive, trimmed);
/// anything else the ingest layer reads as a boolean. `None` when missing or unreadable.
///
/// ```
/// use churn_audit::train::parse_label;
/// assert_eq!(parse_label(" Churned "), Some(true));
/// assert_eq!(parse_label("0"), Some(false));
/// assert_eq!(parse_label("maybe"), None);
/// ```
pub fn parse_label(cell: &str) -> Option<bool> {
    const CHURNED: &[&str] = &[
        "yes",
        "y",
        "true",
        "t",
        "1",
        "1.0",
        "churned",
        "churn",
        "churner",
        "lost",
        "left",
        "cancelled",
        "canceled",
        "terminated",
        "closed lost",
    ];
    const RETAINED: &[&str] = &[
        "no",
        "n",
        "false",
        "f",
        "0",
        "0.0",
        "retained",
        "retain",
        "stay",
        "stayed",
        "active",
        "renewed",
        "kept",
        "current",
        "closed won",
    ];
    let text = cell.trim().to_lowercase();
    if CHURNED.contains(&text.as_str()) {
        return Some(true);
    }
    if RETAINED.contains(&text.as_str()) {
        return Some(false);
    }
    if ingest::is_missing(&text) {
        return None;
    }
    ingest::parse_bool(&text).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::tests::sim;

    #[test]
    fn labels_are_read_in_many_spellings() {
        for yes in [
            "yes", "YES", " y", "true", "1", "1.0", "Churned", "churn", "lost",
        ] {
            assert_eq!(parse_label(yes), Some(true), "{yes}");
        }
        for no in [
            "no", "N", "false", "0", "retained", "stay", "Active", "renewed",
        ] {
            assert_eq!(parse_label(no), Some(false), "{no}");
        }
        for bad in ["", "  ", "maybe", "2", "n/a"] {
            assert_eq!(parse_label(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_label_column_is_suggested() {
        let read = |t: &str| ingest::read_table(t.as_bytes(), "h.csv").unwrap();
        // A usual label name wins over an earlier yes/no column.
        let t = read("id,is_reference,Exited,tenure\nA,yes,1,3\nB,no,0,4\n");
        assert_eq!(suggest_label(&t), Some(2));
        // A header naming churn, whatever else it says.
        let t = read("id,Churn (Q3),tenure\nA,Churned,3\nB,Retained,4\n");
        assert_eq!(suggest_label(&t), Some(1));
        // Otherwise the last column, when it reads as labels with both outcomes.
        let t = read("id,tenure,left_company\nA,3,TRUE\nB,4,false\n");
        assert_eq!(suggest_label(&t), Some(2));
        // A 'status' column that does not read as labels is not suggested; nor is a
        // last column with one outcome only.
        let t = read("id,status,tenure,paid\nA,Gold,3,yes\nB,Silver,4,yes\n");
        assert_eq!(suggest_label(&t), None);
        // A usual label name with one outcome, or with unreadable values, is still the
        // label: training then says what is wrong with it.
        let t = read("id,tenure,churned,paid\nA,3,no,yes\nB,4,no,no\n");
        assert_eq!(suggest_label(&t), Some(2));
        let t = read("id,tenure,Churned?,paid\nA,3,maybe,yes\nB,4,,no\n");
        assert_eq!(suggest_label(&t), Some(2));
        let t = read(&sim(200, 1));
        assert_eq!(t.headers[suggest_label(&t).unwrap()], "churned");
    }
}
