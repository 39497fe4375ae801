//! A labelled history from two exports of one book: the accounts gone are the churned.
//!
//! A client without a churn column still has last year's export and this year's. The
//! earlier list's accounts are labelled by the later list: an account whose id is not in
//! the later list (or whose row there is marked lost in a status column the user picks,
//! [`SnapshotOptions::lost_column`]) **churned**, every other **renewed**. The earlier
//! list's inputs with these labels are a labelled history, trained by the ordinary
//! trainer ([`train_from_snapshots`]); [`label_snapshots`] makes the labels alone, for a
//! page to preview them (counts, how they were made, what can bias them) first.
//!
//! Ids are matched as written (trimmed; case counts). A row of the earlier list without
//! an id gets no label and is skipped by the trainer, which says so. A column of the
//! earlier list that already looks like a churn label (`churned`, `status`…) is left out
//! of the inputs: the model must learn from the snapshots' labels, not copy another.

use std::collections::HashSet;

use serde::Serialize;

use super::labels::suggest_label;
use super::{find_header, parse_label, train_table, Progress, TrainConfig, Trained};
use crate::error::{show_value, Error, Result};
use crate::ingest;
use crate::schema::{self, normalize_header};

/// The header of the label column made from the two snapshots.
pub const SNAPSHOT_LABEL: &str = "churned_between_snapshots";

/// How to label from two snapshots.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnapshotOptions {
    /// The account id column's header in both lists; `None` finds it among the usual
    /// id headers ([`schema::ID_ALIASES`]).
    pub id: Option<String>,
    /// A status column of the later list whose value marks an account lost although its
    /// row is still there (default: none, presence alone decides).
    pub lost_column: Option<String>,
    /// The values of [`SnapshotOptions::lost_column`] that mean lost (case and spaces
    /// ignored); empty: any value read as a churn label ([`parse_label`]: "lost",
    /// "churned", "cancelled", "yes"…).
    pub lost_values: Vec<String>,
}

/// The labels made from two snapshots, and what the user should know about them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotLabels {
    /// The label column's header in the history trained on ([`SNAPSHOT_LABEL`]).
    pub label: String,
    /// Rows of the earlier list.
    pub rows: usize,
    /// Rows labelled churned.
    pub churned: usize,
    /// Rows labelled renewed.
    pub renewed: usize,
    /// Of the churned, those whose id is not in the later list.
    pub gone: usize,
    /// Of the churned, those still in the later list but marked lost there.
    pub marked_lost: usize,
    /// Ids only in the later list: new accounts (or renamed ones), left out of training.
    pub new_accounts: usize,
    /// Rows of the earlier list without an id: no label, skipped.
    pub without_id: usize,
    /// Ids that appear on more than one row of the earlier list (each row labelled by
    /// the id).
    pub repeated_ids: usize,
    /// How the labels were made, in one sentence.
    pub how: String,
    /// What can bias them.
    pub cautions: Vec<String>,
    /// Columns of the earlier list left out of the inputs because they already look like
    /// a churn label.
    pub left_out: Vec<String>,
    /// A few ids of each kind, to check by hand: churned, renewed, new.
    pub examples: [Vec<String>; 3],
}

/// How many example ids [`SnapshotLabels::examples`] holds per kind.
const EXAMPLES: usize = 5;

/// The id column of `table`: `wanted` by header, else the first usual id header.
fn id_column(table: &ingest::Table, wanted: Option<&str>, file: &str) -> Result<usize> {
    let found = match wanted {
        Some(w) => find_header(&table.headers, w),
        None => table.headers.iter().position(|h| {
            let n = normalize_header(h);
            schema::ID_ALIASES.iter().any(|a| normalize_header(a) == n)
        }),
    };
    found.ok_or_else(|| {
        Error::train(
            file,
            match wanted {
                Some(w) => format!(
                    "no column named '{}' to match the accounts by",
                    show_value(w)
                ),
                None => "no account id column to match the two lists by (a header such as account_id, id or customer_id); name it with --id".to_string(),
            },
        )
    })
}

