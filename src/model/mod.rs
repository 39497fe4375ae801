//! The model file (format version 1) and the scoring of one account.
//!
//! The format is ours, not linfa's: a model file carries everything scoring needs, so a
//! page that has never seen the training data can score with it. Its JSON Schema is
//! `models/model.schema.json`; the serde derives below read and write it (serde_json:
//! unknown fields refused, parse errors with their line and column), and
//! [`Model::validate`] checks the values after reading. In short:
//!
//! - `features`: for each feature its name, aliases (headers it answers to), group,
//!   kind (numeric, boolean, categorical), the value imputed when it is missing, the
//!   training range (values outside are clipped and flagged), a transform, a basis
//!   (linear, hinge knots, or categorical levels), one coefficient per basis column and
//!   the training mean ("center") of each basis column.
//! - `intercept`: the log-odds of churn for an account whose every basis column sits at
//!   its center, i.e. the typical account.
//! - `value_feature`: the input holding each account's value (revenue at risk); without
//!   it, revenue at risk is not shown.
//! - per feature, `actionable` (`lower`, `raise`, `any`, `no`): whether next-best actions
//!   may change the input and which way is realistic ([`Actionable`]); absent, a default
//!   from its kind and name.
//!
//! An account's log-odds is `intercept + Σ contribution(feature)`, where a feature's
//! contribution is `Σ_k coefficient_k · (basis_k(x) − center_k)` plus its
//! missing-indicator term. Each contribution is therefore one exact number and they add
//! up to the score: the explanation is the model, not an approximation of it.

use crate::error::{Error, Result};
use crate::schema::{normalize_header, DateDirection, Group};
use serde::{Deserialize, Serialize};

/// The value of the `format` field of every model file.
pub const FORMAT: &str = "churn-audit-model";
/// The format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Limits that keep a hostile model file from exhausting memory or time.
const MAX_FEATURES: usize = 10_000;
const MAX_BASIS: usize = 1_000;
const MAX_TEXT: usize = 10_000;
const MAX_ALIASES: usize = 1_000;
/// Basis columns over all features: bounds the work of scoring one account.
const MAX_TOTAL_BASIS: usize = 20_000;
/// Aliases over all columns and features: bounds the work of matching headers.
const MAX_TOTAL_ALIASES: usize = 5_000;
/// Largest model file read, in bytes; the bundled model is a few tens of kilobytes.
pub const MAX_MODEL_BYTES: usize = 16 << 20;
/// Largest possible |log-odds| a valid model may produce: far beyond where the logistic
/// function saturates, far below where a sum of contributions could overflow to
/// infinity (and then to NaN as `∞ − ∞`).
const MAX_LOG_ODDS: f64 = 1e12;

/// A whole model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`FORMAT_VERSION`] for files this build reads.
    pub format_version: u32,
    /// Short name of the model.
    pub name: String,
    /// What the model predicts and from what, in a sentence or two.
    #[serde(default)]
    pub description: String,
    /// The training table's label column (what "churn" meant there).
    pub label: String,
    /// The account identifier column.
    pub id_column: ColumnSpec,
    /// The account name column, if the training table had one.
    #[serde(default)]
    pub name_column: Option<ColumnSpec>,
    /// A segment column used to break results down, if any.
    #[serde(default)]
    pub segment_column: Option<ColumnSpec>,
    /// The feature holding contract value, for revenue at risk.
    #[serde(default)]
    pub value_feature: Option<String>,
    /// Log-odds of churn for the typical account (all basis columns at their centers).
    pub intercept: f64,
    /// The features, in the order their contributions are reported.
    pub features: Vec<FeatureSpec>,
    /// Covariance of the features' contributions to the log-odds over the training
    /// accounts (one row and one column per feature, in `features` order): how much of
    /// the score each input carries, alone and together, which is what a file's
    /// coverage is measured with ([`crate::features::coverage`]). Empty in model files
    /// written before it was recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contribution_covariance: Vec<Vec<f64>>,
    /// Risk tiers, highest first; the last must start at probability 0.
    pub tiers: Vec<Tier>,
    /// Metrics measured when the model was trained.
    #[serde(default)]
    pub metrics: Metrics,
    /// Where the model came from.
    pub provenance: Provenance,
}

/// A column that is read but not scored (id, name, segment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Canonical name.
    pub name: String,
    /// Headers it answers to (matched after [`normalize_header`]).
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// How a feature's raw values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A number (money, counts, days, percentages) or, through date aliases, a date
    /// turned into days.
    Numeric,
    /// Yes/no, read as 1/0.
    Boolean,
    /// A label from a fixed set of levels; unseen levels score like "other".
    Categorical,
}

