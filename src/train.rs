//! Training a churn model from a labelled account list.
//!
//! The steps, each chosen so that the model file explains itself exactly:
//!
//! 1. **Read** the table ([`crate::ingest`]), find the label column by its normalised
//!    header and read each label ([`parse_label`]); rows whose label is missing or
//!    unreadable are skipped and counted in [`Trained::warnings`].
//! 2. **Split** stratified by label with a seeded shuffle: 20% held out (see
//!    [`TrainConfig::held_out_share`]), never seen by any fitting step, for
//!    `metrics.held_out`.
//! 3. **Plan** every column from the training rows only ([`plan_columns`]): its kind
//!    ([`infer_kind`]: boolean, numeric, date, categorical), whether it is the id, name or
//!    segment column, an identifier, empty, or excluded. Any schema works: a column that
//!    matches a canonical column of [`schema::CANONICAL`] only takes its name, label,
//!    group, aliases and reason templates; it is fitted like any other. Categorical
//!    levels rarer than [`MIN_LEVEL_ROWS`] are pooled with unseen levels; a date becomes
//!    days before `as_of`. The cells are then read by [`crate::features::prepare_mapped`],
//!    the scoring code itself, with every header mapped explicitly.
//!
//! Class imbalance is handled by stratifying the split and the folds, and by choosing
//! the penalty on log loss; rows are not reweighted, so probabilities stay calibrated
//! to the real churn rate (which revenue at risk needs).
//! 4. **Shape** each feature on the training split only: imputation and typical value
//!    are the median; the range is the observed `[min, max]`; a non-negative feature
//!    whose sample skewness exceeds [`LOG_SKEWNESS`] (money, heavy-tailed counts, days)
//!    is modelled on `ln(1 + x)`; numeric features get a hinge basis with up to five
//!    knots at the 10/30/50/70/90% quantiles of the transformed values (of the values above the minimum
//!    when a quarter or more sit at the minimum, as with zero-inflated counts), so
//!    thresholds such as "more than 90 days" can be learned; booleans and features with
//!    fewer than five distinct values stay linear. A feature missing in at least
//!    [`MISSING_TERM_RATE`] of training rows gets a missing-indicator term.
//! 5. **Fit** linfa-logistic on the basis columns, centered on their training means and,
//!    within each feature, made orthonormal (standardised and decorrelated: a feature's
//!    hinge columns are strongly correlated and slow the optimiser down tenfold
//!    otherwise). The L2 penalty therefore acts on the spread of each feature's
//!    contribution, treating every feature alike whatever its units or basis width. The
//!    strength is chosen from [`L2_GRID`] by stratified 3-fold cross-validated log loss
//!    on the training split (from the strongest penalty down, warm-started along that
//!    path and from fold to fold, stopping once the loss stops improving), unless
//!    given. The coefficients are then mapped back, so the model file's contribution
//!    `Σ coef·(basis − center)` reproduces the fitted log-odds exactly (checked on every
//!    training row before the model is returned), and the intercept is the log-odds of
//!    the typical account.
//! 6. **Measure** on the held-out rows through [`Model::score`], the very code that
//!    scores uploaded files, and derive risk tiers from the training probabilities.
//!
//! The same bytes and [`TrainConfig`] always give the same model, natively and in the
//! page's WebAssembly: all randomness is `rand`'s shuffles (integer draws) from a ChaCha8
//! generator seeded by `ChaCha8Rng::seed_from_u64(seed)`, and no hash-map order reaches
//! the output.
//!
//! linfa-logistic names as "positive" whichever class it decides (the more frequent
//! one, the first met on a tie), not necessarily "churned": the fitted parameters are
//! read through its class labels and flipped when needed, so the model's probability is
//! always P(churn).

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{s, Array1, Array2, ArrayView2, Axis, ShapeBuilder};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{show_value, Error, Result};
use crate::features::{self, Prepared};
use crate::ingest;
use crate::metrics::metric_set;
use crate::model::{
    sigmoid, Basis, ColumnSpec, FeatureSpec, Kind, MetricSet, Metrics, MissingTerm, Model,
    Provenance, Reasons, Tier, Transform, FORMAT, FORMAT_VERSION,
};
use crate::schema::{self, normalize_header};

/// L2 strengths tried when none is given, strongest first (the order of warm starts).
///
/// The strength is linfa's `alpha`: the fit minimises the summed log loss plus
/// `alpha/2 · Σ w²` over the optimiser's orthonormal columns, which equals
/// `alpha/2 · Σ_features Var(contribution)` (scikit-learn's `C = 1/alpha` on those
/// columns). The loss is a sum over rows, so a given strength matters less the more
/// rows there are.
pub const L2_GRID: [f64; 5] = [1000.0, 100.0, 10.0, 1.0, 0.1];

/// The L2 strength used when the data are too few to cross-validate.
pub const DEFAULT_L2: f64 = 1.0;

/// Share of labelled rows held out for `metrics.held_out`.
pub const HELD_OUT_SHARE: f64 = 0.2;

/// Folds of the cross-validation that chooses the L2 strength.
pub const CV_FOLDS: usize = 3;

/// Sample skewness above which a non-negative feature is modelled on `ln(1 + x)`.
pub const LOG_SKEWNESS: f64 = 2.0;

/// Training missing rate from which a feature gets a missing-indicator term.
pub const MISSING_TERM_RATE: f64 = 0.01;

/// Quantiles of the (transformed) training values used as hinge knots.
const KNOT_QUANTILES: [f64; 5] = [0.1, 0.3, 0.5, 0.7, 0.9];

/// Optimiser limits. linfa's loss is summed over rows, so the gradient tolerance is
/// given per row and scaled by the row count: at 1e-4 the mean fitted probability is
/// within 1e-4 of the churn rate and coefficients within about 1e-3 of the optimum;
/// the cross-validation fits, which only rank strengths, stop at 1e-3 (twice as
/// fast). 300 L-BFGS iterations are far more than these orthonormal problems need.
const GRADIENT_TOLERANCE_PER_ROW: f64 = 1e-4;
const CV_GRADIENT_TOLERANCE_PER_ROW: f64 = 1e-3;
const MAX_ITERATIONS: u64 = 300;

/// What to train.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Header of the label column (matched after [`normalize_header`]), e.g. "churned".
    pub label: String,
    /// Seed of the train/held-out split and the cross-validation folds.
    pub seed: u64,
    /// As-of date (days since 1970-01-01) turning date columns into days; also the
    /// model's `trained_at`, so rebuilding from the same data gives the same file.
    pub as_of: i64,
    /// L2 strength (see [`L2_GRID`]); `None` chooses it by cross-validation.
    pub l2: Option<f64>,
    /// Header of the account id column; `None` finds it among the usual id headers
    /// ([`schema::ID_ALIASES`]), and a table without one gets row numbers.
    pub id: Option<String>,
    /// Headers of columns never to use as features (matched after [`normalize_header`]).
    pub exclude: Vec<String>,
    /// Share of labelled rows held out for `metrics.held_out` (default
    /// [`HELD_OUT_SHARE`]); 0 fits on every row and records no held-out metrics, for
    /// when the caller keeps its own test set.
    pub held_out_share: f64,
}

impl TrainConfig {
    /// A configuration with the given label and defaults elsewhere: seed 42, as-of
    /// 1970-01-01 (set it when the table has dates), L2 by cross-validation, id found
    /// automatically, nothing excluded.
    pub fn new(label: &str) -> TrainConfig {
        TrainConfig {
            label: label.to_string(),
            seed: 42,
            as_of: 0,
            l2: None,
            id: None,
            exclude: Vec::new(),
            held_out_share: HELD_OUT_SHARE,
        }
    }
}

/// A trained model and what training noticed on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    /// The model, validated.
    pub model: Model,
    /// Things the user should know that did not stop training: skipped rows, features
    /// left out, file-level warnings from reading the table.
    pub warnings: Vec<String>,
}

/// The cell of `record` in column `col`, empty when the record is short.
fn field(record: &crate::ingest::Record, col: usize) -> &str {
    record.fields.get(col).unwrap_or("")
}

/// Trains a churn model from the labelled account list in `bytes` (`file` names it in
/// messages and provenance).
///
/// See the module documentation for the method; [`train_with_report`] also returns the
/// warnings.
pub fn train(bytes: &[u8], file: &str, cfg: &TrainConfig) -> Result<Model> {
    train_with_report(bytes, file, cfg).map(|t| t.model)
}

/// Like [`train`], and also returns the warnings (skipped rows, columns left out).
pub fn train_with_report(bytes: &[u8], file: &str, cfg: &TrainConfig) -> Result<Trained> {
    train_with_progress(bytes, file, cfg, &mut |_| {})
}

/// Where a training run is, for a progress bar: what it is doing, in words, and the
/// share of the work done (0 to 1, never decreasing within a run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// What training is doing now, e.g. "Fitting the final model".
    pub stage: String,
    /// Share of the work done, from 0 to 1.
    pub done: f64,
}

/// Share of the progress bar reached when the cross-validation starts and ends; the
/// fits in between are what takes the time.
const PROGRESS_CV: (f64, f64) = (0.15, 0.85);

fn report(progress: &mut dyn FnMut(&Progress), stage: &str, done: f64) {
    progress(&Progress {
        stage: stage.to_string(),
        done,
    });
}

/// Like [`train_with_report`], calling `progress` at each step (reading, planning, every
/// cross-validation fit, the final fit, measuring) so a page can show how far it is.
pub fn train_with_progress(
    bytes: &[u8],
    file: &str,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Trained> {
    report(progress, "Reading the file", 0.0);
    if let Some(l2) = cfg.l2 {
        if !(l2.is_finite() && l2 >= 0.0) {
            return Err(Error::train(
                file,
                format!("the L2 strength must be a number of at least 0, not {l2}"),
            ));
        }
    }
    let mut table = ingest::read_table(bytes, file)?;
    if table.records.is_empty() {
        return Err(Error::train(file, NO_ACCOUNTS));
    }
    let label_col = find_header(&table.headers, &cfg.label)
        .ok_or_else(|| no_label_column(file, &cfg.label, &table.headers))?;
    let label_header = table.headers[label_col].trim().to_string();
    let mut warnings = Vec::new();

    let mut rows = Vec::new();
    let mut labels = Vec::new();
    let mut skipped_lines = Vec::new();
    for (r, record) in table.records.iter().enumerate() {
        match parse_label(field(record, label_col)) {
            Some(y) => {
                rows.push(r);
                labels.push(y);
            }
            None => skipped_lines.push(record.line),
        }
    }
    if labels.is_empty() {
        return Err(no_labelled_rows(file, &table, label_col));
    }
    if !skipped_lines.is_empty() {
        let first: Vec<String> = skipped_lines
            .iter()
            .take(5)
            .map(|l| l.to_string())
            .collect();
        warnings.push(format!(
            "{} row(s) skipped because their '{}' value is missing or not a churn label such as yes/no, true/false, 1/0, churned/retained (lines {}{}); training used the {} rows that have one",
            skipped_lines.len(),
            show_value(&label_header),
            first.join(", "),
            if skipped_lines.len() > 5 { ", …" } else { "" },
            labels.len()
        ));
    }
    if let Some(w) = small_history_warning(&labels) {
        warnings.push(w);
    }
    if !(0.0..0.9).contains(&cfg.held_out_share) {
        return Err(Error::train(
            file,
            format!(
                "the held-out share must be at least 0 and below 0.9, not {}",
                cfg.held_out_share
            ),
        ));
    }
    let split = stratified_split(&labels, cfg.seed, cfg.held_out_share, &label_header, file)?;

    // Every decision about a column (its kind, its levels, whether it is an identifier)
    // is taken on the training split only, as a model fitted there would be.
    report(progress, "Deciding how to read each column", 0.05);
    let train_records: Vec<usize> = split.train.iter().map(|&i| rows[i]).collect();
    let plan = plan_columns(&table, label_col, &train_records, cfg);
    if plan.specs.is_empty() {
        return Err(no_usable_column(file, &label_header, &plan.left_out));
    }
    for (header, why) in &plan.left_out {
        warnings.push(format!("column '{}' left out: {why}", show_value(header)));
    }
    for name in &plan.unknown_excludes {
        warnings.push(format!(
            "--exclude names '{}', which is not a column of the table",
            show_value(name)
        ));
    }

    // A table without an identifier gets row numbers, so that the scoring code (which
    // needs an id column) can prepare it; the model keeps the usual id aliases.
    let mut mapping = features::Mapping::new();
    let id_name = match plan.id {
        Some(c) => table.headers[c].clone(),
        None => {
            let header = SYNTHETIC_ID.to_string();
            for record in &mut table.records {
                record.fields.push(&record.line.to_string());
            }
            table.headers.push(header.clone());
            header
        }
    };
    for header in &table.headers {
        mapping.insert(header.clone(), features::IGNORE.to_string());
    }
    mapping.insert(id_name.clone(), id_name.clone());
    let mut scaffold = scaffold_model(plan.specs.clone(), &label_header);
    scaffold.id_column = ColumnSpec {
        name: id_name,
        aliases: Vec::new(),
    };
    scaffold.name_column = plan.name.map(|c| ColumnSpec {
        name: table.headers[c].clone(),
        aliases: Vec::new(),
    });
    scaffold.segment_column = plan.segment.map(|c| ColumnSpec {
        name: table.headers[c].clone(),
        aliases: Vec::new(),
    });
    for col in [&scaffold.name_column, &scaffold.segment_column]
        .into_iter()
        .flatten()
    {
        mapping.insert(col.name.clone(), col.name.clone());
    }
    for (spec, &c) in plan.specs.iter().zip(&plan.sources) {
        mapping.insert(table.headers[c].clone(), spec.name.clone());
    }
    report(progress, "Reading the values of every column", 0.1);
    let prepared = features::prepare_mapped(&table, &scaffold, cfg.as_of, file, &mapping)?;
    warnings.extend(prepared.file_warnings.iter().cloned());

    // The model answers to the training headers and, for canonical columns, to the
    // synonyms CRM exports use; an alias that is another column's own header is dropped
    // so that scoring the training table maps every header back where it came from.
    let own: Vec<String> = plan
        .sources
        .iter()
        .map(|&c| normalize_header(&table.headers[c]))
        .collect();
    let used_headers: Vec<String> = table.headers.iter().map(|h| normalize_header(h)).collect();
    let id_column = final_column(
        plan.id.map(|c| table.headers[c].as_str()),
        schema::ID_ALIASES,
        &used_headers,
    );
    let name_column = Some(final_column(
        plan.name.map(|c| table.headers[c].as_str()),
        schema::NAME_ALIASES,
        &used_headers,
    ));
    let segment_column = Some(final_column(
        plan.segment.map(|c| table.headers[c].as_str()),
        schema::SEGMENT_ALIASES,
        &used_headers,
    ));
    let mut candidates = plan.specs;
    for (k, spec) in candidates.iter_mut().enumerate() {
        let keep = |a: &String| {
            let n = normalize_header(a);
            n == own[k] || !used_headers.contains(&n)
        };
        spec.aliases.retain(keep);
        spec.date_aliases.retain(keep);
    }
    let value_feature = candidates
        .iter()
        .find(|s| s.name == VALUE_FEATURE)
        .map(|_| VALUE_FEATURE);
    let input = TrainInput {
        file,
        bytes,
        cfg,
        prepared: &prepared,
        rows: &rows,
        labels: &labels,
        split,
        candidates,
        value_feature,
        label_header: &label_header,
        id_column,
        name_column,
        segment_column,
        left_out: &plan.left_out,
    };
    let mut trained = fit_table(input, warnings, progress)?;
    if !plan.left_out.is_empty() {
        let names: Vec<String> = plan
            .left_out
            .iter()
            .take(40)
            .map(|(h, _)| format!("'{}'", show_value(h)))
            .collect();
        trained.model.description.push_str(&format!(
            " Columns left out (identifiers, empty, constant or too rare to learn from): {}{}.",
            names.join(", "),
            if plan.left_out.len() > 40 {
                ", …"
            } else {
                ""
            }
        ));
    }
    Ok(trained)
}

/// How a model does on a labelled table: the metrics of [`crate::metrics`] and a
/// calibration table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Labelled rows evaluated.
    pub rows: usize,
    /// Area under the ROC curve.
    pub auc: f64,
    /// Area under the precision-recall curve (average precision).
    pub pr_auc: Option<f64>,
    /// Brier score.
    pub brier: f64,
    /// Mean log loss.
    pub log_loss: f64,
    /// Churn rate in the top decile of scores over the overall rate.
    pub lift_top_decile: Option<f64>,
    /// Churn rate among the rows.
    pub base_rate: Option<f64>,
    /// Ten equal-width probability bins: predicted against observed churn.
    pub calibration: Vec<crate::metrics::CalibrationBin>,
    /// Rows skipped because their label is missing or unreadable.
    pub skipped_rows: usize,
    /// Model features with no column in the table (imputed for every row).
    pub missing_features: Vec<String>,
}

