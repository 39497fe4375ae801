//! churn-audit: churn-risk scoring of CRM account lists, on the device.
//!
//! A consultant drops a CRM export (HubSpot, Salesforce, Pipedrive, a spreadsheet) into a
//! web page or passes it to the command line, and every account is scored by a logistic
//! model: a churn probability, a risk tier, the revenue at risk, and the reasons, each
//! an exact share of the score. The same code runs natively and as WebAssembly in the
//! browser, so the page and the command line give identical numbers and the data never
//! leaves the machine.
//!
//! The pipeline, in order:
//! - [`ingest`]: bytes to a table (encodings, delimiters, quoting, locale-aware values);
//! - [`schema`]: the canonical columns and header normalisation;
//! - [`features`]: table to model inputs (header matching, parsing, imputation flags);
//! - [`model`]: the model file format and the scoring of one account;
//! - [`score`]: a whole list, its summary and its scored CSV;
//! - [`explain`]: an account's score taken apart, what-ifs, next best actions, the
//!   portfolio's drivers and segments;
//! - [`audit_file`]: a saved audit (the scored results, the model, the thresholds, not
//!   the file), reopened as a scored list;
//! - [`compare`]: two scored lists side by side (new, gone, tier to tier, each
//!   account's change split exactly by input);
//! - [`card`]: the model card (one structured card, printed as markdown by the command
//!   line and shown by the page);
//! - [`simulate`], [`train`] (with its [`train::metrics`]): the offline side that builds
//!   the models; scoring needs nothing of it;
//! - [`support`]: code that knows nothing of accounts or models (exact sums, the byte
//!   format between web workers);
//! - `wasm` (on wasm32 only): the thin browser adapter, public so that the browser tests
//!   call the engine as the page does; with the `train-engine` feature `wasm_train`
//!   replaces it, the adapter of the page's separate training engine, and with the
//!   `workbook-engine` feature `wasm_workbook`, that of its workbook engine (reading
//!   workbooks, writing the Excel export; [`ingest::workbook`], [`score::scored_csv_to_xlsx`]).
//!
//! ```
//! use churn_audit::{score::audit, default_model, ingest::parse_iso_date};
//! let model = default_model().unwrap();
//! let csv = "account_id,days_since_last_engagement,open_escalations\nA-1,150,4\nA-2,3,0\n";
//! let result = audit(csv.as_bytes(), "accounts.csv", &model, parse_iso_date("2026-01-15").unwrap()).unwrap();
//! assert_eq!(result.summary.accounts_scored, 2);
//! assert!(result.rows[0].churn_probability > result.rows[1].churn_probability);
//! ```

pub mod audit_file;
pub mod card;
pub mod compare;
pub mod error;
pub mod explain;
pub mod features;
pub mod ingest;
pub mod model;
pub mod schema;
pub mod score;
pub mod simulate;
pub mod support;
pub mod train;

#[cfg(all(
    target_arch = "wasm32",
    not(feature = "train-engine"),
    not(feature = "workbook-engine")
))]
pub mod wasm;
#[cfg(all(target_arch = "wasm32", feature = "train-engine"))]
mod wasm_train;
#[cfg(all(target_arch = "wasm32", feature = "workbook-engine"))]
mod wasm_workbook;

pub use error::{Error, Result};

/// The bundled default model's JSON, compiled into the binary and the wasm so that
/// scoring never needs to fetch anything: `models/default.json` without the whitespace
/// between its tokens (`build.rs`), the same model in fewer bytes.
pub const DEFAULT_MODEL_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/default.json"));

/// Parses the bundled default model.
pub fn default_model() -> Result<model::Model> {
    model::Model::from_json(DEFAULT_MODEL_JSON, "default.json")
}

/// Whether `model` is the bundled demonstration model (trained on simulated accounts,
/// not on any client's history), whatever its tier thresholds: it was trained on the
/// same data (the same SHA-256 in its provenance).
pub fn is_demonstration(model: &model::Model) -> bool {
    // Parsed once: results are made many times a run (the page's progress previews).
    static BUNDLED_DATA: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    BUNDLED_DATA
        .get_or_init(|| default_model().ok().map(|d| d.provenance.data_sha256))
        .as_deref()
        == Some(model.provenance.data_sha256.as_str())
}

#[cfg(test)]
mod tests {
    /// The compact copy is the model file, whitespace between tokens aside.
    #[test]
    fn the_bundled_model_is_models_default_json() {
        let file = include_str!("../models/default.json");
        let pretty = crate::model::Model::from_json(file, "default.json").unwrap();
        assert_eq!(crate::default_model().unwrap(), pretty);
        let a: serde_json::Value = serde_json::from_str(file).unwrap();
        let b: serde_json::Value = serde_json::from_str(crate::DEFAULT_MODEL_JSON).unwrap();
        assert_eq!(a, b);
        assert!(crate::DEFAULT_MODEL_JSON.len() < file.len() * 4 / 5);
    }
}
