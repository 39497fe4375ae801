//! Any text as cells (one per line) through every cell reader: `is_missing`,
//! `parse_number` under both number styles, `parse_bool`, `parse_date` under both date
//! orders, the column inferences, and the ISO date helpers. Only what the `ingest`
//! module documents is asserted:
//!
//! * no panic; numbers are finite; `Ok(None)` exactly for the missing tokens;
//! * surrounding spaces and (for words) ASCII letter case change nothing;
//! * the number style matters only for a cell with a `.` or `,` in it, and never for a
//!   cell that votes for a style ("unmistakably" decimal-comma or decimal-point);
//! * a plain decimal number (`-123.45`, `6.02e23`) reads as Rust's `str::parse::<f64>`
//!   reads it (the same value), and fails when that overflows;
//! * year-first dates do not depend on the date order; a date read from a cell
//!   round-trips through `format_iso_date` / `parse_iso_date` (years 0 to 9999) and
//!   `civil_from_days` / `days_from_civil`;
//! * the file's hint decides a column's style or order only on a tie, and the order of
//!   the cells does not matter.
#![no_main]

use churn_audit::ingest::{self, DateOrder, NumberStyle};
use libfuzzer_sys::fuzz_target;

const POINT: NumberStyle = NumberStyle {
    decimal_comma: false,
};
const COMMA: NumberStyle = NumberStyle {
    decimal_comma: true,
};
const ORDERS: [DateOrder; 2] = [DateOrder::DayFirst, DateOrder::MonthFirst];

fuzz_target!(|data: &[u8]| {
    // Invalid UTF-8 still makes cells (with U+FFFD), so no input is wasted.
    let text = String::from_utf8_lossy(data);
    let cells: Vec<&str> = text.split('\n').collect();
    for cell in &cells {
        check_cell(cell);
    }
    check_column(&cells);
    check_plain_number(&text);
    check_calendar(data);
});

fn check_cell(cell: &str) {
    let missing = ingest::is_missing(cell);
    let padded = format!(" {cell} ");
    assert_eq!(ingest::is_missing(&padded), missing, "{cell:?}");

    // Numbers.
    let point = ingest::parse_number(cell, POINT);
    let comma = ingest::parse_number(cell, COMMA);
    for (style, read) in [(POINT, point), (COMMA, comma)] {
        if let Ok(Some(v)) = read {
            assert!(v.is_finite(), "{cell:?} read as {v}");
        }
        assert_eq!(read == Ok(None), missing, "{cell:?}: {read:?}");
        assert_eq!(ingest::parse_number(&padded, style), read, "{cell:?}");
    }
    // Arabic-Indic `٫` and `٬` are read as `.` and `,`.
    if !cell.contains(['.', ',', '\u{066B}', '\u{066C}']) {
        assert_eq!(point, comma, "{cell:?} depends on the style");
    }
    let votes_comma = ingest::infer_number_style([cell], false).decimal_comma;
    let votes_point = !ingest::infer_number_style([cell], true).decimal_comma;
    assert!(!(votes_comma && votes_point), "{cell:?} votes both ways");
    if votes_comma || votes_point {
        assert_eq!(
            point, comma,
            "{cell:?} is unmistakable but depends on the style"
        );
    }

    // Booleans.
    let b = ingest::parse_bool(cell);
    assert_eq!(b == Ok(None), missing, "{cell:?}: {b:?}");
    assert_eq!(ingest::parse_bool(&padded), b, "{cell:?}");
    if cell.is_ascii() {
        for cased in [cell.to_ascii_uppercase(), cell.to_ascii_lowercase()] {
            assert_eq!(ingest::parse_bool(&cased), b, "{cell:?} as {cased:?}");
            assert_eq!(ingest::is_missing(&cased), missing, "{cell:?} as {cased:?}");
        }
    }

    // Dates.
    let dates = ORDERS.map(|order| ingest::parse_date(cell, order));
    for read in dates {
        assert_eq!(read == Ok(None), missing, "{cell:?}: {read:?}");
        if let Ok(Some(days)) = read {
            check_days(days, cell);
        }
    }
    if year_first(cell) {
        assert_eq!(
            dates[0], dates[1],
            "year-first {cell:?} depends on the order"
        );
    }
    if let Some(days) = ingest::parse_iso_date(cell) {
        assert_eq!(ingest::format_iso_date(days), *cell);
        assert_eq!(dates, [Ok(Some(days)); 2], "{cell:?}");
    }
}

