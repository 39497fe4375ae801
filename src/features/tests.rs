//! Tests of header matching and reading.

use super::*;
use crate::model::tests::tiny_model;

fn table(text: &str) -> Table {
    ingest::read_table(text.as_bytes(), "t.csv").unwrap()
}

#[test]
fn matches_headers_by_alias_and_dates() {
    let mut m = tiny_model();
    m.features[0].date_aliases = vec!["Last Contact Date".into()];
    m.features[0].date_direction = Some(DateDirection::Since);
    m.features[1].aliases = vec!["is reference".into()];
    let t = table("ID,Last contact date,Is Reference?,Segment\nA,2024-01-01,yes,smb\n");
    let as_of = ingest::parse_iso_date("2024-03-01").unwrap();
    let p = prepare(&t, &m, as_of, "t.csv").unwrap();
    // 2024 is a leap year: Jan 31 + Feb 29 = 60 days.
    assert_eq!(p.row(0), &[60.0, 1.0, 0.0]);
    assert_eq!(p.columns[1].how, Some(MatchKind::Date));
    assert_eq!(p.columns[2].how, Some(MatchKind::Alias));
    assert!(p.missing_features.is_empty());
    assert_eq!(p.rows[0].account_id, "A");
}

/// Each column gets its own number style and date order from its own cells, however
/// the columns around it are written (the head is counted in one pass).
#[test]
fn unreadable_cells_become_missing_with_a_warning() {
    let m = tiny_model();
    let t = table("account_id,days,reference\nA,abc,maybe\nB,12,no\n");
    let p = prepare(&t, &m, 0, "t.csv").unwrap();
    assert!(p.row(0)[0].is_nan() && p.row(0)[1].is_nan());
    assert_eq!(p.row(1)[..2], [12.0, 0.0]);
    assert_eq!(p.warnings[0].len(), 2);
    let w = &p.warnings[0][0];
    assert_eq!(w.line, 2);
    let ingest::RowIssue::Cell(cell) = &w.issue else {
        panic!("{w:?}")
    };
    assert_eq!((cell.column.as_str(), cell.value.as_str()), ("days", "abc"));
    assert_eq!(cell.action, "imputed 30");
    assert!(w.to_string().starts_with("line 2, column 'days': 'abc'"));
    assert!(p.warnings[1].is_empty());
    assert_eq!(p.missing_features, vec!["segment".to_string()]);
}

#[test]
fn unusable_files_say_why() {
    let m = tiny_model();
    let e = prepare(&table("name,days\nx,1\n"), &m, 0, "t.csv").unwrap_err();
    assert!(e.to_string().contains("no account id column"), "{e}");
    let e = prepare(&table("id,colour\nx,red\n"), &m, 0, "t.csv").unwrap_err();
    assert!(
        e.to_string().contains("none of the model's 3 features"),
        "{e}"
    );
    let e = prepare(&table("id,days\n"), &m, 0, "t.csv").unwrap_err();
    assert!(e.to_string().contains("no account rows"), "{e}");
}

#[test]
fn duplicate_headers_are_reported_and_the_first_is_used() {
    let m = tiny_model();
    let p = prepare(&table("id,days,days\nA,1,2\n"), &m, 0, "t.csv").unwrap();
    assert_eq!(p.row(0)[0], 1.0);
    assert_eq!(p.file_warnings.len(), 1);
}
