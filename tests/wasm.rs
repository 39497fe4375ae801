//! The library compiled to wasm32 and run in headless Chromium (`make wasm-test`):
//! the engine the page uses must read the same files and give the same numbers as the
//! native build, and must not panic on junk. The hostile-input corpus, the malicious
//! model files and the 100k-account bit-identity digest of `tests/hostile.rs` run here
//! too, with the same expectations.
#![cfg(target_arch = "wasm32")]

use churn_audit::{default_model, ingest::parse_iso_date, model::Model, score::audit};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A one-feature model whose scores are easy to compute by hand.
const HAND_MODEL: &str = r#"{
  "format": "churn-audit-model", "format_version": 1, "name": "hand", "label": "churned",
  "id_column": {"name": "account_id", "aliases": ["id"]},
  "value_feature": "contract_value",
  "intercept": -1.0,
  "features": [
    {"name": "days_since_last_engagement", "label": "Days", "group": "engagement", "kind": "numeric",
     "date_aliases": ["last engagement date"], "date_direction": "since",
     "impute": 30, "typical": 30, "range": [0, 365], "basis": {"type": "linear"},
     "coefficients": [0.02], "centers": [30]},
    {"name": "contract_value", "label": "Contract value", "group": "value", "kind": "numeric",
     "impute": 1000, "typical": 1000, "range": [0, 1000000], "basis": {"type": "linear"},
     "coefficients": [0.0], "centers": [1000]}
  ],
  "tiers": [{"name": "High", "min_probability": 0.5}, {"name": "Low", "min_probability": 0}],
  "provenance": {"tool": "hand", "trained_at": "2026-01-01", "data_file": "none",
                 "data_sha256": "", "rows": 0, "churn_rate": 0.2, "seed": 0}
}"#;

#[wasm_bindgen_test]
fn scores_match_a_hand_computation_in_the_browser() {
    let model = Model::from_json(HAND_MODEL, "hand.json").unwrap();
    // UTF-16LE with BOM, tab-separated, CRLF: Excel's "Unicode text".
    let text =
        "id\tlast engagement date\tcontract value\r\nA\t2025-11-16\t$12,000\r\nB\t2026-01-05\t\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    let r = audit(
        &bytes,
        "u16.txt",
        &model,
        parse_iso_date("2026-01-15").unwrap(),
    )
    .unwrap();
    // A: 60 days -> z = -1 + 0.02*(60-30) = -0.4 -> p = 1/(1+e^0.4) = 0.401312339887548
    // B: 10 days -> z = -1 + 0.02*(10-30) = -1.4 -> p = 1/(1+e^1.4) = 0.197816111441418
    assert!((r.rows[0].churn_probability - 0.401_312_339_887_548).abs() < 1e-12);
    assert!((r.rows[1].churn_probability - 0.197_816_111_441_418).abs() < 1e-12);
    assert!((r.rows[0].revenue_at_risk.unwrap() - 12_000.0 * 0.401_312_339_887_548).abs() < 1e-8);
    assert_eq!(r.rows[1].revenue_at_risk, None);
    assert_eq!(r.encoding, "UTF-16LE");
}

#[wasm_bindgen_test]
fn the_bundled_model_loads_and_scores() {
    let model = default_model().unwrap();
    let csv = "account_id,days_since_last_engagement\nA,200\nB,2\n";
    let r = audit(csv.as_bytes(), "a.csv", &model, 20_000).unwrap();
    assert_eq!(r.summary.accounts_scored, 2);
    assert!(r
        .rows
        .iter()
        .all(|row| row.churn_probability > 0.0 && row.churn_probability < 1.0));
}

#[wasm_bindgen_test]
fn junk_is_an_error_value_not_a_panic() {
    let model = default_model().unwrap();
    let junk: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    assert!(audit(&junk, "junk.bin", &model, 0).is_err());
    assert!(audit(b"", "empty.csv", &model, 0).is_err());
    assert!(audit(b"\"", "quote.csv", &model, 0).is_err());
}

