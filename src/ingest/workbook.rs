//! Workbooks (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`) read as account tables.
//!
//! A workbook is read with [calamine](https://docs.rs/calamine) and its chosen sheet is
//! turned into the comma-separated text the rest of the crate reads ([`WorkbookTable::csv`]),
//! so a workbook goes through exactly the same header matching, cell readers, warnings,
//! scoring and training as a CSV export. The contract:
//!
//! * **One sheet row is one line.** Line *n* of the text is the sheet's row *n*, so every
//!   message of the pipeline ("line 12, column 'NPS'") names the sheet's own row. Rows
//!   above the header (a report title, "generated on", blank rows) become empty lines,
//!   which the reader skips; a note says so. Line breaks inside a text cell read as
//!   spaces (they would otherwise move every later row's number).
//! * **Typed cells keep their types.** A number is its stored value whatever its display
//!   format (currency, percent, thousands), written in its shortest round-trip form (a
//!   trailing `0` is added to shapes like `1.234` that a decimal-comma column would read
//!   as thousands); booleans are `TRUE`/`FALSE`; date cells are ISO dates
//!   (`2026-01-15`, with the time when there is one) under the workbook's 1900 or 1904
//!   date system; formulas count by their cached values; text cells go through the same
//!   cell readers as CSV text. An error cell (`#N/A`, `#DIV/0!`...) is read as missing,
//!   with a note naming the sheet, row and column.
//! * **The sheet.** [`SheetChoice::Auto`] takes the first sheet whose header has an account
//!   id column (the names [`crate::schema::ID_ALIASES`] lists), else the first sheet that
//!   holds a table, else the first one with any cell. A sheet is named by its name or its
//!   number (from 1). [`WorkbookTable::sheets`] lists every sheet and whether it holds a
//!   table, for a picker.
//! * **The header** is the first of the sheet's first [`HEADER_SEARCH_ROWS`] non-empty rows
//!   that names an account id column; without one, the first row filled at least half as
//!   wide as the widest of them (and at least two cells). Cells right of the header's last
//!   column are ignored, with a note.
//!
//! Limits and refusals, each one sentence naming the file (and sheet, row, column when
//! there is one): a file over [`MAX_FILE_BYTES`]; a zip part that declares or inflates to
//! more than [`MAX_PART_BYTES`], or parts inflating to more than [`MAX_INFLATED_BYTES`]
//! together (checked from the zip directory before anything is inflated, then while
//! inflating, so a part lying about its size is caught too); a sheet with more than
//! [`MAX_CELLS`] cells (for `.ods`, estimated from its repeat counts before calamine
//! expands them; for `.xls`, the rectangle each sheet's DIMENSIONS record declares and
//! the one its cells span, measured from the records before calamine lays any sheet out,
//! see `xls_span.rs`); password-protected workbooks (an OLE container holding an
//! `EncryptedPackage`, or an encrypted `.xls`); truncated or damaged files; a web page or
//! XML spreadsheet saved with a workbook's name. Macros (`.xlsm`, `.xls` with VBA) are
//! neither run nor read: only the cells' values count, and a note says so.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{Cursor, Read};

use calamine::{Data, DataRef, ExcelDateTime, Reader as _};

use crate::error::{show_value, Error, Result};
use crate::schema::{normalize_header, ID_ALIASES};

/// The largest workbook file read (bytes).
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// The most one part of a zipped workbook (a sheet's XML, the shared strings) may
/// inflate to (bytes).
pub const MAX_PART_BYTES: u64 = 256 << 20;
/// The most all parts of a zipped workbook may inflate to together (bytes).
pub const MAX_INFLATED_BYTES: u64 = 512 << 20;
/// The most cells one sheet may hold: cells with a value (`.xlsx`, `.xlsb`) or the
/// sheet's whole used rectangle (`.ods`, `.xls`, whose reader fills it in), and the
/// header's width times the rows below it.
pub const MAX_CELLS: u64 = 16 << 20;
/// Non-empty rows searched for the header.
pub const HEADER_SEARCH_ROWS: usize = 50;
/// Error cells named one by one in the notes; the rest are counted.
const NAMED_ERRORS: usize = 20;

/// Which sheet to read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SheetChoice {
    /// The first sheet with an account id column, else the first holding a table.
    #[default]
    Auto,
    /// A sheet's name or, when no sheet has that name, its number counted from 1.
    Named(String),
}