/// A date as days: a real calendar day, and its ISO text reads back to it.
fn check_days(days: i64, cell: &str) {
    let (y, m, d) = ingest::civil_from_days(days);
    assert_eq!(ingest::days_from_civil(y, m, d), days, "{cell:?}");
    if (0..=9999).contains(&y) {
        let iso = ingest::format_iso_date(days);
        assert_eq!(
            ingest::parse_iso_date(&iso),
            Some(days),
            "{cell:?} -> {iso}"
        );
        for order in ORDERS {
            assert_eq!(ingest::parse_date(&iso, order), Ok(Some(days)), "{iso}");
        }
    }
}

/// `2024-03-05`, `2024/03/05`, `2024.03.05`, with or without a time after it.
fn year_first(cell: &str) -> bool {
    let b = cell.trim().as_bytes();
    b.len() > 4 && b[..4].iter().all(u8::is_ascii_digit) && matches!(b[4], b'-' | b'/' | b'.')
}

/// The hint decides only ties; the cells' order never matters.
fn check_column(cells: &[&str]) {
    let reversed: Vec<&str> = cells.iter().rev().copied().collect();
    for hint in [false, true] {
        let style = ingest::infer_number_style(cells.iter().copied(), hint);
        assert_eq!(
            ingest::infer_number_style(reversed.iter().copied(), hint),
            style
        );
        let order = ingest::infer_date_order(cells.iter().copied(), hint);
        assert_eq!(
            ingest::infer_date_order(reversed.iter().copied(), hint),
            order
        );
    }
    if ingest::infer_number_style(cells.iter().copied(), false).decimal_comma {
        assert!(ingest::infer_number_style(cells.iter().copied(), true).decimal_comma);
    }
    if ingest::infer_date_order(cells.iter().copied(), false) == DateOrder::DayFirst {
        assert_eq!(
            ingest::infer_date_order(cells.iter().copied(), true),
            DateOrder::DayFirst
        );
    }
}

/// A plain decimal number built from the input's digits reads as `str::parse` reads it:
/// in a decimal-point column as written, in a decimal-comma column with `,` for `.`.
fn check_plain_number(text: &str) {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return;
    }
    let sign = if text.starts_with('-') { "-" } else { "" };
    let split = text.len() % (digits.len() + 1);
    let (int, frac) = digits.split_at(split);
    let int = if int.is_empty() { "0" } else { int };
    let plain = if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    };
    let expect = |s: &str| match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => None,
    };
    let check = |s: &str, style: NumberStyle, want: Option<f64>| match (
        ingest::parse_number(s, style),
        want,
    ) {
        // `==`, not the bits: `-0` may read as 0.
        (Ok(Some(v)), Some(w)) => assert!(v == w, "{s:?}: read {v}, expected {w}"),
        (Err(_), None) => {}
        (read, want) => panic!("{s:?} ({style:?}): read {read:?}, expected {want:?}"),
    };
    let want = expect(&plain);
    check(&plain, POINT, want);
    check(&plain.replace('.', ","), COMMA, want);
    // Scientific notation, with an exponent taken from the input too.
    if let Some(e) = text.find(['e', 'E']) {
        let exponent = (e as i64 * 37 + text.len() as i64) % 700 - 350;
        let sci = format!("{plain}e{exponent}");
        check(&sci, POINT, expect(&sci));
    }
}

/// `civil_from_days` and `days_from_civil` are inverses over the years they promise
/// (within ±10¹²), and every day is a real calendar day.
fn check_calendar(data: &[u8]) {
    let Some(bytes) = data.get(..8) else {
        return;
    };
    let raw = i64::from_le_bytes(bytes.try_into().unwrap_or_default());
    let days = raw % (365 * 1_000_000_000_000);
    let (y, m, d) = ingest::civil_from_days(days);
    assert!(
        (1..=12).contains(&m) && (1..=31).contains(&d),
        "{days}: {y}-{m}-{d}"
    );
    assert_eq!(ingest::days_from_civil(y, m, d), days);
    if (0..=9999).contains(&y) {
        let iso = ingest::format_iso_date(days);
        assert_eq!(ingest::parse_iso_date(&iso), Some(days), "{iso}");
    }
}
