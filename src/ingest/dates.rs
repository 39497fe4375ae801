//! Dates, and a column's day/month order.
//!
//! * Year first: `2024-03-05`, `2024/03/05`, `2024.03.05`, optionally followed by a
//!   time (`2024-03-05T10:00:00Z`, `2024-03-05 10:00`, `2024-03-05 10:00:00+02:00`);
//!   the time is checked, then ignored.
//! * Day and month as numbers: `05/03/2024`, `5/3/2024`, `05.03.2024`, `05-03-2024`,
//!   two-digit years (`05/03/24`; 00–69 are 2000–2069, 70–99 are 1970–1999), with an
//!   optional time (`3/5/2024 14:30`, `3/5/2024 2:30 PM`, `3/5/2024, 2:30 PM`).
//! * English month names: `5 Mar 2024`, `05-Mar-2024`, `March 5, 2024`, `Mar 5 2024`,
//!   `5 March 2024`, optionally with a weekday (`Tue, 5 Mar 2024`) and a time.
//! * Not dates: plain numbers such as `20240305` or Excel serial numbers (`45356`).
//! * The day must exist in its month (29 February only in leap years).
//! * Day/month order for `03/04/2024` is decided for the column from the records in
//!   the file's head ([`HEAD_BYTES`](super::HEAD_BYTES), [`infer_date_order`]): a value
//!   whose first number is over 12 votes day-first, one whose second number is over 12
//!   votes month-first, and the majority wins. Without votes (or on a tie), a column
//!   written mostly with dots (`05.03.2024`) is day-first; otherwise it is day-first
//!   when the file looks European (`;` delimiter or decimal commas) and month-first
//!   otherwise, as in US CRM exports. Each cell is then read in the column's order;
//!   cells that do not make a valid date that way are errors. Year-first dates are
//!   always year-month-day.

use super::cells::{is_missing, strip_prefix_ci, trim};

/// Day/month order for ambiguous dates like 03/04/2024.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// 03/04/2024 is 3 April.
    DayFirst,
    /// 03/04/2024 is 4 March.
    MonthFirst,
}

const NOT_A_DATE: &str = "is not a date";
const INVALID_DATE: &str = "is not a valid date";

/// The parts of a date cell, before the day/month order is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateShape {
    /// Year, month, day, all known.
    Known(i64, u32, u32),
    /// `a sep b sep year`: which of `a` and `b` is the day depends on the column.
    Numeric { a: u32, b: u32, year: i64, sep: u8 },
}

/// Decides a column's date order from its cells; `day_first_hint` = the file looks European.
///
/// See the module documentation for the rule.
pub fn infer_date_order<'a>(
    cells: impl IntoIterator<Item = &'a str>,
    day_first_hint: bool,
) -> DateOrder {
    let mut votes = DateVotes::default();
    cells.into_iter().for_each(|cell| votes.add(cell));
    votes.order(day_first_hint)
}

/// [`infer_date_order`]'s count, a cell at a time (see [`NumberVotes`](super::NumberVotes)).
#[derive(Debug, Clone, Copy, Default)]
pub struct DateVotes {
    day: usize,
    month: usize,
    dots: usize,
    others: usize,
}

impl DateVotes {
    /// Counts one cell.
    pub fn add(&mut self, cell: &str) {
        let s = trim(cell);
        if is_missing(s) {
            return;
        }
        if let Some(DateShape::Numeric { a, b, sep, .. }) = lex_date(s) {
            self.day += usize::from(a > 12);
            self.month += usize::from(b > 12);
            if sep == b'.' {
                self.dots += 1;
            } else {
                self.others += 1;
            }
        }
    }

    /// The order the cells counted say; `day_first_hint` when they do not decide.
    pub fn order(self, day_first_hint: bool) -> DateOrder {
        if self.day > self.month {
            DateOrder::DayFirst
        } else if self.month > self.day {
            DateOrder::MonthFirst
        } else if self.dots > self.others || day_first_hint {
            DateOrder::DayFirst
        } else {
            DateOrder::MonthFirst
        }
    }
}

