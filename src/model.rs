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
//!
//! An account's log-odds is `intercept + Σ contribution(feature)`, where a feature's
//! contribution is `Σ_k coefficient_k · (basis_k(x) − center_k)` plus its
//! missing-indicator term. Each contribution is therefore one exact number and they add
//! up to the score: the explanation is the model, not an approximation of it.

use crate::decimal::{Exp, Shown};
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
                    Shown(f.range[0]),
                    Shown(f.range[1])
                ));
            }
            if f.transform == Transform::Log1p && f.range[0] <= -1.0 {
                return bad(format!(
                    "feature '{name}' uses log1p but its range starts at {} (must be above -1)",
                    Shown(f.range[0])
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
                "its numbers are so large that an account's log-odds could reach {}; at most {} is allowed",
                Exp(bound),
                Exp(MAX_LOG_ODDS)
            ));
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

/// Formats a value for a reason or a warning: whole numbers without decimals, others
/// with at most two, grouped thousands never (reasons must read the same in any locale).
pub fn format_value(x: f64) -> String {
    let mut out = String::new();
    push_value(&mut out, x);
    out
}

/// Appends [`format_value`]'s text for `x` to `out`: the scored CSV writes a million
/// rows of reasons and warnings, and a `String` per number would be most of its work.
pub fn push_value(out: &mut String, x: f64) {
    if !x.is_finite() {
        out.push('?');
        return;
    }
    // Beyond 10^15 every f64 is whole and `as i64` would saturate: show it in
    // scientific notation (1.5e300) instead of pages of digits or a wrong number.
    if x.abs() >= 1e15 {
        crate::decimal::push_exp(out, x);
        return;
    }
    let whole = round_small(x);
    if (x - whole).abs() < 1e-9 {
        let n = whole as i64;
        if n < 0 {
            out.push('-');
        }
        push_uint(out, n.unsigned_abs());
    } else {
        // Two decimals, then no trailing zeros or point: "2.50" is "2.5", "3.00" is "3".
        // `{:.2}` always writes a point, so the trimming never reaches the integer part.
        let start = out.len();
        push_fixed(out, x, 2);
        let kept = out
            .get(start..)
            .unwrap_or("")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .len();
        out.truncate(start + kept);
    }
}

/// `x.round()` (halves away from zero) for `|x| < 2^52`, where `x as i64` truncates
/// exactly and `x - truncated` is exact; a zero may lose its sign. Not a call into libm,
/// as `f64::round` is in both builds.
fn round_small(x: f64) -> f64 {
    let truncated = x as i64 as f64;
    if (x - truncated).abs() >= 0.5 {
        truncated + x.signum()
    } else {
        truncated
    }
}

/// Appends `n` in decimal, as `{}` writes it.
pub fn push_uint(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Pushed as chars: they are ASCII digits, and a UTF-8 check of the buffer (a call
    // per number, several numbers per row of the scored CSV) would only confirm it.
    let digits = digits.get(at..).unwrap_or(b"0");
    out.reserve(digits.len());
    digits.iter().for_each(|&d| out.push(char::from(d)));
}

/// Appends `x` with `decimals` (1 or 2) digits after the point, exactly as `{:.1}` or
/// `{:.2}` writes it, without going through `core::fmt` for the usual numbers.
fn push_fixed(out: &mut String, x: f64, decimals: u32) {
    let scale = 10u64.pow(decimals);
    let y = x.abs() * scale as f64;
    // `y` is within half an ulp (below 1e-8 under 1e8) of the exact |x| * scale, so
    // unless it is within 1e-6 of a half, both round to the same whole number; fmt
    // rounds the exact value, so it writes these digits too.
    // `y` is not negative: its conversion is its floor (no call to libm's `floor` and
    // `round`, which the command line's x86-64 build makes for every reason's number).
    let floor = y as u64;
    let beyond = y - floor as f64;
    if y < 1e8 && (beyond - 0.5).abs() > 1e-6 {
        let n = floor + u64::from(beyond > 0.5);
        if x.is_sign_negative() {
            out.push('-');
        }
        push_uint(out, n / scale);
        out.push('.');
        let fraction = n % scale;
        let mut place = scale / 10;
        while place > 1 && fraction < place {
            out.push('0');
            place /= 10;
        }
        push_uint(out, fraction);
    } else {
        crate::decimal::push_fixed(out, x, decimals as usize);
    }
}

/// The plain-language reasons that push this account's risk up most, strongest first,
/// at most `n`, each with its weight as an odds multiplier, e.g.
/// "No two-way engagement for 142 days (odds ×3.1)".
pub fn top_reasons(model: &Model, values: &[Value], score: &Score, n: usize) -> Vec<String> {
    let mut order = Vec::with_capacity(n + 1);
    top_features(&score.contributions, n, &mut order);
    order
        .into_iter()
        .map(|i| {
            let mut text = String::new();
            push_reason(&mut text, model, values, score, i);
            text
        })
        .collect()
}

/// Fills `order` with the indices of the (at most `n`) features that raise the risk
/// most, strongest first, ties in feature order: [`top_reasons`]'s choice, without
/// sorting every feature (the scored CSV asks a million times).
pub fn top_features(contributions: &[f64], n: usize, order: &mut Vec<usize>) {
    order.clear();
    if n == 3 {
        return top_three(contributions, order);
    }
    if n > TOP_KEPT {
        return top_features_in(contributions, n, order);
    }
    // The same steps as [`top_features_in`] on a small array of (value, index): no
    // insertion into the vector and no look-up of a kept value per comparison.
    let mut kept = [(0.0, 0); TOP_KEPT];
    let mut len = 0;
    let mut floor = 1e-9;
    for (i, &c) in contributions.iter().enumerate() {
        if c <= floor || n == 0 {
            continue;
        }
        let at = kept
            .iter()
            .take(len)
            .position(|&(v, _)| c > v)
            .unwrap_or(len);
        // Insert at `at`, the weakest falling off once `n` are kept.
        if at < n {
            let end = len.min(n - 1);
            kept.copy_within(at..end, at + 1);
            kept[at] = (c, i);
            len = (len + 1).min(n);
        }
        if len == n {
            floor = kept[n - 1].0;
        }
    }
    order.extend(kept.iter().take(len).map(|&(_, i)| i));
}

/// [`top_features`] for three reasons, as the scored CSV gives each account: the three
/// kept in locals, each contribution merged in by selects, not branches (whether a
/// contribution makes the three is a coin toss per feature, and the branches of the
/// general way mispredicted about that often: a sixth of writing the scored CSV).
fn top_three(contributions: &[f64], order: &mut Vec<usize>) {
    const NONE: usize = usize::MAX;
    // Strongest first; the places not yet taken hold the threshold, which only a
    // contribution above 1e-9 passes (NaN passes nothing).
    let (mut v0, mut v1, mut v2) = (1e-9, 1e-9, 1e-9);
    let (mut i0, mut i1, mut i2) = (NONE, NONE, NONE);
    for (i, &c) in contributions.iter().enumerate() {
        // Strictly above: a later equal contribution goes after (ties in feature order).
        let (above0, above1, above2) = (c > v0, c > v1, c > v2);
        (v2, i2) = if above1 {
            (v1, i1)
        } else if above2 {
            (c, i)
        } else {
            (v2, i2)
        };
        (v1, i1) = if above0 {
            (v0, i0)
        } else if above1 {
            (c, i)
        } else {
            (v1, i1)
        };
        (v0, i0) = if above0 { (c, i) } else { (v0, i0) };
    }
    order.extend([i0, i1, i2].into_iter().filter(|&i| i != NONE));
}

/// Reasons [`top_features`] keeps on the stack; more are chosen in the vector.
const TOP_KEPT: usize = 8;

/// [`top_features`] for any `n`, in `order` itself.
fn top_features_in(contributions: &[f64], n: usize, order: &mut Vec<usize>) {
    order.clear();
    // Only contributions above 1e-9 count, so none is NaN and `>` orders them all; once
    // `n` are kept, only one above the weakest of them does.
    let mut floor = 1e-9;
    for (i, &c) in contributions.iter().enumerate() {
        if c <= floor || n == 0 {
            continue;
        }
        // Later features go after equal ones already kept: ties stay in feature order.
        let at = order
            .iter()
            .position(|&j| c > contributions[j])
            .unwrap_or(order.len());
        order.insert(at, i);
        order.truncate(n);
        if order.len() == n {
            floor = order.last().map_or(floor, |&j| contributions[j]);
        }
    }
}

/// Appends the reason for feature `i` of an account to `out`, with its weight, e.g.
/// "No two-way engagement for 142 days (odds ×3.1)" (see [`top_reasons`]).
pub fn push_reason(out: &mut String, model: &Model, values: &[Value], score: &Score, i: usize) {
    push_reason_memo(out, model, values, score, i, &Memo::default());
}

/// [`push_reason`] for a `score` computed with `memo` ([`Model::score_memo`]): a tabled
/// contribution's odds are looked up rather than computed, with the same bits.
pub fn push_reason_memo(
    out: &mut String,
    model: &Model,
    values: &[Value],
    score: &Score,
    i: usize,
    memo: &Memo,
) {
    let (Some(f), Some(&c)) = (model.features.get(i), score.contributions.get(i)) else {
        return;
    };
    let x = values.get(i).copied().unwrap_or(f64::NAN);
    push_reason_text(out, f, x);
    out.push_str(" (odds ×");
    let odds = memo.odds(i, x).unwrap_or_else(|| libm::exp(c));
    push_fixed(out, odds, 1);
    out.push(')');
}

fn push_reason_text(out: &mut String, f: &FeatureSpec, x: Value) {
    if x.is_nan() {
        out.push_str(&f.label);
        out.push_str(": not recorded");
        return;
    }
    if let Basis::Categorical { levels } = &f.basis {
        let level = levels
            .get(x as usize)
            .map(String::as_str)
            .unwrap_or("other");
        out.push_str(&f.label);
        out.push_str(": ");
        out.push_str(level);
        return;
    }
    if f.kind == Kind::Boolean {
        // Boolean reasons are fixed sentences: no {value} is filled in.
        let yes = x >= 0.5;
        let template = if yes { &f.reasons.high } else { &f.reasons.low };
        if template.is_empty() {
            out.push_str(&f.label);
            out.push_str(if yes { ": yes" } else { ": no" });
        } else {
            out.push_str(template);
        }
        return;
    }
    let high = x > f.typical;
    let template = if high {
        &f.reasons.high
    } else {
        &f.reasons.low
    };
    if template.is_empty() {
        // The default template is "<label> is high: {value}"; a label that itself holds
        // "{value}" gets it filled in too, as the whole template's replace always did.
        push_filled(out, &f.label, x);
        out.push_str(if high { " is high: " } else { " is low: " });
        push_value(out, x);
    } else {
        push_filled(out, template, x);
    }
}

/// Appends `template` with every "{value}" replaced by `x` ([`format_value`]).
fn push_filled(out: &mut String, template: &str, x: Value) {
    // As `template.replace("{value}", ..)`, looking for the `{` with a plain byte loop:
    // templates are a few dozen bytes, too short for `str::find`'s searcher to pay off
    // (it was most of this function's time, three times per row of the scored CSV).
    let mut rest = template;
    let mut from = 0;
    while let Some(at) = rest
        .as_bytes()
        .get(from..)
        .and_then(|r| r.iter().position(|&b| b == b'{'))
        .map(|p| from + p)
    {
        match rest.get(at..).and_then(|r| r.strip_prefix("{value}")) {
            Some(after) => {
                out.push_str(rest.get(..at).unwrap_or(""));
                push_value(out, x);
                rest = after;
                from = 0;
            }
            None => from = at + 1,
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small hand-made model: intercept -1, one hinge feature, one boolean with a
    /// missing term, one categorical.
    pub(crate) fn tiny_model() -> Model {
        Model {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            name: "tiny".into(),
            description: String::new(),
            label: "churned".into(),
            id_column: ColumnSpec {
                name: "account_id".into(),
                aliases: vec!["id".into()],
            },
            name_column: None,
            segment_column: None,
            value_feature: Some("days".into()),
            intercept: -1.0,
            features: vec![
                FeatureSpec {
                    name: "days".into(),
                    label: "Days".into(),
                    group: Group::Engagement,
                    kind: Kind::Numeric,
                    aliases: vec![],
                    date_aliases: vec![],
                    date_direction: None,
                    unit: "days".into(),
                    impute: 30.0,
                    typical: 30.0,
                    range: [0.0, 365.0],
                    transform: Transform::None,
                    basis: Basis::Hinge { knots: vec![90.0] },
                    coefficients: vec![0.01, 0.02],
                    centers: vec![40.0, 5.0],
                    missing: None,
                    reasons: Reasons {
                        high: "No contact for {value} days".into(),
                        low: String::new(),
                    },
                },
                FeatureSpec {
                    name: "reference".into(),
                    label: "Reference".into(),
                    group: Group::Advocacy,
                    kind: Kind::Boolean,
                    aliases: vec![],
                    date_aliases: vec![],
                    date_direction: None,
                    unit: String::new(),
                    impute: 0.0,
                    typical: 0.0,
                    range: [0.0, 1.0],
                    transform: Transform::None,
                    basis: Basis::Linear,
                    coefficients: vec![-1.5],
                    centers: vec![0.2],
                    missing: Some(MissingTerm {
                        coefficient: 0.5,
                        center: 0.1,
                    }),
                    reasons: Reasons::default(),
                },
                FeatureSpec {
                    name: "segment".into(),
                    label: "Segment".into(),
                    group: Group::Other,
                    kind: Kind::Categorical,
                    aliases: vec![],
                    date_aliases: vec![],
                    date_direction: None,
                    unit: String::new(),
                    impute: 0.0,
                    typical: 0.0,
                    range: [0.0, 0.0],
                    transform: Transform::None,
                    basis: Basis::Categorical {
                        levels: vec!["SMB".into(), "Enterprise".into()],
                    },
                    coefficients: vec![0.3, -0.3],
                    centers: vec![0.5, 0.4],
                    missing: None,
                    reasons: Reasons::default(),
                },
            ],
            tiers: vec![
                Tier {
                    name: "High".into(),
                    min_probability: 0.5,
                },
                Tier {
                    name: "Low".into(),
                    min_probability: 0.0,
                },
            ],
            metrics: Metrics::default(),
            provenance: Provenance {
                tool: "test".into(),
                trained_at: "2026-01-01".into(),
                data_file: "none".into(),
                data_sha256: String::new(),
                rows: 0,
                churn_rate: 0.2,
                seed: 0,
                l2: 0.0,
            },
        }
    }

    #[test]
    fn contributions_match_a_hand_computation_and_add_up() {
        let m = tiny_model();
        // days = 120: basis [120, 30] -> 0.01*(120-40) + 0.02*(30-5) = 0.8 + 0.5 = 1.3
        // reference = missing: basis [impute 0] -> -1.5*(0-0.2) = 0.3; missing 0.5*(1-0.1) = 0.45
        // segment = Enterprise (1): 0.3*(0-0.5) + -0.3*(1-0.4) = -0.15 - 0.18 = -0.33
        let s = m.score(&[120.0, f64::NAN, 1.0]);
        let expected = [1.3, 0.75, -0.33];
        for (c, e) in s.contributions.iter().zip(expected) {
            assert!((c - e).abs() < 1e-12, "{c} vs {e}");
        }
        let z: f64 = -1.0 + 1.3 + 0.75 - 0.33;
        assert!((s.log_odds - z).abs() < 1e-12);
        // 1 / (1 + e^-0.72) = 0.6726070170677604 (Python math.exp)
        assert!((s.probability - 0.672_607_017_067_760_4).abs() < 1e-12);
        assert_eq!(m.tier(s.probability), "High");
    }

    #[test]
    fn contributions_have_the_bits_of_the_basis_buffer_sum() {
        // The reference is the buffer path: fill the basis columns, then sum them.
        let by_buffer = |f: &FeatureSpec, x: f64| {
            let mut basis = Vec::new();
            let clipped = f.basis_into(x, &mut basis);
            let mut c: f64 = basis
                .iter()
                .zip(&f.coefficients)
                .zip(&f.centers)
                .map(|((b, w), m)| w * (b - m))
                .sum();
            if let Some(m) = &f.missing {
                c += m.coefficient * (if x.is_nan() { 1.0 } else { 0.0 } - m.center);
            }
            (c.to_bits(), clipped)
        };
        let mut xs = vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, 1e300];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for i in 0..4000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            xs.push(match i % 4 {
                0 => (i / 4) as f64 - 50.0,
                1 => unit * 800.0 - 100.0,
                2 => unit * 3e6,
                _ => (unit - 0.5) * 200.0,
            });
        }
        let default = crate::default_model().unwrap();
        for f in tiny_model().features.iter().chain(&default.features) {
            for &x in &xs {
                let (c, clipped) = f.contribution(x, &mut Vec::new());
                assert_eq!((c.to_bits(), clipped), by_buffer(f, x), "{} at {x}", f.name);
            }
        }
    }

    #[test]
    fn values_outside_the_training_range_are_clipped_and_flagged() {
        let m = tiny_model();
        let a = m.score(&[1000.0, 0.0, 0.0]);
        let b = m.score(&[365.0, 0.0, 0.0]);
        assert!(a.clipped[0] && !b.clipped[0]);
        assert_eq!(a.log_odds, b.log_odds);
    }

    #[test]
    fn unseen_levels_and_short_rows_score_without_panicking() {
        let m = tiny_model();
        let s = m.score(&[10.0]);
        assert!(s.probability.is_finite());
        assert_eq!(m.features[2].level_index(" enterprise "), Some(1));
        assert_eq!(m.features[2].level_index("Mid-market"), Some(2));
        let unseen = m.score(&[10.0, 0.0, 2.0]);
        assert!((unseen.contributions[2] - (0.3 * -0.5 - 0.3 * -0.4)).abs() < 1e-12);
    }

    #[test]
    fn reasons_are_plain_language_with_weights() {
        let m = tiny_model();
        let values = [120.0, f64::NAN, 0.0];
        let s = m.score(&values);
        let r = top_reasons(&m, &values, &s, 3);
        assert_eq!(r[0], "No contact for 120 days (odds ×3.7)");
        assert_eq!(r[1], "Reference: not recorded (odds ×2.1)");
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn json_round_trip_and_validation() {
        let m = tiny_model();
        let text = m.to_json();
        assert_eq!(Model::from_json(&text, "m.json").unwrap(), m);

        let mut bad = m.clone();
        bad.features[0].coefficients.push(1.0);
        assert!(bad
            .validate("m.json")
            .unwrap_err()
            .to_string()
            .contains("coefficients"));
        let mut bad = m.clone();
        bad.features[0].basis = Basis::Hinge {
            knots: vec![5.0, 5.0],
        };
        bad.features[0].coefficients.push(0.0);
        bad.features[0].centers.push(0.0);
        assert!(bad
            .validate("m")
            .unwrap_err()
            .to_string()
            .contains("increasing"));
        let mut bad = m.clone();
        bad.tiers[1].min_probability = 0.1;
        assert!(bad.validate("m").is_err());
        let mut bad = m;
        bad.format_version = 2;
        assert!(bad
            .validate("m")
            .unwrap_err()
            .to_string()
            .contains("version 2"));

        let nan = text.replacen("-1.0", "NaN", 1);
        assert!(Model::from_json(&nan, "m.json").is_err());
        assert!(Model::from_json("{", "m.json")
            .unwrap_err()
            .to_string()
            .starts_with("model m.json: not a valid"));
    }

    #[test]
    fn validation_bounds_the_work_and_the_size_of_a_score() {
        let m = tiny_model();
        // |intercept| + max |contribution| of each feature, by hand: days reaches 365
        // (and 365 - 90 past its knot): 0.01·(365+40) + 0.02·(365+90+5) = 4.05 + 9.2;
        // reference 1.5·(1+0.2) + 0.5·(1+0.1) = 2.35; segment 0.3·1.5 + 0.3·1.4 = 0.87.
        let bound: f64 = 1.0
            + m.features
                .iter()
                .map(FeatureSpec::max_abs_contribution)
                .sum::<f64>();
        assert!(
            (bound - (1.0 + 13.25 + 2.35 + 0.87)).abs() < 1e-12,
            "{bound}"
        );
        let mut bad = m.clone();
        bad.features[0].coefficients[1] = 1e300;
        let e = bad.validate("m").unwrap_err().to_string();
        assert!(e.contains("log-odds could reach"), "{e}");
        let mut bad = m.clone();
        bad.features[0].range = [-f64::MAX, f64::MAX];
        bad.features[0].coefficients = vec![0.0, 0.0];
        bad.features[0].centers = vec![f64::MAX, 0.0];
        // basis − center reaches −2·MAX = −∞, and 0 · ∞ would be NaN.
        assert!(bad.validate("m").is_err());
        let huge = " ".repeat(MAX_MODEL_BYTES + 1);
        let e = Model::from_json(&huge, "m").unwrap_err().to_string();
        assert!(e.contains("at most"), "{e}");
    }

    /// A small deterministic generator (xorshift64*) for the tests below.
    pub(crate) struct Rng(pub(crate) u64);

    impl Rng {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        /// Uniform in [0, 1).
        pub(crate) fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }

        /// Some value a test of number formatting should see: tiny, huge, whole, near
        /// halves and whole numbers, negative, non-finite, or any bit pattern at all.
        pub(crate) fn value(&mut self) -> f64 {
            let scale = 10f64.powi((self.next() % 40) as i32 - 20);
            let x = match self.next() % 10 {
                0 => f64::from_bits(self.next()),
                1 => (self.next() % 100_000) as f64,
                2 => (self.next() % 100_000) as f64 / 100.0 + 0.005,
                3 => (self.next() % 1000) as f64 * scale,
                4 => 1e15 * (1.0 + self.unit()),
                5 => (self.unit() - 0.5) * 2e-9 + (self.next() % 1000) as f64,
                6 => [
                    f64::NAN,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    0.0,
                    -0.0,
                    f64::MAX,
                ][(self.next() % 6) as usize],
                // Few fraction bits: where a shortest form can be a tie.
                7 => (self.next() >> 11) as f64 / (1u64 << (self.next() % 30)) as f64,
                8 => (self.next() >> 11) as f64 * 2f64.powi((self.next() % 80) as i32),
                _ => self.unit() * scale,
            };
            if self.next() % 4 == 0 {
                -x
            } else {
                x
            }
        }
    }

    /// [`format_value`] as it was written before [`push_value`]: the reference.
    fn format_value_reference(x: f64) -> String {
        if !x.is_finite() {
            return "?".into();
        }
        if x.abs() >= 1e15 {
            return format!("{x:e}");
        }
        if (x - x.round()).abs() < 1e-9 {
            format!("{}", x.round() as i64)
        } else {
            let s = format!("{x:.2}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    }

    /// [`top_reasons`] as it was written before [`push_reason`]: the reference.
    fn top_reasons_reference(
        model: &Model,
        values: &[Value],
        score: &Score,
        n: usize,
    ) -> Vec<String> {
        fn non_empty(s: &str, default: impl FnOnce() -> String) -> String {
            if s.is_empty() {
                default()
            } else {
                s.to_string()
            }
        }
        fn reason_text(f: &FeatureSpec, x: Value) -> String {
            if x.is_nan() {
                return format!("{}: not recorded", f.label);
            }
            if let Basis::Categorical { levels } = &f.basis {
                let level = levels
                    .get(x as usize)
                    .map(String::as_str)
                    .unwrap_or("other");
                return format!("{}: {}", f.label, level);
            }
            let shown = match f.kind {
                Kind::Boolean => {
                    return if x >= 0.5 {
                        non_empty(&f.reasons.high, || format!("{}: yes", f.label))
                    } else {
                        non_empty(&f.reasons.low, || format!("{}: no", f.label))
                    }
                }
                _ => format_value_reference(x),
            };
            let template = if x > f.typical {
                non_empty(&f.reasons.high, || {
                    format!("{} is high: {{value}}", f.label)
                })
            } else {
                non_empty(&f.reasons.low, || format!("{} is low: {{value}}", f.label))
            };
            template.replace("{value}", &shown)
        }
        let mut order: Vec<usize> = (0..score.contributions.len())
            .filter(|&i| score.contributions[i] > 1e-9)
            .collect();
        order.sort_by(|&a, &b| {
            score.contributions[b]
                .total_cmp(&score.contributions[a])
                .then(a.cmp(&b))
        });
        order
            .into_iter()
            .take(n)
            .map(|i| {
                let f = &model.features[i];
                let x = values.get(i).copied().unwrap_or(f64::NAN);
                let text = reason_text(f, x);
                format!("{text} (odds ×{:.1})", libm::exp(score.contributions[i]))
            })
            .collect()
    }

    #[test]
    fn values_are_written_as_the_format_based_reference_writes_them() {
        let mut rng = Rng(0x5eed_0001);
        let mut out = String::from("kept");
        for _ in 0..200_000 {
            let x = rng.value();
            assert_eq!(format_value(x), format_value_reference(x), "{x:e}");
            out.truncate(4);
            push_value(&mut out, x);
            assert_eq!(out[4..], format_value_reference(x), "{x:e}");
        }
        for x in [
            0.005,
            0.015,
            -0.004,
            0.995,
            1.005,
            2.675,
            999.995,
            1e15 - 0.5,
            1e-10,
        ] {
            assert_eq!(format_value(x), format_value_reference(x), "{x:e}");
        }
    }

    #[test]
    fn rounding_small_numbers_matches_the_standard_round() {
        let mut rng = Rng(0x5eed_0007);
        let limit = 2f64.powi(52);
        let check = |x: f64| {
            if x.is_nan() || x.abs() >= limit {
                return; // outside its domain
            }
            // `==`: a zero's sign is allowed to differ.
            assert!(round_small(x) == x.round(), "{x:e}");
            assert!(round_small(-x) == (-x).round(), "{x:e}");
        };
        for _ in 0..300_000 {
            check(rng.value());
            let half = (rng.next() % (1 << 40)) as f64 + 0.5;
            for x in [half, half.next_up(), half.next_down(), half / 1e6] {
                check(x);
            }
        }
        for x in [
            0.0,
            0.5,
            0.49999999999999994,
            1.5,
            2.5,
            limit - 0.5,
            limit - 1.0,
        ] {
            check(x);
        }
    }

    #[test]
    fn fixed_decimals_and_whole_numbers_are_written_as_fmt_writes_them() {
        let mut rng = Rng(0x5eed_0006);
        let mut out = String::new();
        let mut check = |x: f64| {
            for decimals in [1, 2] {
                out.clear();
                push_fixed(&mut out, x, decimals);
                assert_eq!(out, format!("{x:.*}", decimals as usize), "{x:e}");
            }
        };
        for _ in 0..300_000 {
            check(rng.value());
            check(libm::exp(rng.unit() * 8.0));
            // Near the halves where rounding turns: 2.675, 1.25, 0.05 and their neighbours.
            let half = ((rng.next() % 200_000) as f64 + 0.5) / 100.0;
            for x in [half, half.next_up(), half.next_down(), half / 10.0] {
                check(x);
                check(-x);
            }
        }
        for x in [
            0.0,
            -0.0,
            0.05,
            0.25,
            1.25,
            2.675,
            99_999_999.95,
            1e8,
            -1e-12,
            5e-324,
        ] {
            check(x);
        }
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX] {
            out.clear();
            push_uint(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }

    #[test]
    fn reasons_are_written_as_the_format_based_reference_writes_them() {
        let mut m = tiny_model();
        // Templates with no value, several values, braces, and a label holding "{value}".
        let labels = [
            "Days",
            "={value} days",
            "{value}{value",
            "",
            "Ünïcode {valu",
        ];
        let highs = [
            "",
            "No contact for {value} days",
            "{value}/{value}",
            "{}",
            "Yes!",
        ];
        let lows = ["", "Only {value}", "{value}", "low"];
        let mut rng = Rng(0x5eed_0002);
        let mut order = Vec::new();
        for round in 0..20_000 {
            let pick = |rng: &mut Rng, xs: &[&str]| {
                xs[(rng.next() % xs.len() as u64) as usize].to_string()
            };
            for f in &mut m.features {
                f.label = pick(&mut rng, &labels);
                f.reasons.high = pick(&mut rng, &highs);
                f.reasons.low = pick(&mut rng, &lows);
                f.typical = (rng.next() % 3) as f64 * 0.5;
            }
            let values: Vec<f64> = (0..3)
                .map(|_| match rng.next() % 4 {
                    0 => f64::NAN,
                    1 => (rng.next() % 4) as f64,
                    2 => rng.unit(),
                    _ => rng.value(),
                })
                .collect();
            let mut s = m.score(&values);
            // Ties, zeros and negatives, as well as the model's own contributions.
            if round % 2 == 0 {
                for c in &mut s.contributions {
                    *c = [0.0, 1e-9, 2e-9, 0.5, 0.5, 1.0, -1.0][(rng.next() % 7) as usize];
                }
            }
            for n in 0..5 {
                let reasons = top_reasons(&m, &values, &s, n);
                assert_eq!(
                    reasons,
                    top_reasons_reference(&m, &values, &s, n),
                    "{values:?} {:?}",
                    s.contributions
                );
                top_features(&s.contributions, n, &mut order);
                assert_eq!(order.len(), reasons.len());
            }
        }
    }

    #[test]
    fn huge_values_are_shown_in_scientific_notation() {
        assert_eq!(format_value(1e308), "1e308");
        assert_eq!(format_value(-1.5e20), "-1.5e20");
        assert_eq!(format_value(123456.0), "123456");
        assert_eq!(format_value(2.5), "2.5");
        assert_eq!(format_value(f64::NAN), "?");
    }

    #[test]
    fn sigmoid_is_finite_at_extremes() {
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(0.0), 0.5);
    }

    #[test]
    fn top_features_are_a_stable_sort_of_the_raising_ones() {
        // Generated contributions with many ties, against a stable sort (strongest
        // first, ties in feature order) of those above 1e-9, cut to `n`.
        let mut rng = Rng(0x5eed_0011);
        let steps = [-1.0, -1e-9, 0.0, 1e-9, 2e-9, 0.25, 0.5, 0.5, 1.0, 3.0];
        let mut order = Vec::new();
        for _ in 0..20_000 {
            let p = (rng.next() % 24) as usize;
            let contributions: Vec<f64> = (0..p)
                .map(|_| steps[(rng.next() % steps.len() as u64) as usize])
                .collect();
            let mut expected: Vec<usize> = (0..p).filter(|&i| contributions[i] > 1e-9).collect();
            expected.sort_by(|&a, &b| contributions[b].total_cmp(&contributions[a]));
            for n in [0, 1, 2, 3, 5, 8, 9, 30] {
                top_features(&contributions, n, &mut order);
                let want = &expected[..expected.len().min(n)];
                assert_eq!(order, want, "{contributions:?} n {n}");
            }
        }
    }

    #[test]
    fn memo_gives_the_computed_bits() {
        for m in [tiny_model(), crate::default_model().unwrap()] {
            let memo = m.memo();
            let p = m.features.len();
            let mut xs: Vec<f64> = (0..(MEMO_VALUES as i64 + 20)).map(|x| x as f64).collect();
            xs.extend([-0.0, -1.0, 0.5, 1e-300, 2.5, f64::NAN, 1e9, f64::INFINITY]);
            // Edges of the whole-number test: saturating conversions, a NaN with another
            // payload, just below and at the end of the table.
            xs.extend([
                -1e-300,
                f64::NEG_INFINITY,
                1e19,
                -1e19,
                9.3e18,
                f64::from_bits(0xfff8_0000_0000_0001),
                1023.5,
                1023.0,
                1024.0,
            ]);
            let (mut a, mut b) = (m.score(&[]), m.score(&[]));
            for k in 0..xs.len() {
                // Each feature gets a different value from the list in turn.
                let values: Vec<f64> = (0..p).map(|f| xs[(k + 31 * f) % xs.len()]).collect();
                m.score_into(&values, &mut a, &mut Vec::new());
                m.score_memo(&values, &mut b, &memo);
                let bits = |s: &Score| {
                    let mut v: Vec<u64> = s.contributions.iter().map(|c| c.to_bits()).collect();
                    v.push(s.probability.to_bits());
                    v.push(s.log_odds.to_bits());
                    v
                };
                assert_eq!(bits(&a), bits(&b), "values {values:?}");
                assert_eq!(a.clipped, b.clipped);
                // A tabled odds multiplier is exp of the computed contribution.
                for (f, &x) in values.iter().enumerate() {
                    let odds = memo.odds(f, x).map(f64::to_bits);
                    let computed = libm::exp(a.contributions[f]).to_bits();
                    assert!(odds.is_none() || odds == Some(computed), "{f} {x}");
                    let whole = x >= 0.0 && x.fract() == 0.0 && x < MEMO_VALUES as f64;
                    if x.is_nan() || (whole && !a.clipped[f] && x.is_sign_positive()) {
                        assert_eq!(odds, Some(computed), "{f} {x}");
                    }
                }
            }
        }
    }
}