#[path = "fixtures/hostile/corpus.rs"]
mod corpus;

/// The committed corpus files; `the_corpus_in_the_browser` checks the list against the
/// manifest so a new file cannot be left out here.
const CORPUS: &[(&str, &[u8])] = &[
    (
        "enc-utf8-bom.csv",
        include_bytes!("fixtures/hostile/enc-utf8-bom.csv"),
    ),
    (
        "enc-utf16le-excel.txt",
        include_bytes!("fixtures/hostile/enc-utf16le-excel.txt"),
    ),
    (
        "enc-utf16be-semicolon.csv",
        include_bytes!("fixtures/hostile/enc-utf16be-semicolon.csv"),
    ),
    (
        "enc-utf16le-no-bom.csv",
        include_bytes!("fixtures/hostile/enc-utf16le-no-bom.csv"),
    ),
    (
        "enc-windows-1252.csv",
        include_bytes!("fixtures/hostile/enc-windows-1252.csv"),
    ),
    (
        "enc-utf8-cut-at-end.csv",
        include_bytes!("fixtures/hostile/enc-utf8-cut-at-end.csv"),
    ),
    (
        "enc-utf8-one-bad-byte.csv",
        include_bytes!("fixtures/hostile/enc-utf8-one-bad-byte.csv"),
    ),
    (
        "enc-utf16-odd-length.txt",
        include_bytes!("fixtures/hostile/enc-utf16-odd-length.txt"),
    ),
    (
        "delim-excel-sep-line.csv",
        include_bytes!("fixtures/hostile/delim-excel-sep-line.csv"),
    ),
    (
        "delim-semicolon-decimal-comma.csv",
        include_bytes!("fixtures/hostile/delim-semicolon-decimal-comma.csv"),
    ),
    (
        "delim-tab.txt",
        include_bytes!("fixtures/hostile/delim-tab.txt"),
    ),
    (
        "delim-sep-pipe.csv",
        include_bytes!("fixtures/hostile/delim-sep-pipe.csv"),
    ),
    (
        "delim-pipe-no-sep-line.csv",
        include_bytes!("fixtures/hostile/delim-pipe-no-sep-line.csv"),
    ),
    (
        "quote-rfc4180.csv",
        include_bytes!("fixtures/hostile/quote-rfc4180.csv"),
    ),
    (
        "quote-unclosed-in-data.csv",
        include_bytes!("fixtures/hostile/quote-unclosed-in-data.csv"),
    ),
    (
        "quote-unclosed-in-header.csv",
        include_bytes!("fixtures/hostile/quote-unclosed-in-header.csv"),
    ),
    (
        "quote-mid-field.csv",
        include_bytes!("fixtures/hostile/quote-mid-field.csv"),
    ),
    (
        "lines-cr-only.csv",
        include_bytes!("fixtures/hostile/lines-cr-only.csv"),
    ),
    (
        "lines-mixed-endings.csv",
        include_bytes!("fixtures/hostile/lines-mixed-endings.csv"),
    ),
    (
        "rows-ragged.csv",
        include_bytes!("fixtures/hostile/rows-ragged.csv"),
    ),
    (
        "rows-blank-and-empty.csv",
        include_bytes!("fixtures/hostile/rows-blank-and-empty.csv"),
    ),
    (
        "rows-trailing-delimiters.csv",
        include_bytes!("fixtures/hostile/rows-trailing-delimiters.csv"),
    ),
    (
        "rows-spaces-around.csv",
        include_bytes!("fixtures/hostile/rows-spaces-around.csv"),
    ),
    ("num-us.csv", include_bytes!("fixtures/hostile/num-us.csv")),
    ("num-eu.csv", include_bytes!("fixtures/hostile/num-eu.csv")),
    (
        "num-grouping.csv",
        include_bytes!("fixtures/hostile/num-grouping.csv"),
    ),
    (
        "num-currencies.csv",
        include_bytes!("fixtures/hostile/num-currencies.csv"),
    ),
    (
        "num-huge-and-tiny.csv",
        include_bytes!("fixtures/hostile/num-huge-and-tiny.csv"),
    ),
    (
        "num-k-suffix.csv",
        include_bytes!("fixtures/hostile/num-k-suffix.csv"),
    ),
    (
        "num-unicode-digits.csv",
        include_bytes!("fixtures/hostile/num-unicode-digits.csv"),
    ),
    (
        "missing-tokens.csv",
        include_bytes!("fixtures/hostile/missing-tokens.csv"),
    ),
    (
        "bool-languages.csv",
        include_bytes!("fixtures/hostile/bool-languages.csv"),
    ),
    (
        "segment-levels.csv",
        include_bytes!("fixtures/hostile/segment-levels.csv"),
    ),
    (
        "date-day-first.csv",
        include_bytes!("fixtures/hostile/date-day-first.csv"),
    ),
    (
        "date-month-first.csv",
        include_bytes!("fixtures/hostile/date-month-first.csv"),
    ),
    (
        "date-mixed-forms.csv",
        include_bytes!("fixtures/hostile/date-mixed-forms.csv"),
    ),
    (
        "hdr-no-id-column.csv",
        include_bytes!("fixtures/hostile/hdr-no-id-column.csv"),
    ),
    (
        "hdr-no-feature-column.csv",
        include_bytes!("fixtures/hostile/hdr-no-feature-column.csv"),
    ),
    (
        "hdr-only-header.csv",
        include_bytes!("fixtures/hostile/hdr-only-header.csv"),
    ),
    (
        "hdr-only-header-and-blank-rows.csv",
        include_bytes!("fixtures/hostile/hdr-only-header-and-blank-rows.csv"),
    ),
    (
        "hdr-duplicate-columns.csv",
        include_bytes!("fixtures/hostile/hdr-duplicate-columns.csv"),
    ),
    (
        "hdr-synonyms.csv",
        include_bytes!("fixtures/hostile/hdr-synonyms.csv"),
    ),
    (
        "ids-duplicate.csv",
        include_bytes!("fixtures/hostile/ids-duplicate.csv"),
    ),
    (
        "ids-missing.csv",
        include_bytes!("fixtures/hostile/ids-missing.csv"),
    ),
    (
        "bin-empty.csv",
        include_bytes!("fixtures/hostile/bin-empty.csv"),
    ),
    (
        "bin-whitespace-only.csv",
        include_bytes!("fixtures/hostile/bin-whitespace-only.csv"),
    ),
    (
        "bin-bom-only.csv",
        include_bytes!("fixtures/hostile/bin-bom-only.csv"),
    ),
    (
        "bin-xlsx-renamed.csv",
        include_bytes!("fixtures/hostile/bin-xlsx-renamed.csv"),
    ),
    (
        "bin-xls-ole.xls",
        include_bytes!("fixtures/hostile/bin-xls-ole.xls"),
    ),
    (
        "bin-pdf.csv",
        include_bytes!("fixtures/hostile/bin-pdf.csv"),
    ),
    (
        "bin-png.csv",
        include_bytes!("fixtures/hostile/bin-png.csv"),
    ),
    (
        "bin-jpeg.csv",
        include_bytes!("fixtures/hostile/bin-jpeg.csv"),
    ),
    (
        "bin-random.bin",
        include_bytes!("fixtures/hostile/bin-random.bin"),
    ),
    (
        "bin-nul-heavy.csv",
        include_bytes!("fixtures/hostile/bin-nul-heavy.csv"),
    ),
    (
        "nul-stray.csv",
        include_bytes!("fixtures/hostile/nul-stray.csv"),
    ),
    (
        "inject-names.csv",
        include_bytes!("fixtures/hostile/inject-names.csv"),
    ),
    (
        "inject-headers.csv",
        include_bytes!("fixtures/hostile/inject-headers.csv"),
    ),
    (
        "odd-control-and-bidi.csv",
        include_bytes!("fixtures/hostile/odd-control-and-bidi.csv"),
    ),
];

