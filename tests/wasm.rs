//! The library compiled to wasm32 and run in headless Chromium (`make wasm-test`):
//! the engine the page uses must read the same files and give the same numbers as the
//! native build, and must not panic on junk.
#![cfg(target_arch = "wasm32")]

use churn_audit::{audit::audit, default_model, ingest::parse_iso_date, model::Model};
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
