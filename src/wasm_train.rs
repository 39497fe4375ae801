//! The page's training engine: a thin wasm-bindgen layer over [`crate::train`], built
//! as its own module (`--features train-engine`, `make wasm-train`) so that the scoring
//! engine the page loads at start stays as small as it was. No logic lives here: each
//! function converts arguments, calls the library and turns errors into JS `Error`s
//! (never a panic, which would kill the worker).

use wasm_bindgen::prelude::*;

use crate::train::{self, TrainConfig};

fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&serializer)
        .map_err(|e| JsError::new(&e.to_string()))
}

/// The choices of the page's training flow that `churn-audit train` takes as options:
/// `{actionable: [name, ...] | null, value: "header" | null}` (`--actionable`,
/// `--value`); `undefined` or `null` takes the defaults.
#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Choices {
    actionable: Option<Vec<String>>,
    value: Option<String>,
}

/// The training configuration the page asks for; everything else is the CLI's default.
fn config(
    label: &str,
    seed: &str,
    as_of: &str,
    exclude: Vec<String>,
    choices: JsValue,
) -> Result<TrainConfig, JsError> {
    let choices: Choices = if choices.is_undefined() || choices.is_null() {
        Choices::default()
    } else {
        serde_wasm_bindgen::from_value(choices)
            .map_err(|e| JsError::new(&format!("the training choices are not readable: {e}")))?
    };
    let seed = seed.trim().parse::<u64>().map_err(|_| {
        JsError::new(&format!(
            "the seed '{seed}' is not a whole number from 0 to 18446744073709551615"
        ))
    })?;
    let as_of = crate::ingest::parse_iso_date(as_of).ok_or_else(|| {
        JsError::new(&format!(
            "the as-of date '{as_of}' is not a date of the form YYYY-MM-DD"
        ))
    })?;
    Ok(TrainConfig {
        seed,
        as_of,
        exclude,
        actionable: choices.actionable,
        value: choices.value.filter(|v| !v.trim().is_empty()),
        ..TrainConfig::new(label)
    })
}

/// What training would make of the history in `bytes` ([`train::HistoryPreview`]): the
/// columns and their kinds, the suggested label and value column, whether each input is
/// actionable, and any problem; an empty `label` takes the suggestion. `choices` as in
/// [`train_history`]. Fails only when the file is not a table at all.
#[wasm_bindgen]
pub fn preview_history(
    bytes: &[u8],
    file_name: &str,
    label: &str,
    seed: &str,
    as_of: &str,
    exclude: Vec<String>,
    choices: JsValue,
) -> Result<JsValue, JsError> {
    let cfg = config(label, seed, as_of, exclude, choices)?;
    let preview =
        train::preview_history(bytes, file_name, &cfg).map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&preview)
}

/// The result of [`train_history`].
#[derive(serde::Serialize)]
struct TrainResult {
    /// The model file, exactly as `churn-audit train --out` writes it.
    model_json: String,
    /// The metrics recorded in the model, for the page's table.
    metrics: crate::model::Metrics,
    /// The model card (markdown), as `churn-audit card` prints it.
    card: String,
    /// What training noticed on the way (skipped rows, columns left out).
    warnings: Vec<String>,
}

/// Trains on the history in `bytes` as `churn-audit train` does with the same label,
/// seed, as-of date, excluded columns and `choices` (`{actionable, value}`: the
/// `--actionable` and `--value` options), calling `on_progress` with each
/// [`train::Progress`]; returns `{model_json, metrics, card, warnings}`.
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen]
pub fn train_history(
    bytes: &[u8],
    file_name: &str,
    label: &str,
    seed: &str,
    as_of: &str,
    exclude: Vec<String>,
    choices: JsValue,
    on_progress: &js_sys::Function,
) -> Result<JsValue, JsError> {
    let cfg = config(label, seed, as_of, exclude, choices)?;
    let mut progress = |p: &train::Progress| {
        if let Ok(value) = to_js(p) {
            // A failing progress callback must not stop training: its result is ignored.
            let _ = on_progress.call1(&JsValue::NULL, &value);
        }
    };
    let trained = train::train_with_progress(bytes, file_name, &cfg, &mut progress)
        .map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&TrainResult {
        model_json: trained.model.to_json(),
        metrics: trained.model.metrics.clone(),
        card: crate::card::model_card(&trained.model).to_markdown(),
        warnings: trained.warnings,
    })
}
