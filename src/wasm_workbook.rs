//! The page's workbook engine: a thin wasm-bindgen layer over
//! [`crate::ingest::workbook`] (reading `.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`) and
//! [`crate::score::scored_csv_to_xlsx`] (the Excel export), built as its own module
//! (`--features workbook-engine`, `make wasm-workbook`) that the page fetches from its own
//! site only when someone chooses a workbook or asks for the Excel export, so the scoring
//! engine loaded at start stays as small as it was. No logic lives here: each function
//! converts arguments, calls the library and turns errors into JS `Error`s (never a
//! panic, which would kill the worker).

use wasm_bindgen::prelude::*;

use crate::ingest::workbook::{self, SheetChoice};
use crate::score::{self, ReportFacts};

/// What the page learns about the workbook besides its table's text.
#[derive(serde::Serialize)]
struct Read<'a> {
    sheet: &'a str,
    sheets: &'a [workbook::SheetInfo],
    header_row: usize,
    notes: &'a [String],
    label: &'a str,
    sha256: String,
}

/// Reads the sheet `sheet` (empty: the default choice) of the workbook `bytes` named
/// `file_name`: `{ csv: Uint8Array, sheet, sheets: [{name, has_table, has_id}],
/// header_row, notes: [..], label, sha256 }`, where `csv` is the text the scoring engine
/// reads (line n = the sheet's row n) and `label` the name its messages use.
#[wasm_bindgen]
pub fn read_workbook(bytes: &[u8], file_name: &str, sheet: &str) -> Result<JsValue, JsError> {
    let choice = match sheet.trim() {
        "" => SheetChoice::Auto,
        _ => SheetChoice::Named(sheet.to_string()),
    };
    let table = workbook::read_workbook(bytes, file_name, &choice)
        .map_err(|e| JsError::new(&e.to_string()))?;
    let read = Read {
        sheet: &table.sheet,
        sheets: &table.sheets,
        header_row: table.header_row,
        notes: &table.notes,
        label: &table.label,
        sha256: score::sha256_hex(bytes),
    };
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let value = serde::Serialize::serialize(&read, &serializer)
        .map_err(|e| JsError::new(&e.to_string()))?;
    let csv = js_sys::Uint8Array::from(table.csv.as_slice());
    js_sys::Reflect::set(&value, &JsValue::from_str("csv"), &csv)
        .map_err(|_| JsError::new("the workbook's table could not be handed over"))?;
    Ok(value)
}

/// True when `bytes` (the file's first bytes) named `file_name` should be read as a
/// workbook (see [`workbook::is_workbook`]).
#[wasm_bindgen]
pub fn is_workbook(bytes: &[u8], file_name: &str) -> bool {
    workbook::is_workbook(bytes, file_name)
}

/// The scored CSV `scored_csv` (the scoring engine's export) as an `.xlsx` workbook,
/// with `facts` (`{file, file_sha256, model, as_of, accounts}`) on its second sheet.
#[wasm_bindgen]
pub fn excel_export(scored_csv: &[u8], facts: JsValue) -> Result<Vec<u8>, JsError> {
    let facts: ReportFacts =
        serde_wasm_bindgen::from_value(facts).map_err(|e| JsError::new(&e.to_string()))?;
    score::scored_csv_to_xlsx(scored_csv, &facts).map_err(|e| JsError::new(&e.to_string()))
}
