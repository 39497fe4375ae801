//! Fitting: from the prepared values of the planned columns to a checked model.
//!
//! Each feature is shaped on the training rows ([`super::basis`]), the design (basis
//! columns and missing indicators, computed by the model's own basis code so training
//! and scoring cannot disagree) is made orthonormal within each feature, the L2
//! strength is chosen by cross-validation ([`super::cv`]) unless given, and
//! linfa-logistic fits the final model. The coefficients are then mapped back, so the
//! model file's contribution `Σ coef·(basis − center)` reproduces the fitted log-odds
//! exactly (checked on every training row before the model is returned), and the
//! intercept is the log-odds of the typical account. The held-out rows are then scored
//! through [`Model::score`], the very code that scores uploaded files, and risk tiers
//! are derived from the training probabilities.
//!
//! linfa-logistic names as "positive" whichever class it decides (the more frequent
//! one, the first met on a tie), not necessarily "churned": the fitted parameters are
//! read through its class labels and flipped when needed, so the model's probability is
//! always P(churn).

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2, ArrayView2, Axis, ShapeBuilder};
use sha2::{Digest, Sha256};

use crate::error::{show_value, Error, Result};
use crate::features::Prepared;
use crate::ingest;
use crate::model::{
    sigmoid, ColumnSpec, FeatureSpec, Kind, MetricSet, Metrics, Model, Provenance, Tier, FORMAT,
    FORMAT_VERSION,
};

use super::basis::{orthonormalise, quantile_sorted, shape_feature, DesignColumn};
use super::cv::{cross_validate, DEFAULT_L2};
use super::metrics::metric_set;
use super::plan::no_usable_column;
use super::split::Split;
use super::{report, Progress, TrainConfig, Trained, PROGRESS_CV};

/// Optimiser limits. linfa's loss is summed over rows, so the gradient tolerance is
/// given per row and scaled by the row count: at 1e-4 the mean fitted probability is
/// within 1e-4 of the churn rate and coefficients within about 1e-3 of the optimum;
/// the cross-validation fits, which only rank strengths, stop at 1e-3 (twice as
/// fast). 300 L-BFGS iterations are far more than these orthonormal problems need.
const GRADIENT_TOLERANCE_PER_ROW: f64 = 1e-4;
pub(super) const CV_GRADIENT_TOLERANCE_PER_ROW: f64 = 1e-3;
const MAX_ITERATIONS: u64 = 300;

/// Everything the schema-independent part of training needs.
pub(super) struct TrainInput<'a> {
    pub(super) file: &'a str,
    pub(super) bytes: &'a [u8],
    pub(super) cfg: &'a TrainConfig,
    pub(super) prepared: &'a Prepared,
    /// Indices into `prepared.rows` of the labelled rows.
    pub(super) rows: &'a [usize],
    /// Their labels (true = churned).
    pub(super) labels: &'a [bool],
    /// Which labelled rows are fitted on and which are held out.
    pub(super) split: Split,
    /// Placeholder specs, one per prepared feature, in prepared order.
    pub(super) candidates: Vec<FeatureSpec>,
    pub(super) value_feature: Option<&'static str>,
    pub(super) label_header: &'a str,
    pub(super) id_column: ColumnSpec,
    pub(super) name_column: Option<ColumnSpec>,
    pub(super) segment_column: Option<ColumnSpec>,
    /// Columns the plan left out, with the reason (for the "no usable column" message).
    pub(super) left_out: &'a [(String, String)],
}

/// A fitted logistic regression on the standardised active columns, oriented so the
/// probability is P(churn).
#[derive(Debug, Clone)]
pub(super) struct Fitted {
    pub(super) w: Vec<f64>,
    pub(super) b: f64,
}

/// Trains on the prepared table: the steps of this module, from [`TrainInput`] to a
/// validated model with its warnings.
pub(super) fn fit_table(
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
        contribution_covariance: Vec::new(),
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
    let mut spread = super::spread::Spread::new(n_features);
    for (r, &i) in train_idx.iter().enumerate() {
        for (k, &f) in source.iter().enumerate() {
            values_row[k] = value(i, f);
        }
        let s = model.score(&values_row);
        spread.add(&s.contributions);
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
    model.contribution_covariance = spread.covariance();

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
pub(super) fn fit_logistic(
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
pub(super) fn gather_rows(z: ArrayView2<'_, f64>, rows: &[usize]) -> Array2<f64> {
    let mut out = Array2::<f64>::zeros((rows.len(), z.ncols()).f());
    for (j, column) in z.axis_iter(Axis(1)).enumerate() {
        for (r, &i) in rows.iter().enumerate() {
            out[[r, j]] = column[i];
        }
    }
    out
}

/// The churn probabilities `fitted` gives the rows of `x`.
pub(super) fn predict(x: ArrayView2<'_, f64>, fitted: &Fitted) -> Vec<f64> {
    let z = x.dot(&Array1::from(fitted.w.clone())) + fitted.b;
    z.iter().map(|&v| sigmoid(v)).collect()
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
    use crate::train::tests::{cfg, contribution, mean_probability, sim};
    use crate::train::train;

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
}