/// Scores the labelled table in `bytes` with `model`, through the same code that scores
/// uploaded files, and measures the result against the `label` column.
///
/// A table without the model's id column is given row numbers, so that a model trained
/// on a table without identifiers can be evaluated on its test rows.
pub fn evaluate(
    bytes: &[u8],
    file: &str,
    model: &Model,
    label: &str,
    as_of: i64,
) -> Result<Evaluation> {
    let mut table = ingest::read_table(bytes, file)?;
    let label_col = find_header(&table.headers, label)
        .ok_or_else(|| no_label_column(file, label, &table.headers))?;
    let id_names: Vec<String> = std::iter::once(&model.id_column.name)
        .chain(&model.id_column.aliases)
        .map(|a| normalize_header(a))
        .collect();
    if !table
        .headers
        .iter()
        .any(|h| id_names.contains(&normalize_header(h)))
    {
        for record in &mut table.records {
            record.fields.push(&record.line.to_string());
        }
        table.headers.push(model.id_column.name.clone());
    }
    // The label column must not feed a feature, whatever its header.
    let mut mapping = features::Mapping::new();
    mapping.insert(table.headers[label_col].clone(), features::IGNORE.into());
    let prepared = features::prepare_mapped(&table, model, as_of, file, &mapping)?;
    let mut y = Vec::new();
    let mut p = Vec::new();
    let mut skipped_rows = 0;
    for (r, record) in table.records.iter().enumerate() {
        match parse_label(field(record, label_col)) {
            Some(label) => {
                y.push(label);
                p.push(model.score(prepared.row(r)).probability);
            }
            None => skipped_rows += 1,
        }
    }
    if y.is_empty() {
        return Err(Error::train(
            file,
            format!(
                "no row has a churn label in column '{}' (yes/no, true/false, 1/0, churned/retained)",
                show_value(label)
            ),
        ));
    }
    let m = metric_set(&y, &p);
    Ok(Evaluation {
        rows: m.rows,
        auc: crate::metrics::auc(&y, &p),
        pr_auc: m.pr_auc,
        brier: m.brier,
        log_loss: m.log_loss,
        lift_top_decile: m.lift_top_decile,
        base_rate: m.base_rate,
        calibration: crate::metrics::calibration(&y, &p, 10),
        skipped_rows,
        missing_features: prepared.missing_features,
    })
}

/// The header given for the row-number id column added to a table that has none.
const SYNTHETIC_ID: &str = "__churn_audit_row__";

/// The canonical feature holding contract value (revenue at risk), when a table has it.
const VALUE_FEATURE: &str = "contract_value";

/// The index of the header matching `wanted` after [`normalize_header`].
fn find_header(headers: &[String], wanted: &str) -> Option<usize> {
    let wanted = normalize_header(wanted);
    headers
        .iter()
        .position(|h| !wanted.is_empty() && normalize_header(h) == wanted)
}

fn shown_headers(headers: &[String]) -> String {
    let shown: Vec<String> = headers
        .iter()
        .take(30)
        .map(|h| format!("'{}'", show_value(h)))
        .collect();
    shown.join(", ")
}

/// The reason given when a file has a header row but no account below it.
const NO_ACCOUNTS: &str = "the file has a header row but no accounts below it; export the history with one row per account";

/// Labelled accounts below which a history is called small (a warning, not an error).
pub const SMALL_HISTORY_ROWS: usize = 200;

/// Accounts of the rarer class (usually the churners) below which a history is called
/// small.
pub const SMALL_HISTORY_CLASS: usize = 20;

/// "There is no label column", naming the columns there are.
fn no_label_column(file: &str, label: &str, headers: &[String]) -> Error {
    Error::train(
        file,
        format!(
            "no label column '{}': the file's columns are {}. Choose the column that says whether each account churned (yes/no, churned/retained...)",
            show_value(label),
            shown_headers(headers)
        ),
    )
}

/// "No row has a label", with examples of the values the label column holds.
fn no_labelled_rows(file: &str, table: &ingest::Table, label_col: usize) -> Error {
    let header = show_value(table.headers[label_col].trim());
    let mut examples: Vec<String> = Vec::new();
    for record in &table.records {
        let cell = field(record, label_col).trim();
        if ingest::is_missing(cell) {
            continue;
        }
        let shown = format!("'{}'", show_value(cell));
        if !examples.contains(&shown) {
            examples.push(shown);
            if examples.len() == 3 {
                break;
            }
        }
    }
    let reason = if examples.is_empty() {
        format!(
            "no account has a churn label: column '{header}' is empty in every row. Fill it in with whether each account churned (yes/no, churned/retained...), or choose another column"
        )
    } else {
        format!(
            "no account has a churn label: column '{header}' holds values such as {}, which do not say whether an account churned. Use values such as yes/no, true/false, 1/0 or churned/retained, or choose another column",
            examples.join(", ")
        )
    };
    Error::train(file, reason)
}

/// A warning for a history too small for steady estimates, if it is one.
fn small_history_warning(labels: &[bool]) -> Option<String> {
    let churned = labels.iter().filter(|&&y| y).count();
    let retained = labels.len() - churned;
    let (rarer, rarer_name) = if churned <= retained {
        (churned, "churned")
    } else {
        (retained, "retained")
    };
    (labels.len() < SMALL_HISTORY_ROWS || rarer < SMALL_HISTORY_CLASS).then(|| {
        format!(
            "a small history: {} labelled accounts, {rarer} of them {rarer_name}. The model will be rough and its metrics uncertain; a few hundred accounts with at least {SMALL_HISTORY_CLASS} churned and {SMALL_HISTORY_CLASS} retained give steadier scores",
            labels.len()
        )
    })
}

/// "No column can be used", with each column's reason.
fn no_usable_column(file: &str, label_header: &str, dropped: &[(String, String)]) -> Error {
    let reasons: Vec<String> = dropped
        .iter()
        .take(8)
        .map(|(h, why)| format!("'{}' ({why})", show_value(h)))
        .collect();
    let what = if reasons.is_empty() {
        format!(
            "the file has no column besides '{}' and the account identifiers",
            show_value(label_header)
        )
    } else {
        format!(
            "{}{}",
            reasons.join("; "),
            if dropped.len() > 8 { "; …" } else { "" }
        )
    };
    Error::train(
        file,
        format!(
            "no usable column to learn from: {what}. Besides the churn label, a history needs columns that describe each account and differ between accounts, such as logins, support tickets, contract value or the last contact date"
        ),
    )
}

/// Headers that usually hold the churn label, most likely first (compared after
/// [`normalize_header`]).
const LABEL_HEADERS: &[&str] = &[
    "churned",
    "churn",
    "is churned",
    "has churned",
    "churn flag",
    "churn label",
    "churn status",
    "exited",
    "attrition",
    "attrited",
    "cancelled",
    "canceled",
    "lost",
    "status",
    "outcome",
    "label",
    "target",
];

/// Share of a label column's non-missing cells that must read as churn labels.
const LABEL_SHARE: f64 = 0.95;

/// Whether column `col` reads as a churn label: most non-missing cells are churn labels
/// ([`parse_label`]) and, when `both` is set, both outcomes occur.
fn label_like(table: &ingest::Table, col: usize, both: bool) -> bool {
    let (mut present, mut readable, mut churned) = (0usize, 0usize, 0usize);
    for record in &table.records {
        let cell = field(record, col);
        if ingest::is_missing(cell) {
            continue;
        }
        present += 1;
        if let Some(y) = parse_label(cell) {
            readable += 1;
            churned += usize::from(y);
        }
    }
    present > 0
        && readable as f64 >= LABEL_SHARE * present as f64
        && (!both || (churned > 0 && churned < readable))
}

/// The column most likely to hold the churn label: the first header among the usual
/// label names (churned, churn, exited, attrition, status...) whose cells read as churn
/// labels, else a header naming churn whose cells do, else the last column when its
/// cells read as labels with both outcomes (labels usually come last), else a header
/// naming churn whatever its cells hold (so that training can say what is wrong with
/// them); `None` when nothing looks like one.
///
/// ```
/// use churn_audit::{ingest::read_table, train::suggest_label};
/// let t = read_table(b"id,is_reference,Churn Status\nA,yes,Churned\nB,no,Active\n", "h.csv").unwrap();
/// assert_eq!(suggest_label(&t), Some(2));
/// ```
pub fn suggest_label(table: &ingest::Table) -> Option<usize> {
    let normalized: Vec<String> = table.headers.iter().map(|h| normalize_header(h)).collect();
    for name in LABEL_HEADERS {
        let wanted = normalize_header(name);
        if let Some(c) = normalized.iter().position(|n| *n == wanted) {
            if label_like(table, c, false) {
                return Some(c);
            }
        }
    }
    let names_churn = |c: usize| {
        header_words(&table.headers[c])
            .iter()
            .any(|w| w.starts_with("churn"))
    };
    let columns = 0..table.headers.len();
    columns
        .clone()
        .find(|&c| names_churn(c) && label_like(table, c, false))
        .or_else(|| columns.clone().find(|&c| names_churn(c)))
        .or_else(|| {
            let last = table.headers.len().checked_sub(1)?;
            (!id_like_header(&table.headers[last]) && label_like(table, last, true)).then_some(last)
        })
}

/// Whether column `col` holds one value (compared trimmed, ignoring case) in every one
/// of `rows`, or nearly every one: training leaves such a column out unless it is
/// missing often enough ([`MISSING_TERM_RATE`]) for its absence to say something.
fn constant_column(table: &ingest::Table, col: usize, rows: &[usize]) -> bool {
    let mut first: Option<String> = None;
    let mut missing = 0usize;
    for &r in rows {
        let cell = field(&table.records[r], col);
        if ingest::is_missing(cell) {
            missing += 1;
            continue;
        }
        let key = cell.trim().to_lowercase();
        match &first {
            None => first = Some(key),
            Some(f) if *f != key => return false,
            Some(_) => {}
        }
    }
    (missing as f64) < MISSING_TERM_RATE * rows.len() as f64
}

/// What a column is for, in a [`HistoryPreview`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    /// The churn label: what the model learns to predict.
    Label,
    /// The account identifier (not used to predict).
    Id,
    /// The account name (shown with results, not used to predict).
    Name,
    /// The segment (results are grouped by it, not used to predict).
    Segment,
    /// An input of the model.
    Feature,
    /// Not used, for the reason in [`ColumnPreview::note`].
    LeftOut,
}

/// One column of a [`HistoryPreview`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnPreview {
    /// The header as written in the file.
    pub header: String,
    /// What training does with it.
    pub role: ColumnRole,
    /// How its cells read: "number", "yes/no", "date", "category", "empty", or
    /// "churn label"; `None` for identifiers and excluded columns, which are not read.
    pub kind: Option<String>,
    /// The model feature it becomes (for [`ColumnRole::Feature`]).
    pub feature: Option<String>,
    /// A plain-language note: why it is left out, how many categories are kept...
    pub note: String,
    /// Up to three different values from the file, shortened.
    pub examples: Vec<String>,
}

/// What training would make of a labelled history, without fitting anything: the
/// columns with their inferred kinds and roles, the label counts, and the problem that
/// would stop training, if any, so that a page can show them before training starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryPreview {
    /// Data rows in the file.
    pub rows: usize,
    /// The file's headers, in order.
    pub headers: Vec<String>,
    /// The column [`suggest_label`] picks, if any.
    pub suggested_label: Option<String>,
    /// The label column used for this preview: the one asked for, else the suggestion.
    pub label: Option<String>,
    /// Rows labelled churned.
    pub churned: usize,
    /// Rows labelled retained.
    pub retained: usize,
    /// Rows whose label is missing or unreadable (left out of training).
    pub unlabelled: usize,
    /// Every column, in file order.
    pub columns: Vec<ColumnPreview>,
    /// Why training would fail, in plain words; `None` when it can start.
    pub problem: Option<String>,
    /// What training would warn about (skipped rows, a small history).
    pub warnings: Vec<String>,
}