fn hostile_as_of() -> i64 {
    parse_iso_date("2026-01-15").unwrap()
}

#[wasm_bindgen_test]
fn the_corpus_in_the_browser() {
    let model = corpus::model();
    let manifest = corpus::manifest();
    let cases = manifest["cases"].as_array().unwrap();
    assert_eq!(
        cases.len(),
        CORPUS.len(),
        "tests/wasm.rs lists every corpus file"
    );
    let mut failures = Vec::new();
    for expect in cases {
        let name = expect["file"].as_str().unwrap();
        let Some((_, bytes)) = CORPUS.iter().find(|(n, _)| *n == name) else {
            failures.push(format!("{name}: not included in tests/wasm.rs"));
            continue;
        };
        let outcome = audit(bytes, name, &model, hostile_as_of())
            .map(|r| serde_json::to_value(&r).unwrap())
            .map_err(|e| e.to_string());
        if let Err(e) = corpus::check(name, expect, outcome) {
            failures.push(e);
        }
        if let Err(e) = corpus::check_values(name, expect, bytes, &model, hostile_as_of()) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[wasm_bindgen_test]
fn the_generated_hostile_inputs_in_the_browser() {
    let model = corpus::model();
    let mut failures = Vec::new();
    for case in corpus::generated() {
        let outcome = audit(&case.bytes, &case.name, &model, hostile_as_of())
            .map(|r| serde_json::to_value(&r).unwrap())
            .map_err(|e| e.to_string());
        if let Err(e) = corpus::check(&case.name, &case.expect, outcome) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[wasm_bindgen_test]
fn malicious_model_files_are_refused_in_the_browser() {
    for (what, text, needle) in corpus::hostile_models() {
        match Model::from_json(&text, "evil.json") {
            Ok(_) => panic!("{what}: accepted"),
            Err(e) => assert!(e.to_string().contains(&needle), "{what}: {e}"),
        }
    }
}

/// The same 100k simulated accounts and model as the native test, to the same pinned
/// digest: the browser's probabilities are bit-identical to the command line's.
#[wasm_bindgen_test]
fn hundred_thousand_simulated_accounts_score_bit_identically_in_the_browser() {
    use churn_audit::simulate::{simulate, SimConfig};
    use sha2::{Digest, Sha256};
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let (csv_digest, scores_digest) = corpus::determinism_digests();
    let csv = simulate(&SimConfig {
        accounts: corpus::DETERMINISM_ACCOUNTS,
        seed: corpus::DETERMINISM_SEED,
        as_of: hostile_as_of(),
    });
    assert_eq!(
        hex(&Sha256::digest(csv.as_bytes())),
        csv_digest,
        "simulated CSV"
    );
    let model = Model::from_json(corpus::DETERMINISM_MODEL_JSON, "determinism-model.json").unwrap();
    let first = audit(csv.as_bytes(), "simulated.csv", &model, hostile_as_of()).unwrap();
    let mut h = Sha256::new();
    for row in &first.rows {
        h.update(row.churn_probability.to_bits().to_le_bytes());
        h.update(row.log_odds.to_bits().to_le_bytes());
        h.update(
            row.revenue_at_risk
                .unwrap_or(f64::NAN)
                .to_bits()
                .to_le_bytes(),
        );
    }
    assert_eq!(
        hex(&h.finalize()),
        scores_digest,
        "probabilities differ from native"
    );
    let second = audit(csv.as_bytes(), "simulated.csv", &model, hostile_as_of()).unwrap();
    assert!(first == second, "two runs differ");
}

/// The scored CSV written in the browser is the one the `format!`-based writer it
/// replaced would write: numbers as `to_string` (the digits come from zmij, whose wasm32
/// code differs from its x86 code), cells quoted and neutralised the same way.
#[wasm_bindgen_test]
fn the_scored_csv_is_written_as_before_in_the_browser() {
    use churn_audit::score::{push_f64, ScoredRow, Scorer};
    use churn_audit::simulate::{simulate, SimConfig};
    let mut state = 0x5eed_0007_u64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut out = String::new();
    for i in 0..200_000u64 {
        let r = next();
        let x = match i % 4 {
            0 => f64::from_bits(r),
            1 => (r >> 11) as f64 / (1u64 << 53) as f64,
            2 => (r >> 11) as f64 / (1u64 << (next() % 64)) as f64,
            _ => (r >> 40) as f64 * ((next() >> 11) as f64 / (1u64 << 53) as f64),
        };
        out.clear();
        push_f64(&mut out, x);
        assert_eq!(out, x.to_string(), "{:#x}", x.to_bits());
    }

    fn cell(s: &str) -> String {
        let s = match s.chars().next() {
            Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
            _ => s.to_string(),
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    }
    let line = |row: &ScoredRow| {
        let fields = [
            cell(&row.account_id),
            cell(&row.account_name),
            row.churn_probability.to_string(),
            cell(&row.risk_tier),
            row.revenue_at_risk
                .map(|v| v.to_string())
                .unwrap_or_default(),
            cell(&row.top_reasons.join("; ")),
            cell(&row.warnings.join("; ")),
        ];
        fields.join(",") + "\n"
    };
    let simulated = simulate(&SimConfig {
        accounts: 20_000,
        seed: 7,
        as_of: hostile_as_of(),
    });
    let files: [(&str, &[u8]); 4] = [
        ("simulated.csv", simulated.as_bytes()),
        (
            "inject-names.csv",
            include_bytes!("fixtures/hostile/inject-names.csv"),
        ),
        (
            "missing-tokens.csv",
            include_bytes!("fixtures/hostile/missing-tokens.csv"),
        ),
        (
            "num-huge-and-tiny.csv",
            include_bytes!("fixtures/hostile/num-huge-and-tiny.csv"),
        ),
    ];
    for (name, bytes) in files {
        let mut scorer = Scorer::new(
            default_model().unwrap(),
            name,
            hostile_as_of(),
            Default::default(),
        );
        scorer.push(bytes).unwrap();
        let scored = scorer.finish().unwrap();
        let mut expected = String::from(
            "account_id,account_name,churn_probability,risk_tier,revenue_at_risk,top_reasons,warnings\n",
        );
        for row in scored.to_result().rows.iter() {
            expected.push_str(&line(row));
        }
        let mut written = Vec::new();
        scored.write_csv_threaded(&mut written, 2).unwrap();
        assert!(written == expected.as_bytes(), "the CSV of {name} differs");
    }
}
/// The engine's answers, as the page receives them (serde-wasm-bindgen), are the objects
/// `JSON.parse` makes of the command line's JSON of the same results (serde_json): the
/// same fields in the same order, `null` for what is absent, counts as numbers.
#[wasm_bindgen_test]
fn the_engine_answers_as_json_parse_of_serde_json() {
    use churn_audit::explain::{explain_row, what_if};
    use churn_audit::features::Mapping;
    use churn_audit::score::{inspect, Scorer, ViewQuery};
    use churn_audit::wasm::Engine;
    use wasm_bindgen::JsValue;
    fn same<T: serde::Serialize>(what: &str, answer: &JsValue, value: &T) {
        let parsed = js_sys::JSON::parse(&serde_json::to_string(value).unwrap()).unwrap();
        let text = |v: &JsValue| js_sys::JSON::stringify(v).unwrap().as_string().unwrap();
        assert_eq!(text(answer), text(&parsed), "{what}");
    }
    let object = |text: &str| js_sys::JSON::parse(text).unwrap();
    let name = "accounts-hubspot.csv";
    let bytes: &[u8] = include_bytes!("fixtures/accounts-hubspot.csv");
    let model = default_model().unwrap();
    let as_of = "2026-01-15";

    let mut engine = Engine::new().unwrap();
    same(
        "card",
        &engine.model_info().unwrap(),
        &churn_audit::card::model_card(&model),
    );
    let answer = engine.inspect(bytes, name, JsValue::NULL).unwrap();
    let inspection = inspect(bytes, name, &model, &Mapping::new()).unwrap();
    same("inspection", &answer, &inspection);
    // A mapping is a plain object; one of another shape is refused, by name.
    let header = inspection.columns[0].header.clone();
    let text = serde_json::to_string(&Mapping::from([(header.clone(), "account_id".to_string())]));
    let answer = engine.inspect(bytes, name, object(&text.unwrap())).unwrap();
    let mapping = Mapping::from([(header, "account_id".to_string())]);
    same(
        "mapped",
        &answer,
        &inspect(bytes, name, &model, &mapping).unwrap(),
    );
    let e = engine
        .inspect(bytes, name, object(r#"{"a": 1}"#))
        .err()
        .unwrap();
    let e = JsValue::from(e);
    let message = js_sys::Reflect::get(&e, &"message".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(
        message.starts_with("the column mapping is not readable: "),
        "{message}"
    );

    engine
        .begin(name, bytes.len() as f64, as_of, JsValue::UNDEFINED)
        .unwrap();
    engine.push(bytes).unwrap();
    let answer = engine.finish().unwrap();
    // The page hashes the file apart (`FileDigest`).
    let mut scorer = Scorer::new(
        model.clone(),
        name,
        parse_iso_date(as_of).unwrap(),
        Mapping::new(),
    )
    .without_digest();
    scorer.push(bytes).unwrap();
    let scored = scorer.finish().unwrap();
    same("overview", &answer, &scored.overview(500));
    let summary = js_sys::Reflect::get(&answer, &"summary".into()).unwrap();
    let count = js_sys::Reflect::get(&summary, &"accounts_scored".into()).unwrap();
    assert_eq!(count.as_f64(), Some(scored.len() as f64));

    let query = r#"{"sort": "account_id", "descending": true, "search": "", "other": 1}"#;
    let view = engine.view(object(query)).unwrap();
    let expected = scored.view(&serde_json::from_str::<ViewQuery>(query).unwrap());
    assert_eq!(view, expected);
    assert!(engine.view(object(r#"{"descending": "yes"}"#)).is_err());
    let rows: Vec<(u32, churn_audit::score::ScoredRow)> = view
        .iter()
        .map(|&r| (r, scored.row(r as usize).unwrap()))
        .collect();
    same("rows", &engine.rows(view.clone()).unwrap(), &rows);

    let typical = scored.typical();
    let feature = model.features[0].name.clone();
    for r in 0..scored.len() {
        let line = scored.lines[r] as usize;
        let e = explain_row(
            &scored.model,
            r,
            line,
            scored.row_text(r),
            scored.row_values(r),
            &typical,
            &scored.present(),
        );
        same("explanation", &engine.explain(r).unwrap(), &e);
        let answer = engine
            .what_if(r, vec![feature.clone()], vec![f64::NAN])
            .unwrap();
        same(
            "what-if",
            &answer,
            &what_if(&scored.model, scored.row_values(r), &[(0, f64::NAN)]),
        );
    }

    // A model whose seed no JS number holds exactly still gives its card.
    let mut big: serde_json::Value = serde_json::from_str(HAND_MODEL).unwrap();
    big["provenance"]["seed"] = serde_json::json!(u64::MAX);
    let engine = Engine::from_json(&big.to_string()).unwrap();
    let hand = Model::from_json(&big.to_string(), "hand.json").unwrap();
    same(
        "big seed",
        &engine.model_info().unwrap(),
        &churn_audit::card::model_card(&hand),
    );
}
