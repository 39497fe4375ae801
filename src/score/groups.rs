//! A list's row warnings grouped by kind, for people who read them.
//!
//! A file with a blemish in one column has it on hundreds of rows; a line per cell
//! (the scored CSV's `warnings` column, unchanged) is for machines. [`Scored::warning_groups`]
//! counts every row of the list by kind of problem and column, keeps the first few
//! examples, and says each group in one plain sentence ("12 accounts: 'Renewal date' is
//! not a date (line 4 'TBD', line 9 'n/a'); imputed 180").
//!
//! The kinds ([`WarningGroup::kind`]) are the reader's ([`RowIssue`]) and the two the
//! scorer adds:
//!
//! * `unreadable`: a cell its column's reader could not read (per column and problem);
//! * `empty`: a feature's column is there but the cell is empty, so the value was
//!   imputed (per column; a cell that was unreadable is counted there, not here);
//! * `outside_range`: a value outside the model's training range, scored as the
//!   nearest end of the range (per column);
//! * `missing_fields`, `extra_fields`, `unclosed_quote`, `no_account_id`: a row's shape.

use serde::Serialize;

use crate::ingest::{RowIssue, RowWarning};
use crate::model::{clip, push_value, Kind};

use super::scored::Lookups;
use super::Scored;
use crate::support::thousands;

/// How many example lines a group keeps.
pub const EXAMPLES_PER_GROUP: usize = 3;

/// One kind of problem, in one column where it has one, over the whole list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WarningGroup {
    /// What is wrong (see the module docs for the kinds).
    pub kind: String,
    /// The column's header as written in the file, when the problem is a column's.
    pub column: Option<String>,
    /// Rows (accounts) with this problem.
    pub count: usize,
    /// The first rows with it, in file order (at most [`EXAMPLES_PER_GROUP`]).
    pub examples: Vec<WarningExample>,
    /// The group in one plain sentence, e.g. "12 accounts: 'NPS' is empty; imputed 7".
    pub text: String,
}

/// Where one example of a [`WarningGroup`] is, and what the cell held.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WarningExample {
    /// 1-based line of the file.
    pub line: usize,
    /// The cell's text (shortened), the value read, or the row's field count; empty
    /// when there is nothing to show.
    pub value: String,
}

/// A group being counted: its key, and what the sentence needs.
struct Counting {
    kind: &'static str,
    column: Option<String>,
    /// The reader's problem and action for `unreadable`; for `outside_range` the range
    /// and, when the column is a date, the label of the days counted from it.
    problem: String,
    action: String,
    count: usize,
    first_line: usize,
    examples: Vec<WarningExample>,
}

impl Scored {
    /// Every row's warnings grouped by kind and column, the largest groups first (ties
    /// in file order of their first row).
    pub fn warning_groups(&self) -> Vec<WarningGroup> {
        let lookups = self.lookups();
        let headers = self.feature_headers();
        let mut groups: Vec<Counting> = Vec::new();
        let mut unreadable_columns: Vec<&str> = Vec::new();
        for r in (0..self.len()).filter(|&r| self.warned.get(r) == Some(&true)) {
            let line = self.lines.get(r).map_or(0, |&l| l as usize);
            unreadable_columns.clear();
            for w in self.read_warnings_of(r) {
                if let RowIssue::Cell(c) = &w.issue {
                    unreadable_columns.push(c.column.as_str());
                }
                add_read(&mut groups, w);
            }
            self.add_computed(
                r,
                line,
                &lookups,
                &headers,
                &unreadable_columns,
                &mut groups,
            );
        }
        groups.sort_by(|a, b| b.count.cmp(&a.count).then(a.first_line.cmp(&b.first_line)));
        groups.into_iter().map(Counting::finish).collect()
    }

    /// Per feature, the header of the file's column that feeds it (when there is one).
    fn feature_headers(&self) -> Vec<Option<String>> {
        self.model
            .features
            .iter()
            .map(|spec| {
                self.columns
                    .iter()
                    .find(|c| c.feature.as_deref() == Some(spec.name.as_str()))
                    .map(|c| crate::error::show_value(&c.header))
            })
            .collect()
    }

