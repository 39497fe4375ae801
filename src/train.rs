//! Training a churn model from a labelled account list.
//!
//! The steps, each chosen so that the model file explains itself exactly:
//!
//! 1. **Read** the table ([`crate::ingest`]), find the label column by its normalised
//!    header and read each label ([`parse_label`]); rows whose label is missing or
//!    unreadable are skipped and counted in [`Trained::warnings`].
//! 2. **Prepare** the canonical features with [`crate::features::prepare`] (header
//!    matching, date columns turned into days at `as_of`). Features without a column,
//!    with no value at all, or constant are left out of the model.
//! 3. **Split** stratified by label with a seeded shuffle: 20% held out, never seen by
//!    any fitting step, for `metrics.held_out`.
//! 4. **Shape** each feature on the training split only: imputation and typical value
//!    are the median; the range is the observed `[min, max]`; a non-negative feature
//!    whose sample skewness exceeds [`LOG_SKEWNESS`] (money, heavy-tailed counts, days)
//!    is modelled on `ln(1 + x)`; numeric features get a hinge basis with up to three
//!    knots at the quartiles of the transformed values (of the values above the minimum
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
//!    on the training split (warm-started from the strongest penalty down), unless
//!    given. The coefficients are then mapped back, so the model file's contribution
//!    `Σ coef·(basis − center)` reproduces the fitted log-odds exactly (checked on every
//!    training row before the model is returned), and the intercept is the log-odds of
//!    the typical account.
//! 6. **Measure** on the held-out rows through [`Model::score`], the very code that
//!    scores uploaded files, and derive risk tiers from the training probabilities.
//!
//! The same bytes and [`TrainConfig`] always give the same model (all randomness is the
//! seeded [`Rng`]; no hash-map order reaches the output).
//!
//! linfa-logistic names as "positive" whichever class it decides (the more frequent
//! one, the first met on a tie), not necessarily "churned": the fitted parameters are
//! read through its class labels and flipped when needed, so the model's probability is
//! always P(churn).

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{s, Array1, Array2, ArrayView2, Axis, ShapeBuilder};
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
use crate::simulate::Rng;

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
const KNOT_QUANTILES: [f64; 3] = [0.25, 0.5, 0.75];

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

/// Trains a churn model from the labelled account list in `bytes` (`file` names it in
/// messages and provenance).
///
/// See the module documentation for the method; [`train_with_report`] also returns the
/// warnings.
pub fn train(bytes: &[u8], file: &str, cfg: &TrainConfig) -> Result<Model> {
    train_with_report(bytes, file, cfg).map(|t| t.model)
}

