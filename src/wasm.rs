//! The browser adapter: a thin wasm-bindgen layer over [`crate::score`] and
//! [`crate::explain`]. No logic lives here that the library lacks; every function
//! converts arguments, calls the library and converts errors into JS `Error`s (never a
//! panic: a panic would kill the page's engine).
//!
//! A file is scored as it streams in: [`Engine::begin`], then [`Engine::push`] for each
//! chunk the worker reads from disk, then [`Engine::finish`], which returns the file's
//! overview. The engine keeps the scored rows column by column ([`score::Scored`]); the
//! page asks for the rows it shows ([`Engine::view`], [`Engine::rows`]), an account's
//! explanation or a what-if by row index, without the data crossing again.

use wasm_bindgen::prelude::*;

use crate::explain;
use crate::features::Mapping;
use crate::model::Model;
use crate::score::{self, Scored, Scorer, ViewQuery};

/// Row warnings sent with a file's overview (the rest are in the export).
const OVERVIEW_WARNINGS: usize = 500;

/// A file's SHA-256 ([`score::FileHash`]), fed chunk by chunk.
#[wasm_bindgen]
pub struct FileDigest(Option<score::FileHash>);

#[wasm_bindgen]
impl FileDigest {
    /// An empty digest.
    #[wasm_bindgen(constructor)]
    pub fn new() -> FileDigest {
        FileDigest(Some(score::FileHash::new()))
    }

    /// Adds the next bytes of the file.
    pub fn update(&mut self, bytes: &[u8]) {
        if let Some(hash) = &mut self.0 {
            hash.update(bytes);
        }
    }

    /// The digest as lowercase hex (empty if asked twice).
    pub fn finish(&mut self) -> String {
        self.0
            .take()
            .map(score::FileHash::finish)
            .unwrap_or_default()
    }
}

impl Default for FileDigest {
    fn default() -> Self {
        FileDigest::new()
    }
}

/// A scoring engine holding one validated model and the last scored file.
#[wasm_bindgen]
pub struct Engine {
    model: Model,
    scorer: Option<Scorer>,
    last: Option<Last>,
    /// A big file's head, read by [`Engine::inspect_head`] for [`Engine::begin_inspected`].
    inspected: Option<Scorer>,
}

/// What the engine remembers of the last scored file.
struct Last {
    scored: Scored,
    /// The portfolio's medians, computed the first time an account is explained.
    typical: Option<Vec<Option<f64>>>,
}

fn js_err(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}

/// A result as a JS value, through the same `Serialize` derive as the command line's
/// JSON: structs and maps become plain objects, `None` `null`, tuples arrays and whole
/// numbers JS numbers (every count is far below 2^53), as `JSON.parse` of serde_json's
/// text gives them. A float that is not finite stays NaN or ±Infinity, where serde_json
/// writes `null`: the page's `plain` (www/engine-core.js) makes it `null`.
pub(crate) fn to_js<T: serde::Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&format!("the engine's answer could not be made: {e}")))
}

fn as_of_days(as_of: &str) -> Result<i64, JsError> {
    crate::ingest::parse_iso_date(as_of).ok_or_else(|| {
        JsError::new(&format!(
            "the as-of date '{as_of}' is not a date of the form YYYY-MM-DD"
        ))
    })
}

/// An argument from JS, read through its `Deserialize` derive; `undefined` or `null` is
/// `None`. `what` names it in the error.
fn from_js<T: serde::de::DeserializeOwned>(
    value: JsValue,
    what: &str,
) -> Result<Option<T>, JsError> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    serde_wasm_bindgen::from_value(value)
        .map(Some)
        .map_err(|e| JsError::new(&format!("{what} is not readable: {e}")))
}

/// A mapping object `{header: target}`; `undefined` or `null` is no mapping.
fn mapping(value: JsValue) -> Result<Mapping, JsError> {
    Ok(from_js(value, "the column mapping")?.unwrap_or_default())
}