/// Whether a next-best action may change an input, and which way a change is realistic.
///
/// Written per feature as `"actionable": "lower" | "raise" | "any" | "no"`. A file
/// without the field gets the default of [`crate::explain::default_actionable`] (from
/// the input's kind and name: the canonical levers for the canonical columns), so model
/// files written before the field existed keep their levers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actionable {
    /// Not something an account team can change (tenure, a demographic, a price).
    No,
    /// Lowering it is realistic (days since contact, open escalations; for a yes/no
    /// input: from yes to no).
    Lower,
    /// Raising it is realistic (logins, events; for a yes/no input: from no to yes).
    Raise,
    /// Either way (a category: any other level seen in training; yes/no: the flip).
    Any,
}

/// A transform applied after clipping and before the basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// The value as it is.
    #[default]
    None,
    /// `ln(1 + x)`, for heavy right skew (money, counts); needs range minimum > -1.
    Log1p,
}

/// The basis expansion of a (transformed) feature value, written as an object tagged
/// by its `type`: `{"type": "hinge", "knots": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Basis {
    /// One column: the value itself.
    Linear,
    /// The value followed by `max(0, value − knot)` per knot: a piecewise-linear curve
    /// that can learn thresholds. Knots are in transformed units, strictly increasing.
    Hinge {
        /// Strictly increasing knots.
        knots: Vec<f64>,
    },
    /// One indicator column per level (matched case-insensitively, trimmed).
    Categorical {
        /// The known levels.
        levels: Vec<String>,
    },
}

impl Basis {
    /// Number of basis columns.
    pub fn width(&self) -> usize {
        match self {
            Basis::Linear => 1,
            Basis::Hinge { knots } => 1 + knots.len(),
            Basis::Categorical { levels } => levels.len(),
        }
    }
}

/// A missing-value indicator term: whether a value was missing can itself predict churn
/// (an account that never answers the NPS survey is telling you something).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingTerm {
    /// Coefficient of the 0/1 "was missing" indicator.
    pub coefficient: f64,
    /// The indicator's training mean (the missing rate).
    pub center: f64,
}

/// Reason templates; `{value}` is replaced by the account's value.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reasons {
    /// Used when the value is above the feature's typical value and raises risk.
    #[serde(default)]
    pub high: String,
    /// Used when the value is at or below the typical value and raises risk.
    #[serde(default)]
    pub low: String,
}

/// One feature of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// Canonical name (unique within the model).
    pub name: String,
    /// Human label.
    pub label: String,
    /// Data-source family.
    pub group: Group,
    /// How values are read.
    pub kind: Kind,
    /// Headers that hold the value directly.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Headers that hold a date from which the value is derived in days.
    #[serde(default)]
    pub date_aliases: Vec<String>,
    /// How a date becomes days; required when `date_aliases` is not empty.
    #[serde(default)]
    pub date_direction: Option<DateDirection>,
    /// Unit shown after values ("days", "%"), may be empty.
    #[serde(default)]
    pub unit: String,
    /// Value used when the cell is missing (numeric and boolean kinds).
    pub impute: f64,
    /// The typical (median) training value, the reference for reasons and displays.
    pub typical: f64,
    /// Training range `[min, max]`; values outside are clipped and flagged.
    pub range: [f64; 2],
    /// Transform applied after clipping.
    #[serde(default)]
    pub transform: Transform,
    /// Basis expansion.
    pub basis: Basis,
    /// One coefficient per basis column.
    pub coefficients: Vec<f64>,
    /// Training mean of each basis column.
    pub centers: Vec<f64>,
    /// Missing-indicator term, if the model has one for this feature.
    #[serde(default)]
    pub missing: Option<MissingTerm>,
    /// Reason templates.
    #[serde(default)]
    pub reasons: Reasons,
    /// Whether next-best actions may change this input, and which way; absent: the
    /// default from its kind and name ([`Actionable`]). Left out when absent, so a file
    /// without it writes back the same bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actionable: Option<Actionable>,
}

/// A risk tier: accounts with probability at or above `min_probability` (and below the
/// previous tier's) belong to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Tier name shown to users ("High", "Medium", "Low").
    pub name: String,
    /// Lower bound of the tier's probabilities, inclusive.
    pub min_probability: f64,
}

