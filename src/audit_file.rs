//! A saved audit: the scored results of one list, kept as a file to reopen or compare
//! with later, without the list itself.
//!
//! The file is JSON ([`SavedAudit`], documented by `models/saved-audit.schema.json`):
//! the format and its version, the audited file's name and SHA-256 (not its bytes), the
//! date counted to, the model in full (as a model file holds it) with the risk
//! thresholds used, the inputs the file had no column for, and per account its line,
//! id, name, segment, every model input as read (`null` when missing), its churn
//! probability, tier and revenue at risk. Nothing else of the file is kept: no other
//! column, no cell as written.
//!
//! [`SavedAudit::reopen`] scores the saved inputs again ([`Scored::restore`]): with the
//! saved model the figures are the saved ones exactly; with another model (the page's
//! current one, for a comparison) the inputs are matched by name (a categorical input's
//! level by its name too), an input the saved audit lacks counts for nothing, and
//! [`Reopened::notes`] says so.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ingest::{format_iso_date, parse_iso_date};
use crate::model::{Basis, Model, Tier};
use crate::score::{RestoreRow, Scored};

/// The `format` of a saved audit.
pub const FORMAT: &str = "churn-audit-saved-audit";
/// The version of the format this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// One account of a saved audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedAccount {
    /// The 1-based line of its record in the audited file.
    pub line: usize,
    /// The account id.
    pub account_id: String,
    /// The account name ("" when the file had none).
    pub account_name: String,
    /// The segment ("" when the file had none).
    pub segment: String,
    /// The model inputs as read, in [`SavedAudit::inputs`]' order; `null`: missing.
    pub values: Vec<Option<f64>>,
    /// Its churn probability.
    pub churn_probability: f64,
    /// Its risk tier's name.
    pub risk_tier: String,
    /// Probability times contract value; `null` when unknown.
    pub revenue_at_risk: Option<f64>,
}

/// A saved audit (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedAudit {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The audited file's name.
    pub file: String,
    /// SHA-256 of the audited file's bytes, hex ("" when not computed).
    pub file_sha256: String,
    /// The date counted to, YYYY-MM-DD.
    pub as_of: String,
    /// The model file's name for the model.
    pub model_name: String,
    /// The risk thresholds used (the model's tiers, highest risk first).
    pub thresholds: Vec<Tier>,
    /// The model, as a model file holds it (with the thresholds above).
    pub model: serde_json::Value,
    /// The model's inputs, in its order: the keys of every account's `values`.
    pub inputs: Vec<String>,
    /// Inputs the file had no column for: they counted for nothing.
    pub missing_features: Vec<String>,
    /// Whether the file had a segment column.
    pub has_segment: bool,
    /// The file-level warnings of the audit.
    pub file_warnings: Vec<String>,
    /// Accounts scored, as in the summary.
    pub accounts_scored: usize,
    /// The expected churners (sum of probabilities), as in the summary.
    pub expected_churners: f64,
    /// Every account, in file order.
    pub accounts: Vec<SavedAccount>,
}

/// A saved audit reopened as a scored list.
#[derive(Debug, Clone)]
pub struct Reopened {
    /// The list, scored again from the saved inputs.
    pub scored: Scored,
    /// What differs from the saved audit (another model, inputs it lacks).
    pub notes: Vec<String>,
}

impl SavedAudit {
    /// The saved form of a scored list; `model` is the model as loaded (the list's own
    /// copy has the inputs its file lacks zeroed, [`Model::without_inputs`]).
    pub fn from_scored(scored: &Scored, model: &Model) -> SavedAudit {
        let accounts = (0..scored.len())
            .map(|r| {
                let text = scored.row_text(r);
                SavedAccount {
                    line: scored.lines[r] as usize,
                    account_id: text.account_id.to_string(),
                    account_name: text.account_name.to_string(),
                    segment: text.segment.to_string(),
                    values: scored
                        .row_values(r)
                        .iter()
                        .map(|&x| x.is_finite().then_some(x))
                        .collect(),
                    churn_probability: scored.probability[r],
                    risk_tier: model
                        .tiers
                        .get(scored.tier[r] as usize)
                        .map_or(String::new(), |t| t.name.clone()),
                    revenue_at_risk: scored.revenue.get(r).copied().filter(|v| v.is_finite()),
                }
            })
            .collect();
        // The model as loaded, not the copy with absent inputs zeroed: reopened on the
        // same columns it gives the same figures, and its inputs stay whole for another
        // comparison.
        let model_value = serde_json::to_value(model).unwrap_or(serde_json::Value::Null);
        SavedAudit {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            file: scored.file.clone(),
            file_sha256: scored.file_sha256.clone(),
            as_of: format_iso_date(scored.as_of),
            model_name: model.name.clone(),
            thresholds: model.tiers.clone(),
            model: model_value,
            inputs: model.features.iter().map(|f| f.name.clone()).collect(),
            missing_features: scored.missing_features.clone(),
            has_segment: scored.has_segment,
            file_warnings: scored.file_warnings.clone(),
            accounts_scored: scored.summary.accounts_scored,
            expected_churners: scored.summary.expected_churners,
            accounts,
        }
    }

