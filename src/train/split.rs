//! The held-out split: each class shuffled with the seed and a share of it held out
//! ([`TrainConfig::held_out_share`](super::TrainConfig::held_out_share), default
//! [`HELD_OUT_SHARE`]), so that the held-out rows have the history's churn rate and are
//! never seen by any fitting step (not the column plan, not the shaping, not the
//! cross-validation). Inside each split the rows keep their file order, so nothing but
//! membership depends on the shuffle.

use crate::error::{show_value, Error, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Share of labelled rows held out for `metrics.held_out`.
pub const HELD_OUT_SHARE: f64 = 0.2;

/// The stratified train/held-out split, and the generator that goes on to shuffle the
/// cross-validation folds.
pub(super) struct Split {
    /// Positions (into the labelled rows) used for fitting, in file order.
    pub(super) train: Vec<usize>,
    /// Positions held out for `metrics.held_out`, in file order.
    pub(super) held: Vec<usize>,
    pub(super) rng: ChaCha8Rng,
}

/// Shuffles each class with the seed and holds out `share` of each (at least one row of
/// each class unless `share` is 0).
pub(super) fn stratified_split(
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

#[cfg(test)]
mod tests {
    use crate::train::tests::{cfg, sim};
    use crate::train::train;

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
}