/// Parses a date to days since 1970-01-01 (negative before). `Ok(None)` = missing.
pub fn parse_date(cell: &str, order: DateOrder) -> std::result::Result<Option<i64>, &'static str> {
    let s = trim(cell);
    // A plain `2024-03-05` (the usual CRM export) is never a missing token.
    if let Some((y, m, d)) = iso_ymd(s) {
        return if valid_ymd(y, m, d) {
            Ok(Some(days_from_civil(y, m, d)))
        } else {
            Err(INVALID_DATE)
        };
    }
    if is_missing(s) {
        return Ok(None);
    }
    let (y, m, d) = match lex_date(s).ok_or(NOT_A_DATE)? {
        DateShape::Known(y, m, d) => (y, m, d),
        DateShape::Numeric { a, b, year, .. } => match order {
            DateOrder::DayFirst => (year, b, a),
            DateOrder::MonthFirst => (year, a, b),
        },
    };
    if valid_ymd(y, m, d) {
        Ok(Some(days_from_civil(y, m, d)))
    } else {
        Err(INVALID_DATE)
    }
}

/// Year, month and day of exactly `YYYY-MM-DD`, unvalidated: what [`lex_date`] makes
/// of that shape, without its general search.
#[inline]
fn iso_ymd(s: &str) -> Option<(i64, u32, u32)> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *<&[u8; 10]>::try_from(s.as_bytes()).ok()?
    else {
        return None;
    };
    let digit = |c: u8| -> Option<u32> {
        let d = c.wrapping_sub(b'0');
        (d < 10).then_some(u32::from(d))
    };
    let year = ((digit(y0)? * 10 + digit(y1)?) * 10 + digit(y2)?) * 10 + digit(y3)?;
    let month = digit(m0)? * 10 + digit(m1)?;
    let day = digit(d0)? * 10 + digit(d1)?;
    Some((i64::from(year), month, day))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn valid_ymd(y: i64, m: u32, d: u32) -> bool {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// Reads up to `max` ASCII digits at `*i`; `None` if fewer than `min` or more than `max`.
fn take_digits(b: &[u8], i: &mut usize, min: usize, max: usize) -> Option<(u32, usize)> {
    let start = *i;
    let mut value = 0u32;
    while let Some(&c) = b.get(*i) {
        if !c.is_ascii_digit() {
            break;
        }
        if *i - start == max {
            return None;
        }
        value = value * 10 + u32::from(c - b'0');
        *i += 1;
    }
    let n = *i - start;
    (n >= min).then_some((value, n))
}

/// Recognises the date forms of the module documentation, without validating the day.
fn lex_date(s: &str) -> Option<DateShape> {
    let b = s.as_bytes();
    if b.first().is_some_and(u8::is_ascii_digit) {
        if let Some(shape) = lex_numeric_date(s) {
            return Some(shape);
        }
    }
    lex_named_date(s)
}

fn lex_numeric_date(s: &str) -> Option<DateShape> {
    let b = s.as_bytes();
    let mut i = 0;
    let (n1, len1) = take_digits(b, &mut i, 1, 4)?;
    let sep = *b.get(i).filter(|c| matches!(c, b'-' | b'/' | b'.'))?;
    i += 1;
    let (n2, len2) = take_digits(b, &mut i, 1, 2)?;
    if b.get(i) != Some(&sep) {
        return None;
    }
    i += 1;
    let (n3, len3) = take_digits(b, &mut i, 1, 4)?;
    let rest = s.get(i..)?;
    let year_first = len1 == 4;
    let time_ok = match rest.as_bytes().first() {
        None => true,
        Some(b' ') => is_time(rest.trim_start()),
        // Salesforce writes "3/5/2024, 2:30 PM".
        Some(b',') => is_time(rest.get(1..)?.trim_start()),
        Some(b'T') if year_first => is_time(rest.get(1..)?),
        _ => false,
    };
    if !time_ok {
        return None;
    }
    if year_first && len3 <= 2 {
        return Some(DateShape::Known(i64::from(n1), n2, n3));
    }
    if len1 <= 2 && len2 <= 2 && (len3 == 2 || len3 == 4) {
        let year = if len3 == 2 {
            pivot_year(n3)
        } else {
            i64::from(n3)
        };
        return Some(DateShape::Numeric {
            a: n1,
            b: n2,
            year,
            sep,
        });
    }
    None
}

/// Two-digit years: 00–69 are 2000–2069, 70–99 are 1970–1999.
fn pivot_year(yy: u32) -> i64 {
    if yy < 70 {
        2000 + i64::from(yy)
    } else {
        1900 + i64::from(yy)
    }
}

fn lex_named_date(s: &str) -> Option<DateShape> {
    let date_part = match s.find(':') {
        Some(colon) => {
            let before = s.get(..colon)?;
            let start = before.rfind([' ', '\t'])? + 1;
            if !is_time(s.get(start..)?) {
                return None;
            }
            s.get(..start)?.trim_end_matches([' ', '\t', ','])
        }
        None => s,
    };
    let (mut month, mut numbers, mut count) = (None, [(0u32, 0usize); 2], 0usize);
    let tokens = date_part
        .split([' ', '\t', ',', '-', '/', '.'])
        .filter(|t| !t.is_empty());
    for token in tokens {
        if token.bytes().all(|c| c.is_ascii_alphabetic()) {
            if let Some(m) = month_from_name(token) {
                if month.replace(m).is_some() {
                    return None;
                }
            } else if !is_weekday(token) {
                return None;
            }
            continue;
        }
        let digits = ["st", "nd", "rd", "th"]
            .iter()
            .find_map(|suffix| {
                let body = token.get(..token.len().checked_sub(2)?)?;
                let tail = token.get(body.len()..)?;
                tail.eq_ignore_ascii_case(suffix).then_some(body)
            })
            .unwrap_or(token);
        if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let value: u32 = digits.parse().ok()?;
        *numbers.get_mut(count)? = (value, digits.len());
        count += 1;
    }
    let month = month?;
    if count != 2 {
        return None;
    }
    let [(first, first_len), (second, second_len)] = numbers;
    let (day, day_len, year, year_len) = if first_len == 4 && second_len != 4 {
        (second, second_len, first, first_len)
    } else {
        (first, first_len, second, second_len)
    };
    let year = match year_len {
        4 => i64::from(year),
        2 => pivot_year(year),
        _ => return None,
    };
    if day_len > 2 {
        return None;
    }
    Some(DateShape::Known(year, month, day))
}

fn month_from_name(token: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if token.len() < 3 {
        return None;
    }
    let n = MONTHS
        .iter()
        .position(|name| strip_prefix_ci(name, token).is_some())?;
    u32::try_from(n + 1).ok()
}

fn is_weekday(token: &str) -> bool {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    token.len() >= 3
        && DAYS
            .iter()
            .any(|name| strip_prefix_ci(name, token).is_some())
}

/// A time of day after a date: `14:30`, `2:30 PM`, `10:00:00.123Z`, `10:00+02:00`, ...
fn is_time(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    let Some((hour, _)) = take_digits(b, &mut i, 1, 2) else {
        return false;
    };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some((minute, 2)) = take_digits(b, &mut i, 2, 2) else {
        return false;
    };
    let mut second = 0;
    if b.get(i) == Some(&b':') {
        i += 1;
        let Some((s, 2)) = take_digits(b, &mut i, 2, 2) else {
            return false;
        };
        second = s;
        if matches!(b.get(i), Some(b'.' | b',')) {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return false;
            }
        }
    }
    if minute > 59 || second > 60 {
        return false;
    }
    let (mut meridiem, mut zone) = (false, false);
    let mut rest = t.get(i..).unwrap_or("");
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if !meridiem && !zone {
            if let Some(r) = ["am", "pm", "a.m.", "p.m."]
                .iter()
                .find_map(|m| strip_prefix_ci(rest, m))
            {
                meridiem = true;
                rest = r;
                continue;
            }
        }
        if !zone {
            if let Some(r) = ["z", "utc", "gmt"]
                .iter()
                .find_map(|z| strip_prefix_ci(rest, z))
            {
                zone = true;
                rest = r;
                continue;
            }
        }
        if let Some(r) = strip_offset(rest) {
            zone = true;
            rest = r;
            continue;
        }
        return false;
    }
    if meridiem {
        (1..=12).contains(&hour)
    } else {
        hour <= 24
    }
}

