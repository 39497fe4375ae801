//! Coverage: how much of a model's power a file's columns supply.
//!
//! An account's log-odds is `intercept + Σ c_f` over the model's inputs. An input the
//! file has no column for contributes nothing (exactly 0, its training population's
//! average contribution, since contributions are centred): the file's scores are
//! `η_P = Σ_{f present} c_f` where the full model would give `η = Σ_f c_f`. Coverage is
//! how well the first follows the second over the accounts the model was trained on:
//!
//! ```text
//! share = Cov(η_P, η)² / (Var(η_P) · Var(η))
//! ```
//!
//! the squared correlation of the two scores, from the covariance of the inputs'
//! contributions the model file records ([`Model::contribution_covariance`]). When the
//! inputs are independent it is the present inputs' share of the score's variance
//! (`Σ_P Var c_f / Σ Var c_f`); an absent input that moves with a present one costs less,
//! since the present one still ranks accounts much as the pair would. A model file
//! without the covariance (written before it was recorded) gets the share of its inputs
//! present, and says so ([`Coverage::measured`] is false).
//!
//! Below [`SUFFICIENT_SHARE`] the scores are not an audit: the default model's ranking of
//! simulated accounts falls apart as inputs are removed (benches/coverage.sh, figures in
//! benches/results/coverage.md), and a file that supplies less than that is scored on
//! what it has but presented as insufficient.

use serde::Serialize;

use crate::model::Model;

/// The coverage at and above which a file's scores are presented as an audit: half of
/// the model's power. Set from the default model on simulated accounts it was not
/// trained on (benches/results/coverage.md): every file with at least this coverage kept
/// at least two thirds of the full model's AUC lift over chance (AUC 0.74 or more
/// against 0.85 with every input); below 0.4 some kept under half, and below 0.2 under
/// a third.
pub const SUFFICIENT_SHARE: f64 = 0.5;

/// How much of a model's power a file's columns supply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// From 0 (the file supplies nothing the model uses) to 1 (everything).
    pub share: f64,
    /// Whether `share` reaches [`SUFFICIENT_SHARE`]: below, scores are not findings.
    pub sufficient: bool,
    /// The model's inputs the file has no column for (their names), in model order.
    pub missing: Vec<String>,
    /// True when `share` comes from the model's contribution covariance; false when the
    /// model file lacks it and `share` is the fraction of inputs present.
    pub measured: bool,
}

/// The coverage of a file whose columns supply the inputs marked `present` (one per
/// model input, in model order; an input without an entry counts as present).
pub fn coverage(model: &Model, present: &[bool]) -> Coverage {
    let p = model.features.len();
    let is_present = |f: usize| present.get(f).copied().unwrap_or(true);
    let missing: Vec<String> = (0..p)
        .filter(|&f| !is_present(f))
        .map(|f| model.features[f].name.clone())
        .collect();
    let by_count = || {
        if p == 0 {
            1.0
        } else {
            (p - missing.len()) as f64 / p as f64
        }
    };
    let sigma = &model.contribution_covariance;
    let measured = sigma.len() == p && sigma.iter().all(|row| row.len() == p);
    let share = if !measured {
        by_count()
    } else {
        // Var(η) = Σ_ij σ_ij; Var(η_P) = Σ_{i,j ∈ P} σ_ij; Cov(η_P, η) = Σ_{i ∈ P} Σ_j σ_ij.
        let (mut total, mut own, mut cross) = (0.0, 0.0, 0.0);
        for (i, row) in sigma.iter().enumerate() {
            for (j, &s) in row.iter().enumerate() {
                total += s;
                if is_present(i) {
                    cross += s;
                    if is_present(j) {
                        own += s;
                    }
                }
            }
        }
        if total <= 0.0 {
            // A model whose score does not vary: nothing to lose but inputs.
            by_count()
        } else if own <= 0.0 {
            0.0
        } else {
            (cross * cross / (own * total)).clamp(0.0, 1.0)
        }
    };
    Coverage {
        share,
        sufficient: share >= SUFFICIENT_SHARE,
        missing,
        measured,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::tiny_model;

    /// The tiny model (three inputs) with a given covariance.
    fn with_covariance(sigma: [[f64; 3]; 3]) -> Model {
        let mut m = tiny_model();
        assert_eq!(m.features.len(), 3);
        m.contribution_covariance = sigma.iter().map(|r| r.to_vec()).collect();
        m
    }

    #[test]
    fn independent_inputs_give_their_share_of_the_variance() {
        // Variances 3, 1 and 0: the first alone carries 3/4 of the score's variance.
        let m = with_covariance([[3.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]);
        let c = coverage(&m, &[true, false, true]);
        assert_eq!(c.share, 0.75);
        assert!(c.sufficient && c.measured);
        assert_eq!(c.missing, vec![m.features[1].name.clone()]);
        assert_eq!(coverage(&m, &[false, true, true]).share, 0.25);
        assert_eq!(coverage(&m, &[true, true, true]).share, 1.0);
        assert_eq!(coverage(&m, &[false, false, true]).share, 0.0);
    }

    #[test]
    fn an_absent_input_that_moves_with_a_present_one_costs_less() {
        // Two inputs of variance 1 with correlation 0.5 (covariance 0.5); the score's
        // variance is 1 + 1 + 2·0.5 = 3. With the first alone: Cov(η_P, η) = 1 + 0.5,
        // Var(η_P) = 1, so share = 1.5² / (1 · 3) = 0.75 (by hand), not 1/2.
        let m = with_covariance([[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 0.0]]);
        let c = coverage(&m, &[true, false, true]);
        assert!((c.share - 0.75).abs() < 1e-15, "{}", c.share);
        // Opposed inputs (correlation -0.5): Var(η) = 1, Cov(η_P, η) = 0.5, share 0.25.
        let m = with_covariance([[1.0, -0.5, 0.0], [-0.5, 1.0, 0.0], [0.0, 0.0, 0.0]]);
        let c = coverage(&m, &[true, false, true]);
        assert!((c.share - 0.25).abs() < 1e-15, "{}", c.share);
        assert!(!c.sufficient);
    }

    #[test]
    fn a_model_without_the_covariance_counts_its_inputs() {
        let m = tiny_model();
        assert!(m.contribution_covariance.is_empty());
        let c = coverage(&m, &[true, false, false]);
        assert_eq!(c.share, 1.0 / 3.0);
        assert!(!c.measured && !c.sufficient);
        assert_eq!(c.missing.len(), 2);
    }

    #[test]
    fn the_threshold_is_inclusive() {
        let m = with_covariance([
            [SUFFICIENT_SHARE, 0.0, 0.0],
            [0.0, 1.0 - SUFFICIENT_SHARE, 0.0],
            [0.0, 0.0, 0.0],
        ]);
        let c = coverage(&m, &[true, false, true]);
        assert_eq!(c.share, SUFFICIENT_SHARE);
        assert!(c.sufficient);
    }
}