/// Previews training on the history in `bytes` with `cfg` (an empty `cfg.label` takes
/// the suggested label): the same split and column plan as [`train`], without fitting.
/// Fails only when the file cannot be read as a table at all.
pub fn preview_history(bytes: &[u8], file: &str, cfg: &TrainConfig) -> Result<HistoryPreview> {
    let table = ingest::read_table(bytes, file)?;
    let suggested = suggest_label(&table);
    let mut problem: Option<String> = None;
    let mut warnings = Vec::new();
    let label_col = if cfg.label.trim().is_empty() {
        if suggested.is_none() {
            problem = Some(
                Error::train(
                    file,
                    "no column looks like a churn label. Choose the column that says whether each account churned (yes/no, churned/retained...)",
                )
                .to_string(),
            );
        }
        suggested
    } else {
        let found = find_header(&table.headers, &cfg.label);
        if found.is_none() {
            problem = Some(no_label_column(file, &cfg.label, &table.headers).to_string());
        }
        found
    };
    if table.records.is_empty() {
        problem = Some(Error::train(file, NO_ACCOUNTS).to_string());
    }
    let (mut labelled, mut labels) = (Vec::new(), Vec::new());
    if let Some(c) = label_col {
        for (r, record) in table.records.iter().enumerate() {
            if let Some(y) = parse_label(field(record, c)) {
                labelled.push(r);
                labels.push(y);
            }
        }
        if labels.is_empty() && !table.records.is_empty() {
            problem = Some(no_labelled_rows(file, &table, c).to_string());
        }
    }
    let churned = labels.iter().filter(|&&y| y).count();
    let retained = labels.len() - churned;
    let unlabelled = if label_col.is_some() {
        table.records.len() - labels.len()
    } else {
        0
    };
    // The rows the plan is made from: the training split, as training will use it.
    let mut plan_rows: Vec<usize> = (0..table.records.len()).collect();
    if let Some(c) = label_col.filter(|_| !labels.is_empty()) {
        let header = table.headers[c].trim().to_string();
        match stratified_split(&labels, cfg.seed, cfg.held_out_share, &header, file) {
            Ok(split) => plan_rows = split.train.iter().map(|&i| labelled[i]).collect(),
            Err(e) => {
                problem.get_or_insert(e.to_string());
                plan_rows = labelled.clone();
            }
        }
        if unlabelled > 0 {
            warnings.push(format!(
                "{unlabelled} row(s) have no churn label in '{}' (missing, or not a value such as yes/no) and will be left out of training",
                show_value(&header)
            ));
        }
        if let Some(w) = small_history_warning(&labels) {
            warnings.push(w);
        }
    }
    let plan = plan_columns_with(&table, label_col, &plan_rows, cfg);
    if problem.is_none() && plan.specs.is_empty() {
        let header = label_col.map_or("", |c| table.headers[c].trim());
        problem = Some(no_usable_column(file, header, &plan.left_out).to_string());
    }

    let mut left_out_used = vec![false; plan.left_out.len()];
    let columns = (0..table.headers.len())
        .map(|c| {
            let header = table.headers[c].clone();
            let mut examples: Vec<String> = Vec::new();
            for &r in &plan_rows {
                let cell = field(&table.records[r], c).trim();
                let shown = show_value(cell);
                if !ingest::is_missing(cell) && !examples.contains(&shown) {
                    examples.push(shown);
                    if examples.len() == 3 {
                        break;
                    }
                }
            }
            let kind_word = |k: ColumnKind| {
                match k {
                    ColumnKind::Empty => "empty",
                    ColumnKind::Boolean => "yes/no",
                    ColumnKind::Numeric => "number",
                    ColumnKind::Date => "date",
                    ColumnKind::Categorical => "category",
                }
                .to_string()
            };
            let read_kind = plan.kinds.get(c).map(|&k| kind_word(k));
            let (role, kind, feature, note) = if Some(c) == label_col {
                (
                    ColumnRole::Label,
                    Some("churn label".to_string()),
                    None,
                    format!(
                        "what the model learns to predict: {churned} churned, {retained} retained"
                    ),
                )
            } else if Some(c) == plan.id {
                (
                    ColumnRole::Id,
                    None,
                    None,
                    "identifies each account; not used to predict".to_string(),
                )
            } else if Some(c) == plan.name {
                (
                    ColumnRole::Name,
                    read_kind,
                    None,
                    "the account's name, shown with its score; not used to predict".to_string(),
                )
            } else if Some(c) == plan.segment {
                (
                    ColumnRole::Segment,
                    read_kind,
                    None,
                    "groups the results; not used to predict".to_string(),
                )
            } else if let Some(k) = plan
                .sources
                .iter()
                .position(|&s| s == c)
                .filter(|_| !constant_column(&table, c, &plan_rows))
            {
                let spec = &plan.specs[k];
                let note = match (&spec.basis, plan.kinds.get(c)) {
                    (Basis::Categorical { levels }, _) => format!(
                        "{} categor{} kept; rarer ones are pooled",
                        levels.len(),
                        if levels.len() == 1 { "y" } else { "ies" }
                    ),
                    (_, Some(ColumnKind::Date)) => "counted in days up to the as-of date".into(),
                    _ => String::new(),
                };
                (
                    ColumnRole::Feature,
                    read_kind,
                    Some(spec.name.clone()),
                    note,
                )
            } else {
                let why = (0..plan.left_out.len())
                    .find(|&i| !left_out_used[i] && plan.left_out[i].0 == header)
                    .map(|i| {
                        left_out_used[i] = true;
                        plan.left_out[i].1.clone()
                    })
                    .unwrap_or_else(|| {
                        if plan.sources.contains(&c) {
                            "it has the same value in every row".to_string()
                        } else {
                            "you chose to leave it out".to_string()
                        }
                    });
                let kind = read_kind.filter(|k| k != "empty" || why.contains("no value"));
                (ColumnRole::LeftOut, kind, None, why)
            };
            ColumnPreview {
                header,
                role,
                kind,
                feature,
                note,
                examples,
            }
        })
        .collect();
    Ok(HistoryPreview {
        rows: table.records.len(),
        headers: table.headers.clone(),
        suggested_label: suggested.map(|c| table.headers[c].clone()),
        label: label_col.map(|c| table.headers[c].clone()),
        churned,
        retained,
        unlabelled,
        columns,
        problem,
        warnings,
    })
}

/// An id, name or segment column of the trained model: the training header (if any)
/// first, then the usual CRM synonyms that are not another column's header.
fn final_column(header: Option<&str>, aliases: &[&str], used_headers: &[String]) -> ColumnSpec {
    let name = header
        .or(aliases.first().copied())
        .unwrap_or("")
        .to_string();
    let own = normalize_header(&name);
    let mut seen = vec![own];
    let mut kept = Vec::new();
    for a in aliases {
        let n = normalize_header(a);
        if !seen.contains(&n) && !used_headers.contains(&n) {
            kept.push(a.to_string());
            seen.push(n);
        }
    }
    ColumnSpec {
        name,
        aliases: kept,
    }
}

/// The stratified train/held-out split, and the generator that goes on to shuffle the
/// cross-validation folds.
struct Split {
    /// Positions (into the labelled rows) used for fitting, in file order.
    train: Vec<usize>,
    /// Positions held out for `metrics.held_out`, in file order.
    held: Vec<usize>,
    rng: ChaCha8Rng,
}

/// Shuffles each class with the seed and holds out `share` of each (at least one row of
/// each class unless `share` is 0).
fn stratified_split(
    labels: &[bool],
    seed: u64,
    share: f64,
    label_header: &str,
    file: &str,
) -> Result<Split> {
    let positives = labels.iter().filter(|&&y| y).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        let (all, none) = if positives == 0 {
            ("retained (none churned)", "churned")
        } else {
            ("churned (none stayed)", "retained")
        };
        return Err(Error::train(file, format!(
            "only one class: all {} labelled accounts in column '{}' are marked {all}. A model learns what churn looks like by comparing accounts that left with accounts that stayed, so the history needs both. Check that '{}' is the column that says whether each account churned, and that the export includes the {none} accounts",
            labels.len(),
            show_value(label_header),
            show_value(label_header),
        )));
    }
    if positives < 2 || negatives < 2 {
        return Err(Error::train(file, format!(
            "too few examples to learn from: {positives} churned and {negatives} retained account(s). Training needs at least 2 of each (and a few hundred accounts, with a few dozen churners, before its scores can be trusted)"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut train = Vec::new();
    let mut held = Vec::new();
    for class in [true, false] {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        members.shuffle(&mut rng);
        let n = members.len();
        let h = if share > 0.0 {
            ((n as f64 * share).round() as usize).clamp(1, n - 1)
        } else {
            0
        };
        held.extend_from_slice(&members[..h]);
        train.extend_from_slice(&members[h..]);
    }
    // File order inside each split, so nothing depends on the shuffle but membership.
    train.sort_unstable();
    held.sort_unstable();
    Ok(Split { train, held, rng })
}

/// How the cells of a column read, as decided by [`infer_kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// No value at all.
    Empty,
    /// Two values read as yes/no (yes/no, true/false, 1/0...).
    Boolean,
    /// Numbers (with the column's decimal style, currency, thousands separators).
    Numeric,
    /// Dates, turned into days before the as-of date.
    Date,
    /// Anything else: text labels.
    Categorical,
}

/// Share of a column's non-missing cells that must read as numbers (or dates) for the
/// column to be numeric (or a date); the rest become missing with a warning, as a CRM
/// export's odd cell does when scoring.
pub const KIND_SHARE: f64 = 0.95;

/// Decides how a column reads from its cells (missing tokens ignored): boolean when every
/// value is a yes/no word and there are at most two; numeric when [`KIND_SHARE`] of them
/// are numbers; a date when that share are dates; otherwise categorical.
///
/// ```
/// use churn_audit::train::{infer_kind, ColumnKind};
/// assert_eq!(infer_kind(&["yes", "No", ""], false), ColumnKind::Boolean);
/// assert_eq!(infer_kind(&["$1,200", "35", "n/a"], false), ColumnKind::Numeric);
/// assert_eq!(infer_kind(&["2026-01-03", "2025-12-30"], false), ColumnKind::Date);
/// assert_eq!(infer_kind(&["Fiber optic", "DSL", "No"], false), ColumnKind::Categorical);
/// ```
pub fn infer_kind(cells: &[&str], decimal_comma: bool) -> ColumnKind {
    let present: Vec<&str> = cells
        .iter()
        .copied()
        .filter(|c| !ingest::is_missing(c))
        .collect();
    if present.is_empty() {
        return ColumnKind::Empty;
    }
    let mut distinct: Vec<String> = Vec::new();
    let mut all_bool = true;
    for c in &present {
        if ingest::parse_bool(c).ok().flatten().is_none() {
            all_bool = false;
            break;
        }
        let key = c.trim().to_lowercase();
        if !distinct.contains(&key) {
            distinct.push(key);
            if distinct.len() > 2 {
                all_bool = false;
                break;
            }
        }
    }
    if all_bool {
        return ColumnKind::Boolean;
    }
    let need = (KIND_SHARE * present.len() as f64).ceil() as usize;
    let style = ingest::infer_number_style(present.iter().copied(), decimal_comma);
    let numbers = present
        .iter()
        .filter(|c| matches!(ingest::parse_number(c, style), Ok(Some(_))))
        .count();
    if numbers >= need {
        return ColumnKind::Numeric;
    }
    let order = ingest::infer_date_order(present.iter().copied(), decimal_comma);
    let dates = present
        .iter()
        .filter(|c| matches!(ingest::parse_date(c, order), Ok(Some(_))))
        .count();
    if dates >= need {
        return ColumnKind::Date;
    }
    ColumnKind::Categorical
}

/// Most levels a categorical feature keeps (the most frequent ones).
pub const MAX_LEVELS: usize = 30;

/// Training rows a level needs to keep its own indicator: at least this many and at
/// least [`MIN_LEVEL_SHARE`] of the rows; rarer levels are pooled with unseen ones
/// ("other", all indicators zero).
pub const MIN_LEVEL_ROWS: usize = 10;

/// See [`MIN_LEVEL_ROWS`].
pub const MIN_LEVEL_SHARE: f64 = 0.005;

/// Share of distinct values above which a text column is an identifier or free text.
const ID_DISTINCT_SHARE: f64 = 0.5;

/// What training makes of a table's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnPlan {
    /// The account id column, if the table has one.
    pub id: Option<usize>,
    /// The account name column, if any (read, not scored).
    pub name: Option<usize>,
    /// The segment column, if any (read, not scored).
    pub segment: Option<usize>,
    /// Placeholder feature specs (name, label, group, kind, aliases, levels), in table order.
    pub specs: Vec<FeatureSpec>,
    /// The column each spec reads.
    pub sources: Vec<usize>,
    /// Columns left out, with the reason.
    pub left_out: Vec<(String, String)>,
    /// `--exclude` names that match no header.
    pub unknown_excludes: Vec<String>,
    /// How each column's cells read ([`ColumnKind::Empty`] for the label, the id and
    /// excluded columns, which are not inspected), in table order.
    pub kinds: Vec<ColumnKind>,
}

/// The words of a header: split at non-alphanumerics and at lower-to-upper case changes
/// ("customerID" is "customer", "id").
fn header_words(header: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in header.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current).to_lowercase());
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current).to_lowercase());
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current.to_lowercase());
    }
    words
}

/// A header that names an identifier: one of the id aliases, or ending in the word
/// "id", "key", "uuid", "guid", "number" or "no".
fn id_like_header(header: &str) -> bool {
    let n = normalize_header(header);
    if schema::ID_ALIASES.iter().any(|a| normalize_header(a) == n) {
        return true;
    }
    matches!(
        header_words(header).last().map(String::as_str),
        Some("id" | "ids" | "key" | "uuid" | "guid" | "number" | "no" | "num" | "index")
    )
}

/// A name for a feature made from its header: lower-case words joined by `_`.
fn slug(header: &str) -> String {
    header_words(header).join("_")
}

fn in_aliases(header: &str, aliases: &[&str]) -> bool {
    let n = normalize_header(header);
    !n.is_empty() && aliases.iter().any(|a| normalize_header(a) == n)
}

/// Decides every column's role and kind from the cells of `rows` (the training rows).
///
/// The label column and `cfg.exclude` are left out; the id column is `cfg.id`, else the
/// first header among the usual id names; a text column matching the usual name or
/// segment headers is read as such and not scored. Of the rest, identifiers (an id-like
/// header with a different value in nearly every row, text with a different value in
/// most rows, a run of consecutive row numbers), empty columns and categorical columns
/// without a level frequent enough to learn from are left out. A column matching a
/// canonical column of [`schema::CANONICAL`] (by name or alias, with the right kind)
/// takes its canonical name, label, group, aliases and reasons; any other gets a name
/// from its header, group Other and generic reasons.
pub fn plan_columns(
    table: &ingest::Table,
    label_col: usize,
    rows: &[usize],
    cfg: &TrainConfig,
) -> ColumnPlan {
    plan_columns_with(table, Some(label_col), rows, cfg)
}