/// One set of evaluation metrics.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSet {
    /// Rows evaluated.
    pub rows: usize,
    /// Area under the ROC curve.
    pub auc: f64,
    /// Area under the precision-recall curve.
    #[serde(default)]
    pub pr_auc: Option<f64>,
    /// Brier score.
    pub brier: f64,
    /// Mean log loss.
    pub log_loss: f64,
    /// Churn rate in the top decile of scores over the overall rate.
    #[serde(default)]
    pub lift_top_decile: Option<f64>,
    /// Churn rate among these rows.
    #[serde(default)]
    pub base_rate: Option<f64>,
}

/// Metrics recorded at training time.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// On a held-out split never used for fitting.
    #[serde(default)]
    pub held_out: Option<MetricSet>,
    /// Cross-validated, if regularisation was chosen that way.
    #[serde(default)]
    pub cross_validated: Option<MetricSet>,
}

/// Where a model came from, so a report can say what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The tool and version that trained it.
    pub tool: String,
    /// Date of training (the training data's as-of date, so rebuilds are identical).
    pub trained_at: String,
    /// Name of the training file.
    pub data_file: String,
    /// SHA-256 of the training file, hex.
    pub data_sha256: String,
    /// Training rows.
    pub rows: usize,
    /// Churn rate in the training rows.
    pub churn_rate: f64,
    /// Random seed used for splits.
    pub seed: u64,
    /// Regularisation strength chosen.
    #[serde(default)]
    pub l2: f64,
}

/// A feature's value for one account, as prepared by [`crate::features`].
///
/// Numeric and boolean features hold a number; categorical ones hold the level index
/// (`levels.len()` and above for an unseen level). NaN means missing.
pub type Value = f64;

/// The score of one account.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Log-odds of churn: `intercept + Σ contributions`.
    pub log_odds: f64,
    /// Probability of churn.
    pub probability: f64,
    /// Contribution of each feature to the log-odds, in model feature order.
    pub contributions: Vec<f64>,
    /// Per feature: the value was outside the training range and was clipped.
    pub clipped: Vec<bool>,
    /// Per feature: where the contribution was found in the memo ([`Memo::tabled_slot`]),
    /// `u32::MAX` where it was computed.
    pub tabled: Vec<u32>,
}

/// Whole numbers 0..MEMO_VALUES have their contributions tabled ([`Model::memo`]).
pub const MEMO_VALUES: usize = 1024;

/// Entries per feature in a [`Memo`]: the whole numbers, then the missing value.
const MEMO_STRIDE: usize = MEMO_VALUES + 1;

/// Contributions of a model's features for small whole numbers and for a missing value
/// ([`Model::memo`]); the default is empty (every value computed).
#[derive(Debug, Clone, Default)]
pub struct Memo {
    /// Feature-major, [`MEMO_STRIDE`] per feature: whole numbers 0..[`MEMO_VALUES`]
    /// (NaN where the value is clipped), then the missing value's contribution (every
    /// NaN scores alike: imputed, never clipped).
    table: Vec<f64>,
    /// `exp` of each entry of `table` (NaN where it is NaN): the odds multiplier a
    /// reason shows ([`push_reason_memo`]), three per row of the scored CSV.
    odds: Vec<f64>,
}

impl Memo {
    /// Where `x`'s entry for feature `f` would be: NaN (missing), +0.0 and positive
    /// whole numbers below [`MEMO_VALUES`]; -0.0 is computed, its sign could show.
    #[inline]
    fn slot(f: usize, x: f64) -> Option<usize> {
        // Through i64, not usize: one conversion instruction each way on x86-64 (the
        // unsigned ones take several), and the same answers: a NaN or negative `x`
        // gives 0 or less, a huge one saturates far above the table.
        let k = x as i64;
        let whole = (k as u64) < MEMO_VALUES as u64 && k as f64 == x && !x.is_sign_negative();
        let k = if x.is_nan() {
            MEMO_VALUES
        } else if whole {
            k as usize
        } else {
            return None;
        };
        Some(f * MEMO_STRIDE + k)
    }

    /// Where the contribution of `x` for feature `f` is tabled, if it is: the same
    /// values [`Model::score_memo`] looks up.
    #[inline]
    pub fn tabled_slot(&self, f: usize, x: f64) -> Option<usize> {
        Memo::slot(f, x).filter(|&k| self.table.get(k).is_some_and(|c| !c.is_nan()))
    }

    /// The contribution tabled at `slot` ([`Memo::tabled_slot`]); NaN for any other.
    #[inline]
    pub fn tabled(&self, slot: usize) -> f64 {
        self.table.get(slot).copied().unwrap_or(f64::NAN)
    }

