//! A file read in chunks is read exactly like the whole file: every committed fixture
//! and hostile-corpus file, and generated files larger than the head
//! (`ingest::HEAD_BYTES`) with late non-ASCII text, CRLF line ends, quoted line breaks
//! and UTF-16, give byte-identical results (or the same error) whatever the chunk sizes.
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use churn_audit::audit::{audit_mapped, AuditResult, Scorer};
use churn_audit::features::Mapping;
use churn_audit::ingest::{parse_iso_date, HEAD_BYTES};
use churn_audit::model::Model;
use churn_audit::simulate::{simulate, SimConfig};

fn as_of() -> i64 {
    parse_iso_date("2026-01-15").unwrap()
}

fn outcome(r: churn_audit::Result<AuditResult>) -> String {
    match r {
        Ok(result) => serde_json::to_string(&result).unwrap(),
        Err(e) => format!("error: {e}"),
    }
}

fn chunked(bytes: &[u8], model: &Model, sizes: &[usize]) -> String {
    // With the file's size announced, as the page and the command line do.
    let mut scorer = Scorer::new(model.clone(), "f.csv", as_of(), Mapping::new())
        .expect_bytes(bytes.len() as u64);
    let mut at = 0;
    let mut k = 0;
    let run = (|| {
        while at < bytes.len() {
            let n = sizes[k % sizes.len()].max(1);
            let end = (at + n).min(bytes.len());
            scorer.push(&bytes[at..end])?;
            at = end;
            k += 1;
        }
        scorer.finish()
    })();
    outcome(run.map(|s| s.to_result()))
}

fn check(name: &str, bytes: &[u8], model: &Model, plans: &[&[usize]]) {
    let whole = outcome(audit_mapped(
        bytes,
        "f.csv",
        model,
        as_of(),
        &Mapping::new(),
    ));
    for sizes in plans {
        let parts = chunked(bytes, model, sizes);
        assert!(
            parts == whole,
            "{name}: chunks of {sizes:?} differ from the whole file\nwhole: {}\nparts: {}",
            &whole[..whole.len().min(400)],
            &parts[..parts.len().min(400)]
        );
    }
}

fn models() -> Vec<Model> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let hostile = std::fs::read_to_string(dir.join("tests/fixtures/hostile/model.json")).unwrap();
    vec![
        churn_audit::default_model().unwrap(),
        Model::from_json(&hostile, "model.json").unwrap(),
    ]
}

#[test]
fn every_fixture_reads_the_same_in_any_chunks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    for sub in ["", "hostile"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "csv" | "txt" | "bin" | "xls") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 60, "{} fixture files", files.len());
    for model in models() {
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            let name = path.display().to_string();
            check(&name, &bytes, &model, &[&[1], &[2, 3, 5], &[64], &[4096]]);
        }
    }
}

/// A simulated list bigger than the head, with the twists a real export has.
fn big_list(accounts: usize) -> String {
    let csv = simulate(&SimConfig {
        accounts,
        seed: 7,
        as_of: as_of(),
    });
    assert!(
        csv.len() > HEAD_BYTES + HEAD_BYTES / 2,
        "{} bytes",
        csv.len()
    );
    csv
}

#[test]
fn files_bigger_than_the_head_read_the_same_in_any_chunks() {
    let model = churn_audit::default_model().unwrap();
    let plans: &[&[usize]] = &[&[4093], &[65_543, 1_000_003], &[(1 << 20) - 1]];
    let csv = big_list(70_000);
    let lines: Vec<&str> = csv.lines().collect();
    let tail = |from: usize| lines[from..].join("\n");

    // Plain, then with CRLF line ends (a CR at a chunk end must wait for its LF).
    check("plain", csv.as_bytes(), &model, plans);
    let crlf = csv.replace('\n', "\r\n");
    check("crlf", crlf.as_bytes(), &model, &[&[4093], &[2 * 4096 + 1]]);

    // Quoted line breaks and doubled quotes in the name column after the head.
    let mut quoted = lines[..45_000].join("\n");
    quoted.push('\n');
    for (i, line) in lines[45_000..].iter().enumerate() {
        if i % 7 == 0 {
            let (id, rest) = line.split_once(',').unwrap();
            let (_, rest) = rest.split_once(',').unwrap();
            quoted.push_str(&format!(
                "{id},\"Acme \"\"{i}\"\"\nLtd, line two\",{rest}\n"
            ));
        } else {
            quoted.push_str(line);
            quoted.push('\n');
        }
    }
    check("quoted", quoted.as_bytes(), &model, plans);

    // A head of pure ASCII, then UTF-8 accents: still UTF-8, split characters rejoined.
    let late_utf8 = format!(
        "{}\n{}",
        lines[..45_000].join("\n"),
        tail(45_000).replace("Energy", "Zoë Café")
    );
    check(
        "late utf-8",
        late_utf8.as_bytes(),
        &model,
        &[&[4093], &[4095], &[1 << 20]],
    );
    let r = audit_mapped(
        late_utf8.as_bytes(),
        "f.csv",
        &model,
        as_of(),
        &Mapping::new(),
    )
    .unwrap();
    assert_eq!(r.encoding, "UTF-8");

    // A head of pure ASCII, then Windows-1252 accents: read as Windows-1252.
    let mut latin1 = format!("{}\n", lines[..45_000].join("\n")).into_bytes();
    latin1.extend(
        tail(45_000)
            .replace("Energy", "M\u{fc}ller")
            .chars()
            .map(|c| c as u32 as u8),
    );
    check("late latin-1", &latin1, &model, plans);
    let r = audit_mapped(&latin1, "f.csv", &model, as_of(), &Mapping::new()).unwrap();
    assert_eq!(r.encoding, "Latin-1 (Windows-1252)");
    assert!(r.rows.iter().any(|row| row.account_name.contains("Müller")));

    // UTF-16LE with a byte-order mark (Excel's "Unicode text"), odd chunk sizes.
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in late_utf8.encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    check("utf-16", &utf16, &model, &[&[4093], &[(1 << 20) + 1]]);
}
