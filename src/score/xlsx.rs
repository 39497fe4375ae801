//! The scored table as an Excel workbook (`.xlsx`), written by
//! [rust_xlsxwriter](https://docs.rs/rust_xlsxwriter).
//!
//! Made from the scored CSV ([`super::to_csv`], the bytes the CSV export writes), so the
//! command line (`score --format xlsx`) and the page (whose workbook engine receives the
//! scoring engine's CSV) write the same workbook from the same rows:
//!
//! * sheet `Accounts`: the CSV's columns; numbers typed (the churn probability as a
//!   percentage with one decimal, whose stored value is the exact probability; the
//!   revenue at risk as a number with thousands separators, empty when unknown); every
//!   other cell a text cell, which a spreadsheet never runs as a formula (so the CSV's
//!   `'` before a leading `=`, `+`, `-`, `@`, tab or CR is taken off again: the cell
//!   holds the text as the file had it); the header row frozen and filterable;
//! * sheet `About`: the report's facts (the file, its SHA-256, the model, the date dates
//!   were counted to, the accounts scored, the tool), so a copy of the workbook says
//!   what it was made from.
//!
//! The workbook's creation date is the as-of date, so the same rows and facts give the
//! same bytes. A sheet holds at most 1,048,575 accounts (Excel's limit): more are refused
//! with a sentence pointing to the CSV export; a text longer than Excel's 32,767
//! characters per cell is cut there.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use crate::error::{Error, Result};
use crate::ingest;

/// What the `About` sheet says about the report.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize, serde::Serialize)]
pub struct ReportFacts {
    /// The account file's name (with the sheet, for a workbook).
    pub file: String,
    /// SHA-256 of the account file's bytes, hex.
    pub file_sha256: String,
    /// The model's name (and version).
    pub model: String,
    /// The date dates were counted up to, YYYY-MM-DD.
    pub as_of: String,
    /// Accounts scored.
    pub accounts: usize,
}

/// Excel's rows per sheet, the header's included.
const MAX_ROWS: usize = 1_048_576;
/// Excel's characters per cell.
const MAX_CELL_CHARS: usize = 32_767;

/// The scored CSV `scored_csv` as an `.xlsx` workbook's bytes (see the module docs).
pub fn scored_csv_to_xlsx(scored_csv: &[u8], facts: &ReportFacts) -> Result<Vec<u8>> {
    let table = ingest::read_table(scored_csv, "scored.csv")?;
    let fail = |e: XlsxError| Error::io("xlsx", e);
    if table.records.len() >= MAX_ROWS {
        return Err(Error::unusable(
            &facts.file,
            format!(
                "{} accounts do not fit in one Excel sheet (at most {}); use the CSV export",
                table.records.len(),
                MAX_ROWS - 1
            ),
        ));
    }
    let mut book = Workbook::new();
    let date = ingest::parse_iso_date(&facts.as_of)
        .map(ingest::civil_from_days)
        .and_then(|(y, m, d)| ExcelDateTime::from_ymd(y as u16, m as u8, d as u8).ok())
        .unwrap_or_else(|| ExcelDateTime::from_ymd(2000, 1, 1).expect("a valid date"));
    book.set_properties(
        &DocProperties::new()
            .set_title("Churn-risk audit")
            .set_creation_datetime(&date),
    );
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let money = Format::new().set_num_format("#,##0");

    let sheet = book.add_worksheet();
    sheet.set_name("Accounts").map_err(fail)?;
    for (c, h) in table.headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, h, &bold)
            .map_err(fail)?;
    }
    let column = |name: &str| table.headers.iter().position(|h| h == name);
    let (p_col, money_col) = (column("churn_probability"), column("revenue_at_risk"));
    for (r, record) in table.records.iter().enumerate() {
        let row = (r + 1) as u32;
        for (c, cell) in record.fields.iter().enumerate() {
            let col = c as u16;
            if Some(c) == p_col || Some(c) == money_col {
                if let Ok(x) = cell.parse::<f64>() {
                    if x.is_finite() {
                        let format = if Some(c) == p_col { &percent } else { &money };
                        sheet
                            .write_number_with_format(row, col, x, format)
                            .map_err(fail)?;
                        continue;
                    }
                }
            }
            if !cell.is_empty() {
                sheet
                    .write_string(row, col, excel_text(cell))
                    .map_err(fail)?;
            }
        }
    }
    let widths = [14.0, 28.0, 12.0, 10.0, 14.0, 60.0, 40.0];
    for (c, w) in widths.iter().enumerate().take(table.headers.len()) {
        sheet.set_column_width(c as u16, *w).map_err(fail)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    let last_col = table.headers.len().saturating_sub(1) as u16;
    sheet
        .autofilter(0, 0, table.records.len() as u32, last_col)
        .map_err(fail)?;

    let about = book.add_worksheet();
    about.set_name("About").map_err(fail)?;
    let accounts = facts.accounts.to_string();
    let rows = [
        ("Report", "Churn-risk audit"),
        ("Account file", facts.file.as_str()),
        ("File SHA-256", facts.file_sha256.as_str()),
        ("Model", facts.model.as_str()),
        ("Dates counted up to", facts.as_of.as_str()),
        ("Accounts scored", accounts.as_str()),
        (
            "Made by",
            concat!("churn-audit ", env!("CARGO_PKG_VERSION")),
        ),
        (
            "Privacy",
            "Scored on this device; the account file was not uploaded anywhere.",
        ),
    ];
    for (r, (k, v)) in rows.iter().enumerate() {
        about
            .write_string_with_format(r as u32, 0, *k, &bold)
            .map_err(fail)?;
        about
            .write_string(r as u32, 1, excel_text(v))
            .map_err(fail)?;
    }
    about.set_column_width(0, 22.0).map_err(fail)?;
    about.set_column_width(1, 70.0).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}

/// A scored CSV text cell as the text it stands for: the `'` the CSV puts before a
/// formula prefix is taken off (a text cell is never a formula), and text beyond
/// Excel's cell limit is cut.
fn excel_text(cell: &str) -> &str {
    let text = match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    };
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_prefixes_come_off_and_long_text_is_cut() {
        assert_eq!(excel_text("'=cmd|' /C calc'!A0"), "=cmd|' /C calc'!A0");
        assert_eq!(excel_text("'-5"), "-5");
        assert_eq!(excel_text("'plain"), "'plain");
        assert_eq!(
            excel_text(&"é".repeat(40_000)).chars().count(),
            MAX_CELL_CHARS
        );
    }
}