/// One sheet of a workbook, for a sheet picker.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SheetInfo {
    /// The sheet's name.
    pub name: String,
    /// A header row with at least two cells and a row below it.
    pub has_table: bool,
    /// The header names an account id column.
    pub has_id: bool,
}

/// A workbook's chosen sheet as comma-separated text, and what was done to get it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkbookTable {
    /// UTF-8 comma-separated text, line *n* = the sheet's row *n*.
    pub csv: Vec<u8>,
    /// The sheet read.
    pub sheet: String,
    /// Every sheet of the workbook, in order.
    pub sheets: Vec<SheetInfo>,
    /// 1-based row of the header in the sheet.
    pub header_row: usize,
    /// What a person should know: the sheet chosen, rows skipped, error cells, macros.
    pub notes: Vec<String>,
    /// The name messages use: the file and the sheet (`accounts.xlsx, sheet 'Accounts'`).
    pub label: String,
}

/// What a file's first bytes (and its name) say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    /// A zip archive (`.xlsx`, `.xlsm`, `.xlsb`, `.ods`).
    Zip,
    /// An OLE compound file (`.xls`, or an encrypted `.xlsx`).
    Ole,
    /// Text saved with a workbook's name (a web page, XML spreadsheet).
    Text,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const ZIP_EMPTY: &[u8] = b"PK\x05\x06";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// File name endings read as workbooks whatever their content.
const EXTENSIONS: &[&str] = &[".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".xltx", ".xltm"];

/// True when `bytes` (named `file`) should be read as a workbook: a zip or OLE file, or
/// markup (a web page, an XML spreadsheet) with a workbook's name, which
/// [`read_workbook`] refuses saying how to save it. Text with a workbook's name (old
/// exports write tab-separated text as `.xls`) is a text table, not a workbook.
pub fn is_workbook(bytes: &[u8], file: &str) -> bool {
    container(bytes) != Container::Text || (has_workbook_extension(file) && is_markup(bytes))
}

/// The file starts (after a byte-order mark and blanks) with `<`.
fn is_markup(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'<')
}