/// Labels the earlier list (`before`) by the later one (`after`): returns the earlier
/// list's table with a [`SNAPSHOT_LABEL`] column added, and the labels' report.
pub fn label_snapshots(
    before: &[u8],
    before_file: &str,
    after: &[u8],
    after_file: &str,
    opts: &SnapshotOptions,
) -> Result<(ingest::Table, SnapshotLabels)> {
    let mut table = ingest::read_table(before, before_file)?;
    let later = ingest::read_table(after, after_file)?;
    let id_before = id_column(&table, opts.id.as_deref(), before_file)?;
    let id_after = id_column(&later, opts.id.as_deref(), after_file)?;
    if table
        .headers
        .iter()
        .any(|h| normalize_header(h) == normalize_header(SNAPSHOT_LABEL))
    {
        return Err(Error::train(
            before_file,
            format!("the file already has a column '{SNAPSHOT_LABEL}'; rename it"),
        ));
    }
    let lost_col = match &opts.lost_column {
        Some(c) => Some(find_header(&later.headers, c).ok_or_else(|| {
            Error::train(
                after_file,
                format!(
                    "no column named '{}' to read lost accounts from",
                    show_value(c)
                ),
            )
        })?),
        None => None,
    };
    let wanted: Vec<String> = opts
        .lost_values
        .iter()
        .map(|v| normalize_header(v))
        .collect();
    let is_lost = |cell: &str| {
        let cell = cell.trim();
        if wanted.is_empty() {
            parse_label(cell) == Some(true)
        } else {
            wanted.contains(&normalize_header(cell))
        }
    };
    let cell = |r: &ingest::Record, c: usize| r.fields.get(c).unwrap_or("").trim().to_string();
    let mut present = HashSet::new();
    let mut lost = HashSet::new();
    for r in &later.records {
        let id = cell(r, id_after);
        if ingest::is_missing(&id) {
            continue;
        }
        if lost_col.is_some_and(|c| is_lost(r.fields.get(c).unwrap_or(""))) {
            lost.insert(id.clone());
        }
        present.insert(id);
    }
    let mut labels = SnapshotLabels {
        label: SNAPSHOT_LABEL.to_string(),
        rows: table.records.len(),
        churned: 0,
        renewed: 0,
        gone: 0,
        marked_lost: 0,
        new_accounts: 0,
        without_id: 0,
        repeated_ids: 0,
        how: String::new(),
        cautions: Vec::new(),
        left_out: Vec::new(),
        examples: Default::default(),
    };
    let mut seen = HashSet::new();
    for r in &mut table.records {
        let id = cell(r, id_before);
        let label = if ingest::is_missing(&id) {
            labels.without_id += 1;
            ""
        } else {
            if !seen.insert(id.clone()) {
                labels.repeated_ids += 1;
            }
            let (gone, marked) = (!present.contains(&id), lost.contains(&id));
            labels.gone += usize::from(gone);
            labels.marked_lost += usize::from(marked);
            let kind = if gone || marked { 0 } else { 1 };
            if labels.examples[kind].len() < EXAMPLES {
                labels.examples[kind].push(id.clone());
            }
            if gone || marked {
                labels.churned += 1;
                "churned"
            } else {
                labels.renewed += 1;
                "renewed"
            }
        };
        r.fields.push(label);
    }
    table.headers.push(SNAPSHOT_LABEL.to_string());
    for r in &later.records {
        let id = cell(r, id_after);
        if !ingest::is_missing(&id) && !seen.contains(&id) {
            labels.new_accounts += 1;
            if labels.examples[2].len() < EXAMPLES {
                labels.examples[2].push(id);
            }
        }
    }
    // A column that already says who churned would be copied, not learned from.
    let label_col = table.headers.len() - 1;
    let mut probe = table.clone();
    while let Some(c) = suggest_label(&probe).filter(|&c| c != label_col) {
        let header = probe.headers[c].clone();
        let names_label = normalize_header(&header).contains("churn")
            || normalize_header(&header).contains("status")
            || parse_label(&header).is_some();
        if !names_label || labels.left_out.contains(&header) {
            break;
        }
        labels.left_out.push(header);
        probe.headers[c] = format!("left out {c}");
    }
    labels.how = match (&opts.lost_column, lost_col) {
        (Some(c), Some(_)) => format!(
            "each account of {before_file} is labelled churned when its id is not in {after_file} or its '{}' there marks it lost, renewed otherwise",
            show_value(c)
        ),
        _ => format!(
            "each account of {before_file} is labelled churned when its id is not in {after_file}, renewed otherwise"
        ),
    };
    labels.cautions = cautions(&labels, after_file);
    Ok((table, labels))
}