/// [`plan_columns`] for a table whose label column may not be chosen yet (a preview).
fn plan_columns_with(
    table: &ingest::Table,
    label_col: Option<usize>,
    rows: &[usize],
    cfg: &TrainConfig,
) -> ColumnPlan {
    let mut plan = ColumnPlan {
        id: None,
        name: None,
        segment: None,
        specs: Vec::new(),
        sources: Vec::new(),
        left_out: Vec::new(),
        unknown_excludes: Vec::new(),
        kinds: Vec::new(),
    };
    let headers = &table.headers;
    let mut excluded = vec![false; headers.len()];
    if let Some(c) = label_col.filter(|&c| c < headers.len()) {
        excluded[c] = true;
    }
    for name in &cfg.exclude {
        let n = normalize_header(name);
        let mut found = false;
        for (c, h) in headers.iter().enumerate() {
            if !n.is_empty() && normalize_header(h) == n {
                excluded[c] = true;
                found = true;
            }
        }
        if !found {
            plan.unknown_excludes.push(name.clone());
        }
    }
    // Duplicated headers: the first is used, as when scoring.
    for c in 0..headers.len() {
        let n = normalize_header(&headers[c]);
        if !excluded[c] && (0..c).any(|d| normalize_header(&headers[d]) == n) {
            excluded[c] = true;
            plan.left_out.push((
                headers[c].clone(),
                "the header appears twice; the first is used".into(),
            ));
        }
    }
    plan.id = match &cfg.id {
        Some(id) => find_header(headers, id),
        None => (0..headers.len())
            .find(|&c| !excluded[c] && in_aliases(&headers[c], schema::ID_ALIASES)),
    };
    if let Some(c) = plan.id {
        excluded[c] = true;
    }
    let cells_of = |c: usize| -> Vec<&str> {
        rows.iter()
            .map(|&r| table.records[r].fields.get(c).unwrap_or(""))
            .collect()
    };
    let mut used_names: Vec<String> = [features::IGNORE, SYNTHETIC_ID]
        .iter()
        .map(|s| normalize_header(s))
        .collect();
    if let Some(c) = plan.id {
        used_names.push(normalize_header(&headers[c]));
    }
    let mut claimed_canonical: Vec<&str> = Vec::new();
    // Two passes: columns that hold a canonical feature's value directly claim it
    // before date columns that could derive it.
    let kinds: Vec<ColumnKind> = (0..headers.len())
        .map(|c| {
            if excluded[c] {
                ColumnKind::Empty
            } else {
                infer_kind(&cells_of(c), table.decimal_comma)
            }
        })
        .collect();
    let mut canonical_of: Vec<Option<&'static schema::CanonicalFeature>> =
        vec![None; headers.len()];
    for pass in [false, true] {
        for c in 0..headers.len() {
            if excluded[c] {
                continue;
            }
            let n = normalize_header(&headers[c]);
            let found = schema::CANONICAL.iter().find(|f| {
                !claimed_canonical.contains(&f.name)
                    && if pass {
                        kinds[c] == ColumnKind::Date
                            && f.date_aliases.iter().any(|a| normalize_header(a) == n)
                    } else {
                        let named = normalize_header(f.name) == n
                            || f.aliases.iter().any(|a| normalize_header(a) == n);
                        named
                            && match kinds[c] {
                                ColumnKind::Boolean => true,
                                ColumnKind::Numeric => !f.boolean,
                                _ => false,
                            }
                    }
            });
            if let Some(f) = found {
                claimed_canonical.push(f.name);
                canonical_of[c] = Some(f);
                used_names.push(normalize_header(f.name));
            }
        }
    }
    for c in 0..headers.len() {
        if excluded[c] {
            continue;
        }
        let header = &headers[c];
        let kind = kinds[c];
        let cells = cells_of(c);
        if kind == ColumnKind::Empty {
            plan.left_out.push((
                header.clone(),
                "it has no value in the training rows".into(),
            ));
            continue;
        }
        if kind == ColumnKind::Categorical {
            if plan.name.is_none() && in_aliases(header, schema::NAME_ALIASES) {
                plan.name = Some(c);
                continue;
            }
            if plan.segment.is_none() && in_aliases(header, schema::SEGMENT_ALIASES) {
                plan.segment = Some(c);
                continue;
            }
        }
        if let Some(why) = identifier_reason(header, kind, &cells, table.decimal_comma) {
            plan.left_out.push((header.clone(), why));
            continue;
        }
        let spec = match canonical_of[c] {
            Some(f) => canonical_spec(f, header, kind == ColumnKind::Date),
            None => {
                let base = match kind {
                    ColumnKind::Date => format!("days_since_{}", slug(header)),
                    _ => slug(header),
                };
                let base = if base.is_empty() {
                    format!("column_{}", c + 1)
                } else {
                    base
                };
                let mut name = base.clone();
                let mut k = 2;
                while used_names.contains(&normalize_header(&name)) {
                    name = format!("{base}_{k}");
                    k += 1;
                }
                used_names.push(normalize_header(&name));
                let levels = if kind == ColumnKind::Categorical {
                    match frequent_levels(&cells) {
                        Some(levels) => Some(levels),
                        None => {
                            plan.left_out.push((
                                header.clone(),
                                format!(
                                    "no value occurs in {MIN_LEVEL_ROWS} or more training rows"
                                ),
                            ));
                            continue;
                        }
                    }
                } else {
                    None
                };
                generic_spec(name, header, kind, levels)
            }
        };
        plan.specs.push(spec);
        plan.sources.push(c);
    }
    plan.kinds = kinds;
    plan
}

/// Why a column looks like an identifier rather than a feature, if it does.
fn identifier_reason(
    header: &str,
    kind: ColumnKind,
    cells: &[&str],
    decimal_comma: bool,
) -> Option<String> {
    let present: Vec<&str> = cells
        .iter()
        .copied()
        .filter(|c| !ingest::is_missing(c))
        .collect();
    if present.len() < 20 {
        return None;
    }
    let mut distinct: Vec<&str> = present.iter().map(|c| c.trim()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let share = distinct.len() as f64 / present.len() as f64;
    match kind {
        ColumnKind::Categorical if share > ID_DISTINCT_SHARE => Some(format!(
            "{:.0}% of its values are different (an identifier or free text)",
            100.0 * share
        )),
        ColumnKind::Numeric | ColumnKind::Categorical if id_like_header(header) && share > 0.9 => {
            Some("an identifier (its header names one and nearly every value differs)".into())
        }
        ColumnKind::Numeric if share == 1.0 => {
            // Whole numbers, all different and rising down the file: a row number (the
            // cells are in file order; training rows are a subset, so gaps are normal).
            let style = ingest::infer_number_style(present.iter().copied(), decimal_comma);
            let v: Vec<f64> = present
                .iter()
                .filter_map(|c| ingest::parse_number(c, style).ok().flatten())
                .collect();
            let row_number = v.len() == present.len()
                && v.iter().all(|x| x.fract() == 0.0)
                && v.windows(2).all(|w| w[1] > w[0]);
            row_number.then(|| "a row number (whole numbers rising down the file)".into())
        }
        _ => None,
    }
}

/// The levels of a categorical column that occur often enough to learn from, most
/// frequent first (ties in order of first appearance); `None` when there are none.
fn frequent_levels(cells: &[&str]) -> Option<Vec<String>> {
    // Keyed like `FeatureSpec::level_index` matches: trimmed, ASCII case ignored.
    let mut counts: Vec<(String, String, usize)> = Vec::new();
    let mut present = 0usize;
    for c in cells {
        if ingest::is_missing(c) {
            continue;
        }
        present += 1;
        let shown = c.trim();
        let key = shown.to_ascii_lowercase();
        match counts.iter_mut().find(|(k, _, _)| *k == key) {
            Some(entry) => entry.2 += 1,
            None => counts.push((key, shown.to_string(), 1)),
        }
    }
    let min = MIN_LEVEL_ROWS.max((MIN_LEVEL_SHARE * present as f64).ceil() as usize);
    // A stable sort keeps first-appearance order among equal counts.
    counts.sort_by_key(|c| std::cmp::Reverse(c.2));
    let levels: Vec<String> = counts
        .into_iter()
        .filter(|(_, _, n)| *n >= min)
        .take(MAX_LEVELS)
        .map(|(_, shown, _)| shown)
        .collect();
    (!levels.is_empty()).then_some(levels)
}

/// The placeholder spec of a canonical column; `date` when the column holds dates.
fn canonical_spec(c: &schema::CanonicalFeature, header: &str, date: bool) -> FeatureSpec {
    let mut aliases: Vec<String> = std::iter::once(c.name)
        .chain(c.aliases.iter().copied())
        .map(String::from)
        .collect();
    let mut date_aliases: Vec<String> = c.date_aliases.iter().map(|a| a.to_string()).collect();
    let list = if date {
        &mut date_aliases
    } else {
        &mut aliases
    };
    if !list
        .iter()
        .any(|a| normalize_header(a) == normalize_header(header))
    {
        list.push(header.trim().to_string());
    }
    placeholder(
        c.name.to_string(),
        c.label.to_string(),
        c.group,
        if c.boolean {
            Kind::Boolean
        } else {
            Kind::Numeric
        },
        aliases,
        date_aliases,
        c.date_direction,
        c.unit.to_string(),
        None,
        Reasons {
            high: c.reason_high.to_string(),
            low: c.reason_low.to_string(),
        },
    )
}

/// The placeholder spec of a column the canonical schema does not know.
fn generic_spec(
    name: String,
    header: &str,
    kind: ColumnKind,
    levels: Option<Vec<String>>,
) -> FeatureSpec {
    let header = header.trim().to_string();
    let (kind, aliases, date_aliases, direction, label, unit) = match kind {
        ColumnKind::Date => (
            Kind::Numeric,
            Vec::new(),
            vec![header.clone()],
            Some(schema::DateDirection::Since),
            format!("Days since {header}"),
            "days".to_string(),
        ),
        ColumnKind::Boolean => (
            Kind::Boolean,
            vec![header.clone()],
            Vec::new(),
            None,
            header.clone(),
            String::new(),
        ),
        ColumnKind::Categorical => (
            Kind::Categorical,
            vec![header.clone()],
            Vec::new(),
            None,
            header.clone(),
            String::new(),
        ),
        _ => (
            Kind::Numeric,
            vec![header.clone()],
            Vec::new(),
            None,
            header.clone(),
            String::new(),
        ),
    };
    placeholder(
        name,
        label,
        schema::Group::Other,
        kind,
        aliases,
        date_aliases,
        direction,
        unit,
        levels,
        Reasons::default(),
    )
}

#[allow(clippy::too_many_arguments)]
fn placeholder(
    name: String,
    label: String,
    group: schema::Group,
    kind: Kind,
    aliases: Vec<String>,
    date_aliases: Vec<String>,
    date_direction: Option<schema::DateDirection>,
    unit: String,
    levels: Option<Vec<String>>,
    reasons: Reasons,
) -> FeatureSpec {
    let basis = match levels {
        Some(levels) => Basis::Categorical { levels },
        None => Basis::Linear,
    };
    let width = basis.width();
    FeatureSpec {
        name,
        label,
        group,
        kind,
        aliases,
        date_aliases,
        date_direction,
        unit,
        impute: 0.0,
        typical: 0.0,
        range: [0.0, 0.0],
        transform: Transform::None,
        basis,
        coefficients: vec![0.0; width],
        centers: vec![0.0; width],
        missing: None,
        reasons,
    }
}

/// Reads a churn label: yes/no, y/n, true/false, t/f, 1/0, churned/retained,
/// churn/stay, lost/renewed, cancelled/active and similar (case-insensitive, trimmed);
/// anything else the ingest layer reads as a boolean. `None` when missing or unreadable.
///
/// ```
/// use churn_audit::train::parse_label;
/// assert_eq!(parse_label(" Churned "), Some(true));
/// assert_eq!(parse_label("0"), Some(false));
/// assert_eq!(parse_label("maybe"), None);
/// ```
pub fn parse_label(cell: &str) -> Option<bool> {
    const CHURNED: &[&str] = &[
        "yes",
        "y",
        "true",
        "t",
        "1",
        "1.0",
        "churned",
        "churn",
        "churner",
        "lost",
        "left",
        "cancelled",
        "canceled",
        "terminated",
        "closed lost",
    ];
    const RETAINED: &[&str] = &[
        "no",
        "n",
        "false",
        "f",
        "0",
        "0.0",
        "retained",
        "retain",
        "stay",
        "stayed",
        "active",
        "renewed",
        "kept",
        "current",
        "closed won",
    ];
    let text = cell.trim().to_lowercase();
    if CHURNED.contains(&text.as_str()) {
        return Some(true);
    }
    if RETAINED.contains(&text.as_str()) {
        return Some(false);
    }
    if ingest::is_missing(&text) {
        return None;
    }
    ingest::parse_bool(&text).ok().flatten()
}

fn column_spec(aliases: &[&str]) -> ColumnSpec {
    ColumnSpec {
        name: aliases.first().copied().unwrap_or("").to_string(),
        aliases: aliases.iter().skip(1).map(|a| a.to_string()).collect(),
    }
}

/// A model holding only what [`features::prepare`] reads: the columns and features.
fn scaffold_model(features: Vec<FeatureSpec>, label: &str) -> Model {
    Model {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        name: String::new(),
        description: String::new(),
        label: label.to_string(),
        id_column: column_spec(schema::ID_ALIASES),
        name_column: Some(column_spec(schema::NAME_ALIASES)),
        segment_column: Some(column_spec(schema::SEGMENT_ALIASES)),
        value_feature: None,
        intercept: 0.0,
        features,
        tiers: vec![Tier {
            name: "Low".into(),
            min_probability: 0.0,
        }],
        metrics: Metrics::default(),
        provenance: Provenance {
            tool: String::new(),
            trained_at: String::new(),
            data_file: String::new(),
            data_sha256: String::new(),
            rows: 0,
            churn_rate: 0.0,
            seed: 0,
            l2: 0.0,
        },
    }
}

/// Everything the schema-independent part of training needs.
struct TrainInput<'a> {
    file: &'a str,
    bytes: &'a [u8],
    cfg: &'a TrainConfig,
    prepared: &'a Prepared,
    /// Indices into `prepared.rows` of the labelled rows.
    rows: &'a [usize],
    /// Their labels (true = churned).
    labels: &'a [bool],
    /// Which labelled rows are fitted on and which are held out.
    split: Split,
    /// Placeholder specs, one per prepared feature, in prepared order.
    candidates: Vec<FeatureSpec>,
    value_feature: Option<&'static str>,
    label_header: &'a str,
    id_column: ColumnSpec,
    name_column: Option<ColumnSpec>,
    segment_column: Option<ColumnSpec>,
    /// Columns the plan left out, with the reason (for the "no usable column" message).
    left_out: &'a [(String, String)],
}

