//! Evaluation metrics for churn probabilities: AUC, average precision, Brier score, log
//! loss, top-decile lift and calibration bins.
//!
//! Every function takes the labels `y` (true = churned) and the predicted churn
//! probabilities `p` of the same rows, and assumes the probabilities are finite. None of
//! them panics: when a metric is undefined (no rows, slices of different lengths, a
//! single class where the metric needs both) it returns NaN, and [`metric_set`], whose
//! numbers go into a model file that must hold finite values, documents what it stores
//! instead.

use serde::Serialize;

use crate::model::MetricSet;

/// The share of positive labels, or NaN for no rows.
fn base_rate(y: &[bool]) -> f64 {
    if y.is_empty() {
        return f64::NAN;
    }
    y.iter().filter(|&&b| b).count() as f64 / y.len() as f64
}

/// Row indices ordered by descending score, ties by index, so results never depend on
/// the sort algorithm.
fn descending(p: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
    order
}

/// Area under the ROC curve: the probability that a random churner scores above a random
/// non-churner, ties counting one half (the Mann-Whitney statistic with average ranks).
///
/// NaN when the slices differ in length or one class is absent.
pub fn auc(y: &[bool], p: &[f64]) -> f64 {
    if y.len() != p.len() {
        return f64::NAN;
    }
    let positives = y.iter().filter(|&&b| b).count();
    let negatives = y.len() - positives;
    if positives == 0 || negatives == 0 {
        return f64::NAN;
    }
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    // Sum of the (1-based, tie-averaged) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && p[order[j + 1]].total_cmp(&p[order[i]]).is_eq() {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        let tied_positives = order[i..=j].iter().filter(|&&k| y[k]).count();
        rank_sum += average_rank * tied_positives as f64;
        i = j + 1;
    }
    let (n1, n0) = (positives as f64, negatives as f64);
    (rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * n0)
}