/// Like [`train`], and also returns the warnings (skipped rows, features left out).
pub fn train_with_report(bytes: &[u8], file: &str, cfg: &TrainConfig) -> Result<Trained> {
    if let Some(l2) = cfg.l2 {
        if !(l2.is_finite() && l2 >= 0.0) {
            return Err(Error::train(
                file,
                format!("the L2 strength must be a number of at least 0, not {l2}"),
            ));
        }
    }
    let table = ingest::read_table(bytes, file)?;
    let wanted = normalize_header(&cfg.label);
    let label_col = table
        .headers
        .iter()
        .position(|h| !wanted.is_empty() && normalize_header(h) == wanted)
        .ok_or_else(|| {
            let shown: Vec<String> = table
                .headers
                .iter()
                .take(30)
                .map(|h| format!("'{}'", show_value(h)))
                .collect();
            Error::train(
                file,
                format!(
                    "no label column '{}' (the headers are {})",
                    show_value(&cfg.label),
                    shown.join(", ")
                ),
            )
        })?;
    let label_header = table.headers[label_col].trim().to_string();

    let scaffold = scaffold_model(canonical_specs(), &label_header);
    let prepared = features::prepare(&table, &scaffold, cfg.as_of, file)?;
    let mut warnings = prepared.file_warnings.clone();

    let mut rows = Vec::new();
    let mut labels = Vec::new();
    let mut skipped_lines = Vec::new();
    for (r, record) in table.records.iter().enumerate() {
        let cell = record
            .fields
            .get(label_col)
            .map(String::as_str)
            .unwrap_or("");
        match parse_label(cell) {
            Some(y) => {
                rows.push(r);
                labels.push(y);
            }
            None => skipped_lines.push(record.line),
        }
    }
    if !skipped_lines.is_empty() {
        let first: Vec<String> = skipped_lines
            .iter()
            .take(5)
            .map(|l| l.to_string())
            .collect();
        warnings.push(format!(
            "{} row(s) skipped because their '{}' value is missing or not a churn label such as yes/no, true/false, 1/0, churned/retained (lines {}{})",
            skipped_lines.len(),
            show_value(&label_header),
            first.join(", "),
            if skipped_lines.len() > 5 { ", …" } else { "" }
        ));
    }

    // A feature fed by the label column itself would be a perfect, useless predictor.
    let leaking = prepared
        .columns
        .get(label_col)
        .and_then(|c| c.feature.clone());
    let value_feature = schema::canonical("contract_value").map(|f| f.name);
    let input = TrainInput {
        file,
        bytes,
        cfg,
        prepared: &prepared,
        rows: &rows,
        labels: &labels,
        candidates: scaffold.features.clone(),
        excluded: leaking,
        value_feature,
        label_header: &label_header,
        id_column: scaffold.id_column.clone(),
        name_column: scaffold.name_column.clone(),
        segment_column: scaffold.segment_column.clone(),
    };
    fit_table(input, warnings)
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

/// The canonical B2B features as placeholder specs: names, labels, aliases, kinds and
/// reasons from [`schema::CANONICAL`]; statistics, basis and coefficients are filled in
/// by training. This is the only place the trainer knows the canonical schema.
fn canonical_specs() -> Vec<FeatureSpec> {
    schema::CANONICAL
        .iter()
        .map(|c| FeatureSpec {
            name: c.name.to_string(),
            label: c.label.to_string(),
            group: c.group,
            kind: if c.boolean {
                Kind::Boolean
            } else {
                Kind::Numeric
            },
            aliases: std::iter::once(c.name)
                .chain(c.aliases.iter().copied())
                .map(String::from)
                .collect(),
            date_aliases: c.date_aliases.iter().map(|a| a.to_string()).collect(),
            date_direction: c.date_direction,
            unit: c.unit.to_string(),
            impute: 0.0,
            typical: 0.0,
            range: [0.0, 0.0],
            transform: Transform::None,
            basis: Basis::Linear,
            coefficients: vec![0.0],
            centers: vec![0.0],
            missing: None,
            reasons: Reasons {
                high: c.reason_high.to_string(),
                low: c.reason_low.to_string(),
            },
        })
        .collect()
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
    /// Placeholder specs, one per prepared feature, in prepared order.
    candidates: Vec<FeatureSpec>,
    /// A feature fed by the label column, never used.
    excluded: Option<String>,
    value_feature: Option<&'static str>,
    label_header: &'a str,
    id_column: ColumnSpec,
    name_column: Option<ColumnSpec>,
    segment_column: Option<ColumnSpec>,
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

fn fit_table(input: TrainInput<'_>, mut warnings: Vec<String>) -> Result<Trained> {
    let TrainInput {
        file,
        bytes,
        cfg,
        prepared,
        rows,
        labels,
        candidates,
        excluded,
        value_feature,
        label_header,
        id_column,
        name_column,
        segment_column,
    } = input;
    let train_err = |reason: String| Error::train(file, reason);

    let positives = labels.iter().filter(|&&y| y).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return Err(train_err(format!(
            "the label column '{}' holds only one class ({positives} churned, {negatives} retained among {} labelled rows); training needs both",
            show_value(label_header),
            labels.len()
        )));
    }
    if positives < 2 || negatives < 2 {
        return Err(train_err(format!(
            "too few examples: {positives} churned and {negatives} retained; training needs at least 2 of each"
        )));
    }

    // Stratified split: shuffle each class with the seed, hold out 20% of each.
    let mut rng = Rng::new(cfg.seed);
    let mut train_idx = Vec::new();
    let mut held_idx = Vec::new();
    for class in [true, false] {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        rng.shuffle(&mut members);
        let n = members.len();
        let held = ((n as f64 * HELD_OUT_SHARE).round() as usize).clamp(1, n - 1);
        held_idx.extend_from_slice(&members[..held]);
        train_idx.extend_from_slice(&members[held..]);
    }
    // File order inside each split, so nothing depends on the shuffle but membership.
    train_idx.sort_unstable();
    held_idx.sort_unstable();

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
    for (f, candidate) in candidates.into_iter().enumerate() {
        if f >= p || prepared.missing_features.contains(&candidate.name) {
            continue;
        }
        if excluded.as_deref() == Some(candidate.name.as_str()) {
            warnings.push(format!(
                "feature '{}' is read from the label column and was left out",
                candidate.name
            ));
            continue;
        }
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
            continue;
        }
        if observed.iter().any(|x| !x.is_finite() || x.abs() > 1e15) {
            warnings.push(format!(
                "feature '{}' holds values too large to model (beyond 1e15) and was left out",
                candidate.name
            ));
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
            continue;
        }
        specs.push(spec);
        source.push(f);
    }
    if specs.is_empty() {
        return Err(train_err(
            "no usable feature: every feature column is absent, empty or constant".into(),
        ));
    }

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
        return Err(train_err(
            "no feature varies across the training rows; there is nothing to learn from".into(),
        ));
    }
    let y_train: Vec<bool> = train_idx.iter().map(|&i| labels[i]).collect();

    // Choose the L2 strength by cross-validation unless it was given.
    let mut warm: Option<Fitted> = None;
    let mut cross_validated: Option<MetricSet> = None;
    let l2 = match cfg.l2 {
        Some(l2) => l2,
        None => match cross_validate(z.view(), &y_train, &mut rng, file)? {
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
    let fitted = fit_logistic(
        z.view(),
        &y_train,
        l2,
        GRADIENT_TOLERANCE_PER_ROW,
        warm.as_ref(),
        file,
    )?;

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
        held_out: Some(metric_set(&held_y, &held_p)),
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
    spec.basis = Basis::Linear;
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

/// Hinge knots at the quartiles of sorted transformed values: distinct, strictly inside
/// the range, each with at least 5 values above it; none with fewer than 5 distinct
/// values. When a quarter or more of the values sit at the minimum (zero-inflated
/// counts, "no late invoice"), the quartiles of the values above it are used instead.
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
    let fitted = result
        .map_err(|e| Error::train(file, format!("the logistic regression fit failed: {e}")))?;
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let w: Vec<f64> = fitted.params().iter().map(|v| sign * v).collect();
    let b = sign * fitted.intercept();
    if !b.is_finite() || w.iter().any(|v| !v.is_finite()) {
        return Err(Error::train(
            file,
            "the logistic regression fit diverged (a coefficient is not finite)",
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
    /// A solution at the chosen strength, to warm-start the final fit.
    warm: Fitted,
}

/// Chooses the L2 strength from [`L2_GRID`] by stratified [`CV_FOLDS`]-fold
/// cross-validated log loss (ties go to the stronger penalty); `None` when a class has
/// fewer rows than folds.
fn cross_validate(
    z: ArrayView2<'_, f64>,
    y: &[bool],
    rng: &mut Rng,
    file: &str,
) -> Result<Option<CrossValidation>> {
    let mut fold_of = vec![0usize; y.len()];
    for class in [true, false] {
        let mut members: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        if members.len() < CV_FOLDS {
            return Ok(None);
        }
        rng.shuffle(&mut members);
        for (position, &i) in members.iter().enumerate() {
            fold_of[i] = position % CV_FOLDS;
        }
    }
    // Out-of-fold probabilities per strength.
    let mut oof = vec![vec![0.0; y.len()]; L2_GRID.len()];
    // Warm starts along the path from the strongest penalty down, within each fold,
    // the first from the intercept-only model (a fold's solution is a poor start for
    // another fold: its residuals are those of different rows).
    let rate = y.iter().filter(|&&b| b).count() as f64 / y.len().max(1) as f64;
    let intercept_only = Fitted {
        w: vec![0.0; z.ncols()],
        b: (rate / (1.0 - rate)).ln(),
    };
    let mut warm_at: Vec<Fitted> = vec![intercept_only.clone(); L2_GRID.len()];
    for fold in 0..CV_FOLDS {
        let fit_rows: Vec<usize> = (0..y.len()).filter(|&i| fold_of[i] != fold).collect();
        let val_rows: Vec<usize> = (0..y.len()).filter(|&i| fold_of[i] == fold).collect();
        let x_fit = gather_rows(z, &fit_rows);
        let x_val = gather_rows(z, &val_rows);
        let y_fit: Vec<bool> = fit_rows.iter().map(|&i| y[i]).collect();
        let mut previous = intercept_only.clone();
        for (g, &alpha) in L2_GRID.iter().enumerate() {
            let fitted = fit_logistic(
                x_fit.view(),
                &y_fit,
                alpha,
                CV_GRADIENT_TOLERANCE_PER_ROW,
                Some(&previous),
                file,
            )?;
            for (&i, p) in val_rows.iter().zip(predict(x_val.view(), &fitted)) {
                oof[g][i] = p;
            }
            if fold == 0 {
                warm_at[g] = fitted.clone();
            }
            previous = fitted;
        }
    }
    let mut best = 0;
    let mut best_loss = f64::INFINITY;
    for (g, p) in oof.iter().enumerate() {
        let loss = crate::metrics::log_loss(y, p);
        // Strictly better only: on a tie the stronger penalty (earlier) stays.
        if loss < best_loss - 1e-12 {
            best = g;
            best_loss = loss;
        }
    }
    Ok(Some(CrossValidation {
        l2: L2_GRID[best],
        metrics: metric_set(y, &oof[best]),
        warm: warm_at.swap_remove(best),
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
    use std::sync::OnceLock;

    const AS_OF: i64 = 20_468; // 2026-01-15

    fn cfg(seed: u64, l2: Option<f64>) -> TrainConfig {
        TrainConfig {
            label: "churned".into(),
            seed,
            as_of: AS_OF,
            l2,
        }
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
        assert_eq!(choose_knots(&v), vec![24.75, 49.5, 74.25]);
        // Too few distinct values: linear.
        assert!(choose_knots(&[0.0, 1.0, 1.0, 2.0, 3.0]).is_empty());
        // Zero-inflated: the knots come from the values above zero.
        let mut z = vec![0.0; 80];
        z.extend((1..=20).map(f64::from));
        z.sort_by(f64::total_cmp);
        assert_eq!(choose_knots(&z), vec![5.75, 10.5, 15.25]);
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
        assert_eq!(names, ["logins_30d", "nps", "open_escalations"]);
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
        assert!(e.to_string().contains("no usable feature"), "{e}");
        let e = train(b"", "x.csv", &cfg(1, None)).unwrap_err();
        assert!(!e.to_string().is_empty());
        let e = train(one_class.as_bytes(), "x.csv", &cfg(1, Some(f64::NAN))).unwrap_err();
        assert!(e.to_string().contains("L2"), "{e}");
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