/// One column of the design matrix: feature `feature` (index into the kept specs) and
/// its basis column `Some(j)`, or its missing indicator (`None`).
#[derive(Debug, Clone, Copy)]
struct DesignColumn {
    feature: usize,
    basis: Option<usize>,
}

/// A fitted logistic regression on the standardised active columns, oriented so the
/// probability is P(churn).
#[derive(Debug, Clone)]
struct Fitted {
    w: Vec<f64>,
    b: f64,
}

fn fit_table(
    input: TrainInput<'_>,
    mut warnings: Vec<String>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Trained> {
    let TrainInput {
        file,
        bytes,
        cfg,
        prepared,
        rows,
        labels,
        split,
        candidates,
        value_feature,
        label_header,
        id_column,
        name_column,
        segment_column,
        left_out,
    } = input;
    let train_err = |reason: String| Error::train(file, reason);

    let positives = labels.iter().filter(|&&y| y).count();
    let Split {
        train: train_idx,
        held: held_idx,
        mut rng,
    } = split;

    let p = prepared.n_features;
    let value = |i: usize, f: usize| -> f64 {
        prepared
            .values
            .get(rows[i] * p + f)
            .copied()
            .unwrap_or(f64::NAN)
    };

    // Shape each feature on the training rows.
    let mut specs: Vec<FeatureSpec> = Vec::new();
    let mut source: Vec<usize> = Vec::new();
    // Why each candidate was dropped, by its header, for the "no usable column" message.
    let mut dropped: Vec<(String, String)> = left_out.to_vec();
    for (f, candidate) in candidates.into_iter().enumerate() {
        if f >= p || prepared.missing_features.contains(&candidate.name) {
            continue;
        }
        let header = candidate
            .aliases
            .last()
            .or(candidate.date_aliases.last())
            .cloned()
            .unwrap_or_else(|| candidate.name.clone());
        let mut observed: Vec<f64> = train_idx
            .iter()
            .map(|&i| value(i, f))
            .filter(|x| !x.is_nan())
            .collect();
        if observed.is_empty() {
            warnings.push(format!(
                "feature '{}' has no value in the training rows and was left out",
                candidate.name
            ));
            dropped.push((header, "it has no value in the training rows".into()));
            continue;
        }
        if observed.iter().any(|x| !x.is_finite() || x.abs() > 1e15) {
            warnings.push(format!(
                "feature '{}' holds values too large to model (beyond 1e15) and was left out",
                candidate.name
            ));
            dropped.push((header, "it holds values too large to model".into()));
            continue;
        }
        observed.sort_by(f64::total_cmp);
        let missing_rate = 1.0 - observed.len() as f64 / train_idx.len() as f64;
        let spec = shape_feature(candidate, &observed, missing_rate);
        let constant = observed.first() == observed.last();
        if constant && spec.missing.is_none() {
            warnings.push(format!(
                "feature '{}' has the same value in every training row and was left out",
                spec.name
            ));
            dropped.push((header, "it has the same value in every row".into()));
            continue;
        }
        specs.push(spec);
        source.push(f);
    }
    if specs.is_empty() {
        return Err(no_usable_column(file, label_header, &dropped));
    }
    report(progress, "Preparing the columns for fitting", 0.12);

    // The design: basis columns and missing indicators, computed by the model's own
    // basis code so training and scoring cannot disagree.
    let mut columns = Vec::new();
    for (k, spec) in specs.iter().enumerate() {
        for j in 0..spec.basis.width() {
            columns.push(DesignColumn {
                feature: k,
                basis: Some(j),
            });
        }
        if spec.missing.is_some() {
            columns.push(DesignColumn {
                feature: k,
                basis: None,
            });
        }
    }
    let n_train = train_idx.len();
    let n_cols = columns.len();
    let mut raw = Array2::<f64>::zeros((n_train, n_cols));
    let mut scratch = Vec::new();
    for (r, &i) in train_idx.iter().enumerate() {
        let mut c = 0;
        for (k, spec) in specs.iter().enumerate() {
            let x = value(i, source[k]);
            spec.basis_into(x, &mut scratch);
            for &b in &scratch {
                raw[[r, c]] = b;
                c += 1;
            }
            if spec.missing.is_some() {
                raw[[r, c]] = if x.is_nan() { 1.0 } else { 0.0 };
                c += 1;
            }
        }
    }
    let mut center = vec![0.0; n_cols];
    let mut scale = vec![0.0; n_cols];
    for c in 0..n_cols {
        let col = raw.column(c);
        let mean = col.iter().sum::<f64>() / n_train as f64;
        let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n_train as f64;
        center[c] = mean;
        scale[c] = var.sqrt();
    }
    // The optimiser sees each feature's centered columns orthonormalised (see
    // `orthonormalise`); columns without variation, or that repeat their feature's
    // other columns, keep coefficient 0.
    let (z, combos) = orthonormalise(&raw, &columns, &center, &scale);
    drop(raw);
    if combos.is_empty() {
        return Err(no_usable_column(file, label_header, &dropped));
    }
    let y_train: Vec<bool> = train_idx.iter().map(|&i| labels[i]).collect();

    // Choose the L2 strength by cross-validation unless it was given.
    let mut warm: Option<Fitted> = None;
    let mut cross_validated: Option<MetricSet> = None;
    let l2 = match cfg.l2 {
        Some(l2) => l2,
        None => match cross_validate(z.view(), &y_train, &mut rng, file, progress)? {
            Some(cv) => {
                cross_validated = Some(cv.metrics);
                warm = Some(cv.warm);
                cv.l2
            }
            None => {
                warnings.push(format!(
                    "too few examples of each class to cross-validate; L2 strength {DEFAULT_L2} used"
                ));
                DEFAULT_L2
            }
        },
    };
    report(progress, "Fitting the final model", PROGRESS_CV.1);
    let fitted = fit_logistic(
        z.view(),
        &y_train,
        l2,
        GRADIENT_TOLERANCE_PER_ROW,
        warm.as_ref(),
        file,
    )?;
    report(
        progress,
        "Checking the model and measuring it on held-out accounts",
        0.95,
    );

    // Back to the model file's scale: the optimiser's column j is Σ_c combos[j][c]·(b_c − m_c),
    // so design column c gets the coefficient Σ_j w_j·combos[j][c].
    let mut coefficient = vec![0.0; n_cols];
    for (j, combo) in combos.iter().enumerate() {
        for &(c, weight) in combo {
            coefficient[c] += fitted.w[j] * weight;
        }
    }
    for (c, col) in columns.iter().enumerate() {
        let spec = &mut specs[col.feature];
        match col.basis {
            Some(j) => {
                spec.coefficients[j] = coefficient[c];
                spec.centers[j] = center[c];
            }
            None => {
                if let Some(m) = spec.missing.as_mut() {
                    m.coefficient = coefficient[c];
                    m.center = center[c];
                }
            }
        }
    }
    let value_feature = value_feature
        .filter(|v| {
            specs
                .iter()
                .any(|s| s.name == *v && s.kind == Kind::Numeric)
        })
        .map(String::from);
    let n_features = specs.len();

    let base_rate = positives as f64 / labels.len() as f64;
    let mut model = Model {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        name: format!("churn-audit model ({})", base_name(file)),
        description: String::new(),
        label: label_header.to_string(),
        id_column,
        name_column,
        segment_column,
        value_feature,
        intercept: fitted.b,
        features: specs,
        tiers: Vec::new(),
        metrics: Metrics::default(),
        provenance: Provenance {
            tool: format!("churn-audit {}", env!("CARGO_PKG_VERSION")),
            trained_at: ingest::format_iso_date(cfg.as_of),
            data_file: base_name(file).to_string(),
            data_sha256: sha256_hex(bytes),
            rows: labels.len(),
            churn_rate: base_rate,
            seed: cfg.seed,
            l2,
        },
    };

    // Score the training rows through the model file's own code and check it matches
    // the optimiser's log-odds: the contributions shown to users must be the model.
    let fitted_log_odds = z.dot(&Array1::from(fitted.w.clone())) + fitted.b;
    let mut values_row = vec![f64::NAN; n_features];
    let mut train_p = Vec::with_capacity(n_train);
    let mut worst = 0.0f64;
    for (r, &i) in train_idx.iter().enumerate() {
        for (k, &f) in source.iter().enumerate() {
            values_row[k] = value(i, f);
        }
        let s = model.score(&values_row);
        let diff = (s.log_odds - fitted_log_odds[r]).abs();
        worst = if diff.is_nan() {
            f64::INFINITY
        } else {
            worst.max(diff)
        };
        train_p.push(s.probability);
    }
    if worst >= 1e-6 {
        return Err(train_err(format!(
            "internal check failed: the model file reproduces the fitted log-odds only to within {worst:e}"
        )));
    }

    let mut held_y = Vec::with_capacity(held_idx.len());
    let mut held_p = Vec::with_capacity(held_idx.len());
    for &i in &held_idx {
        for (k, &f) in source.iter().enumerate() {
            values_row[k] = value(i, f);
        }
        held_y.push(labels[i]);
        held_p.push(model.score(&values_row).probability);
    }
    model.metrics = Metrics {
        held_out: (!held_y.is_empty()).then(|| metric_set(&held_y, &held_p)),
        cross_validated,
    };
    model.tiers = tiers(&train_p, &y_train);
    model.description = format!(
        "Logistic model of the probability that an account churns ('{}'), trained on {} of {} labelled accounts in {} ({} held out for evaluation); {} features; L2 strength {} {}.",
        show_value(label_header),
        n_train,
        labels.len(),
        base_name(file),
        held_idx.len(),
        n_features,
        l2,
        if cfg.l2.is_some() {
            "as given"
        } else if model.metrics.cross_validated.is_some() {
            "chosen by 3-fold cross-validation"
        } else {
            "(default)"
        }
    );
    model.validate(file).map_err(|e| {
        train_err(format!(
            "internal check failed: the trained model is invalid: {e}"
        ))
    })?;
    report(progress, "Done", 1.0);
    Ok(Trained { model, warnings })
}

/// The optimiser's columns: for each feature, its centered design columns made
/// orthonormal (modified Gram-Schmidt, mean square 1, uncorrelated within the feature).
///
/// Why: a feature's hinge columns are strongly correlated with each other, and plain
/// standardisation leaves L-BFGS crawling along that ridge (ten times slower here). The
/// change of basis is exact and invertible, so the fitted log-odds are unchanged by it;
/// what it changes is the L2 penalty, which now applies to `Σ_f Var(contribution_f)`,
/// the variance of each feature's contribution over the training rows: one strength
/// treats every feature alike whatever its basis width or units.
///
/// Returns the matrix and, per optimiser column, its weights on the design columns
/// (`(design column, weight)`), in raw centered units. A column whose remainder after
/// its feature's earlier columns is below 1e-6 of its own spread (a constant, or a
/// duplicate) is left out.
fn orthonormalise(
    raw: &Array2<f64>,
    columns: &[DesignColumn],
    center: &[f64],
    scale: &[f64],
) -> (Array2<f64>, Vec<Vec<(usize, f64)>>) {
    let n = raw.nrows();
    let nf = n.max(1) as f64;
    // Column-major: linfa's gradient multiplies by the transpose, which is then a fast
    // row-major product (twice as fast overall as the default layout).
    let mut z = Array2::<f64>::zeros((n, columns.len()).f());
    let mut kept = 0;
    let mut combos: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut block_start = 0;
    for c in 0..columns.len() {
        if c > 0 && columns[c].feature != columns[c - 1].feature {
            block_start = kept;
        }
        if !(scale[c].is_finite() && scale[c] > 1e-12 && center[c].is_finite()) {
            continue;
        }
        let mut v: Vec<f64> = raw.column(c).iter().map(|x| x - center[c]).collect();
        let mut combo: Vec<(usize, f64)> = vec![(c, 1.0)];
        for (i, earlier) in combos.iter().enumerate().skip(block_start) {
            let q = z.column(i);
            let r = q.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>() / nf;
            for (x, qx) in v.iter_mut().zip(q.iter()) {
                *x -= r * qx;
            }
            for &(d, weight) in earlier {
                match combo.iter_mut().find(|(e, _)| *e == d) {
                    Some((_, w)) => *w -= r * weight,
                    None => combo.push((d, -r * weight)),
                }
            }
        }
        let norm = (v.iter().map(|x| x * x).sum::<f64>() / nf).sqrt();
        if !(norm.is_finite() && norm > 1e-6 * scale[c]) {
            continue;
        }
        for (out, x) in z.column_mut(kept).iter_mut().zip(&v) {
            *out = x / norm;
        }
        for (_, w) in combo.iter_mut() {
            *w /= norm;
        }
        combo.sort_by_key(|&(d, _)| d);
        combos.push(combo);
        kept += 1;
    }
    (z.slice_move(s![.., ..kept]), combos)
}

/// Fills in a feature's statistics, transform and basis from its sorted, finite
/// training values; coefficients and centers are zeros of the right width.
fn shape_feature(mut spec: FeatureSpec, sorted: &[f64], missing_rate: f64) -> FeatureSpec {
    let lo = sorted[0];
    let hi = sorted[sorted.len() - 1];
    let median = quantile_sorted(sorted, 0.5);
    spec.impute = median;
    spec.typical = median;
    spec.range = [lo, hi];
    spec.transform = Transform::None;
    if let Basis::Categorical { levels } = &spec.basis {
        // Values are level indices (the number of levels for "other"); the range covers
        // them all so nothing is reported as clipped, and the typical value is the most
        // frequent level (a median of level indices means nothing).
        spec.range = [0.0, levels.len() as f64];
        let mut best = (0usize, sorted[0]);
        let mut start = 0;
        for i in 1..=sorted.len() {
            if i == sorted.len() || sorted[i] != sorted[start] {
                if i - start > best.0 {
                    best = (i - start, sorted[start]);
                }
                start = i;
            }
        }
        spec.typical = best.1;
        spec.impute = best.1;
    } else {
        spec.basis = Basis::Linear;
    }
    if spec.kind == Kind::Numeric {
        if lo >= 0.0 && skewness(sorted) > LOG_SKEWNESS {
            spec.transform = Transform::Log1p;
        }
        let transformed: Vec<f64> = match spec.transform {
            Transform::Log1p => sorted.iter().map(|x| x.ln_1p()).collect(),
            Transform::None => sorted.to_vec(),
        };
        let knots = choose_knots(&transformed);
        if !knots.is_empty() {
            spec.basis = Basis::Hinge { knots };
        }
    }
    let width = spec.basis.width();
    spec.coefficients = vec![0.0; width];
    spec.centers = vec![0.0; width];
    spec.missing = (missing_rate >= MISSING_TERM_RATE).then_some(MissingTerm {
        coefficient: 0.0,
        center: missing_rate,
    });
    spec
}

/// Hinge knots at the deciles 0.1, 0.3, 0.5, 0.7 and 0.9 of sorted transformed values: distinct, strictly inside
/// the range, each with at least 5 values above it; none with fewer than 5 distinct
/// values. When a quarter or more of the values sit at the minimum (zero-inflated
/// counts, "no late invoice"), the quantiles of the values above it are used instead.
fn choose_knots(sorted: &[f64]) -> Vec<f64> {
    let n = sorted.len();
    if n == 0 {
        return Vec::new();
    }
    let (lo, hi) = (sorted[0], sorted[n - 1]);
    let distinct = 1 + sorted.windows(2).filter(|w| w[1] > w[0]).count();
    if distinct < 5 {
        return Vec::new();
    }
    let at_min = sorted.partition_point(|&v| v <= lo);
    let base = if at_min * 4 >= n {
        &sorted[at_min..]
    } else {
        sorted
    };
    let mut knots: Vec<f64> = Vec::new();
    for q in KNOT_QUANTILES {
        let k = quantile_sorted(base, q);
        let above = n - sorted.partition_point(|&v| v <= k);
        if k > lo && k < hi && above >= 5 && knots.last().map_or(true, |&last| k > last) {
            knots.push(k);
        }
    }
    knots
}

/// Linear-interpolation quantile of sorted values (NumPy's default); NaN when empty.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let i = pos.floor() as usize;
    let frac = pos - i as f64;
    match sorted.get(i + 1) {
        Some(&next) if frac > 0.0 => sorted[i] + frac * (next - sorted[i]),
        _ => sorted[i],
    }
}