/// True when `file` ends in a workbook's extension (any letter case).
pub fn has_workbook_extension(file: &str) -> bool {
    let lower = file.to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

fn container(bytes: &[u8]) -> Container {
    if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(ZIP_EMPTY) {
        Container::Zip
    } else if bytes.starts_with(OLE_MAGIC) {
        Container::Ole
    } else {
        Container::Text
    }
}

const SAVE_AGAIN: &str =
    "open it in Excel (or LibreOffice) and save it again as .xlsx, or save the sheet as CSV";

/// Reads the sheet `choice` of the workbook `bytes` (named `file`, used in messages).
///
/// Fails with one sentence naming the file when the workbook cannot be read (see the
/// module documentation for the limits and refusals).
pub fn read_workbook(bytes: &[u8], file: &str, choice: &SheetChoice) -> Result<WorkbookTable> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::unusable(
            file,
            format!(
                "the workbook is {} MB, over the {} MB this tool reads; save the sheet as CSV",
                bytes.len() >> 20,
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    let mut notes = Vec::new();
    let mut book = match container(bytes) {
        Container::Zip => open_zip(bytes, file, &mut notes)?,
        Container::Ole => open_ole(bytes, file, &mut notes)?,
        Container::Text => return Err(text_refusal(bytes, file)),
    };
    let names = book.sheet_names();
    if names.is_empty() {
        return Err(Error::unusable(file, "the workbook has no sheet"));
    }
    // Each sheet's first rows say whether it holds a table (for the default and the picker).
    let mut sheets = Vec::with_capacity(names.len());
    for name in &names {
        let grid = book.read(name, Some(HEADER_SEARCH_ROWS), file)?;
        let head = find_header(&grid);
        sheets.push(SheetInfo {
            name: name.clone(),
            has_table: head.is_some_and(|h| h.width >= 2 && h.rows_below > 0),
            has_id: head.is_some_and(|h| h.has_id),
        });
    }
    let index = match choice {
        SheetChoice::Auto => sheets
            .iter()
            .position(|s| s.has_id)
            .or_else(|| sheets.iter().position(|s| s.has_table))
            .unwrap_or(0),
        SheetChoice::Named(wanted) => pick_sheet(&names, wanted).ok_or_else(|| {
            let list: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            Error::unusable(
                file,
                format!(
                    "the workbook has no sheet '{}' (its sheets: {}; a number from 1 to {} also names one)",
                    show_value(wanted),
                    list.join(", "),
                    names.len()
                ),
            )
        })?,
    };
    let sheet = names[index].clone();
    let label = format!("{file}, sheet '{sheet}'");
    let grid = book.read(&sheet, None, file)?;
    let Some(head) = find_header(&grid) else {
        return Err(Error::unusable(&label, "the sheet is empty"));
    };
    if names.len() > 1 {
        let others: Vec<String> = names
            .iter()
            .filter(|n| **n != sheet)
            .map(|n| format!("'{n}'"))
            .collect();
        let why = match choice {
            SheetChoice::Named(_) => "as asked",
            SheetChoice::Auto if sheets[index].has_id => {
                "the first whose header has an account id column"
            }
            SheetChoice::Auto => "the first that holds a table",
        };
        notes.push(format!(
            "read the sheet '{sheet}' ({why}); the workbook's other sheets ({}) were not read",
            others.join(", ")
        ));
    }
    let csv = write_csv(&grid, &head, &sheet, &mut notes)?;
    Ok(WorkbookTable {
        csv,
        sheet,
        sheets,
        header_row: head.row as usize + 1,
        notes,
        label,
    })
}

/// The sheet `wanted` names: by exact name, then ignoring letter case, then by number.
fn pick_sheet(names: &[String], wanted: &str) -> Option<usize> {
    let wanted_trim = wanted.trim();
    names
        .iter()
        .position(|n| n == wanted)
        .or_else(|| {
            names
                .iter()
                .position(|n| n.trim().eq_ignore_ascii_case(wanted_trim))
        })
        .or_else(|| {
            let n: usize = wanted_trim.parse().ok()?;
            (1..=names.len()).contains(&n).then(|| n - 1)
        })
}

/// The refusal for a text file with a workbook's name.
fn text_refusal(bytes: &[u8], file: &str) -> Error {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
    let reason = if head.contains("<html") || head.contains("<table") || head.contains("<!doctype")
    {
        format!(
            "this is a web page (HTML) saved with a workbook's name, not a workbook; {SAVE_AGAIN}"
        )
    } else if head.contains("urn:schemas-microsoft-com:office:spreadsheet") {
        format!(
            "this is an Excel 2003 XML spreadsheet, which this tool does not read; {SAVE_AGAIN}"
        )
    } else if head.trim().is_empty() {
        "the file is empty".to_string()
    } else {
        format!("this is not a workbook (no .xlsx, .xls or .ods content); {SAVE_AGAIN}, or give the text file a .csv name")
    };
    Error::unusable(file, reason)
}

/// The refusal for a workbook cut short or damaged.
fn damaged(file: &str) -> Error {
    Error::unusable(
        file,
        format!("the workbook is incomplete or damaged (cut off while downloading?); {SAVE_AGAIN}"),
    )
}

const PASSWORD: &str = "the workbook is password-protected; open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password), save it, and choose it again, or save the sheet as CSV";

/// Checks a zipped workbook's parts against the limits (directory first, then inflating
/// each part read) and opens it.
fn open_zip<'a>(bytes: &'a [u8], file: &str, notes: &mut Vec<String>) -> Result<Book<'a>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| damaged(file))?;
    let over = |part: &str, size: u64| {
        Error::unusable(
            file,
            format!(
                "the workbook's part '{}' inflates to {} MB, over the limit of {} MB; save the sheet as CSV",
                show_value(part),
                size >> 20,
                MAX_PART_BYTES >> 20
            ),
        )
    };
    let total_over = || {
        Error::unusable(
            file,
            format!(
                "the workbook's parts inflate to more than {} MB together, over this tool's limit; save the sheet as CSV",
                MAX_INFLATED_BYTES >> 20
            ),
        )
    };
    let mut names = Vec::with_capacity(zip.len());
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|_| damaged(file))?;
        let name = entry.name().map_err(|_| damaged(file))?.into_owned();
        let size = entry.size();
        if size > MAX_PART_BYTES {
            return Err(over(&name, size));
        }
        declared = declared.saturating_add(size);
        names.push(name);
    }
    if declared > MAX_INFLATED_BYTES {
        return Err(total_over());
    }
    let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
    let kind = if has("xl/workbook.xml") {
        ZipKind::Xlsx
    } else if has("xl/workbook.bin") {
        ZipKind::Xlsb
    } else if has("content.xml") {
        ZipKind::Ods
    } else {
        return Err(Error::unusable(
            file,
            format!("this zip archive is not a workbook (no .xlsx, .xlsb or .ods content); {SAVE_AGAIN}"),
        ));
    };
    // The parts the readers inflate: sizes in the directory can lie, so they are counted
    // while inflating, and a part that inflates past its limit stops there.
    let mut actual: u64 = 0;
    let mut sink = [0u8; 1 << 14];
    for (i, name) in names.iter().enumerate() {
        let lower = name.to_ascii_lowercase();
        let read = lower.ends_with(".xml") || lower.ends_with(".bin") || lower.ends_with(".rels");
        if !read || lower.ends_with("vbaproject.bin") || lower.contains("/media/") {
            continue;
        }
        let mut part = zip.by_index(i).map_err(|_| damaged(file))?;
        let mut n: u64 = 0;
        loop {
            let got = match part.read(&mut sink) {
                Ok(0) => break,
                Ok(got) => got as u64,
                Err(_) => return Err(damaged(file)),
            };
            n += got;
            if n > MAX_PART_BYTES {
                return Err(over(name, n));
            }
            actual += got;
            if actual > MAX_INFLATED_BYTES {
                return Err(total_over());
            }
        }
    }
    if has("xl/vbaProject.bin") {
        notes.push(MACROS.to_string());
    }
    let cursor = Cursor::new(bytes);
    Ok(match kind {
        ZipKind::Xlsx => {
            Book::Xlsx(calamine::Xlsx::new(cursor).map_err(|e| calamine_error(file, e.into()))?)
        }
        ZipKind::Xlsb => {
            Book::Xlsb(calamine::Xlsb::new(cursor).map_err(|e| calamine_error(file, e.into()))?)
        }
        ZipKind::Ods => {
            let span = ods_span(&mut zip).map_err(|_| damaged(file))?;
            if span > MAX_CELLS {
                return Err(too_many_cells(file, span));
            }
            Book::Ods(calamine::Ods::new(cursor).map_err(|e| calamine_error(file, e.into()))?)
        }
    })
}

