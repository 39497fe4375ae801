//! The browser adapter: a thin wasm-bindgen layer over [`crate::audit`] and
//! [`crate::explain`]. No logic lives here that the library lacks; every function
//! converts arguments, calls the library and converts errors into JS `Error`s (never a
//! panic: a panic would kill the page's engine).
//!
//! The engine keeps the last scored file's prepared inputs, so the page can ask for an
//! account's explanation or a what-if by row index without sending the data again.

use wasm_bindgen::prelude::*;

use crate::audit;
use crate::explain;
use crate::features::{Mapping, Prepared};
use crate::model::Model;

/// A scoring engine holding one validated model and the last scored file.
#[wasm_bindgen]
pub struct Engine {
    model: Model,
    last: Option<Last>,
}

/// What the engine remembers of the last scored file.
struct Last {
    prepared: Prepared,
    typical: Vec<Option<f64>>,
    result: audit::AuditResult,
}

fn js_err(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}

fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&serializer)
        .map_err(|e| JsError::new(&e.to_string()))
}

fn as_of_days(as_of: &str) -> Result<i64, JsError> {
    crate::ingest::parse_iso_date(as_of).ok_or_else(|| {
        JsError::new(&format!(
            "the as-of date '{as_of}' is not a date of the form YYYY-MM-DD"
        ))
    })
}

/// A mapping object `{header: target}`; `undefined` or `null` is no mapping.
fn mapping(value: JsValue) -> Result<Mapping, JsError> {
    if value.is_undefined() || value.is_null() {
        return Ok(Mapping::new());
    }
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| JsError::new(&format!("the column mapping is not readable: {e}")))
}

const NOTHING_SCORED: &str = "no file has been scored yet";

#[wasm_bindgen]
impl Engine {
    /// An engine with the bundled default model.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<Engine, JsError> {
        Ok(Engine {
            model: crate::default_model().map_err(js_err)?,
            last: None,
        })
    }

    /// An engine with a model file's text; fails with the validation message.
    pub fn from_json(text: &str) -> Result<Engine, JsError> {
        Ok(Engine {
            model: Model::from_json(text, "the chosen model file").map_err(js_err)?,
            last: None,
        })
    }

    /// The model card ([`crate::card::ModelCard`]): the same card `churn-audit card`
    /// prints, as structured sections, with name, version, tiers and features.
    pub fn model_info(&self) -> Result<JsValue, JsError> {
        to_js(&crate::card::model_card(&self.model))
    }

    /// Replaces the tier thresholds (highest tier first, the last 0); forgets the last
    /// scored file, which must be scored again. Returns the new model card.
    pub fn set_tiers(&mut self, thresholds: Vec<f64>) -> Result<JsValue, JsError> {
        self.model = explain::with_tier_thresholds(&self.model, &thresholds).map_err(js_err)?;
        self.last = None;
        self.model_info()
    }

    /// How the file's headers would be matched ([`crate::features::Inspection`]).
    pub fn inspect(
        &self,
        bytes: &[u8],
        file_name: &str,
        column_mapping: JsValue,
    ) -> Result<JsValue, JsError> {
        let m = mapping(column_mapping)?;
        to_js(&audit::inspect(bytes, file_name, &self.model, &m).map_err(js_err)?)
    }

    /// Scores a whole file with an optional column mapping; returns the
    /// [`audit::AuditResult`] and keeps the file's inputs for [`Engine::explain`].
    pub fn score(
        &mut self,
        bytes: &[u8],
        file_name: &str,
        as_of: &str,
        column_mapping: JsValue,
    ) -> Result<JsValue, JsError> {
        let m = mapping(column_mapping)?;
        self.last = None;
        let (result, prepared) =
            audit::audit_mapped(bytes, file_name, &self.model, as_of_days(as_of)?, &m)
                .map_err(js_err)?;
        let js = to_js(&result)?;
        self.last = Some(Last {
            prepared,
            typical: result.portfolio.typical.clone(),
            result,
        });
        Ok(js)
    }

    /// The churn probabilities of the last scored file, in file order.
    pub fn probabilities(&self) -> Result<Vec<f64>, JsError> {
        let last = self
            .last
            .as_ref()
            .ok_or_else(|| JsError::new(NOTHING_SCORED))?;
        Ok(last
            .result
            .rows
            .iter()
            .map(|r| r.churn_probability)
            .collect())
    }

    /// Row `row` of the last scored file taken apart ([`explain::Explanation`]).
    pub fn explain(&self, row: usize) -> Result<JsValue, JsError> {
        let last = self
            .last
            .as_ref()
            .ok_or_else(|| JsError::new(NOTHING_SCORED))?;
        let e = explain::explain(&self.model, &last.prepared, row, &last.typical)
            .ok_or_else(|| JsError::new(&format!("there is no account at row {row}")))?;
        to_js(&e)
    }

    /// Row `row` re-scored with `features[i]` set to `values[i]` ([`explain::WhatIf`]).
    /// NaN means "not recorded".
    pub fn what_if(
        &self,
        row: usize,
        features: Vec<String>,
        values: Vec<f64>,
    ) -> Result<JsValue, JsError> {
        let last = self
            .last
            .as_ref()
            .ok_or_else(|| JsError::new(NOTHING_SCORED))?;
        if row >= last.prepared.rows.len() {
            return Err(JsError::new(&format!("there is no account at row {row}")));
        }
        let mut changes = Vec::with_capacity(features.len());
        for (name, x) in features.iter().zip(values) {
            let f = self
                .model
                .feature_index(name)
                .ok_or_else(|| JsError::new(&format!("the model has no input '{name}'")))?;
            changes.push((f, x));
        }
        to_js(&explain::what_if(
            &self.model,
            last.prepared.row(row),
            &changes,
        ))
    }

    /// The last scored file as the scored CSV the command line writes; `excel` adds the
    /// UTF-8 byte-order mark Excel needs.
    pub fn export_csv(&self, excel: bool) -> Result<String, JsError> {
        let last = self
            .last
            .as_ref()
            .ok_or_else(|| JsError::new(NOTHING_SCORED))?;
        Ok(if excel {
            audit::to_csv_excel(&last.result)
        } else {
            audit::to_csv(&last.result)
        })
    }
}