    /// Adds row `r`'s imputed and out-of-range values to `groups`; a feature whose
    /// cell was unreadable (its header in `unreadable`) is counted there, not as empty.
    fn add_computed(
        &self,
        r: usize,
        line: usize,
        lookups: &Lookups,
        headers: &[Option<String>],
        unreadable: &[&str],
        groups: &mut Vec<Counting>,
    ) {
        let values = self.row_values(r);
        for (f, spec) in self.model.features.iter().enumerate() {
            let x = values.get(f).copied().unwrap_or(f64::NAN);
            let header = headers.get(f).cloned().flatten();
            if x.is_nan() {
                let has = lookups.has_column.get(f).copied().unwrap_or(false);
                let column = header.unwrap_or_else(|| spec.name.clone());
                if has && !unreadable.contains(&column.as_str()) {
                    let action = match spec.kind {
                        Kind::Categorical => "left out".to_string(),
                        _ => format!("imputed {}", crate::model::format_value(spec.impute)),
                    };
                    let g = group(groups, "empty", Some(column), "", &action, line);
                    g.add(line, String::new());
                }
                continue;
            }
            // As the scorer decides it (see `FeatureSpec::transformed`).
            if spec.kind == Kind::Numeric && clip(x, spec.range) != x {
                let mut range = String::new();
                push_value(&mut range, spec.range[0]);
                range.push_str(" to ");
                push_value(&mut range, spec.range[1]);
                let column = header.unwrap_or_else(|| spec.name.clone());
                let mut value = String::new();
                push_value(&mut value, x);
                // A date column's value is a count of days: the label says which.
                let dated = self.columns.iter().any(|c| {
                    c.feature.as_deref() == Some(spec.name.as_str())
                        && c.how == Some(crate::features::MatchKind::Date)
                });
                let label = if dated { spec.label.as_str() } else { "" };
                group(groups, "outside_range", Some(column), &range, label, line).add(line, value);
            }
        }
    }
}

/// Adds one warning found while reading to its group.
fn add_read(groups: &mut Vec<Counting>, w: &RowWarning) {
    let line = w.line;
    match &w.issue {
        RowIssue::Cell(c) => {
            let g = group(
                groups,
                "unreadable",
                Some(c.column.clone()),
                &c.problem,
                &c.action,
                line,
            );
            g.add(line, c.value.clone());
        }
        RowIssue::MissingFields { fields, width } => {
            let g = group(groups, "missing_fields", None, "", "", line);
            g.add(line, format!("{fields} of {width}"));
        }
        RowIssue::ExtraFields { fields, width } => {
            let g = group(groups, "extra_fields", None, "", "", line);
            g.add(line, format!("{fields} of {width}"));
        }
        RowIssue::UnclosedQuote => {
            group(groups, "unclosed_quote", None, "", "", line).add(line, String::new())
        }
        RowIssue::NoAccountId => {
            group(groups, "no_account_id", None, "", "", line).add(line, String::new())
        }
    }
}

/// The group of this kind, column and problem, made when it is new.
fn group<'a>(
    groups: &'a mut Vec<Counting>,
    kind: &'static str,
    column: Option<String>,
    problem: &str,
    action: &str,
    line: usize,
) -> &'a mut Counting {
    let found = groups
        .iter()
        .position(|g| g.kind == kind && g.column == column && g.problem == problem);
    let i = found.unwrap_or_else(|| {
        groups.push(Counting {
            kind,
            column,
            problem: problem.to_string(),
            action: action.to_string(),
            count: 0,
            first_line: line,
            examples: Vec::new(),
        });
        groups.len() - 1
    });
    &mut groups[i]
}

impl Counting {
    fn add(&mut self, line: usize, value: String) {
        self.count += 1;
        if self.examples.len() < EXAMPLES_PER_GROUP {
            self.examples.push(WarningExample { line, value });
        }
    }

    fn finish(self) -> WarningGroup {
        let text = self.sentence();
        WarningGroup {
            kind: self.kind.to_string(),
            column: self.column,
            count: self.count,
            examples: self.examples,
            text,
        }
    }

    /// The group in one sentence: how many accounts, what, where, what was done.
    fn sentence(&self) -> String {
        let n = self.count;
        let accounts = format!(
            "{} {}",
            thousands(n),
            if n == 1 { "account" } else { "accounts" }
        );
        let column = self.column.as_deref().unwrap_or("");
        let more = if n > self.examples.len() { ", …" } else { "" };
        let lines = |with_value: bool| -> String {
            let shown: Vec<String> = self
                .examples
                .iter()
                .map(|e| {
                    if with_value {
                        format!("line {} '{}'", e.line, e.value)
                    } else {
                        format!("{}", e.line)
                    }
                })
                .collect();
            let prefix = match (with_value, shown.len()) {
                (true, _) => "",
                (false, 1) => "line ",
                (false, _) => "lines ",
            };
            format!("{prefix}{}{more}", shown.join(", "))
        };
        match self.kind {
            "unreadable" => format!(
                "{accounts}: '{column}' {} ({}); {}",
                self.problem,
                lines(true),
                self.action
            ),
            "empty" => format!(
                "{accounts}: '{column}' is empty ({}); {}",
                lines(false),
                self.action
            ),
            "outside_range" => {
                let values: Vec<String> = self
                    .examples
                    .iter()
                    .map(|e| format!("line {}: {}", e.line, e.value))
                    .collect();
                let what = if self.action.is_empty() {
                    format!("'{column}'")
                } else {
                    format!("'{column}' ({})", self.action)
                };
                format!(
                    "{accounts}: {what} is outside the range the model was trained on, {} ({}{more}); scored as the nearest end of that range",
                    self.problem,
                    values.join(", ")
                )
            }
            "missing_fields" => format!(
                "{accounts}: fewer fields than the header ({}); the missing ones were left empty",
                self.field_lines(more)
            ),
            "extra_fields" => format!(
                "{accounts}: more fields than the header ({}); the extra ones were ignored",
                self.field_lines(more)
            ),
            "unclosed_quote" => format!(
                "a quoted field opened on {} is never closed; the rest of the file was read into it",
                lines(false)
            ),
            _ => format!(
                "{accounts}: no account id ({}); scored, but not matched back to the CRM",
                lines(false)
            ),
        }
    }