const MACROS: &str =
    "the workbook contains macros; they were neither run nor read: only the cells' values are used";

/// Opens an OLE workbook (`.xls`), refusing an encrypted one.
fn open_ole<'a>(bytes: &'a [u8], file: &str, notes: &mut Vec<String>) -> Result<Book<'a>> {
    // An encrypted .xlsx is an OLE file whose directory names an "EncryptedPackage"
    // stream (names are UTF-16LE there).
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    if bytes.windows(name.len()).any(|w| w == name.as_slice()) {
        return Err(Error::unusable(file, PASSWORD));
    }
    // calamine lays out every sheet as a dense rectangle while it opens the file, so the
    // rectangles are measured from the records first (xls_span.rs).
    let span = super::xls_span::largest_span(bytes).map_err(|_| damaged(file))?;
    if span > MAX_CELLS {
        return Err(too_many_cells(file, span));
    }
    let mut xls =
        calamine::Xls::new(Cursor::new(bytes)).map_err(|e| calamine_error(file, e.into()))?;
    if matches!(xls.vba_project(), Ok(Some(_))) {
        notes.push(MACROS.to_string());
    }
    Ok(Book::Xls(xls))
}

/// One sentence for an error calamine reports.
fn calamine_error(file: &str, e: calamine::Error) -> Error {
    use calamine::{Error as E, XlsError, XlsbError, XlsxError};
    match e {
        E::Xlsx(XlsxError::Password)
        | E::Xlsb(XlsbError::Password)
        | E::Xls(XlsError::Password) => Error::unusable(file, PASSWORD),
        _ => damaged(file),
    }
}

fn too_many_cells(file: &str, cells: u64) -> Error {
    Error::unusable(
        file,
        format!(
            "the sheet spans about {cells} cells, over the {} this tool reads; save the sheet as CSV",
            MAX_CELLS
        ),
    )
}

#[derive(Clone, Copy)]
enum ZipKind {
    Xlsx,
    Xlsb,
    Ods,
}