/// Sample skewness (the population moment ratio m3 / m2^1.5); 0 when constant.
fn skewness(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    if n < 3.0 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / n;
    let (mut m2, mut m3) = (0.0, 0.0);
    for v in values {
        let d = v - mean;
        m2 += d * d;
        m3 += d * d * d;
    }
    m2 /= n;
    m3 /= n;
    if m2 <= 0.0 {
        return 0.0;
    }
    m3 / m2.powf(1.5)
}

/// The class linfa-logistic will call positive for these labels: the more frequent one,
/// the first met on a tie. Used only to orient warm starts; the fitted labels decide the
/// final orientation.
fn linfa_positive(y: &[bool]) -> bool {
    let trues = y.iter().filter(|&&b| b).count();
    let falses = y.len() - trues;
    match trues.cmp(&falses) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => y.first().copied().unwrap_or(true),
    }
}

/// Fits an L2-penalised logistic regression on `x` with linfa-logistic, oriented so the
/// result predicts P(y = true).
fn fit_logistic(
    x: ArrayView2<'_, f64>,
    y: &[bool],
    alpha: f64,
    tolerance_per_row: f64,
    warm: Option<&Fitted>,
    file: &str,
) -> Result<Fitted> {
    let targets = Array1::from(y.to_vec());
    let dataset = DatasetBase::new(x, targets);
    let params = LogisticRegression::default()
        .alpha(alpha)
        .max_iterations(MAX_ITERATIONS)
        .gradient_tolerance(tolerance_per_row * y.len().max(1) as f64);
    let attempt = |init: Option<Array1<f64>>| {
        let p = match init {
            Some(init) => params.clone().initial_params(init),
            None => params.clone(),
        };
        p.fit(&dataset)
    };
    let result = match warm.filter(|w| w.w.len() == x.ncols()) {
        Some(w) => {
            let sign = if linfa_positive(y) { 1.0 } else { -1.0 };
            let init: Vec<f64> =
                w.w.iter()
                    .chain(std::iter::once(&w.b))
                    .map(|v| sign * v)
                    .collect();
            // A warm start only saves time; if the line search trips over it, start cold.
            attempt(Some(Array1::from(init))).or_else(|_| attempt(None))
        }
        None => attempt(None),
    };
    let fitted = result.map_err(|e| {
        Error::train(
            file,
            format!("the model could not be fitted to this history (the optimiser reports: {e}); try leaving out columns with extreme values, or report the problem"),
        )
    })?;
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let w: Vec<f64> = fitted.params().iter().map(|v| sign * v).collect();
    let b = sign * fitted.intercept();
    if !b.is_finite() || w.iter().any(|v| !v.is_finite()) {
        return Err(Error::train(
            file,
            "the model could not be fitted to this history (its numbers grew without bound, which happens when one column separates churned from retained accounts perfectly); look for a column that records the churn itself, such as a cancellation date, and leave it out",
        ));
    }
    Ok(Fitted { w, b })
}

/// The given rows of `z`, column-major like the design itself.
fn gather_rows(z: ArrayView2<'_, f64>, rows: &[usize]) -> Array2<f64> {
    let mut out = Array2::<f64>::zeros((rows.len(), z.ncols()).f());
    for (j, column) in z.axis_iter(Axis(1)).enumerate() {
        for (r, &i) in rows.iter().enumerate() {
            out[[r, j]] = column[i];
        }
    }
    out
}

fn predict(x: ArrayView2<'_, f64>, fitted: &Fitted) -> Vec<f64> {
    let z = x.dot(&Array1::from(fitted.w.clone())) + fitted.b;
    z.iter().map(|&v| sigmoid(v)).collect()
}

/// The outcome of the cross-validation.
struct CrossValidation {
    l2: f64,
    metrics: MetricSet,
    /// A solution at the chosen strength (the mean of the folds' solutions), to
    /// warm-start the final fit.
    warm: Fitted,
}

