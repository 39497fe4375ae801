//! Training a churn model from a labelled account list.
//!
//! The steps, each chosen so that the model file explains itself exactly (one file each;
//! each stage's module says how it works):
//!
//! 1. **Read** the table ([`crate::ingest`]), find the label column by its normalised
//!    header and read each label ([`parse_label`], `labels`); rows whose label is missing
//!    or unreadable are skipped and counted in [`Trained::warnings`].
//! 2. **Split** stratified by label with a seeded shuffle (`split`): 20% held out (see
//!    [`TrainConfig::held_out_share`]), never seen by any fitting step, for
//!    `metrics.held_out`.
//! 3. **Plan** every column from the training rows only ([`plan_columns`], `plan`): its
//!    kind ([`infer_kind`]: boolean, numeric, date, categorical), whether it is the id,
//!    name or segment column, an identifier, empty, or excluded. Any schema works: a
//!    column that matches a canonical column of [`schema::CANONICAL`] only takes its
//!    name, label, group, aliases and reason templates; it is fitted like any other.
//!    Categorical levels rarer than [`MIN_LEVEL_ROWS`] are pooled with unseen levels; a
//!    date becomes days before `as_of`. The cells are then read by
//!    [`crate::features::prepare_mapped`], the scoring code itself, with every header
//!    mapped explicitly.
//!
//! Class imbalance is handled by stratifying the split and the folds, and by choosing
//! the penalty on log loss; rows are not reweighted, so probabilities stay calibrated
//! to the real churn rate (which revenue at risk needs).
//! 4. **Shape** each feature on the training split only (`basis`): imputation and typical
//!    value are the median, the range the observed `[min, max]`; a skewed non-negative
//!    feature ([`LOG_SKEWNESS`]) is modelled on `ln(1 + x)`; numeric features get a hinge
//!    basis with knots at quantiles of their values, so thresholds such as "more than 90
//!    days" can be learned. A feature missing in at least [`MISSING_TERM_RATE`] of
//!    training rows gets a missing-indicator term.
//! 5. **Fit** linfa-logistic on the basis columns (`fit`), centered on their training
//!    means and made orthonormal within each feature, so that the L2 penalty treats every
//!    feature alike whatever its units or basis width. The strength is chosen from
//!    [`L2_GRID`] by stratified 3-fold cross-validated log loss on the training split
//!    (`cv`), unless given. The coefficients are then mapped back, so the model file's
//!    contribution `Σ coef·(basis − center)` reproduces the fitted log-odds exactly
//!    (checked on every training row before the model is returned), and the intercept is
//!    the log-odds of the typical account.
//! 6. **Measure** on the held-out rows through [`Model::score`], the very code that
//!    scores uploaded files ([`metrics`]), and derive risk tiers from the training
//!    probabilities.
//!
//! The same bytes and [`TrainConfig`] always give the same model, natively and in the
//! page's WebAssembly: all randomness is `rand`'s shuffles (integer draws) from a ChaCha8
//! generator seeded by `ChaCha8Rng::seed_from_u64(seed)`, and no hash-map order reaches
//! the output.
//!
//! The model's probability is always P(churn), whichever class linfa-logistic calls
//! "positive" (`fit`).
//!
//! [`preview_history`] runs steps 1 to 3 without fitting, for a page to show what
//! training would do (`preview`). Scoring needs nothing of this module: the model file
//! it writes is all that scoring reads.

use serde::Serialize;

use crate::error::{show_value, Error, Result};
use crate::features;
use crate::ingest;
use crate::model::{ColumnSpec, FeatureSpec, Model};
use crate::schema::{self, normalize_header};

mod basis;
mod cv;
mod fit;
mod labels;
pub mod metrics;
mod plan;
mod preview;
mod snapshot;
mod split;
mod spread;
#[cfg(test)]
mod tests;

pub use basis::{LOG_SKEWNESS, MISSING_TERM_RATE};
pub use cv::{CV_FOLDS, DEFAULT_L2, L2_GRID};
pub use labels::{parse_label, suggest_label, SMALL_HISTORY_CLASS, SMALL_HISTORY_ROWS};
pub use plan::{
    infer_kind, plan_columns, ColumnKind, ColumnPlan, KIND_SHARE, MAX_LEVELS, MIN_LEVEL_ROWS,
    MIN_LEVEL_SHARE,
};
pub use preview::{preview_history, ColumnPreview, ColumnRole, HistoryPreview};
pub use snapshot::{label_snapshots, train_from_snapshots, SnapshotLabels, SnapshotOptions};
pub use split::HELD_OUT_SHARE;

