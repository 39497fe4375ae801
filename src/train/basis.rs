//! Shaping: each feature's statistics, transform and basis from its training values,
//! and the orthonormal columns the optimiser sees.
//!
//! Imputation and typical value are the median; the range is the observed `[min, max]`;
//! a non-negative feature whose sample skewness exceeds [`LOG_SKEWNESS`] (money,
//! heavy-tailed counts, days) is modelled on `ln(1 + x)`; numeric features get a hinge
//! basis with up to five knots at the 10/30/50/70/90% quantiles of the transformed values
//! (of the values above the minimum when a quarter or more sit at the minimum, as with
//! zero-inflated counts), so thresholds such as "more than 90 days" can be learned;
//! booleans and features with fewer than five distinct values stay linear. A feature
//! missing in at least [`MISSING_TERM_RATE`] of training rows gets a missing-indicator
//! term.
//!
//! The basis columns are centered on their training means and, within each feature,
//! made orthonormal ([`orthonormalise`]: standardised and decorrelated, since a
//! feature's hinge columns are strongly correlated and slow the optimiser down tenfold
//! otherwise). The L2 penalty therefore acts on the spread of each feature's
//! contribution, treating every feature alike whatever its units or basis width.

use ndarray::{s, Array2, ShapeBuilder};

use crate::model::{Basis, FeatureSpec, Kind, MissingTerm, Transform};

/// Sample skewness above which a non-negative feature is modelled on `ln(1 + x)`.
pub const LOG_SKEWNESS: f64 = 2.0;

/// Training missing rate from which a feature gets a missing-indicator term.
pub const MISSING_TERM_RATE: f64 = 0.01;

/// Quantiles of the (transformed) training values used as hinge knots.
const KNOT_QUANTILES: [f64; 5] = [0.1, 0.3, 0.5, 0.7, 0.9];

/// One column of the design matrix: feature `feature` (index into the kept specs) and
/// its basis column `Some(j)`, or its missing indicator (`None`).
#[derive(Debug, Clone, Copy)]
pub(super) struct DesignColumn {
    pub(super) feature: usize,
    pub(super) basis: Option<usize>,
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
pub(super) fn orthonormalise(
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
pub(super) fn shape_feature(
    mut spec: FeatureSpec,
    sorted: &[f64],
    missing_rate: f64,
) -> FeatureSpec {
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
        if k > lo && k < hi && above >= 5 && knots.last().is_none_or(|&last| k > last) {
            knots.push(k);
        }
    }
    knots
}

/// Linear-interpolation quantile of sorted values (NumPy's default); NaN when empty.
pub(super) fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