/// What can bias labels made from two snapshots.
fn cautions(l: &SnapshotLabels, after_file: &str) -> Vec<String> {
    let mut c = vec![
        format!(
            "an account whose id changed between the exports (merged into another, renamed, migrated to a new CRM) is counted as churned: {} ids are only in {after_file}; if some are old accounts under a new id, churn is overstated",
            l.new_accounts
        ),
        "two accounts merged into one count as one churned and one renewed".to_string(),
        format!(
            "the {} new accounts in {after_file} are left out: the model learns from accounts that were already customers, and may misjudge very new ones",
            l.new_accounts
        ),
        "an account that will leave at a renewal after the later export counts as renewed: the time between the exports is the label's horizon".to_string(),
    ];
    if l.without_id > 0 {
        c.push(format!(
            "{} rows of the earlier list have no id: they get no label and are skipped",
            l.without_id
        ));
    }
    if l.repeated_ids > 0 {
        c.push(format!(
            "{} rows repeat an id of the earlier list: each is labelled by its id",
            l.repeated_ids
        ));
    }
    if l.churned == 0 || l.renewed == 0 {
        c.push("every account got the same label: the two lists may be the same export, or their ids may not match (another id column?)".to_string());
    }
    c
}

/// Trains a model on the earlier list labelled by the later ([`label_snapshots`]);
/// `cfg.label` is ignored (the label is [`SNAPSHOT_LABEL`]) and the columns in
/// [`SnapshotLabels::left_out`] are added to `cfg.exclude`.
pub fn train_from_snapshots(
    before: &[u8],
    before_file: &str,
    after: &[u8],
    after_file: &str,
    opts: &SnapshotOptions,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&Progress),
) -> Result<(Trained, SnapshotLabels)> {
    let (table, labels) = label_snapshots(before, before_file, after, after_file, opts)?;
    let mut cfg = cfg.clone();
    cfg.label = SNAPSHOT_LABEL.to_string();
    cfg.exclude.extend(labels.left_out.iter().cloned());
    if cfg.id.is_none() {
        cfg.id = opts.id.clone();
    }
    let mut trained = train_table(table, before, before_file, &cfg, progress)?;
    trained
        .warnings
        .insert(0, format!("labels: {}", labels.how));
    Ok((trained, labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_and_a_lost_status_make_the_labels() {
        let before = b"account_id,logins,churned\nA,1,yes\nB,5,no\nC,9,no\n,3,no\nB,4,no\n";
        let after = b"id,logins,Status\nB,5,Active\nC,9,Closed Lost\nD,2,Active\n";
        let (table, l) = label_snapshots(
            before,
            "q1.csv",
            after,
            "q2.csv",
            &SnapshotOptions::default(),
        )
        .unwrap();
        assert_eq!(table.headers.last().unwrap(), SNAPSHOT_LABEL);
        let labels: Vec<&str> = table
            .records
            .iter()
            .map(|r| r.fields.get(3).unwrap())
            .collect();
        assert_eq!(labels, ["churned", "renewed", "renewed", "", "renewed"]);
        assert_eq!((l.churned, l.renewed, l.gone, l.marked_lost), (1, 3, 1, 0));
        assert_eq!((l.new_accounts, l.without_id, l.repeated_ids), (1, 1, 1));
        assert_eq!(l.left_out, ["churned"]);
        assert_eq!(l.examples[2], ["D"]);
        let opts = SnapshotOptions {
            lost_column: Some("status".into()),
            lost_values: vec!["closed lost".into()],
            ..Default::default()
        };
        let (_, l) = label_snapshots(before, "q1.csv", after, "q2.csv", &opts).unwrap();
        assert_eq!((l.churned, l.marked_lost), (2, 1));
        assert!(l.how.contains("'status' there marks it lost"), "{}", l.how);
        let bad = SnapshotOptions {
            lost_column: Some("stage".into()),
            ..Default::default()
        };
        let e = label_snapshots(before, "q1.csv", after, "q2.csv", &bad).unwrap_err();
        assert!(
            e.to_string().contains("q2.csv") && e.to_string().contains("'stage'"),
            "{e}"
        );
        let e = label_snapshots(
            b"name\nA\n",
            "q1.csv",
            after,
            "q2.csv",
            &SnapshotOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("q1.csv"), "{e}");
    }
}
