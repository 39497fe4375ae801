//! A row's warnings as data: where (line; for a cell, its column and value) and what.
//!
//! Problems confined to one row do not stop a run: the row is read as well as it can be
//! and carries a [`RowWarning`]. The position stays a number until the warning is shown
//! ([`fmt::Display`] gives the sentence the CLI and the page print), so a part of a big
//! file read on its own can count its lines from the file's start by adding to
//! [`RowWarning::line`], and the page can group warnings by [`RowIssue`].

use std::fmt;

use crate::error::show_value;

/// One problem with one row, found while reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowWarning {
    /// 1-based physical line the problem is on (where the record, or the unclosed
    /// quoted field, starts).
    pub line: usize,
    /// What the problem is.
    pub issue: RowIssue,
}

/// What is wrong with a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowIssue {
    /// A quoted field opened on this line is never closed: the rest of the file was
    /// read into it.
    UnclosedQuote,
    /// The record has fewer fields than the header: the missing ones are left empty.
    MissingFields {
        /// Fields in the record.
        fields: usize,
        /// Fields in the header.
        width: usize,
    },
    /// The record has more fields than the header, and some of the extra ones hold
    /// text: they are ignored.
    ExtraFields {
        /// Fields in the record.
        fields: usize,
        /// Fields in the header.
        width: usize,
    },
    /// A cell its column's reader could not read: the value is treated as missing.
    Cell(Box<CellIssue>),
    /// The record has no account id: it is scored but cannot be matched back.
    NoAccountId,
}

/// A cell that could not be read (boxed in [`RowIssue::Cell`]: rows carry few of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellIssue {
    /// The column's header as written in the file.
    pub column: String,
    /// The cell's text, trimmed and shortened for display ([`show_value`]).
    pub value: String,
    /// What is wrong with it ("is not a number").
    pub problem: String,
    /// What was done instead ("imputed 30").
    pub action: String,
}

impl RowWarning {
    /// A cell of `column` at `line` whose text `value` could not be read (`problem`),
    /// and what was done instead (`action`).
    pub fn cell(line: usize, column: &str, value: &str, problem: &str, action: &str) -> Self {
        RowWarning {
            line,
            issue: RowIssue::Cell(Box::new(CellIssue {
                column: column.to_string(),
                value: show_value(value.trim()),
                problem: problem.to_string(),
                action: action.to_string(),
            })),
        }
    }
}

impl fmt::Display for RowWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line;
        match &self.issue {
            RowIssue::UnclosedQuote => write!(
                f,
                "line {line}: a quoted field is never closed; read to the end of the file"
            ),
            RowIssue::MissingFields { fields, width } => write!(
                f,
                "line {line} has {fields} fields, the header has {width}: missing fields left empty"
            ),
            RowIssue::ExtraFields { fields, width } => write!(
                f,
                "line {line} has {fields} fields, the header has {width}: extra fields ignored"
            ),
            RowIssue::Cell(c) => write!(
                f,
                "line {line}, column '{}': '{}' {}; {}",
                c.column, c.value, c.problem, c.action
            ),
            RowIssue::NoAccountId => write!(
                f,
                "line {line}: no account id; the account is scored but cannot be matched back to the CRM"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_warning_reads_as_a_sentence_naming_its_line() {
        let at = |line, issue| RowWarning { line, issue }.to_string();
        assert_eq!(
            at(7, RowIssue::UnclosedQuote),
            "line 7: a quoted field is never closed; read to the end of the file"
        );
        assert_eq!(
            at(
                3,
                RowIssue::MissingFields {
                    fields: 2,
                    width: 5
                }
            ),
            "line 3 has 2 fields, the header has 5: missing fields left empty"
        );
        assert_eq!(
            at(
                4,
                RowIssue::ExtraFields {
                    fields: 6,
                    width: 5
                }
            ),
            "line 4 has 6 fields, the header has 5: extra fields ignored"
        );
        assert_eq!(
            RowWarning::cell(12, "NPS", "  abc ", "is not a number", "imputed 7").to_string(),
            "line 12, column 'NPS': 'abc' is not a number; imputed 7"
        );
        assert_eq!(
            at(9, RowIssue::NoAccountId),
            "line 9: no account id; the account is scored but cannot be matched back to the CRM"
        );
    }

    #[test]
    fn a_cell_value_is_kept_short_and_printable() {
        let long = "x".repeat(1000) + "\u{0}";
        let w = RowWarning::cell(1, "c", &long, "is odd", "ignored");
        let RowIssue::Cell(c) = &w.issue else {
            panic!("{w:?}")
        };
        assert!(c.value.chars().count() <= 41, "{}", c.value);
        assert!(!c.value.contains('\u{0}'));
    }
}
