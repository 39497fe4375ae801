//! Any text as a model file: it is refused with an error, or it validates and then
//! round-trips (writing it again gives the same bytes and the same scores) and scores
//! any account to a finite log-odds and a probability in [0, 1].
#![no_main]

use churn_audit::{model::Model, score};
use libfuzzer_sys::fuzz_target;

const ACCOUNTS: &str =
    "account_id,contract_value,last_engagement_date,nps,is_reference,segment,logins_30d\n\
A,1000,2025-01-01,9,yes,SMB,3\nB,,,,,,\nC,-5,1900-01-01,-3,no,Other,1e300\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(model) = Model::from_json(text, "fuzz.json") else {
        return;
    };
    // A model that validates must round-trip and score without surprises.
    let json = model.to_json();
    let again = Model::from_json(&json, "again.json").expect("round trip");
    assert_eq!(
        again.to_json(),
        json,
        "the same model writes the same bytes"
    );
    let values = vec![f64::NAN; model.features.len()];
    let s = model.score(&values);
    assert!(s.log_odds.is_finite() && (0.0..=1.0).contains(&s.probability));
    assert_eq!(
        again.score(&values).log_odds.to_bits(),
        s.log_odds.to_bits()
    );
    if let Ok(result) = score::audit(ACCOUNTS.as_bytes(), "a.csv", &model, 20_468) {
        for row in &result.rows {
            assert!(row.log_odds.is_finite(), "{}", row.log_odds);
            assert!((0.0..=1.0).contains(&row.churn_probability));
        }
    }
});