    /// The feature whose contribution is tabled at `slot`.
    pub fn feature_of(slot: usize) -> usize {
        slot / MEMO_STRIDE
    }

    /// The number of slots.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when nothing is tabled.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// `exp` of the tabled contribution of `x` for feature `f`, if it is tabled (see
    /// [`Memo::tabled_slot`]): the same bits as `libm::exp` of that contribution.
    #[inline]
    fn odds(&self, f: usize, x: f64) -> Option<f64> {
        let odds = *self.odds.get(Memo::slot(f, x)?)?;
        (!odds.is_nan()).then_some(odds)
    }
}

/// A hinge column, `max(d, 0)`: 0 for NaN, and +0.0 for -0.0. Written out: `f64::max`
/// is a call to `fmax` in wasm, and its choice between ±0 is left to the platform.
#[inline]
pub fn hinge(d: f64) -> f64 {
    if d > 0.0 {
        d
    } else {
        0.0
    }
}

/// The logistic function, written to stay accurate and finite for any input.
///
/// `exp` comes from the pure-Rust `libm` crate rather than the platform: glibc's `exp`
/// and the one compiled into wasm32 can differ in the last bit, and the command line
/// and the page must give bit-identical probabilities.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + libm::exp(-z))
    } else {
        let e = libm::exp(z);
        e / (1.0 + e)
    }
}

impl FeatureSpec {
    /// Fills `out` with the basis columns for value `x` (NaN = missing, imputed).
    /// Returns whether the value was clipped to the training range.
    pub fn basis_into(&self, x: Value, out: &mut Vec<f64>) -> bool {
        out.clear();
        if let Basis::Categorical { levels } = &self.basis {
            out.resize(levels.len(), 0.0);
            if x.is_finite() && x >= 0.0 && (x as usize) < levels.len() {
                out[x as usize] = 1.0;
            }
            return false;
        }
        let (t, clipped) = self.transformed(x);
        out.push(t);
        if let Basis::Hinge { knots } = &self.basis {
            out.extend(knots.iter().map(|k| hinge(t - k)));
        }
        clipped
    }

    /// Σ `w * (b - m)` over the first `n` basis columns `b = column(j)`, added left to
    /// right from -0.0 as `Iterator::sum` adds them: the same operations, in the same
    /// order, as summing a filled buffer. A plain loop: as a chain of iterators it was a
    /// call per row in the page's size-optimised engine.
    #[inline]
    fn weighted(&self, n: usize, column: impl Fn(usize) -> f64) -> f64 {
        let mut sum = -0.0;
        let mut j = 0;
        while let (true, Some(w), Some(m)) = (j < n, self.coefficients.get(j), self.centers.get(j))
        {
            sum += w * (column(j) - m);
            j += 1;
        }
        sum
    }

    /// The imputed, clipped and transformed value of a numeric feature (the first basis
    /// column), and whether it was clipped.
    #[inline]
    fn transformed(&self, x: Value) -> (f64, bool) {
        let raw = if x.is_nan() { self.impute } else { x };
        let clipped_value = clip(raw, self.range);
        let clipped = !x.is_nan() && clipped_value != raw;
        let t = match self.transform {
            Transform::None => clipped_value,
            // libm for the same reason as in [`sigmoid`]: identical bits on every platform.
            Transform::Log1p => libm::log1p(clipped_value),
        };
        (t, clipped)
    }

    /// The contribution of this feature to the log-odds for value `x` (NaN = missing),
    /// and whether it was clipped.
    ///
    /// `scratch` is no longer used: the basis columns are computed as they are summed,
    /// term by term in [`FeatureSpec::basis_into`]'s order, so the result has the same
    /// bits without the buffer. The parameter stays so that callers need not change.
    pub fn contribution(&self, x: Value, scratch: &mut Vec<f64>) -> (f64, bool) {
        let _ = scratch;
        self.contribution_of(x)
    }

    /// [`FeatureSpec::contribution`] without a buffer: scoring calls this once per
    /// feature and row, so it is written for speed (see the equivalence test).
    #[inline]
    fn contribution_of(&self, x: Value) -> (f64, bool) {
        let (mut c, clipped) = match &self.basis {
            Basis::Categorical { levels } => {
                let n = levels.len();
                let hit = (x.is_finite() && x >= 0.0 && (x as usize) < n).then_some(x as usize);
                let column = |j| if Some(j) == hit { 1.0 } else { 0.0 };
                (self.weighted(n, column), false)
            }
            Basis::Linear | Basis::Hinge { .. } => {
                let (t, clipped) = self.transformed(x);
                let knots: &[f64] = match &self.basis {
                    Basis::Hinge { knots } => knots,
                    _ => &[],
                };
                let column = |j: usize| match j.checked_sub(1) {
                    None => t,
                    Some(k) => knots.get(k).map_or(0.0, |k| hinge(t - k)),
                };
                (self.weighted(knots.len() + 1, column), clipped)
            }
        };
        if let Some(m) = &self.missing {
            let indicator = if x.is_nan() { 1.0 } else { 0.0 };
            c += m.coefficient * (indicator - m.center);
        }
        (c, clipped)
    }

