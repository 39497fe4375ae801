//! Workbooks on the command line: each fixture workbook (written by openpyxl, XlsxWriter,
//! xlwt and odfpy from tests/fixtures/workbooks/make.py) scores exactly like its CSV
//! twin, error cells and skipped title rows are named by sheet, row and column, hostile
//! workbooks are refused in one sentence, and the Excel export reads back (with calamine
//! here, with openpyxl in make.py --check-export). A simulated history written as a
//! workbook (`simulate --out FILE.xlsx`) scores exactly like the same seed's CSV.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calamine::{Data, Reader};

const AS_OF: &str = "2026-01-15";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_churn-audit"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn score_json(file: &Path, extra: &[&str]) -> serde_json::Value {
    let path = file.to_str().unwrap();
    let mut args = vec![
        "score", "--data", path, "--as-of", AS_OF, "--format", "json",
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (account id, probability's bits) of every row, in file order.
fn probabilities(result: &serde_json::Value) -> Vec<(String, u64)> {
    result["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let p = r["churn_probability"].as_f64().unwrap();
            (r["account_id"].as_str().unwrap().to_string(), p.to_bits())
        })
        .collect()
}

const TWINS: &[&str] = &[
    "workbooks/hubspot.xlsx",
    "workbooks/hubspot-1904.xlsx",
    "workbooks/hubspot-formulas.xlsx",
    "workbooks/hubspot.xlsm",
    "workbooks/hubspot.xls",
    "workbooks/hubspot.ods",
];

#[test]
fn every_workbook_scores_exactly_like_its_csv_twin() {
    let twin = probabilities(&score_json(&fixture("accounts-hubspot.csv"), &[]));
    assert_eq!(twin.len(), 60);
    for book in TWINS {
        let result = score_json(&fixture(book), &[]);
        assert_eq!(probabilities(&result), twin, "{book}");
        // The report names the workbook file itself.
        let bytes = std::fs::read(fixture(book)).unwrap();
        assert_eq!(
            result["file_sha256"],
            churn_audit::score::sha256_hex(&bytes),
            "{book}"
        );
        assert!(result["file"]
            .as_str()
            .unwrap()
            .ends_with(", sheet 'Accounts'"));
    }
    let twin = probabilities(&score_json(&fixture("workbooks/leading-zero-ids.csv"), &[]));
    let book = probabilities(&score_json(
        &fixture("workbooks/leading-zero-ids.xlsx"),
        &[],
    ));
    assert_eq!(book, twin);
    assert_eq!(book[0].0, "007");
}

#[test]
fn notes_name_the_sheet_row_and_column_and_lines_are_sheet_rows() {
    let r = score_json(&fixture("workbooks/hubspot.xlsx"), &[]);
    let notes: Vec<&str> = r["file_warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(notes.contains(&"sheet 'Accounts': rows 1 to 3 above the header (a title, notes or blank rows) were skipped; the header is row 4"), "{notes:?}");
    // ACC-1000 is the first account, on row 5 (the twin's "n/a" is an #N/A cell here).
    assert!(notes.contains(&"sheet 'Accounts', row 5, column 'NPS' (P): the cell holds the error #N/A; read as missing"), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("other sheets ('Notes')")));
    assert_eq!(r["rows"][0]["line"], 5);
    assert_eq!(r["rows"][59]["line"], 64);
    // The sheet is chosen by name or number; a sheet without an id column says so.
    let by_number = score_json(&fixture("workbooks/hubspot.xls"), &["--sheet", "2"]);
    assert_eq!(by_number["file"], "hubspot.xls, sheet 'Accounts'");
    let out = run(&[
        "score",
        "--data",
        fixture("workbooks/hubspot.xls").to_str().unwrap(),
        "--sheet",
        "Read me",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: hubspot.xls, sheet 'Read me': "),
        "{err}"
    );
    let out = run(&[
        "score",
        "--data",
        fixture("accounts-hubspot.csv").to_str().unwrap(),
        "--sheet",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn hostile_workbooks_are_refused_in_one_sentence() {
    let cases = [
        ("truncated.xlsx", "incomplete or damaged"),
        ("encrypted.xlsx", "password-protected"),
        ("bomb.xlsx", "inflates to 300 MB, over the limit of 256 MB"),
        ("bomb-declared.xlsx", "over the limit of 256 MB"),
        ("bomb.ods", "cells, over the"),
        ("page.xls", "web page (HTML)"),
        // Found by the fuzzer: the compound file's directory chain goes round a cycle
        // (its allocation table sends sector 33 to 0 and 0 to itself), which calamine
        // follows while its buffer grows (23 GB before it was killed).
        ("fuzz-xls-dense.xls", "incomplete or damaged"),
        // hubspot.xls with the Accounts sheet's DIMENSIONS record's last row set to
        // 0x01000000 (bytes patched by hand): 16,777,216 rows x 21 columns declared.
        (
            "dimensions.xls",
            "the sheet spans about 352321536 cells, over the 16777216",
        ),
    ];
    for (name, phrase) in cases {
        let path = fixture(&format!("workbooks/hostile/{name}"));
        let started = std::time::Instant::now();
        let out = run(&["score", "--data", path.to_str().unwrap(), "--as-of", AS_OF]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(
            err.starts_with(&format!("error: {name}: ")),
            "{name}: {err}"
        );
        assert!(err.contains(phrase), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(started.elapsed().as_secs() < 30, "{name} took too long");
    }
}

#[test]
fn the_excel_export_has_typed_numbers_safe_text_and_the_facts() {
    let dir = std::env::temp_dir().join(format!("workbook-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("accounts.csv");
    std::fs::write(
        &data,
        "account_id,account_name,contract_value,days_since_last_engagement\n\
         A-1,=HYPERLINK(\"http://x\"),1000,150\n-7,+Plus Ltd,,3\n",
    )
    .unwrap();
    let out_path = dir.join("scored.xlsx");
    let (d, o) = (data.to_str().unwrap(), out_path.to_str().unwrap());
    let out = run(&[
        "score", "--data", d, "--as-of", AS_OF, "--format", "xlsx", "--out", o,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = score_json(&data, &[]);

    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&out_path).unwrap();
    assert_eq!(book.sheet_names(), ["Accounts", "About"]);
    let sheet = book.worksheet_range("Accounts").unwrap();
    assert_eq!(
        sheet.get((0, 2)),
        Some(&Data::String("churn_probability".into()))
    );
    // Text stays text as the file had it (the CSV's ' before = + - @ is taken off).
    assert_eq!(
        sheet.get((1, 1)),
        Some(&Data::String("=HYPERLINK(\"http://x\")".into()))
    );
    assert_eq!(sheet.get((2, 0)), Some(&Data::String("-7".into())));
    assert_eq!(sheet.get((2, 1)), Some(&Data::String("+Plus Ltd".into())));
    let formulas = book.worksheet_formula("Accounts").unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formula cell"
    );
    // Probabilities are the exact numbers; the revenue at risk is empty when unknown.
    for (i, row) in json["rows"].as_array().unwrap().iter().enumerate() {
        let p = row["churn_probability"].as_f64().unwrap();
        assert_eq!(sheet.get((i + 1, 2)), Some(&Data::Float(p)));
    }
    assert!(matches!(sheet.get((2, 4)), None | Some(Data::Empty)));
    let about = book.worksheet_range("About").unwrap();
    let fact = |name: &str| {
        (0..about.height())
            .find(|&r| about.get((r, 0)) == Some(&Data::String(name.into())))
            .and_then(|r| about.get((r, 1)).cloned())
    };
    let sha = churn_audit::score::sha256_hex(&std::fs::read(&data).unwrap());
    assert_eq!(fact("File SHA-256"), Some(Data::String(sha)));
    assert_eq!(
        fact("Dates counted up to"),
        Some(Data::String(AS_OF.into()))
    );
    assert!(fact("Model").is_some());

    // A workbook is never written to the terminal or a pipe.
    let out = run(&["score", "--data", d, "--format", "xlsx"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out FILE.xlsx"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn training_reads_a_workbook_like_its_csv() {
    // A labelled history: the twin's accounts with a churned column, as text and as xlsx.
    let dir = std::env::temp_dir().join(format!("workbook-train-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = run(&[
        "simulate",
        "--accounts",
        "400",
        "--seed",
        "7",
        "--as-of",
        AS_OF,
    ]);
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    let csv_path = dir.join("history.csv");
    std::fs::write(&csv_path, &csv).unwrap();
    let table = churn_audit::ingest::read_table(csv.as_bytes(), "history.csv").unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in table.headers.iter().enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    for (r, rec) in table.records.iter().enumerate() {
        for (c, cell) in rec.fields.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match cell.parse::<f64>() {
                Ok(x) => sheet.write_number(r, c, x).unwrap(),
                Err(_) => sheet.write_string(r, c, cell).unwrap(),
            };
        }
    }
    let xlsx_path = dir.join("history.xlsx");
    book.save(&xlsx_path).unwrap();
    let train = |path: &Path| {
        let out = run(&[
            "train",
            "--data",
            path.to_str().unwrap(),
            "--label",
            "churned",
            "--seed",
            "7",
            "--as-of",
            AS_OF,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut model: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // Provenance, name and description name the file read; everything learned must
        // be the same.
        for key in ["provenance", "name", "description"] {
            model.as_object_mut().unwrap().remove(key);
        }
        model
    };
    assert_eq!(train(&xlsx_path), train(&csv_path));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_simulated_workbook_scores_exactly_like_its_csv_twin() {
    let dir = std::env::temp_dir().join(format!("workbook-simulate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let simulate = |name: &str| {
        let path = dir.join(name);
        let out = run(&[
            "simulate",
            "--accounts",
            "3000",
            "--seed",
            "7",
            "--as-of",
            AS_OF,
            "--out",
            path.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        path
    };
    let (csv, xlsx) = (simulate("history.csv"), simulate("history.XLSX"));
    // The same seed gives the same workbook bytes.
    let again = simulate("again.xlsx");
    assert_eq!(
        std::fs::read(&xlsx).unwrap(),
        std::fs::read(&again).unwrap()
    );

    // Typed cells, as a spreadsheet export has them (calamine reads rust_xlsxwriter's).
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    assert_eq!(book.sheet_names(), ["Accounts"]);
    let sheet = book.worksheet_range("Accounts").unwrap();
    assert_eq!(sheet.height(), 3001);
    assert_eq!(sheet.get((1, 0)), Some(&Data::String("ACC-000001".into())));
    let column = |name: &str| {
        (0..sheet.width())
            .find(|&c| sheet.get((0, c)) == Some(&Data::String(name.into())))
            .unwrap()
    };
    let typed = |col: usize, want: fn(&Data) -> bool| {
        (1..3001).any(|r| sheet.get((r, col)).is_some_and(want))
    };
    assert!(typed(column("renewal_date"), |d| matches!(
        d,
        Data::DateTime(_)
    )));
    assert!(typed(column("contract_value"), |d| matches!(
        d,
        Data::Float(_)
    )));
    assert!(typed(column("churned"), |d| d == &Data::String("yes".into())));

    // The same accounts, the same scores, reasons and summary.
    let (twin, book) = (score_json(&csv, &[]), score_json(&xlsx, &[]));
    assert_eq!(probabilities(&book).len(), 3000);
    assert_eq!(probabilities(&book), probabilities(&twin));
    assert_eq!(book["rows"], twin["rows"]);
    assert_eq!(book["summary"], twin["summary"]);
    std::fs::remove_dir_all(&dir).ok();
}
