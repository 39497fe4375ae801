//! The browser adapter: a thin wasm-bindgen layer over [`crate::audit`]. No logic lives
//! here that the command line lacks; every function converts arguments, calls the
//! library and converts errors into JS `Error`s (never a panic: a panic would kill the
//! page's engine).

use wasm_bindgen::prelude::*;

use crate::audit;
use crate::model::Model;

/// A scoring engine holding one validated model.
#[wasm_bindgen]
pub struct Engine {
    model: Model,
}

fn js_err(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}

fn as_of_days(as_of: &str) -> Result<i64, JsError> {
    crate::ingest::parse_iso_date(as_of).ok_or_else(|| {
        JsError::new(&format!(
            "the as-of date '{as_of}' is not a date of the form YYYY-MM-DD"
        ))
    })
}

#[wasm_bindgen]
impl Engine {
    /// An engine with the bundled default model.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<Engine, JsError> {
        Ok(Engine {
            model: crate::default_model().map_err(js_err)?,
        })
    }

    /// An engine with a model file's text; fails with the validation message.
    pub fn from_json(text: &str) -> Result<Engine, JsError> {
        Ok(Engine {
            model: Model::from_json(text, "the chosen model file").map_err(js_err)?,
        })
    }

    /// The model's name, version, features and tiers, for display.
    pub fn model_info(&self) -> Result<JsValue, JsError> {
        let info = ModelInfo::of(&self.model);
        serde_wasm_bindgen::to_value(&info).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Scores a whole file; returns the [`audit::AuditResult`] as a plain object.
    pub fn score(&self, bytes: &[u8], file_name: &str, as_of: &str) -> Result<JsValue, JsError> {
        let result =
            audit::audit(bytes, file_name, &self.model, as_of_days(as_of)?).map_err(js_err)?;
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        serde::Serialize::serialize(&result, &serializer).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Scores a whole file and returns the scored CSV, exactly as the command line writes it.
    pub fn to_csv(&self, bytes: &[u8], file_name: &str, as_of: &str) -> Result<String, JsError> {
        let result =
            audit::audit(bytes, file_name, &self.model, as_of_days(as_of)?).map_err(js_err)?;
        Ok(audit::to_csv(&result))
    }
}

/// What the page shows about a model.
#[derive(serde::Serialize)]
struct ModelInfo<'a> {
    name: &'a str,
    version: u32,
    trained_at: &'a str,
    features: Vec<FeatureInfo<'a>>,
    tiers: &'a [crate::model::Tier],
}

#[derive(serde::Serialize)]
struct FeatureInfo<'a> {
    name: &'a str,
    label: &'a str,
    group: crate::schema::Group,
}

impl<'a> ModelInfo<'a> {
    fn of(m: &'a Model) -> Self {
        ModelInfo {
            name: &m.name,
            version: m.format_version,
            trained_at: &m.provenance.trained_at,
            features: m
                .features
                .iter()
                .map(|f| FeatureInfo {
                    name: &f.name,
                    label: &f.label,
                    group: f.group,
                })
                .collect(),
            tiers: &m.tiers,
        }
    }
}