    /// An upper bound on |contribution| over every possible value (NaN when the
    /// numbers are so large that the bound itself overflows, which validation refuses).
    fn max_abs_contribution(&self) -> f64 {
        let missing = self
            .missing
            .map_or(0.0, |m| m.coefficient.abs() * (1.0 + m.center.abs()));
        let weighted = |k: usize, reach: f64| {
            let w = self.coefficients.get(k).copied().unwrap_or(0.0);
            let m = self.centers.get(k).copied().unwrap_or(0.0);
            let term = w.abs() * (reach + m.abs());
            // 0 · ∞ is NaN: a column whose value can overflow is refused even at weight 0,
            // since scoring would compute exactly that product.
            if reach.is_finite() {
                term
            } else {
                f64::NAN
            }
        };
        let t = |x: f64| match self.transform {
            Transform::None => x,
            Transform::Log1p => libm::log1p(x),
        };
        let reach = t(self.range[0]).abs().max(t(self.range[1]).abs());
        let basis: f64 = match &self.basis {
            Basis::Categorical { levels } => (0..levels.len()).map(|k| weighted(k, 1.0)).sum(),
            Basis::Linear => weighted(0, reach),
            Basis::Hinge { knots } => {
                weighted(0, reach)
                    + knots
                        .iter()
                        .enumerate()
                        .map(|(k, knot)| weighted(k + 1, reach + knot.abs()))
                        .sum::<f64>()
            }
        };
        basis + missing
    }

    /// The index of a categorical level, or `levels.len()` for an unseen one.
    pub fn level_index(&self, cell: &str) -> Option<usize> {
        match &self.basis {
            Basis::Categorical { levels } => {
                let cell = cell.trim();
                Some(
                    levels
                        .iter()
                        .position(|l| l.trim().eq_ignore_ascii_case(cell))
                        .unwrap_or(levels.len()),
                )
            }
            _ => None,
        }
    }
}

/// What serde_json found wrong, without its position (given apart) and made safe to
/// print: serde quotes field names and values from the file, which may hold anything.
fn parse_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let at = format!(" at line {} column {}", e.line(), e.column());
    crate::error::show_text(text.strip_suffix(&at).unwrap_or(&text), 300)
}

impl Model {
    /// Parses and validates a model file's text. `file` names it in messages.
    pub fn from_json(text: &str, file: &str) -> Result<Model> {
        if text.len() > MAX_MODEL_BYTES {
            return Err(Error::model(
                file,
                format!(
                    "the file is {} bytes; a model file is at most {MAX_MODEL_BYTES} bytes",
                    text.len()
                ),
            ));
        }
        // serde_json refuses what is not strict JSON (NaN, comments, trailing commas),
        // numbers beyond an f64, nesting deeper than 128, unknown and repeated fields;
        // the values are checked after, by `validate`.
        let model: Model = serde_json::from_str(text).map_err(|e| {
            Error::model(
                file,
                format!(
                    "not a valid churn-audit model file: {} (line {}, column {})",
                    parse_reason(&e),
                    e.line(),
                    e.column()
                ),
            )
        })?;
        model.validate(file)?;
        Ok(model)
    }

