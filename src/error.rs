//! The one error type of the crate.
//!
//! Errors are values: every way a file, a model or an output path can be wrong ends up
//! here with a message a person can act on. Messages name the file and, where there is
//! one, the line, the column and the offending value. Problems confined to one cell are
//! not errors at all: they become row warnings (see [`crate::score`]).

use std::fmt;

/// Everything that can stop a command or a scoring run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The input file cannot be used at all (empty, binary, no id column, no known feature).
    #[error("{file}: {reason}")]
    Unusable {
        /// The file's name as the user gave it.
        file: String,
        /// Why, in words a non-engineer understands.
        reason: String,
    },
    /// A problem at a known place in a file, for errors that must stop the run.
    #[error("{file}: line {line}, column '{column}': {reason} (value '{value}')")]
    Cell {
        /// The file's name.
        file: String,
        /// 1-based physical line where the record starts.
        line: usize,
        /// The column's header as written in the file.
        column: String,
        /// The offending value, shortened if long.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The model file is missing, malformed or fails validation.
    #[error("model {file}: {reason}")]
    Model {
        /// The model file's name.
        file: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Training could not produce a model.
    #[error("training on {file}: {reason}")]
    Train {
        /// The training data's name.
        file: String,
        /// Why training failed.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {reason}")]
    Io {
        /// The path involved.
        path: String,
        /// The operating system's message.
        reason: String,
    },
}

impl Error {
    /// An [`Error::Unusable`] for `file`.
    pub fn unusable(file: &str, reason: impl fmt::Display) -> Self {
        Error::Unusable {
            file: file.to_string(),
            reason: reason.to_string(),
        }
    }

    /// An [`Error::Model`] for `file`.
    pub fn model(file: &str, reason: impl fmt::Display) -> Self {
        Error::Model {
            file: file.to_string(),
            reason: reason.to_string(),
        }
    }

    /// An [`Error::Train`] for `file`.
    pub fn train(file: &str, reason: impl fmt::Display) -> Self {
        Error::Train {
            file: file.to_string(),
            reason: reason.to_string(),
        }
    }

    /// An [`Error::Io`] for `path`.
    pub fn io(path: &str, err: impl fmt::Display) -> Self {
        Error::Io {
            path: path.to_string(),
            reason: err.to_string(),
        }
    }
}

/// Shortens a cell value for use in a message: long values are cut (on a character
/// boundary) and control characters are shown escaped, so a megabyte field or a NUL
/// byte cannot flood or garble the output.
pub fn show_value(value: &str) -> String {
    show_text(value, 40)
}

/// [`show_value`] for a longer text (a message quoting a file's content): cut after
/// `max` characters, control characters escaped.
pub fn show_text(value: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in value.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_value_cuts_and_escapes() {
        assert_eq!(show_value("a\0b"), "a\\u{0}b");
        let long = "x".repeat(100);
        assert_eq!(show_value(&long).chars().count(), 41);
    }

    #[test]
    fn messages_name_file_line_column_value() {
        let e = Error::Cell {
            file: "a.csv".into(),
            line: 3,
            column: "nps".into(),
            value: "abc".into(),
            reason: "not a number".into(),
        };
        assert_eq!(
            e.to_string(),
            "a.csv: line 3, column 'nps': not a number (value 'abc')"
        );
    }
}