/// The most cells an `.ods` sheet's used rectangle spans, from its row and column repeat
/// counts (calamine expands repeats into cells; a few bytes of XML can ask for billions).
fn ods_span(zip: &mut zip::ZipArchive<Cursor<&[u8]>>) -> std::result::Result<u64, ()> {
    use quick_xml::events::Event;
    let part = zip.by_name("content.xml").map_err(|_| ())?;
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
    let mut buf = Vec::new();
    let repeat = |e: &quick_xml::events::BytesStart, key: &str| -> u64 {
        e.attributes()
            .with_checks(false)
            .flatten()
            .find(|a| a.key.as_ref() == key)
            .and_then(|a| a.value.trim().parse().ok())
            .unwrap_or(1)
    };
    let has_value = |e: &quick_xml::events::BytesStart| {
        e.attributes()
            .with_checks(false)
            .flatten()
            .any(|a| a.key.as_ref() == "office:value-type")
    };
    let (mut widest, mut row, mut last_row, mut col, mut row_repeat) =
        (0u64, 0u64, 0u64, 0u64, 1u64);
    let mut row_has_value = false;
    let mut worst = 0u64;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|_| ())?;
        match &event {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "table:table" => (widest, row, last_row) = (0, 0, 0),
                "table:table-row" => {
                    row_repeat = repeat(e, "table:number-rows-repeated");
                    col = 0;
                    row_has_value = false;
                    if matches!(event, Event::Empty(_)) {
                        row = row.saturating_add(row_repeat);
                    }
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    let n = repeat(e, "table:number-columns-repeated");
                    col = col.saturating_add(n);
                    // A cell with content but no value type (text) is a Start element.
                    if has_value(e) || matches!(event, Event::Start(_)) {
                        widest = widest.max(col);
                        row_has_value = true;
                    }
                }
                _ => {}
            },
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                row = row.saturating_add(row_repeat);
                if row_has_value {
                    last_row = row;
                }
                worst = worst.max(last_row.saturating_mul(widest));
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(worst)
}