/// Chooses the L2 strength from [`L2_GRID`] by stratified [`CV_FOLDS`]-fold
/// cross-validated log loss (ties go to the stronger penalty), trying strengths from the
/// strongest down and stopping at the first that does no better than the best so far;
/// `None` when a class has fewer rows than folds.
fn cross_validate(
    z: ArrayView2<'_, f64>,
    y: &[bool],
    rng: &mut ChaCha8Rng,
    file: &str,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Option<CrossValidation>> {
    let mut fold_of = vec![0usize; y.len()];
    for class in [true, false] {
        let mut members: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        if members.len() < CV_FOLDS {
            return Ok(None);
        }
        members.shuffle(rng);
        for (position, &i) in members.iter().enumerate() {
            fold_of[i] = position % CV_FOLDS;
        }
    }
    // Out-of-fold probabilities per strength, strongest first; the search stops at the
    // first strength whose cross-validated log loss is worse than the best so far (the
    // loss along the grid is U-shaped: weaker penalties only fit the folds' noise).
    //
    // Warm starts: fold 0 walks the path from the intercept-only model down the grid;
    // every later fold starts from the previous fold's solution at the same strength
    // (the folds share half their rows, so that solution is close, far closer than
    // the intercept-only model).
    let rate = y.iter().filter(|&&b| b).count() as f64 / y.len().max(1) as f64;
    let intercept_only = Fitted {
        w: vec![0.0; z.ncols()],
        b: (rate / (1.0 - rate)).ln(),
    };
    let mut folds = Vec::with_capacity(CV_FOLDS);
    for fold in 0..CV_FOLDS {
        let fit_rows: Vec<usize> = (0..y.len()).filter(|&i| fold_of[i] != fold).collect();
        let val_rows: Vec<usize> = (0..y.len()).filter(|&i| fold_of[i] == fold).collect();
        let x_fit = gather_rows(z, &fit_rows);
        let x_val = gather_rows(z, &val_rows);
        let y_fit: Vec<bool> = fit_rows.iter().map(|&i| y[i]).collect();
        folds.push((val_rows, x_fit, x_val, y_fit));
    }
    let mut path_start = intercept_only;
    let mut best: Option<(f64, f64, Vec<f64>, Fitted)> = None;
    let fits = (L2_GRID.len() * CV_FOLDS) as f64;
    for (step, &alpha) in L2_GRID.iter().enumerate() {
        let mut oof = vec![0.0; y.len()];
        let mut previous = path_start.clone();
        let mut solutions = Vec::with_capacity(CV_FOLDS);
        for (fold, (val_rows, x_fit, x_val, y_fit)) in folds.iter().enumerate() {
            let k = (step * CV_FOLDS + fold) as f64;
            report(
                progress,
                &format!(
                    "Choosing how strongly to smooth the model: strength {} of {}, check {} of {CV_FOLDS}",
                    step + 1,
                    L2_GRID.len(),
                    fold + 1
                ),
                PROGRESS_CV.0 + (PROGRESS_CV.1 - PROGRESS_CV.0) * k / fits,
            );
            let fitted = fit_logistic(
                x_fit.view(),
                y_fit,
                alpha,
                CV_GRADIENT_TOLERANCE_PER_ROW,
                Some(&previous),
                file,
            )?;
            for (&i, p) in val_rows.iter().zip(predict(x_val.view(), &fitted)) {
                oof[i] = p;
            }
            previous = fitted.clone();
            solutions.push(fitted);
        }
        path_start = solutions[0].clone();
        let loss = crate::metrics::log_loss(y, &oof);
        // Strictly better only: on a tie the stronger penalty (earlier) stays.
        // (A NaN loss never counts as better.)
        let improves = match &best {
            None => true,
            Some(b) => loss < b.1 - 1e-12,
        };
        if !improves {
            break;
        }
        // The mean of the folds' solutions starts the final fit on all the rows.
        let k = solutions.len() as f64;
        let mean = Fitted {
            w: (0..z.ncols())
                .map(|j| solutions.iter().map(|s| s.w[j]).sum::<f64>() / k)
                .collect(),
            b: solutions.iter().map(|s| s.b).sum::<f64>() / k,
        };
        best = Some((alpha, loss, oof, mean));
    }
    let Some((l2, _, oof, warm)) = best else {
        return Ok(None);
    };
    Ok(Some(CrossValidation {
        l2,
        metrics: metric_set(y, &oof),
        warm,
    }))
}

/// Risk tiers from the training probabilities: High from the probability at the top
/// 10% of scores, Medium from the churn rate, Low from 0, each rounded to 2 decimals;
/// fixed 0.5 / 0.2 / 0 when those would not be strictly decreasing and positive.
fn tiers(train_p: &[f64], y: &[bool]) -> Vec<Tier> {
    let round2 = |x: f64| (x * 100.0).round() / 100.0;
    let mut sorted = train_p.to_vec();
    sorted.sort_by(f64::total_cmp);
    let high = round2(quantile_sorted(&sorted, 0.9));
    let medium = round2(y.iter().filter(|&&b| b).count() as f64 / y.len().max(1) as f64);
    let (high, medium) = if high.is_finite() && high <= 1.0 && high > medium && medium > 0.0 {
        (high, medium)
    } else {
        (0.5, 0.2)
    };
    [("High", high), ("Medium", medium), ("Low", 0.0)]
        .into_iter()
        .map(|(name, min_probability)| Tier {
            name: name.into(),
            min_probability,
        })
        .collect()
}

/// The file name without its directories.
fn base_name(file: &str) -> &str {
    file.rsplit(['/', '\\']).next().unwrap_or(file)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::{simulate, SimConfig};
    use rand::Rng as _;
    use std::sync::OnceLock;

    const AS_OF: i64 = 20_468; // 2026-01-15

    fn cfg(seed: u64, l2: Option<f64>) -> TrainConfig {
        TrainConfig {
            seed,
            as_of: AS_OF,
            l2,
            ..TrainConfig::new("churned")
        }
    }

    #[test]
    fn column_kinds_are_inferred_from_cells() {
        use ColumnKind::*;
        assert_eq!(infer_kind(&["yes", "no", "YES", ""], false), Boolean);
        assert_eq!(infer_kind(&["1", "0", "n/a"], false), Boolean);
        assert_eq!(infer_kind(&["true", "FALSE"], false), Boolean);
        assert_eq!(infer_kind(&["1", "0", "2"], false), Numeric);
        assert_eq!(
            infer_kind(&["$12,500", "€ 900", "-12%", "1.5"], false),
            Numeric
        );
        assert_eq!(infer_kind(&["1.234,5", "12,25"], true), Numeric);
        assert_eq!(infer_kind(&["2026-01-15", "2025-03-02", ""], false), Date);
        assert_eq!(infer_kind(&["15/01/2026", "02/03/2025"], false), Date);
        assert_eq!(infer_kind(&["Gold", "Silver", "Gold"], false), Categorical);
        assert_eq!(infer_kind(&["", "n/a", "NULL"], false), Empty);
        // One unreadable cell in forty does not stop a column from being numeric...
        let mut cells: Vec<String> = (0..39).map(|i| i.to_string()).collect();
        cells.push("lots".into());
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        assert_eq!(infer_kind(&refs, false), Numeric);
        // ...but one in ten does.
        assert_eq!(
            infer_kind(
                &["1", "2", "3", "4", "5", "6", "7", "8", "9", "many"],
                false
            ),
            Categorical
        );
    }

    #[test]
    fn header_words_and_identifiers() {
        assert_eq!(header_words("customerID"), ["customer", "id"]);
        assert_eq!(
            header_words("Total Day-Minutes"),
            ["total", "day", "minutes"]
        );
        assert!(id_like_header("customerID"));
        assert!(id_like_header("Record ID"));
        assert!(id_like_header("phone number"));
        assert!(!id_like_header("paid"));
        assert!(!id_like_header("number_customer_service_calls"));
        assert_eq!(slug("Monthly Charges ($)"), "monthly_charges");
    }

    /// A table in no known schema, with a known churn mechanism:
    /// log-odds = -1.5 + 1.6·[plan = basic] + 0.8·[plan = pro] + 1.2·[autopay = no]
    ///            + 0.9·[spend > 100] + 0.004·days since signup.
    /// It also holds a row number, a unique text reference, a constant, a rare plan, an
    /// empty column and a canonical column under a CRM alias ("NPS Score", no effect).
    fn foreign_table(rows: usize, seed: u64) -> String {
        let mut out = String::from(
            "row,Customer Ref,Plan,Monthly Spend ($),Autopay,Signup Date,Region Code,Notes,NPS Score,Status\n",
        );
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for i in 0..rows {
            let u: f64 = rng.random();
            let plan = if u < 0.001 {
                "legacy"
            } else if u < 0.4 {
                "basic"
            } else if u < 0.75 {
                "Pro"
            } else {
                "enterprise"
            };
            let spend = (20.0 + 160.0 * rng.random::<f64>()).round();
            let autopay = rng.random_bool(0.6);
            let days = (30.0 + 700.0 * rng.random::<f64>()).round() as i64;
            let nps = (rng.random::<f64>() * 10.0).round();
            let z =
                -1.5 + match plan {
                    "basic" => 1.6,
                    "Pro" => 0.8,
                    _ => 0.0,
                } + if autopay { 0.0 } else { 1.2 }
                    + if spend > 100.0 { 0.9 } else { 0.0 }
                    + 0.004 * days as f64
                    - 1.6;
            let churned = rng.random_bool(sigmoid(z));
            let signup = ingest::format_iso_date(AS_OF - days);
            out.push_str(&format!(
                "{},C-{:06},{plan},{spend},{},{signup},EU,,{nps},{}\n",
                i + 1,
                (i * 7919) % 1_000_003,
                if autopay { "Y" } else { "N" },
                if churned { "churned" } else { "retained" }
            ));
        }
        out
    }

    #[test]
    fn any_table_trains_with_inferred_kinds() {
        let csv = foreign_table(3_000, 17);
        let mut c = cfg(3, None);
        c.label = "status".into();
        let t = train_with_report(csv.as_bytes(), "foreign.csv", &c).unwrap();
        let m = &t.model;
        let names: Vec<&str> = m.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "plan",
                "monthly_spend",
                "autopay",
                "days_since_signup_date",
                "nps"
            ]
        );
        let left_out = |h: &str| {
            t.warnings
                .iter()
                .any(|w| w.contains(&format!("'{h}' left out")))
        };
        assert!(left_out("row") && left_out("Customer Ref") && left_out("Notes"));
        assert!(!left_out("Plan"));
        assert!(t
            .warnings
            .iter()
            .any(|w| w.contains("same value in every training row")));
        // No id column: the model keeps the usual id aliases.
        assert_eq!(m.id_column.name, "account_id");

        let plan = &m.features[0];
        assert_eq!(plan.kind, Kind::Categorical);
        assert_eq!(plan.group, schema::Group::Other);
        assert_eq!(plan.aliases, ["Plan"]);
        let Basis::Categorical { levels } = &plan.basis else {
            panic!("plan is categorical")
        };
        // The rare "legacy" level is pooled with unseen ones.
        let mut sorted = levels.clone();
        sorted.sort();
        assert_eq!(sorted, ["Pro", "basic", "enterprise"]);
        let level = |l: &str| plan.level_index(l).unwrap() as f64;
        let c = |f: &FeatureSpec, x: f64| f.contribution(x, &mut Vec::new()).0;
        // True effects: basic +1.6, pro +0.8, enterprise 0 (within sampling error).
        let basic = c(plan, level("BASIC")) - c(plan, level("enterprise"));
        let pro = c(plan, level("pro")) - c(plan, level("enterprise"));
        assert!((basic - 1.6).abs() < 0.4, "basic {basic}");
        assert!((pro - 0.8).abs() < 0.4, "pro {pro}");
        assert_eq!(level("legacy"), levels.len() as f64);

        let autopay = &m.features[2];
        assert_eq!(autopay.kind, Kind::Boolean);
        let no_autopay = c(autopay, 0.0) - c(autopay, 1.0);
        assert!((no_autopay - 1.2).abs() < 0.35, "autopay {no_autopay}");

        let spend = &m.features[1];
        assert!(matches!(spend.basis, Basis::Hinge { .. }));
        // The threshold at 100 is learned: most of the rise happens across it.
        let jump = c(spend, 120.0) - c(spend, 80.0);
        let flat = c(spend, 70.0) - c(spend, 30.0);
        assert!(
            jump > 0.4 && jump > 2.0 * flat.abs(),
            "jump {jump}, flat {flat}"
        );

        let signup = &m.features[3];
        assert_eq!(signup.date_aliases, ["Signup Date"]);
        assert!(signup.aliases.is_empty());
        assert_eq!(signup.date_direction, Some(schema::DateDirection::Since));
        let per_year = c(signup, 400.0) - c(signup, 35.0);
        assert!((per_year - 0.004 * 365.0).abs() < 0.5, "signup {per_year}");

        // A canonical column under an alias keeps its canonical identity.
        let nps = &m.features[4];
        assert_eq!(nps.group, schema::Group::Advocacy);
        assert!(nps.aliases.iter().any(|a| a == "net promoter score"));

        // Scoring the table with the model reads every feature back.
        let e = evaluate(csv.as_bytes(), "foreign.csv", m, "Status", AS_OF).unwrap();
        assert!(e.missing_features.is_empty(), "{:?}", e.missing_features);
        assert_eq!(e.rows, 3_000);
        assert!(e.auc > 0.7, "{}", e.auc);
    }

    #[test]
    fn id_and_excluded_columns_are_not_features() {
        let csv = foreign_table(400, 2);
        let c = TrainConfig {
            id: Some("Customer Ref".into()),
            exclude: vec!["monthly spend".into(), "nothing".into()],
            as_of: AS_OF,
            ..TrainConfig::new("Status")
        };
        let t = train_with_report(csv.as_bytes(), "f.csv", &c).unwrap();
        assert_eq!(t.model.id_column.name, "Customer Ref");
        assert!(t.model.feature_index("monthly_spend").is_none());
        assert!(t.warnings.iter().any(|w| w.contains("'nothing'")));
    }

    #[test]
    fn evaluation_matches_a_hand_computation() {
        // tiny_model: log-odds = -1 + 0.02·(min(days, 365) - 30) + hinge terms...; rather
        // than re-derive it, score through the model and check the metrics against the
        // hand-computed AUC of these four rows: probabilities rise with days, labels are
        // no, yes, no, yes, so 3 of the 4 (churner, non-churner) pairs are ordered: 0.75.
        let m = crate::model::tests::tiny_model();
        let csv = "id,days,churned\nA,5,no\nB,10,yes\nC,200,no\nD,300,yes\nE,7,maybe\n";
        let p: Vec<f64> = [5.0, 10.0, 200.0, 300.0]
            .iter()
            .map(|&d| m.score(&[d, f64::NAN, f64::NAN]).probability)
            .collect();
        assert!(p.windows(2).all(|w| w[0] < w[1]));
        let e = evaluate(csv.as_bytes(), "t.csv", &m, "churned", 0).unwrap();
        assert_eq!(e.rows, 4);
        assert_eq!(e.skipped_rows, 1);
        assert_eq!(e.auc, 0.75);
        assert_eq!(e.base_rate, Some(0.5));
        assert_eq!(e.calibration.iter().map(|b| b.count).sum::<usize>(), 4);
    }

    #[test]
    fn nothing_held_out_fits_every_row() {
        let csv = sim(1_000, 3);
        let mut c = cfg(2, Some(1.0));
        c.held_out_share = 0.0;
        let m = train(csv.as_bytes(), "t.csv", &c).unwrap();
        assert!(m.metrics.held_out.is_none());
        c.held_out_share = 0.95;
        assert!(train(csv.as_bytes(), "t.csv", &c).is_err());
    }

    fn sim(accounts: usize, seed: u64) -> String {
        simulate(&SimConfig {
            accounts,
            seed,
            as_of: AS_OF,
        })
    }

    /// The model trained on simulate(20k, seed 7), shared by the tests that read it.
    fn big_model() -> &'static Model {
        static MODEL: OnceLock<Model> = OnceLock::new();
        MODEL.get_or_init(|| {
            let start = std::time::Instant::now();
            let m = train(sim(20_000, 7).as_bytes(), "sim.csv", &cfg(7, None)).unwrap();
            println!("trained on 20k simulated accounts in {:?}", start.elapsed());
            m
        })
    }

    fn contribution(m: &Model, name: &str, x: f64) -> f64 {
        let f = &m.features[m.feature_index(name).unwrap()];
        f.contribution(x, &mut Vec::new()).0
    }

    #[test]
    fn labels_are_read_in_many_spellings() {
        for yes in [
            "yes", "YES", " y", "true", "1", "1.0", "Churned", "churn", "lost",
        ] {
            assert_eq!(parse_label(yes), Some(true), "{yes}");
        }
        for no in [
            "no", "N", "false", "0", "retained", "stay", "Active", "renewed",
        ] {
            assert_eq!(parse_label(no), Some(false), "{no}");
        }
        for bad in ["", "  ", "maybe", "2", "n/a"] {
            assert_eq!(parse_label(bad), None, "{bad}");
        }
    }

    #[test]
    fn knots_and_quantiles() {
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert!(quantile_sorted(&[], 0.5).is_nan());
        let v: Vec<f64> = (0..100).map(f64::from).collect();
        let close = |a: Vec<f64>, b: &[f64]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
        };
        assert!(close(choose_knots(&v), &[9.9, 29.7, 49.5, 69.3, 89.1]));
        // Too few distinct values: linear.
        assert!(choose_knots(&[0.0, 1.0, 1.0, 2.0, 3.0]).is_empty());
        // Zero-inflated: the knots come from the values above zero.
        let mut z = vec![0.0; 80];
        z.extend((1..=20).map(f64::from));
        z.sort_by(f64::total_cmp);
        // Quantiles of 1..=20 at 0.1..0.9; 18.1 has only 2 values above it: dropped.
        assert!(close(choose_knots(&z), &[2.9, 6.7, 10.5, 14.3]));
        assert!(skewness(&[1.0, 1.0, 1.0]) == 0.0);
        assert!(skewness(&[0.0, 0.0, 0.0, 0.0, 10.0]) > 1.0);
    }

    #[test]
    fn probability_is_churn_whatever_class_linfa_calls_positive() {
        let csv = sim(3_000, 21);
        let mut lines = csv.lines();
        let header = lines.next().unwrap();
        let (churned, retained): (Vec<&str>, Vec<&str>) = lines.partition(|l| l.ends_with(",yes"));
        // Case 1: churn is the minority and the first row is retained.
        let mut a = vec![header];
        a.extend(&retained);
        a.extend(&churned);
        // Case 2: churn is the majority and the first row is churned.
        let mut b = vec![header];
        b.extend(&churned);
        b.extend(retained.iter().take(churned.len() / 2));
        for rows in [a, b] {
            let text = rows.join("\n") + "\n";
            let rate = rows.iter().filter(|l| l.ends_with(",yes")).count() as f64
                / (rows.len() - 1) as f64;
            let m = train(text.as_bytes(), "t.csv", &cfg(1, Some(1.0))).unwrap();
            assert!(
                contribution(&m, "days_since_last_engagement", 200.0)
                    > contribution(&m, "days_since_last_engagement", 5.0) + 0.3
            );
            assert!(contribution(&m, "is_reference", 1.0) < contribution(&m, "is_reference", 0.0));
            // The mean probability over the file is the churn rate (up to the held-out
            // sampling); a model predicting P(retained) would give 1 − rate.
            let mean_p = mean_probability(&m, &text);
            assert!((mean_p - rate).abs() < 0.02, "{mean_p} vs {rate}");
            assert!(m.metrics.held_out.as_ref().unwrap().auc > 0.7);
        }
    }

    /// The mean churn probability the model gives the rows of `csv`.
    fn mean_probability(m: &Model, csv: &str) -> f64 {
        let table = ingest::read_table(csv.as_bytes(), "t.csv").unwrap();
        let prepared = features::prepare(&table, m, AS_OF, "t.csv").unwrap();
        let n = prepared.rows.len();
        (0..n)
            .map(|i| m.score(prepared.row(i)).probability)
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn model_reproduces_its_training_churn_rate() {
        let csv = sim(2_000, 4);
        let m = train(csv.as_bytes(), "t.csv", &cfg(3, Some(1.0))).unwrap();
        let rate = m.provenance.churn_rate;
        let mean_p = mean_probability(&m, &csv);
        assert!((mean_p - rate).abs() < 0.02, "{mean_p} vs {rate}");
    }

    #[test]
    fn same_input_same_model() {
        let csv = sim(3_000, 9);
        let a = train(csv.as_bytes(), "dir/acc.csv", &cfg(5, None)).unwrap();
        let b = train(csv.as_bytes(), "dir/acc.csv", &cfg(5, None)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_json(), b.to_json());
        assert_eq!(a.provenance.data_file, "acc.csv");
        assert_eq!(a.provenance.trained_at, "2026-01-15");
        assert_eq!(a.provenance.data_sha256.len(), 64);
        let c = train(csv.as_bytes(), "dir/acc.csv", &cfg(6, None)).unwrap();
        assert_ne!(a, c);
        // The file round-trips through the format exactly.
        assert_eq!(Model::from_json(&a.to_json(), "m.json").unwrap(), a);
    }

    #[test]
    fn recovers_the_true_effect_directions() {
        let m = big_model();
        let up = |name: &str, high: f64, low: f64| {
            let (h, l) = (contribution(m, name, high), contribution(m, name, low));
            assert!(h > l + 0.1, "{name}: {high} -> {h}, {low} -> {l}");
        };
        up("days_since_last_engagement", 150.0, 10.0);
        up("open_escalations", 5.0, 0.0);
        up("invoice_days_late", 45.0, 0.0);
        up("checkins_missed_90d", 4.0, 0.0);
        up("logins_30d", 0.0, 10.0);
        up("usage_trend_pct", -30.0, 10.0);
        up("referrals_12m", 0.0, 3.0);
        up("is_reference", 0.0, 1.0);
        up("nps", 3.0, 9.0);
        // Satisfaction is weak by construction: far weaker than referrals.
        let csat = (contribution(m, "csat", 4.0) - contribution(m, "csat", 9.0)).abs();
        let refs = contribution(m, "referrals_12m", 0.0) - contribution(m, "referrals_12m", 3.0);
        assert!(csat < refs, "csat {csat} vs referrals {refs}");
        assert_eq!(m.value_feature.as_deref(), Some("contract_value"));
        assert!(m.features.iter().any(|f| f.missing.is_some()));
        let nps = &m.features[m.feature_index("nps").unwrap()];
        assert!(nps.missing.unwrap().center > 0.25);
        let days = &m.features[m.feature_index("days_since_last_engagement").unwrap()];
        assert!(matches!(days.basis, Basis::Hinge { .. }));
        assert_eq!(days.transform, Transform::Log1p);
    }

    #[test]
    fn held_out_auc_is_good_and_metrics_are_recorded() {
        let m = big_model();
        let held = m.metrics.held_out.as_ref().unwrap();
        let cv = m.metrics.cross_validated.as_ref().unwrap();
        println!(
            "held-out AUC {:.4} (rows {}), CV AUC {:.4}, L2 {}, tiers {:?}",
            held.auc,
            held.rows,
            cv.auc,
            m.provenance.l2,
            m.tiers
                .iter()
                .map(|t| (t.name.as_str(), t.min_probability))
                .collect::<Vec<_>>()
        );
        assert!(held.auc > 0.75, "held-out AUC {}", held.auc);
        assert!(held.lift_top_decile.unwrap() > 2.0);
        assert_eq!(held.rows, 4_000);
        assert_eq!(cv.rows, 16_000);
        assert!(L2_GRID.contains(&m.provenance.l2));
        assert_eq!(m.tiers.len(), 3);
        assert!(m.tiers[0].min_probability > m.tiers[1].min_probability);
        assert!((m.tiers[1].min_probability - m.provenance.churn_rate).abs() <= 0.005 + 1e-9);
        assert_eq!(m.provenance.rows, 20_000);
    }

    #[test]
    fn absent_features_are_left_out_and_warnings_reported() {
        let text = "account_id,logins_30d,open_escalations,nps,churned\n\
            A,1,3,,yes\nB,12,0,9,no\nC,2,2,4,yes\nD,15,0,8,no\nE,0,4,,yes\nF,9,1,7,no\n\
            G,11,0,10,no\nH,3,2,5,yes\nI,8,0,9,no\nJ,14,1,8,no\nK,,0,9,maybe\nL,7,0,8,\n";
        let t = train_with_report(text.as_bytes(), "small.csv", &cfg(1, None)).unwrap();
        let names: Vec<&str> = t.model.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["logins_30d", "open_escalations", "nps"]);
        assert_eq!(t.model.value_feature, None);
        assert_eq!(t.model.provenance.rows, 10);
        assert!(
            t.warnings.iter().any(|w| w.starts_with("2 row(s) skipped")),
            "{:?}",
            t.warnings
        );
    }

    #[test]
    fn errors_are_values() {
        let one_class = "account_id,logins_30d,churned\nA,1,no\nB,2,no\nC,3,no\n";
        let e = train(one_class.as_bytes(), "x.csv", &cfg(1, None)).unwrap_err();
        assert!(e.to_string().contains("only one class"), "{e}");
        let no_label = "account_id,logins_30d\nA,1\n";
        let e = train(no_label.as_bytes(), "x.csv", &cfg(1, None)).unwrap_err();
        assert!(e.to_string().contains("no label column 'churned'"), "{e}");
        let too_few = "account_id,logins_30d,churned\nA,1,yes\nB,2,no\nC,3,no\n";
        let e = train(too_few.as_bytes(), "x.csv", &cfg(1, None)).unwrap_err();
        assert!(e.to_string().contains("at least 2 of each"), "{e}");
        let constant = "account_id,logins_30d,churned\nA,1,yes\nB,1,no\nC,1,no\nD,1,yes\n";
        let e = train(constant.as_bytes(), "x.csv", &cfg(1, None)).unwrap_err();
        assert!(e.to_string().contains("no usable column"), "{e}");
        let e = train(b"", "x.csv", &cfg(1, None)).unwrap_err();
        assert!(!e.to_string().is_empty());
        let e = train(one_class.as_bytes(), "x.csv", &cfg(1, Some(f64::NAN))).unwrap_err();
        assert!(e.to_string().contains("L2"), "{e}");
    }

    /// The reason of a training error, without the "training on FILE: " prefix.
    fn reason(e: Error) -> String {
        match e {
            Error::Train { reason, .. } | Error::Unusable { reason, .. } => reason,
            other => panic!("not a training error: {other}"),
        }
    }

    #[test]
    fn bad_histories_are_explained_in_plain_words() {
        let c = cfg(1, None);
        // One class only: says which, and what to check.
        let e = reason(
            train(
                b"account_id,logins_30d,churned\nA,1,no\nB,2,no\nC,3,no\n",
                "x.csv",
                &c,
            )
            .unwrap_err(),
        );
        assert!(
            e.contains(
                "all 3 labelled accounts in column 'churned' are marked retained (none churned)"
            ),
            "{e}"
        );
        assert!(
            e.contains("accounts that left with accounts that stayed"),
            "{e}"
        );
        assert!(e.contains("includes the churned accounts"), "{e}");
        let e = reason(
            train(
                b"account_id,logins_30d,churned\nA,1,yes\nB,2,yes\n",
                "x.csv",
                &c,
            )
            .unwrap_err(),
        );
        assert!(e.contains("marked churned (none stayed)"), "{e}");
        // The label column is missing: the columns there are, and what to choose.
        let e = reason(train(b"account_id,logins_30d\nA,1\n", "x.csv", &c).unwrap_err());
        assert!(
            e.contains("the file's columns are 'account_id', 'logins_30d'"),
            "{e}"
        );
        assert!(e.contains("says whether each account churned"), "{e}");
        // A label column without a single readable label: its values, and what works.
        let e = reason(
            train(
                b"account_id,logins_30d,churned\nA,1,maybe\nB,2,2\nC,3,\nD,4,maybe\n",
                "x.csv",
                &c,
            )
            .unwrap_err(),
        );
        assert!(
            e.contains("values such as 'maybe', '2', which do not say"),
            "{e}"
        );
        let e = reason(
            train(
                b"account_id,logins_30d,churned\nA,1,\nB,2,n/a\n",
                "x.csv",
                &c,
            )
            .unwrap_err(),
        );
        assert!(e.contains("'churned' is empty in every row"), "{e}");
        // Tiny files: a header alone, and too few of one outcome.
        let e = reason(train(b"account_id,logins_30d,churned\n", "x.csv", &c).unwrap_err());
        assert!(e.contains("a header row but no accounts"), "{e}");
        let e = reason(
            train(
                b"account_id,logins_30d,churned\nA,1,yes\nB,2,no\nC,3,no\n",
                "x.csv",
                &c,
            )
            .unwrap_err(),
        );
        assert!(
            e.contains("too few examples to learn from: 1 churned and 2 retained"),
            "{e}"
        );
        // No usable column: each column's reason, and what a history needs.
        let e = reason(
            train(
                b"account_id,plan,notes,churned\nA,x,,yes\nB,x,,no\nC,x,,yes\nD,x,,no\n",
                "x.csv",
                &c,
            )
            .unwrap_err(),
        );
        assert!(e.starts_with("no usable column to learn from: "), "{e}");
        assert!(
            e.contains("'notes' (it has no value in the training rows)"),
            "{e}"
        );
        assert!(
            e.contains("'plan' (it has the same value in every row)"),
            "{e}"
        );
        assert!(e.contains("such as logins, support tickets"), "{e}");
        let e = reason(
            train(
                b"account_id,churned\nA,yes\nB,no\nC,yes\nD,no\n",
                "x.csv",
                &c,
            )
            .unwrap_err(),
        );
        assert!(e.contains("no column besides 'churned'"), "{e}");
        // No message leaks the optimiser's or the parser's vocabulary.
        assert!(!e.contains("linfa") && !e.contains("feature '"), "{e}");
    }

    #[test]
    fn missing_labels_and_small_histories_are_warnings() {
        let text = "account_id,logins_30d,open_escalations,churned\n\
            A,1,3,yes\nB,12,0,no\nC,2,2,yes\nD,15,0,no\nE,0,4,yes\nF,9,1,no\n\
            G,11,0,no\nH,3,2,yes\nI,8,0,no\nJ,14,1,no\nK,7,0,\nL,7,0,unknown\n";
        let t = train_with_report(text.as_bytes(), "small.csv", &cfg(1, None)).unwrap();
        let skipped = t
            .warnings
            .iter()
            .find(|w| w.starts_with("2 row(s) skipped"))
            .unwrap();
        assert!(
            skipped.contains("(lines 12, 13); training used the 10 rows that have one"),
            "{skipped}"
        );
        assert!(
            t.warnings
                .iter()
                .any(|w| w.starts_with("a small history: 10 labelled accounts, 4 of them churned")),
            "{:?}",
            t.warnings
        );
        let big = train_with_report(sim(1_000, 2).as_bytes(), "t.csv", &cfg(1, Some(1.0))).unwrap();
        assert!(
            !big.warnings.iter().any(|w| w.contains("small history")),
            "{:?}",
            big.warnings
        );
    }

    #[test]
    fn the_label_column_is_suggested() {
        let read = |t: &str| ingest::read_table(t.as_bytes(), "h.csv").unwrap();
        // A usual label name wins over an earlier yes/no column.
        let t = read("id,is_reference,Exited,tenure\nA,yes,1,3\nB,no,0,4\n");
        assert_eq!(suggest_label(&t), Some(2));
        // A header naming churn, whatever else it says.
        let t = read("id,Churn (Q3),tenure\nA,Churned,3\nB,Retained,4\n");
        assert_eq!(suggest_label(&t), Some(1));
        // Otherwise the last column, when it reads as labels with both outcomes.
        let t = read("id,tenure,left_company\nA,3,TRUE\nB,4,false\n");
        assert_eq!(suggest_label(&t), Some(2));
        // A 'status' column that does not read as labels is not suggested; nor is a
        // last column with one outcome only.
        let t = read("id,status,tenure,paid\nA,Gold,3,yes\nB,Silver,4,yes\n");
        assert_eq!(suggest_label(&t), None);
        // A usual label name with one outcome, or with unreadable values, is still the
        // label: training then says what is wrong with it.
        let t = read("id,tenure,churned,paid\nA,3,no,yes\nB,4,no,no\n");
        assert_eq!(suggest_label(&t), Some(2));
        let t = read("id,tenure,Churned?,paid\nA,3,maybe,yes\nB,4,,no\n");
        assert_eq!(suggest_label(&t), Some(2));
        let t = read(&sim(200, 1));
        assert_eq!(t.headers[suggest_label(&t).unwrap()], "churned");
    }

    #[test]
    fn the_preview_shows_columns_kinds_and_problems() {
        let csv = foreign_table(600, 5);
        let c = TrainConfig {
            label: String::new(),
            ..cfg(3, None)
        };
        let p = preview_history(csv.as_bytes(), "foreign.csv", &c).unwrap();
        assert_eq!(p.suggested_label.as_deref(), Some("Status"));
        assert_eq!(p.label.as_deref(), Some("Status"));
        assert_eq!(
            (p.rows, p.churned + p.retained, p.unlabelled),
            (600, 600, 0)
        );
        assert_eq!(p.problem, None);
        let col = |h: &str| p.columns.iter().find(|c| c.header == h).unwrap();
        assert_eq!(col("Status").role, ColumnRole::Label);
        assert_eq!(col("Plan").role, ColumnRole::Feature);
        assert_eq!(col("Plan").kind.as_deref(), Some("category"));
        assert_eq!(col("Monthly Spend ($)").kind.as_deref(), Some("number"));
        assert_eq!(col("Autopay").kind.as_deref(), Some("yes/no"));
        assert_eq!(col("Signup Date").kind.as_deref(), Some("date"));
        assert_eq!(
            col("Signup Date").feature.as_deref(),
            Some("days_since_signup_date")
        );
        assert_eq!(col("row").role, ColumnRole::LeftOut);
        assert!(
            col("Customer Ref").note.contains("identifier"),
            "{:?}",
            col("Customer Ref")
        );
        assert_eq!(col("Notes").role, ColumnRole::LeftOut);
        assert_eq!(
            col("Region Code").note,
            "it has the same value in every row"
        );
        assert_eq!(col("Plan").examples.len(), 3);
        // The preview's features are the trained model's features.
        let mut t = cfg(3, None);
        t.label = "Status".into();
        let m = train(csv.as_bytes(), "foreign.csv", &t).unwrap();
        let previewed: Vec<&str> = p
            .columns
            .iter()
            .filter_map(|c| c.feature.as_deref())
            .collect();
        let trained: Vec<&str> = m.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(previewed, trained);

        // Problems come back as words, with the columns still listed.
        let one = preview_history(
            b"account_id,logins_30d,churned\nA,1,no\nB,2,no\n",
            "x.csv",
            &cfg(1, None),
        )
        .unwrap();
        assert!(one.problem.unwrap().contains("only one class"));
        assert_eq!(one.columns.len(), 3);
        let none = preview_history(
            b"account_id,logins_30d\nA,1\nB,2\n",
            "x.csv",
            &TrainConfig {
                label: String::new(),
                ..cfg(1, None)
            },
        )
        .unwrap();
        assert!(none
            .problem
            .unwrap()
            .contains("no column looks like a churn label"));
        let wrong =
            preview_history(b"account_id,logins_30d\nA,1\n", "x.csv", &cfg(1, None)).unwrap();
        assert!(wrong.problem.unwrap().contains("no label column 'churned'"));
        let unusable = preview_history(
            b"account_id,notes,churned\nA,,yes\nB,,no\nC,,yes\nD,,no\n",
            "x.csv",
            &cfg(1, None),
        )
        .unwrap();
        assert!(unusable.problem.unwrap().contains("no usable column"));
        assert!(preview_history(b"", "x.csv", &cfg(1, None)).is_err());
    }

    #[test]
    fn progress_rises_to_done() {
        let mut seen: Vec<Progress> = Vec::new();
        let csv = sim(1_500, 8);
        let t = train_with_progress(csv.as_bytes(), "t.csv", &cfg(2, None), &mut |p| {
            seen.push(p.clone())
        })
        .unwrap();
        assert!(seen.len() > 5, "{seen:?}");
        assert!(seen.windows(2).all(|w| w[1].done >= w[0].done), "{seen:?}");
        assert_eq!(seen.first().unwrap().done, 0.0);
        assert_eq!(seen.last().unwrap().done, 1.0);
        assert!(seen
            .iter()
            .any(|p| p.stage.starts_with("Choosing how strongly")));
        // Reporting progress changes nothing in the model.
        assert_eq!(
            t.model,
            train(csv.as_bytes(), "t.csv", &cfg(2, None)).unwrap()
        );
    }

    #[test]
    fn odd_tables_do_not_panic() {
        let cases = [
            "account_id,churned\nA,yes\nB,no\n",
            "account_id,logins_30d,churned\nA,1e300,yes\nB,-1e300,no\nC,5,yes\nD,6,no\n",
            "account_id,logins_30d,churned\nA,1,yes\nB,2,no\nC,,yes\nD,,no\n",
            "account_id,is_reference,nps,churned\nA,yes,1,yes\nB,no,9,no\nC,yes,2,yes\nD,no,10,no\nE,,,no\n",
            "account_id,logins_30d,churned\nA,1,yes\nB,2\nC,3,no,extra\nD,x,no\nE,4,yes\n",
        ];
        for text in cases {
            match train(text.as_bytes(), "odd.csv", &cfg(1, None)) {
                Ok(m) => assert!(m.validate("odd").is_ok()),
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }
}
