//! Any bytes as an account list: reading, header matching, scoring and the CSV export
//! must return a value or an error, never panic, and keep their invariants.
#![no_main]

use std::sync::OnceLock;

use churn_audit::{audit, ingest, model::Model};
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
    if let Ok(result) = audit::audit(data, "fuzz.csv", model(), 20_468) {
        for row in &result.rows {
            assert!(
                (0.0..=1.0).contains(&row.churn_probability),
                "{}",
                row.churn_probability
            );
            assert!(row.log_odds.is_finite());
        }
        let _ = audit::to_csv(&result);
    }
    // The cell readers on the same bytes as one cell.
    if let Ok(cell) = std::str::from_utf8(data) {
        for style in [false, true] {
            let style = ingest::NumberStyle {
                decimal_comma: style,
            };
            if let Ok(Some(v)) = ingest::parse_number(cell, style) {
                assert!(v.is_finite());
            }
        }
        let _ = ingest::parse_bool(cell);
        let _ = ingest::parse_date(cell, ingest::DateOrder::DayFirst);
        let _ = ingest::parse_date(cell, ingest::DateOrder::MonthFirst);
    }
});
