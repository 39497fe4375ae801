//! Cross-validation: the L2 strength chosen from [`L2_GRID`] by stratified
//! [`CV_FOLDS`]-fold cross-validated log loss on the training split, from the strongest
//! penalty down, warm-started along that path and from fold to fold, stopping once the
//! loss stops improving. The folds are shuffled by the generator the split handed on, so
//! the same seed gives the same folds.

use ndarray::ArrayView2;

use crate::error::Result;
use crate::model::MetricSet;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::fit::{fit_logistic, gather_rows, predict, Fitted, CV_GRADIENT_TOLERANCE_PER_ROW};
use super::metrics::{self, metric_set};
use super::{report, Progress, PROGRESS_CV};

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

/// Folds of the cross-validation that chooses the L2 strength.
pub const CV_FOLDS: usize = 3;

/// The outcome of the cross-validation.
pub(super) struct CrossValidation {
    pub(super) l2: f64,
    pub(super) metrics: MetricSet,
    /// A solution at the chosen strength (the mean of the folds' solutions), to
    /// warm-start the final fit.
    pub(super) warm: Fitted,
}

/// Chooses the L2 strength from [`L2_GRID`] by stratified [`CV_FOLDS`]-fold
/// cross-validated log loss (ties go to the stronger penalty), trying strengths from the
/// strongest down and stopping at the first that does no better than the best so far;
/// `None` when a class has fewer rows than folds.
pub(super) fn cross_validate(
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
        let loss = metrics::log_loss(y, &oof);
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