use fit::{fit_table, TrainInput};
use labels::{no_label_column, no_labelled_rows, small_history_warning};
use metrics::metric_set;
use plan::{final_column, no_usable_column, scaffold_model};
use split::stratified_split;

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
    /// The inputs next-best actions may change: `None` takes the default of each input's
    /// kind and name ([`crate::explain::default_actionable`]); a list (headers or feature
    /// names, each optionally followed by `:lower`, `:raise` or `:any`) makes exactly
    /// those actionable, in the direction given, else the default one (see
    /// [`mark_actionable`]).
    pub actionable: Option<Vec<String>>,
    /// Header (or feature name) of the numeric column holding each account's value, for
    /// revenue at risk; `None` takes the canonical `contract_value` when the table has
    /// it, else the model has none (see [`suggest_value`] for a guess to offer).
    pub value: Option<String>,
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
            actionable: None,
            value: None,
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

/// Tells `progress` that training is at `stage`, with the share `done`.
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
    let table = ingest::read_table(bytes, file)?;
    train_table(table, bytes, file, cfg, progress)
}

/// [`train_with_progress`] of the table read from `bytes` (whose SHA-256 the model's
/// provenance records): labels from two snapshots are a column added to the earlier
/// list's table ([`train_from_snapshots`]).
fn train_table(
    mut table: ingest::Table,
    bytes: &[u8],
    file: &str,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Trained> {
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
    let sources: Vec<&str> = plan
        .sources
        .iter()
        .map(|&c| table.headers[c].as_str())
        .collect();
    mark_actionable(&mut candidates, &sources, cfg, file, &mut warnings)?;
    let value_feature = match &cfg.value {
        Some(wanted) => {
            let k = find_input(&candidates, &sources, wanted).ok_or_else(|| {
                Error::train(
                    file,
                    format!(
                        "the value column '{}' is not an input of the model (not a column of the table, or left out)",
                        show_value(wanted)
                    ),
                )
            })?;
            if candidates[k].kind != crate::model::Kind::Numeric {
                return Err(Error::train(
                    file,
                    format!(
                        "the value column '{}' does not hold numbers; revenue at risk needs an amount such as a contract value or monthly charges",
                        show_value(wanted)
                    ),
                ));
            }
            Some(candidates[k].name.clone())
        }
        None => {
            let canonical = candidates.iter().any(|s| s.name == VALUE_FEATURE);
            if !canonical {
                let hint = suggest_value(&candidates, &sources)
                    .map(|h| format!("; '{}' looks like one", show_value(h)))
                    .unwrap_or_default();
                warnings.push(format!(
                    "no value column chosen: revenue at risk will not be shown for this model (choose one with --value COL{hint})"
                ));
            }
            canonical.then(|| VALUE_FEATURE.to_string())
        }
    };
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

/// How a model does on a labelled table: the metrics of [`metrics`] and a
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
    pub calibration: Vec<metrics::CalibrationBin>,
    /// Rows skipped because their label is missing or unreadable.
    pub skipped_rows: usize,
    /// Model features with no column in the table (they count for nothing).
    pub missing_features: Vec<String>,
    /// How much of the model's power the table's columns supply.
    pub coverage: features::Coverage,
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
    // As in scoring, an input the table has no column for counts for nothing.
    let model = &model.without_inputs(&prepared.missing_features);
    let present = model.presence(&prepared.missing_features);
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
        auc: metrics::auc(&y, &p),
        pr_auc: m.pr_auc,
        brier: m.brier,
        log_loss: m.log_loss,
        lift_top_decile: m.lift_top_decile,
        base_rate: m.base_rate,
        calibration: metrics::calibration(&y, &p, 10),
        skipped_rows,
        coverage: features::coverage(model, &present),
        missing_features: prepared.missing_features,
    })
}

/// The header given for the row-number id column added to a table that has none.
const SYNTHETIC_ID: &str = "__churn_audit_row__";

/// The canonical feature holding contract value (revenue at risk), when a table has it.
const VALUE_FEATURE: &str = "contract_value";

/// The index of the input whose column header (`sources`, one per input) or feature
/// name matches `wanted` after [`normalize_header`].
fn find_input(specs: &[FeatureSpec], sources: &[&str], wanted: &str) -> Option<usize> {
    let wanted = normalize_header(wanted);
    if wanted.is_empty() {
        return None;
    }
    (0..specs.len()).find(|&k| {
        sources
            .get(k)
            .is_some_and(|h| normalize_header(h) == wanted)
            || normalize_header(&specs[k].name) == wanted
    })
}

