//! The file's currency, as its headers or money cells write it.
//!
//! The reader takes currency marks off numbers (`$12,500`, `€ 1.200,00`, `BDT 50,000`)
//! and keeps the number; this module says which currency the file's money is in, so the
//! page and the report can write it with its sign. It looks, in order, at the header of
//! the column that holds the contract value ("Contract value (EUR)", "ARR $"), at that
//! column's cells in the file's head (the mark most of them carry), then at the other
//! headers. The answer is an ISO 4217 code when the mark names one currency (`€` is
//! EUR, `৳` BDT, `R$` BRL), else the mark itself (`$`, `¥`, which several currencies
//! use); `None` when nothing says.

use crate::ingest::Record;

/// Marks written before or after an amount, longest first, with the ISO code each one
/// names (empty when it names several currencies: then the mark itself is the answer).
const SYMBOLS: [(&str, &str); 21] = [
    ("US$", "USD"),
    ("CA$", "CAD"),
    ("AU$", "AUD"),
    ("NZ$", "NZD"),
    ("HK$", "HKD"),
    ("R$", "BRL"),
    ("C$", "CAD"),
    ("A$", "AUD"),
    ("S$", "SGD"),
    ("$", ""),
    ("€", "EUR"),
    ("£", "GBP"),
    ("¥", ""),
    ("₹", "INR"),
    ("৳", "BDT"),
    ("₩", "KRW"),
    ("₽", "RUB"),
    ("₺", "TRY"),
    ("₪", "ILS"),
    ("₫", "VND"),
    ("₱", "PHP"),
];

/// ISO 4217 codes recognised as words of a header: a header's other capitals ("ARR",
/// "MRR", "NPS") must not be taken for a currency, so only these count there.
const HEADER_CODES: [&str; 40] = [
    "USD", "EUR", "GBP", "JPY", "CNY", "INR", "BDT", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK",
    "DKK", "PLN", "CZK", "HUF", "RON", "BRL", "MXN", "ARS", "CLP", "COP", "ZAR", "NGN", "KES",
    "EGP", "AED", "SAR", "TRY", "ILS", "RUB", "KRW", "SGD", "HKD", "TWD", "THB", "IDR", "PHP",
    "PKR",
];

/// Cells of the value column looked at.
const CELLS_LOOKED_AT: usize = 200;

/// The currency the file's money is written in (see the module docs); `value_column`
/// is the index of the column that feeds the model's contract value, when one does.
pub fn detect(headers: &[String], value_column: Option<usize>, head: &[Record]) -> Option<String> {
    let header_of = |c: usize| headers.get(c).map(String::as_str).unwrap_or("");
    if let Some(c) = value_column {
        if let Some(found) = in_header(header_of(c)) {
            return Some(found);
        }
        if let Some(found) = in_cells(
            head.iter()
                .take(CELLS_LOOKED_AT)
                .map(|r| r.fields.get(c).unwrap_or("")),
        ) {
            return Some(found);
        }
    }
    headers.iter().find_map(|h| in_header(h))
}

/// A currency named in a header: a mark anywhere, or a known code as a word.
fn in_header(header: &str) -> Option<String> {
    if let Some((mark, code)) = SYMBOLS.iter().find(|(mark, _)| header.contains(mark)) {
        return Some(answer(mark, code));
    }
    header
        .split(|c: char| !c.is_ascii_alphabetic())
        .find(|word| HEADER_CODES.contains(word))
        .map(str::to_string)
}

/// The mark most of `cells` carry before or after their number (ties: the first seen).
fn in_cells<'a>(cells: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for cell in cells {
        let Some(found) = in_cell(cell.trim()) else {
            continue;
        };
        match counts.iter_mut().find(|(c, _)| *c == found) {
            Some((_, n)) => *n += 1,
            None => counts.push((found, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts.into_iter().find(|(_, n)| *n == best).map(|(c, _)| c)
}

/// The mark of one money cell: a symbol, or three capitals, before or after the number.
fn in_cell(cell: &str) -> Option<String> {
    let cell = cell
        .trim_start_matches(['-', '−', '('])
        .trim_end_matches(')');
    for (mark, code) in SYMBOLS {
        if cell.starts_with(mark) || cell.ends_with(mark) {
            return Some(answer(mark, code));
        }
    }
    let word = |w: &str| w.len() == 3 && w.bytes().all(|b| b.is_ascii_uppercase());
    let first = cell.split([' ', '\u{a0}']).next().unwrap_or("");
    let last = cell.rsplit([' ', '\u{a0}']).next().unwrap_or("");
    let has_digit = cell.bytes().any(|b| b.is_ascii_digit());
    [first, last]
        .into_iter()
        .find(|w| has_digit && word(w))
        .map(str::to_string)
}

fn answer(mark: &str, code: &str) -> String {
    if code.is_empty() { mark } else { code }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(cells: &[&str]) -> Vec<Record> {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut fields = crate::ingest::Fields::default();
                fields.push("A");
                fields.push(c);
                Record {
                    line: i + 2,
                    fields,
                    warnings: Vec::new(),
                }
            })
            .collect()
    }

    fn of(header: &str, cells: &[&str]) -> Option<String> {
        let headers = vec!["id".to_string(), header.to_string()];
        detect(&headers, Some(1), &records(cells))
    }

    #[test]
    fn a_header_names_the_currency() {
        assert_eq!(
            of("Contract value (EUR)", &["1200"]).as_deref(),
            Some("EUR")
        );
        assert_eq!(of("ARR $", &["1200"]).as_deref(), Some("$"));
        assert_eq!(of("Contract Value (€)", &["1200"]).as_deref(), Some("EUR"));
        assert_eq!(of("Amount BDT", &["1200"]).as_deref(), Some("BDT"));
        assert_eq!(of("Annual value, R$", &["1200"]).as_deref(), Some("BRL"));
        // Capitals that are not a currency are not one.
        assert_eq!(of("ARR", &["1200"]), None);
        assert_eq!(of("MRR (USD)", &["1200"]).as_deref(), Some("USD"));
    }

    #[test]
    fn the_value_cells_name_the_currency() {
        assert_eq!(
            of("Value", &["€ 1.200,00", "€ 300,00"]).as_deref(),
            Some("EUR")
        );
        assert_eq!(
            of("Value", &["BDT 50,000", "BDT 1,200"]).as_deref(),
            Some("BDT")
        );
        assert_eq!(of("Value", &["1.200,00 €"]).as_deref(), Some("EUR"));
        assert_eq!(
            of("Value", &["$177,200", "59,000.00", "-$5"]).as_deref(),
            Some("$")
        );
        assert_eq!(
            of("Value", &["12 CHF", "3 CHF", "£4"]).as_deref(),
            Some("CHF")
        );
        assert_eq!(of("Value", &["1200", "", "n/a"]), None);
        // A word of three capitals with no number is not an amount.
        assert_eq!(of("Value", &["TBD"]), None);
    }

    #[test]
    fn another_header_tells_when_the_value_column_does_not() {
        let headers: Vec<String> = ["id", "Value", "Expansion (GBP)"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            detect(&headers, Some(1), &records(&["5"])).as_deref(),
            Some("GBP")
        );
        assert_eq!(detect(&headers, None, &[]).as_deref(), Some("GBP"));
        let headers: Vec<String> = ["id", "Value"].map(String::from).to_vec();
        assert_eq!(detect(&headers, None, &[]), None);
    }
}
