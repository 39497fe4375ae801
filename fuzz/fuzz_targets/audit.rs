//! Any bytes as an account list through the whole audit: reading, header matching,
//! cell parsing, scoring with `tests/fixtures/hostile/determinism-model.json`, the
//! summary and the CSV export. They must return a value or an error, never panic, and
//! keep their invariants: every record as wide as the header, finite log-odds,
//! probabilities in [0, 1], every account scored once and counted in one tier, the
//! expected churners between 0 and the number of accounts.
//! Slow (whole audits): the stages have their own targets (`split`, `decode`, `cells`).
#![no_main]

use std::sync::OnceLock;

use churn_audit::{ingest, model::Model, score};
use libfuzzer_sys::fuzz_target;

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        Model::from_json(
            include_str!("../../tests/fixtures/hostile/determinism-model.json"),
            "determinism-model.json",
        )
        .expect("valid model")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(table) = ingest::read_table(data, "fuzz.csv") {
        for record in &table.records {
            assert_eq!(record.fields.len(), table.headers.len());
            assert!(record.line >= table.header_line);
        }
    }
    if let Ok(result) = score::audit(data, "fuzz.csv", model(), 20_468) {
        for row in &result.rows {
            assert!(
                (0.0..=1.0).contains(&row.churn_probability),
                "{}",
                row.churn_probability
            );
            assert!(row.log_odds.is_finite());
        }
        let summary = &result.summary;
        assert_eq!(summary.accounts_scored, result.rows.len());
        let in_tiers: usize = summary.tiers.iter().map(|t| t.accounts).sum();
        assert_eq!(in_tiers, summary.accounts_scored);
        // A sum of probabilities (revenue at risk may be infinite: contract values up to
        // 1e308 are accepted, and `metrics::FixedSum` sums money up to 1e31).
        let churners = summary.expected_churners;
        assert!(
            (0.0..=result.rows.len() as f64).contains(&churners),
            "{churners}"
        );
        let _ = score::to_csv(&result);
    }
});