/// Area under the precision-recall curve as average precision, the way scikit-learn's
/// `average_precision_score` computes it: `Σ (Rₙ − Rₙ₋₁)·Pₙ` over the distinct score
/// thresholds, highest first (no interpolation).
///
/// NaN when the slices differ in length or there is no churner.
pub fn pr_auc(y: &[bool], p: &[f64]) -> f64 {
    if y.len() != p.len() {
        return f64::NAN;
    }
    let positives = y.iter().filter(|&&b| b).count();
    if positives == 0 {
        return f64::NAN;
    }
    let order = descending(p);
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut previous_recall = 0.0;
    let mut ap = 0.0;
    let mut i = 0;
    while i < order.len() {
        // A threshold takes every row tied at its score at once.
        let score = p[order[i]];
        while i < order.len() && p[order[i]].total_cmp(&score).is_eq() {
            if y[order[i]] {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        let recall = tp as f64 / positives as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        ap += (recall - previous_recall) * precision;
        previous_recall = recall;
    }
    ap
}

/// Brier score: the mean squared difference between probability and outcome (0 is
/// perfect, 0.25 is a coin flip). NaN for no rows or different lengths.
pub fn brier(y: &[bool], p: &[f64]) -> f64 {
    if y.len() != p.len() || y.is_empty() {
        return f64::NAN;
    }
    let sum: f64 = y
        .iter()
        .zip(p)
        .map(|(&b, &q)| {
            let d = q - if b { 1.0 } else { 0.0 };
            d * d
        })
        .sum();
    sum / y.len() as f64
}

/// Mean log loss (cross-entropy) in nats, with probabilities clipped to
/// `[1e-15, 1 − 1e-15]` so one confident mistake costs about 34.5 rather than infinity.
/// NaN for no rows or different lengths.
pub fn log_loss(y: &[bool], p: &[f64]) -> f64 {
    if y.len() != p.len() || y.is_empty() {
        return f64::NAN;
    }
    const EPS: f64 = 1e-15;
    let sum: f64 = y
        .iter()
        .zip(p)
        .map(|(&b, &q)| {
            let q = q.clamp(EPS, 1.0 - EPS);
            if b {
                -q.ln()
            } else {
                -(1.0 - q).ln()
            }
        })
        .sum();
    sum / y.len() as f64
}

/// Lift in the top decile: the churn rate among the 10% highest-scored rows divided by
/// the overall churn rate.
///
/// The top decile is `ceil(n / 10)` rows. Rows tied at the cut score share the remaining
/// places equally: they contribute their average churn rate, which is the expected value
/// over every way of breaking the tie, so the result does not depend on row order.
/// NaN for no rows, different lengths, or no churner.
pub fn lift_top_decile(y: &[bool], p: &[f64]) -> f64 {
    if y.len() != p.len() || y.is_empty() {
        return f64::NAN;
    }
    let base = base_rate(y);
    if base == 0.0 {
        return f64::NAN;
    }
    let n = y.len();
    let k = n.div_ceil(10);
    let order = descending(p);
    let cut = p[order[k - 1]];
    let (mut above, mut above_pos, mut tied, mut tied_pos) = (0usize, 0usize, 0usize, 0usize);
    for (&b, &q) in y.iter().zip(p) {
        match q.total_cmp(&cut) {
            std::cmp::Ordering::Greater => {
                above += 1;
                above_pos += b as usize;
            }
            std::cmp::Ordering::Equal => {
                tied += 1;
                tied_pos += b as usize;
            }
            std::cmp::Ordering::Less => {}
        }
    }
    // `tied >= 1` because the cut row itself is tied with the cut.
    let slots = (k - above) as f64;
    let top_positives = above_pos as f64 + tied_pos as f64 * slots / tied as f64;
    (top_positives / k as f64) / base
}

/// One bin of a reliability (calibration) diagram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Lower edge of the bin's probability range (inclusive).
    pub lo: f64,
    /// Upper edge (exclusive, except 1.0 for the last bin).
    pub hi: f64,
    /// Rows whose probability falls in the bin.
    pub count: usize,
    /// Mean predicted probability of those rows.
    pub mean_predicted: f64,
    /// Observed churn rate among them.
    pub observed_rate: f64,
}

/// Calibration in `bins` equal-width probability bins over `[0, 1]`: for each bin, the
/// mean predicted probability next to the observed churn rate. Probabilities outside
/// `[0, 1]` count in the end bins. Empty bins are left out, so every returned bin has
/// `count >= 1` and finite values; `bins == 0` or different lengths give no bins.
pub fn calibration(y: &[bool], p: &[f64], bins: usize) -> Vec<CalibrationBin> {
    if bins == 0 || y.len() != p.len() {
        return Vec::new();
    }
    let mut count = vec![0usize; bins];
    let mut sum_p = vec![0.0; bins];
    let mut positives = vec![0usize; bins];
    for (&b, &q) in y.iter().zip(p) {
        let q = q.clamp(0.0, 1.0);
        let i = ((q * bins as f64) as usize).min(bins - 1);
        count[i] += 1;
        sum_p[i] += q;
        positives[i] += b as usize;
    }
    (0..bins)
        .filter(|&i| count[i] > 0)
        .map(|i| CalibrationBin {
            lo: i as f64 / bins as f64,
            hi: (i + 1) as f64 / bins as f64,
            count: count[i],
            mean_predicted: sum_p[i] / count[i] as f64,
            observed_rate: positives[i] as f64 / count[i] as f64,
        })
        .collect()
}

/// All the model file's metrics for one set of rows.
///
/// A model file holds only finite numbers, so undefined metrics are stored as follows:
/// with a single class (or no rows) `auc` is 0.5, the value of an uninformative score;
/// with no rows `brier` and `log_loss` are 0; `pr_auc`, `lift_top_decile` and
/// `base_rate` are `None` whenever they are undefined. `rows` always tells how much the
/// numbers rest on.
pub fn metric_set(y: &[bool], p: &[f64]) -> MetricSet {
    let finite = |x: f64| if x.is_finite() { Some(x) } else { None };
    MetricSet {
        rows: y.len().min(p.len()),
        auc: finite(auc(y, p)).unwrap_or(0.5),
        pr_auc: finite(pr_auc(y, p)),
        brier: finite(brier(y, p)).unwrap_or(0.0),
        log_loss: finite(log_loss(y, p)).unwrap_or(0.0),
        lift_top_decile: finite(lift_top_decile(y, p)),
        base_rate: if y.len() == p.len() {
            finite(base_rate(y))
        } else {
            None
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    // A small example with ties:
    //   p: 0.1  0.4  0.35 0.8  0.4  0.7
    //   y: no   yes  no   yes  no   yes
    const Y: [bool; 6] = [false, true, false, true, false, true];
    const P: [f64; 6] = [0.1, 0.4, 0.35, 0.8, 0.4, 0.7];

    #[test]
    fn auc_with_ties_by_hand() {
        // Pairs (positive, negative), 3 x 3 = 9:
        //   pos 0.4 vs neg 0.1 win, 0.35 win, 0.4 tie (1/2) -> 2.5
        //   pos 0.8 beats all three -> 3;  pos 0.7 beats all three -> 3
        // AUC = 8.5 / 9.
        assert!(close(auc(&Y, &P), 8.5 / 9.0));
        // Same by ranks: sorted 0.1(1) 0.35(2) 0.4,0.4(3.5 each) 0.7(5) 0.8(6);
        // positives' ranks 3.5 + 5 + 6 = 14.5; U = 14.5 - 3·4/2 = 8.5.
        assert!(close(auc(&[true, false], &[0.9, 0.1]), 1.0));
        assert!(close(auc(&[true, false], &[0.1, 0.9]), 0.0));
        assert!(close(auc(&[true, false, true, false], &[0.5; 4]), 0.5));
    }

    #[test]
    fn average_precision_by_hand() {
        // Thresholds, highest first (scikit-learn gives the same 0.9166...):
        //   0.8  -> tp 1 fp 0: R 1/3, P 1     -> 1/3 · 1
        //   0.7  -> tp 2 fp 0: R 2/3, P 1     -> 1/3 · 1
        //   0.4  -> tp 3 fp 1: R 1,   P 3/4   -> 1/3 · 3/4
        //   0.35 -> R stays 1; 0.1 -> R stays 1
        // AP = 1/3 + 1/3 + 1/4 = 11/12.
        assert!(close(pr_auc(&Y, &P), 11.0 / 12.0));
    }

    #[test]
    fn brier_and_log_loss_by_hand() {
        // Brier: (0.1² + 0.6² + 0.35² + 0.2² + 0.4² + 0.3²) / 6
        //      = (0.01 + 0.36 + 0.1225 + 0.04 + 0.16 + 0.09) / 6 = 0.7825 / 6
        assert!(close(brier(&Y, &P), 0.7825 / 6.0));
        // Log loss: −(ln 0.9 + ln 0.4 + ln 0.65 + ln 0.8 + ln 0.6 + ln 0.7) / 6
        let expected =
            -(0.9f64.ln() + 0.4f64.ln() + 0.65f64.ln() + 0.8f64.ln() + 0.6f64.ln() + 0.7f64.ln())
                / 6.0;
        assert!(close(log_loss(&Y, &P), expected));
        // Clipping: a certain mistake costs −ln(1e-15) ≈ 34.54, not infinity.
        let worst = log_loss(&[true], &[0.0]);
        assert!((worst - 34.538_776_394_910_68).abs() < 1e-6, "{worst}");
    }

    #[test]
    fn lift_with_ties_at_the_cut() {
        // 20 rows, top decile = 2 rows. Scores: one row at 0.9 (churned), then three rows
        // tied at 0.8 of which one churned, the rest at 0.1 with 2 churners.
        let mut y = vec![false; 20];
        let mut p = vec![0.1; 20];
        p[5] = 0.9;
        y[5] = true;
        for i in [0, 7, 12] {
            p[i] = 0.8;
        }
        y[7] = true;
        y[15] = true;
        y[16] = true;
        // Base rate 4/20 = 0.2. Top 2: the 0.9 row (1 churner) + one of three tied rows,
        // which carry 1/3 churner on average -> (1 + 1/3) / 2 = 2/3. Lift = (2/3) / 0.2.
        assert!(close(lift_top_decile(&y, &p), (2.0 / 3.0) / 0.2));
        // Row order must not matter.
        let (mut yr, mut pr) = (y.clone(), p.clone());
        yr.reverse();
        pr.reverse();
        assert!(close(lift_top_decile(&yr, &pr), lift_top_decile(&y, &p)));
    }

    #[test]
    fn calibration_bins_by_hand() {
        let bins = calibration(&Y, &P, 4);
        // [0, .25): 0.1 (no)            -> mean 0.1,   rate 0
        // [.25,.5): 0.4, 0.35, 0.4 (1/3) -> mean 0.3833, rate 1/3
        // [.5,.75): 0.7 (yes); [.75, 1]: 0.8 (yes)
        assert_eq!(bins.len(), 4);
        assert_eq!(bins[1].count, 3);
        assert!(close(bins[1].mean_predicted, 1.15 / 3.0));
        assert!(close(bins[1].observed_rate, 1.0 / 3.0));
        assert!(close(bins[3].lo, 0.75) && close(bins[3].hi, 1.0));
        // Empty bins are left out; p = 1.0 lands in the last bin.
        let b = calibration(&[true, false], &[1.0, 0.0], 10);
        assert_eq!(b.len(), 2);
        assert!(close(b[1].lo, 0.9));
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let empty: [bool; 0] = [];
        assert!(auc(&empty, &[]).is_nan());
        assert!(pr_auc(&empty, &[]).is_nan());
        assert!(brier(&empty, &[]).is_nan());
        assert!(log_loss(&empty, &[]).is_nan());
        assert!(lift_top_decile(&empty, &[]).is_nan());
        assert!(calibration(&empty, &[], 10).is_empty());
        assert!(auc(&[true, true], &[0.2, 0.3]).is_nan());
        assert!(pr_auc(&[false, false], &[0.2, 0.3]).is_nan());
        assert!(auc(&[true], &[0.2, 0.3]).is_nan());

        let m = metric_set(&empty, &[]);
        assert_eq!((m.rows, m.auc, m.brier, m.log_loss), (0, 0.5, 0.0, 0.0));
        assert_eq!(
            (m.pr_auc, m.lift_top_decile, m.base_rate),
            (None, None, None)
        );
        let m = metric_set(&[false, false], &[0.2, 0.3]);
        assert_eq!(m.auc, 0.5);
        assert_eq!(m.base_rate, Some(0.0));
        assert!(close(m.brier, (0.04 + 0.09) / 2.0));
        let m = metric_set(&Y, &P);
        assert!(close(m.auc, 8.5 / 9.0));
        assert_eq!(m.rows, 6);
        assert!(close(m.base_rate.unwrap(), 0.5));
        // Top decile of 6 rows = 1 row (0.8, churned): rate 1 / base 0.5 = 2.
        assert!(close(m.lift_top_decile.unwrap(), 2.0));
    }
}