/// Records in each input whether it is actionable ([`TrainConfig::actionable`]): the
/// default of its kind and name, or exactly the inputs listed. A listed input takes
/// the direction given after a colon, else its default direction, else `any` for a
/// category or yes/no input and `any` (its typical value) for a number. Names that
/// match no input are warned about; a category lowered or raised is refused.
pub fn mark_actionable(
    specs: &mut [FeatureSpec],
    sources: &[&str],
    cfg: &TrainConfig,
    file: &str,
    warnings: &mut Vec<String>,
) -> Result<()> {
    use crate::model::Actionable;
    for spec in specs.iter_mut() {
        let default = crate::explain::default_actionable(spec);
        spec.actionable = Some(if cfg.actionable.is_some() {
            Actionable::No
        } else {
            default
        });
    }
    for item in cfg.actionable.iter().flatten() {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (name, way) = match item.rsplit_once(':') {
            Some((name, way)) => match way.trim().to_ascii_lowercase().as_str() {
                "lower" => (name, Some(Actionable::Lower)),
                "raise" => (name, Some(Actionable::Raise)),
                "any" => (name, Some(Actionable::Any)),
                _ => (item, None),
            },
            None => (item, None),
        };
        let Some(k) = find_input(specs, sources, name) else {
            warnings.push(format!(
                "--actionable names '{}', which is not an input of the model",
                show_value(name)
            ));
            continue;
        };
        let spec = &mut specs[k];
        let categorical = spec.kind == crate::model::Kind::Categorical;
        if categorical && matches!(way, Some(Actionable::Lower | Actionable::Raise)) {
            return Err(Error::train(
                file,
                format!(
                    "'{}' is a category: its levels have no order, so it can be actionable (any other level) but not lowered or raised",
                    show_value(name)
                ),
            ));
        }
        let default = crate::explain::default_actionable(spec);
        spec.actionable = Some(match (way, default) {
            (Some(way), _) => way,
            (None, Actionable::No) => Actionable::Any,
            (None, default) => default,
        });
    }
    Ok(())
}

/// Words of a header that say it holds an amount of money, with how strongly they
/// suggest the account's value for revenue at risk.
const VALUE_WORDS: &[(&str, i32)] = &[
    ("contract", 4),
    ("arr", 4),
    ("acv", 4),
    ("annual", 2),
    ("mrr", 3),
    ("monthly", 2),
    ("revenue", 3),
    ("value", 2),
    ("charges", 2),
    ("charge", 2),
    ("spend", 2),
    ("amount", 1),
    ("billing", 1),
    ("price", 1),
    ("fee", 1),
    ("fees", 1),
    // A running total (money paid to date) is history, not the value at stake.
    ("total", -3),
    ("lifetime", -3),
    ("expansion", -2),
];

/// The numeric input most likely to hold each account's value, by its header's words
/// ("contract value", "ARR", "MonthlyCharges"), as a suggestion for
/// [`TrainConfig::value`]: its header, or `None` when no header reads like money. The
/// canonical `contract_value` wins outright.
pub fn suggest_value<'a>(specs: &[FeatureSpec], sources: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<(i32, &'a str)> = None;
    for (spec, &header) in specs.iter().zip(sources) {
        if spec.kind != crate::model::Kind::Numeric || !spec.date_aliases.is_empty() {
            continue;
        }
        let words = plan::header_words(header);
        let mut score: i32 = VALUE_WORDS
            .iter()
            .filter(|(w, _)| words.iter().any(|x| x == w))
            .map(|&(_, s)| s)
            .sum();
        if spec.name == VALUE_FEATURE {
            score = 100;
        }
        let money = words
            .iter()
            .any(|x| VALUE_WORDS.iter().any(|(w, s)| w == x && *s > 0));
        if money && score > 0 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, header));
        }
    }
    best.map(|(_, h)| h)
}

/// The index of the header matching `wanted` after [`normalize_header`].
fn find_header(headers: &[String], wanted: &str) -> Option<usize> {
    let wanted = normalize_header(wanted);
    headers
        .iter()
        .position(|h| !wanted.is_empty() && normalize_header(h) == wanted)
}

/// The reason given when a file has a header row but no account below it.
const NO_ACCOUNTS: &str = "the file has a header row but no accounts below it; export the history with one row per account";