const NOTHING_SCORED: &str = "no file has been scored yet";
const NOT_STARTED: &str = "no file is being read; call begin first";

#[wasm_bindgen]
impl Engine {
    /// An engine with the bundled default model.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<Engine, JsError> {
        Ok(Engine {
            model: crate::default_model().map_err(js_err)?,
            scorer: None,
            last: None,
            inspected: None,
        })
    }

    /// Runs the scoring code once on a small made-up list ([`score::warm_up`]) and makes
    /// its overview's answer, so the browser has compiled them at full speed before the
    /// first file; true when it ran.
    pub fn warm_up(&self) -> bool {
        score::warm_up(&self.model).is_some_and(|overview| to_js(&overview).is_ok())
    }

    /// An engine with a model file's text; fails with the validation message.
    pub fn from_json(text: &str) -> Result<Engine, JsError> {
        Ok(Engine {
            model: Model::from_json(text, "the chosen model file").map_err(js_err)?,
            scorer: None,
            last: None,
            inspected: None,
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
        self.inspected = None;
        self.model_info()
    }

    /// How the file's headers would be matched ([`crate::features::Inspection`]); `bytes`
    /// may be just the start of the file (rows are then counted in that part only).
    pub fn inspect(
        &self,
        bytes: &[u8],
        file_name: &str,
        column_mapping: JsValue,
    ) -> Result<JsValue, JsError> {
        let m = mapping(column_mapping)?;
        to_js(&score::inspect(bytes, file_name, &self.model, &m).map_err(js_err)?)
    }

    /// [`Engine::inspect`] for a file of `size` bytes scored as of `as_of`, of which
    /// `head` is the first [`crate::ingest::HEAD_BYTES`]: read once for both. When the
    /// columns need no help, the engine keeps the head read ([`Scorer::inspect_head`])
    /// for [`Engine::begin_inspected`]. A smaller file is inspected as by
    /// [`Engine::inspect`].
    pub fn inspect_head(
        &mut self,
        head: &[u8],
        file_name: &str,
        size: f64,
        as_of: &str,
        column_mapping: JsValue,
    ) -> Result<JsValue, JsError> {
        let m = mapping(column_mapping)?;
        self.inspected = None;
        // A date that cannot be read is told when the file is scored, as before.
        if let Ok(as_of) = as_of_days(as_of) {
            let mut scorer = Scorer::new(self.model.clone(), file_name, as_of, m.clone())
                .without_digest()
                .expect_bytes(size.max(0.0) as u64);
            if let Some(inspection) = scorer.inspect_head(head).map_err(js_err)? {
                if inspection.problem.is_none() {
                    self.inspected = Some(scorer);
                }
                return to_js(&inspection);
            }
        }
        to_js(&score::inspect(head, file_name, &self.model, &m).map_err(js_err)?)
    }

    /// Starts reading the file last inspected by [`Engine::inspect_head`] (as
    /// [`Engine::begin`] with the same name, size, date and mapping), its head already
    /// read: push the bytes after it. False when there is none (then call `begin`).
    pub fn begin_inspected(&mut self) -> bool {
        let Some(scorer) = self.inspected.take() else {
            return false;
        };
        self.last = None;
        self.scorer = Some(scorer);
        true
    }

    /// Starts reading a file of `size` bytes (forgetting the last one).
    pub fn begin(
        &mut self,
        file_name: &str,
        size: f64,
        as_of: &str,
        column_mapping: JsValue,
    ) -> Result<(), JsError> {
        let m = mapping(column_mapping)?;
        self.last = None;
        self.scorer = None;
        self.inspected = None;
        // The page hashes the file after the summary is shown ([`FileDigest`]).
        self.scorer = Some(
            Scorer::new(self.model.clone(), file_name, as_of_days(as_of)?, m)
                .without_digest()
                .expect_bytes(size.max(0.0) as u64),
        );
        Ok(())
    }

    /// The model as JSON, for a second engine (another worker) scoring a part of a file.
    pub fn model_json(&self) -> String {
        self.model.to_json()
    }

    /// Starts reading a later part of a file ([`Scorer::part`]): `head` is the file's
    /// first [`crate::ingest::HEAD_BYTES`] bytes, then [`Engine::push`] the part's `size`
    /// bytes, which start just after a line feed. False when the file cannot be read in
    /// parts (the first worker then reads it all).
    pub fn begin_part(
        &mut self,
        file_name: &str,
        head: &[u8],
        size: f64,
        as_of: &str,
        column_mapping: JsValue,
    ) -> Result<bool, JsError> {
        let m = mapping(column_mapping)?;
        self.last = None;
        self.scorer = Scorer::part(self.model.clone(), file_name, as_of_days(as_of)?, m, head)
            .map(|s| s.expect_bytes(size.max(0.0) as u64));
        Ok(self.scorer.is_some())
    }

    /// For the first part, once every byte before the next part's start is pushed: true
    /// when they end at a record's end, so the next part can be joined
    /// ([`Engine::join`]); false: push the next part's bytes here instead.
    pub fn end_part(&mut self) -> Result<bool, JsError> {
        let scorer = self
            .scorer
            .as_mut()
            .ok_or_else(|| JsError::new(NOT_STARTED))?;
        scorer.end_part().map_err(js_err)
    }

    /// In the worker scoring a later part: its rows scored since the last piece, as
    /// bytes for the first worker ([`Engine::join_piece`]), forgotten here
    /// ([`Scorer::take_piece`]); `undefined` when memory ran out (they stay here).
    pub fn take_piece(&mut self) -> Result<Option<Vec<u8>>, JsError> {
        let scorer = self
            .scorer
            .as_mut()
            .ok_or_else(|| JsError::new(NOT_STARTED))?;
        Ok(scorer.take_piece())
    }

    /// Joins a piece of the next part, in order, before [`Engine::join`] joins the rest
    /// (which takes the pieces back out when the part cannot be joined). False when the
    /// piece cannot be used.
    pub fn join_piece(&mut self, piece: &[u8]) -> Result<bool, JsError> {
        let scorer = self
            .scorer
            .as_mut()
            .ok_or_else(|| JsError::new(NOT_STARTED))?;
        Ok(scorer.join_piece(piece))
    }

    /// Ends a part; returns it as bytes for the worker holding the part before it
    /// (`undefined` when memory ran out: that worker then reads the part itself).
    pub fn finish_part(&mut self) -> Result<Option<Vec<u8>>, JsError> {
        let scorer = self
            .scorer
            .take()
            .ok_or_else(|| JsError::new(NOT_STARTED))?;
        Ok(scorer.into_part().map_err(js_err)?.to_bytes())
    }

    /// Joins the next part's bytes ([`Engine::finish_part`] of another engine). False
    /// when the part cannot be used: push its bytes here instead.
    pub fn join(&mut self, part: &[u8]) -> Result<bool, JsError> {
        let scorer = self
            .scorer
            .as_mut()
            .ok_or_else(|| JsError::new(NOT_STARTED))?;
        let joined = scorer.join_bytes(part).map_err(js_err)?;
        if !joined {
            scorer.reopen();
        }
        Ok(joined)
    }

    /// The file's [`score::Overview`] from the later parts' bytes ([`Engine::finish_part`]
    /// of the partners, in file order), before their rows are joined
    /// ([`score::Scorer::preview`]): what the page shows while it joins them. `undefined`
    /// when a part cannot be joined.
    pub fn preview(&self, parts: js_sys::Array) -> Result<JsValue, JsError> {
        let scorer = self
            .scorer
            .as_ref()
            .ok_or_else(|| JsError::new(NOT_STARTED))?;
        let bytes: Vec<Vec<u8>> = parts
            .iter()
            .map(|p| js_sys::Uint8Array::new(&p).to_vec())
            .collect();
        let parts: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
        match scorer.preview(&parts, OVERVIEW_WARNINGS) {
            Some(overview) => to_js(&overview),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Takes the next part's bytes after all, when it was not joined.
    pub fn reopen(&mut self) {
        if let Some(scorer) = &mut self.scorer {
            scorer.reopen();
        }
    }

    /// Reads and scores the next chunk of the file; returns the rows scored so far.
    pub fn push(&mut self, chunk: &[u8]) -> Result<usize, JsError> {
        let scorer = self
            .scorer
            .as_mut()
            .ok_or_else(|| JsError::new(NOT_STARTED))?;
        if let Err(e) = scorer.push(chunk) {
            self.scorer = None;
            return Err(js_err(e));
        }
        Ok(scorer.rows())
    }

    /// Ends the file; returns its [`score::Overview`] and keeps its rows.
    pub fn finish(&mut self) -> Result<JsValue, JsError> {
        let scorer = self
            .scorer
            .take()
            .ok_or_else(|| JsError::new(NOT_STARTED))?;
        let scored = scorer.finish().map_err(js_err)?;
        let js = to_js(&scored.overview(OVERVIEW_WARNINGS))?;
        self.last = Some(Last {
            scored,
            typical: None,
        });
        Ok(js)
    }

    fn last(&self) -> Result<&Last, JsError> {
        self.last
            .as_ref()
            .ok_or_else(|| JsError::new(NOTHING_SCORED))
    }

    /// The rows a table view shows ([`score::ViewQuery`]), in order, as row indices.
    pub fn view(&self, query: JsValue) -> Result<Vec<u32>, JsError> {
        let q: ViewQuery = from_js(query, "the table view")?.unwrap_or_default();
        Ok(self.last()?.scored.view(&q))
    }

    /// The given rows in full ([`score::ScoredRow`] plus its `row` index).
    pub fn rows(&self, rows: Vec<u32>) -> Result<JsValue, JsError> {
        let scored = &self.last()?.scored;
        let out: Vec<(u32, score::ScoredRow)> = rows
            .into_iter()
            .filter_map(|r| scored.row(r as usize).map(|row| (r, row)))
            .collect();
        to_js(&out)
    }

    /// Row `row` of the last scored file taken apart ([`explain::Explanation`]).
    pub fn explain(&mut self, row: usize) -> Result<JsValue, JsError> {
        let last = self
            .last
            .as_mut()
            .ok_or_else(|| JsError::new(NOTHING_SCORED))?;
        let scored = &last.scored;
        if row >= scored.len() {
            return Err(JsError::new(&format!("there is no account at row {row}")));
        }
        let typical = last.typical.get_or_insert_with(|| scored.typical());
        let line = scored.lines.get(row).map_or(0, |&l| l as usize);
        to_js(&explain::explain_row(
            &scored.model,
            row,
            line,
            scored.row_text(row),
            scored.row_values(row),
            typical,
            &scored.present(),
        ))
    }

    /// Row `row` re-scored with `features[i]` set to `values[i]` ([`explain::WhatIf`]).
    /// NaN means "not recorded".
    pub fn what_if(
        &self,
        row: usize,
        features: Vec<String>,
        values: Vec<f64>,
    ) -> Result<JsValue, JsError> {
        let scored = &self.last()?.scored;
        if row >= scored.len() {
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
            &scored.model,
            scored.row_values(row),
            &changes,
        ))
    }

    /// The last scored file as the scored CSV the command line writes; `excel` adds the
    /// UTF-8 byte-order mark Excel needs.
    pub fn export_csv(&self, excel: bool) -> Result<String, JsError> {
        let scored = &self.last()?.scored;
        let mut out = String::new();
        // Reserved once rather than doubled as it fills: each doubling of a buffer this
        // large is a copy of it. A refusal only means it grows as before.
        let _ = out.try_reserve_exact(scored.csv_len_estimate() + 3);
        if excel {
            out.push('\u{feff}');
        }
        scored.push_csv(&mut out);
        Ok(out)
    }
}