/// Takes a `+02:00`, `-0500` or `+2` UTC offset off the front of `s`.
fn strip_offset(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if !matches!(b.first(), Some(b'+' | b'-')) {
        return None;
    }
    let mut i = 1;
    let (_, n) = take_digits(b, &mut i, 1, 4)?;
    if n <= 2 && b.get(i) == Some(&b':') {
        i += 1;
        take_digits(b, &mut i, 2, 2)?;
    }
    s.get(i..)
}

/// Parses strictly `YYYY-MM-DD` (for `--as-of`); `None` if invalid.
pub fn parse_iso_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0, |acc, c| acc * 10 + u32::from(c - b'0')))
    };
    let (y, m, d) = (i64::from(num(0..4)?), num(5..7)?, num(8..10)?);
    valid_ymd(y, m, d).then(|| days_from_civil(y, m, d))
}

/// Days since 1970-01-01 to `YYYY-MM-DD`.
pub fn format_iso_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Largest year magnitude the calendar functions compute exactly; inputs are clamped
/// to it so that no argument can overflow.
const YEAR_LIMIT: i64 = 1_000_000_000_000;

/// (year, month, day) to days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
///
/// Exact for valid dates with years within ±10¹²; other inputs give some number
/// without panicking.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let (m, d) = (i64::from(m.min(1_000)), i64::from(d.min(100_000)));
    let y = y.clamp(-YEAR_LIMIT, YEAR_LIMIT) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to (year, month, day); the inverse of [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days.clamp(-YEAR_LIMIT * 366, YEAR_LIMIT * 366) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // Both are in range by construction (d in 1..=31, m in 1..=12).
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::tests::draw;
    use proptest::prelude::*;

    #[test]
    fn the_iso_date_path_matches_the_general_reader() {
        let alphabet = ["0", "1", "2", "3", "9", "-", "-", "/", "a", " "];
        let mut x: u64 = 0x94D0_49BB_1331_11EB;
        let mut cells: Vec<String> = (0..200_000).map(|_| draw(&mut x, &alphabet, 11)).collect();
        for days in (-800_000..3_000_000).step_by(7) {
            cells.push(format_iso_date(days));
        }
        for cell in &cells {
            if let Some(ymd) = iso_ymd(cell) {
                assert_eq!(
                    lex_date(cell),
                    Some(DateShape::Known(ymd.0, ymd.1, ymd.2)),
                    "{cell:?}"
                );
                assert!(!is_missing(cell));
            }
            let iso = cell.len() == 10
                && cell.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
            assert_eq!(iso_ymd(cell).is_some(), iso, "{cell:?}");
            if iso {
                let expected = parse_iso_date(cell);
                let got = parse_date(cell, DateOrder::DayFirst);
                assert_eq!(got.ok().flatten(), expected, "{cell:?}");
                assert_eq!(got.is_err(), expected.is_none(), "{cell:?}");
            }
        }
    }

    // 2024-03-05 is 19787 days after 1970-01-01: 54 years with 13 leap days
    // (1972..=2020) is 19723, plus 31 + 29 + 4 days into 2024.
    const MAR_5_2024: i64 = 19_787;

    fn date(cell: &str, order: DateOrder) -> Option<i64> {
        match parse_date(cell, order) {
            Ok(v) => v,
            Err(e) => panic!("{cell:?}: {e}"),
        }
    }

    #[test]
    fn civil_conversions() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2024, 3, 5), MAR_5_2024);
        assert_eq!(civil_from_days(MAR_5_2024), (2024, 3, 5));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(format_iso_date(MAR_5_2024), "2024-03-05");
        assert_eq!(format_iso_date(0), "1970-01-01");
        assert_eq!(parse_iso_date("2024-03-05"), Some(MAR_5_2024));
        assert_eq!(parse_iso_date("2024-02-29"), Some(MAR_5_2024 - 5));
        assert_eq!(parse_iso_date("2023-02-29"), None);
        assert_eq!(parse_iso_date("2024-3-05"), None);
        assert_eq!(parse_iso_date(" 2024-03-05"), None);
        assert_eq!(parse_iso_date("2024-13-01"), None);
        assert_eq!(parse_iso_date("2024-03-0é"), None);
        // Extreme arguments do not panic.
        let _ = days_from_civil(i64::MAX, u32::MAX, u32::MAX);
        let _ = days_from_civil(i64::MIN, 0, 0);
        let _ = civil_from_days(i64::MAX);
        let _ = civil_from_days(i64::MIN);
        let _ = format_iso_date(i64::MIN);
    }

    #[test]
    fn year_first_dates_and_times() {
        use DateOrder::*;
        for cell in [
            "2024-03-05",
            "2024/03/05",
            "2024.3.5",
            "2024-03-05T10:00:00Z",
            "2024-03-05T10:00:00.123+02:00",
            "2024-03-05 10:00",
            "2024-03-05 10:00:00+02:00",
            "2024-03-05 00:00:00 UTC",
            " 2024-03-05 ",
        ] {
            assert_eq!(date(cell, DayFirst), Some(MAR_5_2024), "{cell:?}");
            assert_eq!(date(cell, MonthFirst), Some(MAR_5_2024), "{cell:?}");
        }
    }

    #[test]
    fn day_month_forms() {
        use DateOrder::*;
        for cell in [
            "05/03/2024",
            "5/3/2024",
            "05.03.2024",
            "05-03-2024",
            "05/03/24",
        ] {
            assert_eq!(date(cell, DayFirst), Some(MAR_5_2024), "{cell:?}");
        }
        for cell in [
            "3/5/2024",
            "03/05/2024 14:30",
            "3/5/2024 2:30 PM",
            "3/5/24 2:30pm",
            "3/5/2024, 2:30 PM",
        ] {
            assert_eq!(date(cell, MonthFirst), Some(MAR_5_2024), "{cell:?}");
        }
        // Two-digit year pivot.
        assert_eq!(date("01/01/70", DayFirst), Some(0));
        assert_eq!(
            date("01/01/69", DayFirst),
            Some(days_from_civil(2069, 1, 1))
        );
    }

    #[test]
    fn month_names() {
        use DateOrder::*;
        for cell in [
            "5 Mar 2024",
            "05-Mar-2024",
            "5-mar-24",
            "March 5, 2024",
            "Mar 5 2024",
            "5 March 2024",
            "Tue, 5 Mar 2024",
            "Sept 5 2024",
            "March 5th, 2024",
            "March 5, 2024 2:30 PM",
            "5 Mar 2024 14:30:00",
            "2024 Mar 5",
        ] {
            let want = if cell.starts_with("Sept") {
                days_from_civil(2024, 9, 5)
            } else {
                MAR_5_2024
            };
            assert_eq!(date(cell, MonthFirst), Some(want), "{cell:?}");
        }
    }

    #[test]
    fn bad_dates() {
        use DateOrder::*;
        assert_eq!(parse_date("20240305", DayFirst), Err("is not a date"));
        assert_eq!(parse_date("45356", DayFirst), Err("is not a date"));
        assert_eq!(parse_date("hello", DayFirst), Err("is not a date"));
        assert_eq!(
            parse_date("2024-03-05 hello", DayFirst),
            Err("is not a date")
        );
        assert_eq!(
            parse_date("2024-03-05 25:00", DayFirst),
            Err("is not a date")
        );
        assert_eq!(
            parse_date("3/5/2024 13:00 PM", DayFirst),
            Err("is not a date")
        );
        assert_eq!(parse_date("5/3", DayFirst), Err("is not a date"));
        assert_eq!(parse_date("5/3-2024", DayFirst), Err("is not a date"));
        assert_eq!(parse_date("Mar 2024", DayFirst), Err("is not a date"));
        assert_eq!(
            parse_date("2023-02-29", DayFirst),
            Err("is not a valid date")
        );
        assert_eq!(
            parse_date("31/04/2024", DayFirst),
            Err("is not a valid date")
        );
        assert_eq!(
            parse_date("13/05/2024", MonthFirst),
            Err("is not a valid date")
        );
        assert_eq!(
            parse_date("30 Feb 2024", DayFirst),
            Err("is not a valid date")
        );
        assert_eq!(parse_date("29/02/2024", DayFirst), Ok(Some(MAR_5_2024 - 5)));
        assert_eq!(parse_date("n/a", DayFirst), Ok(None));
    }

    #[test]
    fn date_order_inference() {
        use DateOrder::*;
        assert_eq!(
            infer_date_order(["03/04/2024", "25/12/2024"], false),
            DayFirst
        );
        assert_eq!(
            infer_date_order(["03/04/2024", "12/25/2024"], true),
            MonthFirst
        );
        // Both kinds of evidence: the majority wins.
        assert_eq!(
            infer_date_order(["13/01/2024", "14/01/2024", "01/13/2024"], false),
            DayFirst
        );
        assert_eq!(
            infer_date_order(["13/01/2024", "01/13/2024", "01/14/2024"], true),
            MonthFirst
        );
        // No evidence: dots are day-first, otherwise the file hint.
        assert_eq!(infer_date_order(["03.04.2024", "n/a"], false), DayFirst);
        assert_eq!(infer_date_order(["03/04/2024"], false), MonthFirst);
        assert_eq!(infer_date_order(["03/04/2024"], true), DayFirst);
        // Year-first dates carry no evidence.
        assert_eq!(infer_date_order(["2024-12-25"], false), MonthFirst);
    }

    proptest! {
        #[test]
        fn civil_round_trip(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
            prop_assert!(valid_ymd(y, m, d));
            if (0..=9999).contains(&y) {
                prop_assert_eq!(parse_iso_date(&format_iso_date(days)), Some(days));
            }
        }

        #[test]
        fn numeric_dates_read_in_both_orders(days in 0i64..40_000) {
            let (y, m, d) = civil_from_days(days);
            let dmy = format!("{d:02}/{m:02}/{y}");
            let mdy = format!("{m}-{d}-{y}");
            prop_assert_eq!(parse_date(&dmy, DateOrder::DayFirst), Ok(Some(days)));
            prop_assert_eq!(parse_date(&mdy, DateOrder::MonthFirst), Ok(Some(days)));
            prop_assert_eq!(parse_date(&format_iso_date(days), DateOrder::MonthFirst), Ok(Some(days)));
        }
    }
}