/// An open workbook of any format.
enum Book<'a> {
    Xlsx(calamine::Xlsx<Cursor<&'a [u8]>>),
    Xlsb(calamine::Xlsb<Cursor<&'a [u8]>>),
    Xls(calamine::Xls<Cursor<&'a [u8]>>),
    Ods(calamine::Ods<Cursor<&'a [u8]>>),
}

/// A sheet's cells with a value, in row then column order (0-based, absolute).
struct Grid {
    cells: Vec<(u32, u32, Value)>,
}

/// A cell as the table reads it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(String),
    /// An error cell: its code (`#N/A`), read as missing.
    Error(String),
}

impl Book<'_> {
    fn sheet_names(&self) -> Vec<String> {
        match self {
            Book::Xlsx(b) => b.sheet_names(),
            Book::Xlsb(b) => b.sheet_names(),
            Book::Xls(b) => b.sheet_names(),
            Book::Ods(b) => b.sheet_names(),
        }
    }

    /// The sheet `name`'s cells; with `max_rows`, only those of its first rows that hold
    /// a value (enough to find the header).
    fn read(&mut self, name: &str, max_rows: Option<usize>, file: &str) -> Result<Grid> {
        let label = format!("{file}, sheet '{name}'");
        let mut cells = Vec::new();
        let mut rows_seen = 0usize;
        let mut last_row = None;
        // Stops the streaming readers once enough rows are seen; false: stop.
        let mut keep =
            |cells: &mut Vec<(u32, u32, Value)>, (r, c): (u32, u32), v: Option<Value>| {
                let Some(v) = v else { return Ok(true) };
                if last_row != Some(r) {
                    last_row = Some(r);
                    rows_seen += 1;
                    if max_rows.is_some_and(|m| rows_seen > m) {
                        return Ok(false);
                    }
                }
                if cells.len() as u64 >= MAX_CELLS {
                    return Err(too_many_cells(&label, cells.len() as u64 + 1));
                }
                cells.push((r, c, v));
                Ok(true)
            };
        match self {
            Book::Xlsx(b) => {
                let mut reader = b
                    .worksheet_cells_reader(name)
                    .map_err(|e| calamine_error(&label, e.into()))?;
                while let Some(cell) = reader
                    .next_cell()
                    .map_err(|e| calamine_error(&label, e.into()))?
                {
                    if !keep(&mut cells, cell.get_position(), ref_value(cell.get_value()))? {
                        break;
                    }
                }
            }
            Book::Xlsb(b) => {
                let mut reader = b
                    .worksheet_cells_reader(name)
                    .map_err(|e| calamine_error(&label, e.into()))?;
                while let Some(cell) = reader
                    .next_cell()
                    .map_err(|e| calamine_error(&label, e.into()))?
                {
                    if !keep(&mut cells, cell.get_position(), ref_value(cell.get_value()))? {
                        break;
                    }
                }
            }
            Book::Xls(b) => {
                let range = b
                    .worksheet_range(name)
                    .map_err(|e| calamine_error(&label, e.into()))?;
                range_cells(&range, &mut cells, &mut keep)?;
            }
            Book::Ods(b) => {
                let range = b
                    .worksheet_range(name)
                    .map_err(|e| calamine_error(&label, e.into()))?;
                range_cells(&range, &mut cells, &mut keep)?;
            }
        }
        // The streaming readers give cells in file order, which is row order in files
        // written by Excel, LibreOffice and openpyxl, but the format does not promise it.
        if !cells
            .windows(2)
            .all(|w| (w[0].0, w[0].1) <= (w[1].0, w[1].1))
        {
            cells.sort_by_key(|&(r, c, _)| (r, c));
        }
        Ok(Grid { cells })
    }
}

type Keep<'k> =
    dyn FnMut(&mut Vec<(u32, u32, Value)>, (u32, u32), Option<Value>) -> Result<bool> + 'k;

fn range_cells(
    range: &calamine::Range<Data>,
    cells: &mut Vec<(u32, u32, Value)>,
    keep: &mut Keep<'_>,
) -> Result<()> {
    let (r0, c0) = range.start().unwrap_or((0, 0));
    for (r, c, v) in range.used_cells() {
        let pos = (r0.saturating_add(r as u32), c0.saturating_add(c as u32));
        if !keep(cells, pos, data_value(v))? {
            break;
        }
    }
    Ok(())
}

fn ref_value(v: &DataRef<'_>) -> Option<Value> {
    Some(match v {
        DataRef::Empty => return None,
        DataRef::Int(i) => Value::Text(i.to_string()),
        DataRef::Float(x) => Value::Text(number_text(*x)),
        DataRef::String(s) => return text_value(s),
        DataRef::SharedString(s) => return text_value(s),
        DataRef::Bool(b) => Value::Text(bool_text(*b)),
        DataRef::DateTime(d) => Value::Text(date_text(d)),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Value::Text(s.clone()),
        DataRef::Error(e) => Value::Error(e.to_string()),
    })
}

fn data_value(v: &Data) -> Option<Value> {
    Some(match v {
        Data::Empty => return None,
        Data::Int(i) => Value::Text(i.to_string()),
        Data::Float(x) => Value::Text(number_text(*x)),
        Data::String(s) => return text_value(s),
        Data::Bool(b) => Value::Text(bool_text(*b)),
        Data::DateTime(d) => Value::Text(date_text(d)),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Text(s.clone()),
        Data::Error(e) => Value::Error(e.to_string()),
    })
}

fn text_value(s: &str) -> Option<Value> {
    if s.trim().is_empty() {
        return None;
    }
    Some(Value::Text(if s.contains(['\r', '\n']) {
        s.replace("\r\n", " ").replace(['\r', '\n'], " ")
    } else {
        s.to_string()
    }))
}

fn bool_text(b: bool) -> String {
    if b { "TRUE" } else { "FALSE" }.to_string()
}

/// A stored number in its shortest round-trip form; a shape that a decimal-comma column
/// would read as thousands (`1.234`) gets a trailing zero (`1.2340`, the same number).
pub(crate) fn number_text(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let mut s = x.to_string();
    let digits = s.strip_prefix('-').unwrap_or(&s);
    if let Some((int, frac)) = digits.split_once('.') {
        if (1..=3).contains(&int.len()) && !int.starts_with('0') && frac.len() == 3 {
            s.push('0');
        }
    }
    s
}

/// A date cell as an ISO date (with the time when it has one), under the workbook's date
/// system; a duration as its number of days.
fn date_text(d: &ExcelDateTime) -> String {
    if d.is_duration() {
        return number_text(d.as_f64());
    }
    let (y, mo, day, h, mi, s, ms) = d.to_ymd_hms_milli();
    let mut out = format!("{y:04}-{mo:02}-{day:02}");
    if (h, mi, s, ms) != (0, 0, 0, 0) {
        let _ = write!(out, " {h:02}:{mi:02}:{s:02}");
    }
    out
}

/// Where a sheet's header is.
#[derive(Debug, Clone, Copy)]
struct Header {
    /// 0-based sheet row.
    row: u32,
    /// Index of its first cell in the grid.
    start: usize,
    /// Columns from the sheet's first used one to the header's last cell.
    first_col: u32,
    last_col: u32,
    /// Non-empty header cells.
    width: usize,
    has_id: bool,
    /// Rows with a value below it (among those read).
    rows_below: usize,
}

/// Finds the header among the grid's first non-empty rows (see the module documentation).
fn find_header(grid: &Grid) -> Option<Header> {
    // (row, first cell index, cells) of the first HEADER_SEARCH_ROWS non-empty rows.
    let mut rows: Vec<(u32, usize, usize)> = Vec::new();
    for (i, &(r, _, _)) in grid.cells.iter().enumerate() {
        let full = rows.len() == HEADER_SEARCH_ROWS;
        match rows.last_mut() {
            Some(last) if last.0 == r => last.2 += 1,
            _ if full => break,
            _ => rows.push((r, i, 1)),
        }
    }
    let text = |i: usize| match &grid.cells[i].2 {
        Value::Text(t) => t.as_str(),
        Value::Error(_) => "",
    };
    let ids: Vec<String> = ID_ALIASES.iter().map(|a| normalize_header(a)).collect();
    let is_id = |row: &(u32, usize, usize)| {
        (row.1..row.1 + row.2).any(|i| {
            let h = normalize_header(text(i));
            !h.is_empty() && ids.contains(&h)
        })
    };
    let widest = rows.iter().map(|r| r.2).max()?;
    let (at, has_id) = match rows.iter().position(is_id) {
        Some(at) => (at, true),
        None => {
            let need = widest.div_ceil(2).max(2);
            (rows.iter().position(|r| r.2 >= need).unwrap_or(0), false)
        }
    };
    let (row, start, width) = rows[at];
    let first_col = grid.cells.iter().map(|c| c.1).min().unwrap_or(0);
    let last_col = grid.cells[start + width - 1].1;
    let rows_below = grid
        .cells
        .iter()
        .filter(|c| c.0 > row)
        .map(|c| c.0)
        .fold((0usize, None), |(n, prev), r| {
            if prev == Some(r) {
                (n, prev)
            } else {
                (n + 1, Some(r))
            }
        })
        .0;
    Some(Header {
        row,
        start,
        first_col,
        last_col,
        width,
        has_id,
        rows_below,
    })
}

/// Column letters of a 0-based column (`A`, `Z`, `AA`).
pub(crate) fn column_letters(mut col: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The sheet from its header on as comma-separated text, line *n* = row *n*.
fn write_csv(grid: &Grid, head: &Header, sheet: &str, notes: &mut Vec<String>) -> Result<Vec<u8>> {
    let width = (head.last_col - head.first_col + 1) as u64;
    let last_row = grid.cells.last().map_or(head.row, |c| c.0);
    let rows = u64::from(last_row - head.row + 1);
    if width.saturating_mul(rows) > MAX_CELLS {
        return Err(too_many_cells(sheet, width * rows));
    }
    let skipped_above = grid.cells[..head.start].iter().any(|c| c.0 < head.row);
    if skipped_above {
        notes.push(format!(
            "sheet '{sheet}': rows 1 to {} above the header (a title, notes or blank rows) were skipped; the header is row {}",
            head.row,
            head.row + 1
        ));
    } else if head.row > 0 {
        notes.push(format!(
            "sheet '{sheet}': the header is row {} (the rows above it are blank)",
            head.row + 1
        ));
    }
    let headers: Vec<(u32, String)> = grid.cells[head.start..head.start + head.width]
        .iter()
        .map(|c| {
            (
                c.1,
                match &c.2 {
                    Value::Text(t) => t.clone(),
                    Value::Error(_) => String::new(),
                },
            )
        })
        .collect();
    let column_name = |col: u32| {
        headers
            .iter()
            .find(|h| h.0 == col)
            .map(|h| format!("'{}' ({})", show_value(&h.1), column_letters(col)))
            .unwrap_or_else(|| column_letters(col))
    };
    let mut out = Vec::with_capacity(grid.cells.len() * 8 + rows as usize);
    // The rows above the header: empty lines, so the header's line is its row.
    out.resize(head.row as usize, b'\n');
    let (mut errors, mut beyond) = (0usize, None);
    let mut line = String::new();
    let mut cells = grid.cells[head.start..].iter().peekable();
    for r in head.row..=last_row {
        line.clear();
        let mut col = head.first_col;
        while let Some(&&(cr, cc, ref v)) = cells.peek() {
            if cr != r {
                break;
            }
            cells.next();
            if cc > head.last_col {
                if beyond.is_none() {
                    beyond = Some((r, cc));
                }
                continue;
            }
            while col < cc {
                line.push(',');
                col += 1;
            }
            match v {
                Value::Text(t) => push_cell(&mut line, t),
                Value::Error(code) => {
                    errors += 1;
                    if errors <= NAMED_ERRORS {
                        notes.push(format!(
                            "sheet '{sheet}', row {}, column {}: the cell holds the error {code}; read as missing",
                            r + 1,
                            column_name(cc)
                        ));
                    }
                }
            }
        }
        while col < head.last_col {
            line.push(',');
            col += 1;
        }
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    if errors > NAMED_ERRORS {
        notes.push(format!(
            "sheet '{sheet}': {} more error cells read as missing",
            errors - NAMED_ERRORS
        ));
    }
    if let Some((r, c)) = beyond {
        notes.push(format!(
            "sheet '{sheet}': cells right of the header's last column were ignored (the first in row {}, column {})",
            r + 1,
            column_letters(c)
        ));
    }
    Ok(out)
}

/// Appends a cell, quoted when it holds a delimiter the reader could take it for.
fn push_cell(line: &mut String, text: &str) {
    let text: Cow<'_, str> = Cow::Borrowed(text);
    if text.contains([',', '"', ';', '\t']) {
        line.push('"');
        line.push_str(&text.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(&text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_and_stay_unmistakable() {
        assert_eq!(number_text(1.0), "1");
        assert_eq!(number_text(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(number_text(1.234), "1.2340");
        assert_eq!(number_text(-999.125), "-999.1250");
        assert_eq!(number_text(0.125), "0.125");
        assert_eq!(number_text(1234.5), "1234.5");
        assert_eq!(number_text(1e-7), "0.0000001");
        for x in [1.234, -999.125, 0.30000000000000004, 12345.678] {
            assert_eq!(number_text(x).parse::<f64>().unwrap(), x);
        }
    }

    #[test]
    fn column_letters_count_like_excel() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(column_letters(16383), "XFD");
    }

    #[test]
    fn dates_follow_both_date_systems() {
        use calamine::ExcelDateTimeType::DateTime;
        // 45672 days after 1899-12-30 is 2025-01-15; after 1904-01-01, 1462 days later.
        assert_eq!(
            date_text(&ExcelDateTime::new(45672.0, DateTime, false)),
            "2025-01-15"
        );
        assert_eq!(
            date_text(&ExcelDateTime::new(44210.0, DateTime, true)),
            "2025-01-15"
        );
        assert_eq!(
            date_text(&ExcelDateTime::new(45672.5, DateTime, false)),
            "2025-01-15 12:00:00"
        );
    }

    #[test]
    fn sheets_are_named_by_name_case_or_number() {
        let names = vec!["Notes".to_string(), "Accounts".to_string(), "2".to_string()];
        assert_eq!(pick_sheet(&names, "Accounts"), Some(1));
        assert_eq!(pick_sheet(&names, "accounts"), Some(1));
        assert_eq!(pick_sheet(&names, "2"), Some(2), "a sheet named 2 wins");
        assert_eq!(pick_sheet(&names, "1"), Some(0));
        assert_eq!(pick_sheet(&names, "4"), None);
        assert_eq!(pick_sheet(&names, "0"), None);
    }

    #[test]
    fn text_files_with_a_workbook_name_are_refused_in_one_sentence() {
        let e = read_workbook(
            b"<html><body><table><tr><td>id</td></tr></table>",
            "a.xls",
            &SheetChoice::Auto,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("a.xls: this is a web page (HTML)"), "{e}");
        assert!(e.contains("save it again as .xlsx"), "{e}");
        let e = read_workbook(b"PK\x03\x04trunc", "a.xlsx", &SheetChoice::Auto).unwrap_err();
        assert!(e.to_string().contains("incomplete or damaged"), "{e}");
    }
}