    /// The saved audit as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Reads a saved audit; `file` names it in messages.
    pub fn from_json(text: &str, file: &str) -> Result<SavedAudit> {
        let saved: SavedAudit = serde_json::from_str(text).map_err(|e| {
            Error::unusable(
                file,
                format!(
                    "not a saved audit of this tool (line {}, column {}): {}",
                    e.line(),
                    e.column(),
                    crate::error::show_value(&e.to_string())
                ),
            )
        })?;
        if saved.format != FORMAT || saved.format_version != FORMAT_VERSION {
            return Err(Error::unusable(
                file,
                format!(
                    "the file is a '{}' version {}, not a {FORMAT} version {FORMAT_VERSION}",
                    crate::error::show_value(&saved.format),
                    saved.format_version
                ),
            ));
        }
        Ok(saved)
    }

    /// The saved model, validated as a model file is.
    pub fn saved_model(&self, file: &str) -> Result<Model> {
        Model::from_json(&self.model.to_string(), file)
    }

    /// Scores the saved inputs again with `current` (the saved model when `None`); see
    /// the module docs. `file` names the saved audit in messages.
    pub fn reopen(&self, current: Option<&Model>, file: &str) -> Result<Reopened> {
        let saved = self.saved_model(file)?;
        if saved.features.len() != self.inputs.len() {
            return Err(Error::unusable(
                file,
                format!(
                    "the saved model has {} inputs where the audit lists {}",
                    saved.features.len(),
                    self.inputs.len()
                ),
            ));
        }
        let as_of = parse_iso_date(&self.as_of).ok_or_else(|| {
            Error::unusable(
                file,
                format!(
                    "as_of '{}' is not a date of the form YYYY-MM-DD",
                    crate::error::show_value(&self.as_of)
                ),
            )
        })?;
        let model = current.unwrap_or(&saved);
        let mut notes = Vec::new();
        let same = *model == saved;
        if !same {
            notes.push(format!(
                "{file} was scored with the model '{}'; its accounts are scored again with '{}' from their saved inputs",
                saved.name, model.name
            ));
        }
        // Per input of `model`: where its value is among the saved inputs.
        let source: Vec<Option<usize>> = model
            .features
            .iter()
            .map(|f| {
                saved
                    .features
                    .iter()
                    .position(|g| g.name == f.name)
                    .filter(|&g| !self.missing_features.contains(&saved.features[g].name))
            })
            .collect();
        let mut missing: Vec<String> = Vec::new();
        for (f, s) in model.features.iter().zip(&source) {
            if s.is_none() {
                missing.push(f.name.clone());
            }
        }
        let lacking: Vec<&String> = missing
            .iter()
            .filter(|m| !self.missing_features.contains(m))
            .collect();
        if !lacking.is_empty() {
            notes.push(format!(
                "{file} has no saved values for {}: they count for nothing in its scores",
                lacking
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let mut values = vec![f64::NAN; model.features.len()];
        let mut rows = Vec::with_capacity(self.accounts.len());
        let mut all = Vec::with_capacity(self.accounts.len() * values.len());
        for a in &self.accounts {
            if a.values.len() != saved.features.len() {
                return Err(Error::unusable(
                    file,
                    format!(
                        "the account {} (line {}) has {} input values where the saved model has {}",
                        crate::error::show_value(&a.account_id),
                        a.line,
                        a.values.len(),
                        saved.features.len()
                    ),
                ));
            }
            for (k, (f, s)) in model.features.iter().zip(&source).enumerate() {
                values[k] = s.map_or(f64::NAN, |g| {
                    let x = a.values[g].unwrap_or(f64::NAN);
                    level_in(&saved.features[g].basis, &f.basis, x)
                });
            }
            all.extend_from_slice(&values);
        }
        let p = model.features.len();
        for (a, v) in self.accounts.iter().zip(all.chunks(p.max(1))) {
            rows.push(RestoreRow {
                line: a.line,
                account_id: &a.account_id,
                account_name: &a.account_name,
                segment: &a.segment,
                values: if p == 0 { &[] } else { v },
            });
        }
        let scored = Scored::restore(
            model,
            &self.file,
            &self.file_sha256,
            as_of,
            missing,
            self.has_segment,
            self.file_warnings.clone(),
            rows,
        )?;
        Ok(Reopened { scored, notes })
    }
}

/// A categorical input's level index `x` under `from`'s levels, as an index of `to`'s
/// levels (by name; unseen when `to` lacks it); any other value as it is.
fn level_in(from: &Basis, to: &Basis, x: f64) -> f64 {
    match (from, to) {
        (Basis::Categorical { levels: a }, Basis::Categorical { levels: b }) if x.is_finite() => {
            let name = a.get(x as usize);
            name.and_then(|n| b.iter().position(|l| l == n))
                .unwrap_or(b.len()) as f64
        }
        _ => x,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Mapping;
    use crate::score::Scorer;

    fn scored(model: &Model, text: &str) -> Scored {
        let mut s = Scorer::new(model.clone(), "q1.csv", 20_468, Mapping::new());
        s.push(text.as_bytes()).unwrap();
        s.finish().unwrap()
    }

    #[test]
    fn a_saved_audit_reopens_to_the_same_figures() {
        let model = crate::default_model().unwrap();
        let text =
            "account_id,account_name,segment,contract_value,days_since_last_engagement,nps\n\
                    A,Acme,SMB,12000,150,3\nB,Bolt,Enterprise,250000,4,\nC,,Mid-market,,30,9\n";
        let s = scored(&model, text);
        let saved = SavedAudit::from_scored(&s, &model);
        let json = saved.to_json();
        assert!(!json.contains("Acme,SMB"), "the file's text is not kept");
        let back = SavedAudit::from_json(&json, "q1.audit.json").unwrap();
        assert_eq!(back, saved);
        let r = back.reopen(None, "q1.audit.json").unwrap();
        assert!(r.notes.is_empty(), "{:?}", r.notes);
        assert_eq!(r.scored.probability, s.probability);
        assert_eq!(r.scored.summary, s.summary);
        assert_eq!(
            r.scored
                .revenue
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>(),
            s.revenue.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(r.scored.row_text(2).segment, "Mid-market");
        assert_eq!(r.scored.missing_features, s.missing_features);
        // The comparison with the list itself: nothing moved.
        let c = crate::compare::compare(&r.scored, &s);
        assert!(c.accounts.iter().all(|a| a.log_odds_change() == 0.0));
    }

    #[test]
    fn another_model_rescoring_is_told_and_bad_files_are_one_sentence() {
        let model = crate::default_model().unwrap();
        let s = scored(&model, "account_id,segment,nps\nA,SMB,3\nB,Enterprise,9\n");
        let saved = SavedAudit::from_scored(&s, &model);
        let mut other = model.clone();
        other.name = "retrained".into();
        other.intercept += 0.5;
        let r = saved.reopen(Some(&other), "q1.audit.json").unwrap();
        assert!(
            r.notes[0].contains("scored again with 'retrained'"),
            "{:?}",
            r.notes
        );
        for (a, b) in r.scored.probability.iter().zip(&s.probability) {
            assert!(a > b);
        }
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(r.scored.row_values(1)), bits(s.row_values(1)));
        // A categorical input's levels are matched by name, whatever their order.
        let tiny = crate::model::tests::tiny_model();
        let t = scored(&tiny, "id,segment\nA,SMB\nB,Enterprise\nC,Other\n");
        let mut swapped = tiny.clone();
        if let Basis::Categorical { levels } = &mut swapped.features[2].basis {
            levels.reverse();
        }
        let r = SavedAudit::from_scored(&t, &tiny)
            .reopen(Some(&swapped), "t.json")
            .unwrap();
        let seg: Vec<f64> = (0..3).map(|i| r.scored.row_values(i)[2]).collect();
        assert_eq!(seg, [1.0, 0.0, 2.0]);
        let e = SavedAudit::from_json("{\"format\": 3}", "x.json").unwrap_err();
        assert!(e.to_string().starts_with("x.json"), "{e}");
        let mut wrong = saved.clone();
        wrong.format = "something".into();
        let e = SavedAudit::from_json(&wrong.to_json(), "x.json").unwrap_err();
        assert!(
            e.to_string().contains("not a churn-audit-saved-audit"),
            "{e}"
        );
    }
}