    /// Writes the model as pretty JSON with a trailing newline; the same model always
    /// gives the same bytes.
    pub fn to_json(&self) -> String {
        // Plain structs of strings and numbers with string keys: serde_json cannot fail
        // on them (a float that is not finite becomes `null`, which `validate` refuses
        // on reading). Should that change, an empty object fails loudly on reading.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }

    /// Checks everything scoring relies on, so that scoring itself never has to.
    pub fn validate(&self, file: &str) -> Result<()> {
        let bad = |reason: String| Err(Error::model(file, reason));
        if self.format != FORMAT {
            return bad(format!(
                "the 'format' field is '{}', expected '{FORMAT}'",
                crate::error::show_value(&self.format)
            ));
        }
        if self.format_version != FORMAT_VERSION {
            return bad(format!(
                "format version {} is not supported by this build (it reads version {FORMAT_VERSION})",
                self.format_version
            ));
        }
        if !self.intercept.is_finite() {
            return bad("the intercept is not a finite number".into());
        }
        if self.features.is_empty() {
            return bad("the model has no features".into());
        }
        if self.features.len() > MAX_FEATURES {
            return bad(format!(
                "the model has {} features; at most {MAX_FEATURES} are allowed",
                self.features.len()
            ));
        }
        let texts = std::iter::once(&self.name)
            .chain(std::iter::once(&self.description))
            .chain(std::iter::once(&self.label));
        if texts.clone().any(|t| t.len() > MAX_TEXT) {
            return bad("a text field is longer than 10000 bytes".into());
        }
        for col in std::iter::once(&self.id_column)
            .chain(self.name_column.iter())
            .chain(self.segment_column.iter())
        {
            if col.aliases.len() > MAX_ALIASES {
                return bad(format!("column '{}' has too many aliases", col.name));
            }
        }
        let total_basis = self
            .features
            .iter()
            .map(|f| f.basis.width())
            .fold(0usize, usize::saturating_add);
        if total_basis > MAX_TOTAL_BASIS {
            return bad(format!(
                "the model has {total_basis} basis columns in all; at most {MAX_TOTAL_BASIS} are allowed"
            ));
        }
        let total_aliases = std::iter::once(&self.id_column)
            .chain(self.name_column.iter())
            .chain(self.segment_column.iter())
            .map(|c| c.aliases.len())
            .chain(
                self.features
                    .iter()
                    .map(|f| f.aliases.len().saturating_add(f.date_aliases.len())),
            )
            .fold(0usize, usize::saturating_add);
        if total_aliases > MAX_TOTAL_ALIASES {
            return bad(format!(
                "the model has {total_aliases} header aliases in all; at most {MAX_TOTAL_ALIASES} are allowed"
            ));
        }
        let mut names = std::collections::HashSet::new();
        for f in &self.features {
            let name = crate::error::show_value(&f.name);
            if f.name.is_empty() || normalize_header(&f.name).is_empty() {
                return bad("a feature has an empty name".into());
            }
            if !names.insert(f.name.as_str()) {
                return bad(format!("feature '{name}' appears twice"));
            }
            if f.aliases.len() + f.date_aliases.len() > MAX_ALIASES
                || f.label.len() > MAX_TEXT
                || f.reasons.high.len() > MAX_TEXT
                || f.reasons.low.len() > MAX_TEXT
            {
                return bad(format!("feature '{name}' has oversized text or aliases"));
            }
            if !f.date_aliases.is_empty() && f.date_direction.is_none() {
                return bad(format!(
                    "feature '{name}' has date aliases but no date_direction"
                ));
            }
            let width = f.basis.width();
            if width == 0 || width > MAX_BASIS {
                return bad(format!(
                    "feature '{name}' has {width} basis columns; 1 to {MAX_BASIS} are allowed"
                ));
            }
            if f.coefficients.len() != width || f.centers.len() != width {
                return bad(format!(
                    "feature '{name}' has {} coefficients and {} centers for {width} basis columns",
                    f.coefficients.len(),
                    f.centers.len()
                ));
            }
            let numbers = f
                .coefficients
                .iter()
                .chain(&f.centers)
                .chain(&f.range)
                .chain([&f.impute, &f.typical])
                .chain(f.missing.iter().flat_map(|m| [&m.coefficient, &m.center]));
            if numbers.clone().any(|v| !v.is_finite()) {
                return bad(format!(
                    "feature '{name}' holds a number that is not finite"
                ));
            }
            if f.range[0] > f.range[1] {
                return bad(format!(
                    "feature '{name}' has range [{}, {}] with minimum above maximum",
                    f.range[0], f.range[1]
                ));
            }
            if f.transform == Transform::Log1p && f.range[0] <= -1.0 {
                return bad(format!(
                    "feature '{name}' uses log1p but its range starts at {} (must be above -1)",
                    f.range[0]
                ));
            }
            match (&f.basis, f.kind) {
                (Basis::Categorical { .. }, Kind::Categorical) => {}
                (Basis::Categorical { .. }, _) | (_, Kind::Categorical) => {
                    return bad(format!(
                        "feature '{name}': a categorical basis goes with kind 'categorical' and only with it"
                    ))
                }
                (Basis::Hinge { knots }, _) => {
                    if knots.iter().any(|k| !k.is_finite()) {
                        return bad(format!("feature '{name}' has a knot that is not finite"));
                    }
                    if knots.windows(2).any(|w| w[0] >= w[1]) {
                        return bad(format!(
                            "feature '{name}' has knots that are not strictly increasing"
                        ));
                    }
                }
                (Basis::Linear, _) => {}
            }
            if let Basis::Categorical { levels } = &f.basis {
                if levels.iter().any(|l| l.len() > MAX_TEXT) {
                    return bad(format!("feature '{name}' has an oversized level"));
                }
                // Levels have no order: "lower" or "raise" would mean nothing.
                if matches!(f.actionable, Some(Actionable::Lower | Actionable::Raise)) {
                    return bad(format!(
                        "feature '{name}' is categorical: it can be actionable 'any' or 'no', not lowered or raised"
                    ));
                }
            }
        }
        // Every number is finite now; bound what a score can add up to, so that no
        // account can get an infinite or NaN log-odds from finite but huge numbers.
        let bound = self
            .features
            .iter()
            .map(FeatureSpec::max_abs_contribution)
            .fold(self.intercept.abs(), |a, b| a + b);
        if bound.is_nan() || bound > MAX_LOG_ODDS {
            return bad(format!(
                "its numbers are so large that an account's log-odds could reach {bound:e}; at most {MAX_LOG_ODDS:e} is allowed"
            ));
        }
        let p = self.features.len();
        let covariance = &self.contribution_covariance;
        if !covariance.is_empty() {
            let square = covariance.len() == p && covariance.iter().all(|row| row.len() == p);
            if !square {
                return bad(format!(
                    "contribution_covariance must have one row of {p} numbers per feature ({p} rows)"
                ));
            }
            let diagonal_ok = (0..p).all(|i| covariance[i][i] >= 0.0);
            if !covariance.iter().flatten().all(|x| x.is_finite()) || !diagonal_ok {
                return bad(
                    "contribution_covariance must hold finite numbers, with no negative variance on its diagonal"
                        .into(),
                );
            }
        }
        if let Some(v) = &self.value_feature {
            match self.features.iter().find(|f| &f.name == v) {
                Some(f) if f.kind == Kind::Numeric => {}
                Some(_) => {
                    return bad(format!(
                        "value_feature '{}' is not numeric",
                        crate::error::show_value(v)
                    ))
                }
                None => {
                    return bad(format!(
                        "value_feature '{}' is not one of the features",
                        crate::error::show_value(v)
                    ))
                }
            }
        }
        if self.tiers.is_empty() || self.tiers.len() > 10 {
            return bad("the model needs between 1 and 10 risk tiers".into());
        }
        if self
            .tiers
            .iter()
            .any(|t| !(0.0..=1.0).contains(&t.min_probability) || t.name.is_empty())
        {
            return bad("each tier needs a name and a min_probability between 0 and 1".into());
        }
        if self
            .tiers
            .windows(2)
            .any(|w| w[0].min_probability <= w[1].min_probability)
        {
            return bad(
                "tiers must be listed highest first with decreasing min_probability".into(),
            );
        }
        if self.tiers.last().map(|t| t.min_probability) != Some(0.0) {
            return bad("the last tier must start at min_probability 0".into());
        }
        Ok(())
    }

    /// Scores one account from its prepared values (one per feature, NaN = missing).
    ///
    /// `values` must have one entry per feature; a shorter slice scores the rest as
    /// missing rather than panicking.
    pub fn score(&self, values: &[Value]) -> Score {
        let mut score = Score {
            log_odds: 0.0,
            probability: 0.0,
            contributions: Vec::with_capacity(self.features.len()),
            clipped: Vec::with_capacity(self.features.len()),
            tabled: Vec::with_capacity(self.features.len()),
        };
        self.score_into(values, &mut score, &mut Vec::new());
        score
    }

    /// [`Model::score`] into an existing [`Score`], reusing its vectors (scoring a
    /// million rows should not allocate a million times). `scratch` is no longer used
    /// (see [`FeatureSpec::contribution`]); the parameter stays for callers.
    pub fn score_into(&self, values: &[Value], score: &mut Score, scratch: &mut Vec<f64>) {
        let _ = scratch;
        self.score_memo(values, score, &Memo::default());
    }

    /// A table of every feature's contribution for the whole numbers below
    /// [`MEMO_VALUES`] that need no clipping and for a missing value, for
    /// [`Model::score_memo`].
    pub fn memo(&self) -> Memo {
        let mut table = vec![f64::NAN; self.features.len() * MEMO_STRIDE];
        for (f, cells) in self
            .features
            .iter()
            .zip(table.chunks_exact_mut(MEMO_STRIDE))
        {
            for (x, cell) in cells.iter_mut().enumerate() {
                let x = if x == MEMO_VALUES { f64::NAN } else { x as f64 };
                let (c, clipped) = f.contribution_of(x);
                if !clipped {
                    *cell = c;
                }
            }
        }
        // exp(NaN) is NaN: untabled entries stay untabled.
        let odds = table.iter().map(|&c| libm::exp(c)).collect();
        Memo { table, odds }
    }

    /// [`Model::score_into`] looking whole-number and missing values up in `memo` (made
    /// by [`Model::memo`] for this model): most CRM columns are small counts and day
    /// numbers, many cells are empty, and a look-up gives exactly the bits computing
    /// would (the table holds what the computation returned), at a fraction of the cost
    /// of `log1p` and the hinge terms.
    pub fn score_memo(&self, values: &[Value], score: &mut Score, memo: &Memo) {
        self.contributions_memo(values, score, memo);
        score.probability = sigmoid(score.log_odds);
    }

    /// [`Model::score_memo`] but the probability (left as it was): the contributions,
    /// clipping and log-odds, for a caller that has the probability already (the scored
    /// CSV's writer, from the scored columns) and spares its `exp`.
    pub fn contributions_memo(&self, values: &[Value], score: &mut Score, memo: &Memo) {
        // Sized once (a no-op from the second row on), then written in place: no
        // capacity check per feature.
        let n = self.features.len();
        score.contributions.resize(n, 0.0);
        score.clipped.resize(n, false);
        score.tabled.resize(n, u32::MAX);
        let slots = score
            .contributions
            .iter_mut()
            .zip(score.clipped.iter_mut().zip(score.tabled.iter_mut()));
        for (i, (f, (contribution, (clipped, tabled)))) in
            self.features.iter().zip(slots).enumerate()
        {
            let x = values.get(i).copied().unwrap_or(f64::NAN);
            match memo.tabled_slot(i, x) {
                Some(k) => {
                    (*contribution, *clipped) = (memo.tabled(k), false);
                    *tabled = u32::try_from(k).unwrap_or(u32::MAX);
                }
                None => {
                    (*contribution, *clipped) = f.contribution_of(x);
                    *tabled = u32::MAX;
                }
            }
        }
        score.log_odds = self.intercept + score.contributions.iter().sum::<f64>();
    }

    /// The tier an account with probability `p` falls in.
    pub fn tier(&self, p: f64) -> &str {
        self.tiers
            .get(self.tier_index(p))
            .map(|t| t.name.as_str())
            .unwrap_or("")
    }

    /// The index in [`Model::tiers`] of the tier probability `p` falls in (the last tier
    /// when none matches, which validation rules out).
    pub fn tier_index(&self, p: f64) -> usize {
        self.tiers
            .iter()
            .position(|t| p >= t.min_probability)
            .unwrap_or(self.tiers.len().saturating_sub(1))
    }

    /// The index of the feature named `name`.
    pub fn feature_index(&self, name: &str) -> Option<usize> {
        self.features.iter().position(|f| f.name == name)
    }

    /// This model for a file that has no column for the features named in `absent`:
    /// each of them contributes exactly 0 to every account, whatever its value, which is
    /// the average contribution over the training accounts (contributions are centred),
    /// not the "not recorded" effect of an empty cell in a column that is there. Every
    /// other number (inputs, intercept, tiers) is the model's own.
    pub fn without_inputs(&self, absent: &[String]) -> Model {
        let mut model = self.clone();
        for spec in &mut model.features {
            if absent.contains(&spec.name) {
                spec.coefficients.iter_mut().for_each(|w| *w = 0.0);
                spec.missing = None;
            }
        }
        model
    }

    /// Per feature, in model order: whether it is not among the names in `absent` (the
    /// inputs a file has no column for).
    pub fn presence(&self, absent: &[String]) -> Vec<bool> {
        self.features
            .iter()
            .map(|f| !absent.contains(&f.name))
            .collect()
    }
}

/// `x` brought into `range`, as `x.clamp(range[0], range[1])` (NaN stays NaN), without
/// clamp's check of the range: validation has made every range ordered, and the check's
/// message would bring float formatting into the page's engine.
#[inline]
pub fn clip(x: f64, range: [f64; 2]) -> f64 {
    if x < range[0] {
        range[0]
    } else if x > range[1] {
        range[1]
    } else {
        x
    }
}

mod reasons;
pub use reasons::{
    format_value, push_reason, push_reason_memo, push_value, top_features, top_reasons,
};

#[cfg(test)]
pub(crate) mod tests;