    /// "line 7: 4 fields of 12, …".
    fn field_lines(&self, more: &str) -> String {
        let shown: Vec<String> = self
            .examples
            .iter()
            .map(|e| format!("line {}: {} fields", e.line, e.value))
            .collect();
        format!("{}{more}", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Mapping;
    use crate::score::Scorer;

    fn groups_of(text: &str, as_of: &str) -> Vec<WarningGroup> {
        let model = crate::default_model().unwrap();
        let day = crate::ingest::parse_iso_date(as_of).unwrap();
        let mut scorer = Scorer::new(model, "f.csv", day, Mapping::new());
        scorer.push(text.as_bytes()).unwrap();
        scorer.finish().unwrap().warning_groups()
    }

    #[test]
    fn a_file_with_known_blemishes_is_counted_by_kind_and_column() {
        // tests/fixtures/accounts-blemished.csv, counted by hand (as of 2026-01-15):
        // 'TBD' and 'soon' are not dates (lines 3, 4); 'abc' is not a number (line 7);
        // contract_value empty on line 5, nps on line 6, logins_30d on line 9 (its
        // field is missing); logins 400 and 500 are above the training range's 173
        // (lines 6, 7); renewal 2028-09-01 is 960 days away, beyond 365 (line 10); nps
        // 11 is above 10 (line 11); line 8 has no id; line 9 has 6 fields of 7.
        let text = include_str!("../../tests/fixtures/accounts-blemished.csv");
        let groups = groups_of(text, "2026-01-15");
        let got: Vec<(&str, Option<&str>, usize, Vec<usize>)> = groups
            .iter()
            .map(|g| {
                let lines = g.examples.iter().map(|e| e.line).collect();
                (g.kind.as_str(), g.column.as_deref(), g.count, lines)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("unreadable", Some("renewal_date"), 2, vec![3, 4]),
                ("outside_range", Some("logins_30d"), 2, vec![6, 7]),
                ("empty", Some("contract_value"), 1, vec![5]),
                ("empty", Some("nps"), 1, vec![6]),
                ("unreadable", Some("contract_value"), 1, vec![7]),
                ("no_account_id", None, 1, vec![8]),
                ("missing_fields", None, 1, vec![9]),
                ("empty", Some("logins_30d"), 1, vec![9]),
                ("outside_range", Some("renewal_date"), 1, vec![10]),
                ("outside_range", Some("nps"), 1, vec![11]),
            ]
        );
        assert_eq!(
            groups[0].text,
            "2 accounts: 'renewal_date' is not a date (line 3 'TBD', line 4 'soon'); imputed 183"
        );
        assert_eq!(groups[0].examples[0].value, "TBD");
        assert_eq!(
            groups[2].text,
            "1 account: 'contract_value' is empty (line 5); imputed 24846"
        );
        assert!(groups[1].text.starts_with(
            "2 accounts: 'logins_30d' is outside the range the model was trained on, 0 to 173 (line 6: 400, line 7: 500)"
        ));
        assert!(
            groups[8].text.contains("(line 10: 960)"),
            "{}",
            groups[8].text
        );
    }

    #[test]
    fn a_big_group_keeps_three_examples_and_says_there_are_more() {
        let mut text = String::from("account_id,nps\n");
        for i in 0..1234 {
            text.push_str(&format!("A{i},x\n"));
        }
        let groups = groups_of(&text, "2026-01-15");
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].count, 1234);
        assert_eq!(groups[0].examples.len(), EXAMPLES_PER_GROUP);
        assert_eq!(
            groups[0].text,
            "1,234 accounts: 'nps' is not a number (line 2 'x', line 3 'x', line 4 'x', …); imputed 7"
        );
    }
}
