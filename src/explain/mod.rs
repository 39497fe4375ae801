//! Why an account scores as it does, what would change it, and the portfolio's picture.
//!
//! Everything here is the model itself, not an approximation: a logistic model's
//! log-odds is `intercept + Σ contribution(feature)` (see [`crate::model`]), so an
//! account's explanation is the exact list of those terms, a what-if is the same
//! [`Model::score`] on edited values, and a next best action is a what-if on one lever.
//! The page and the command line both get these through this module; the page never
//! recomputes a number.
//!
//! `account` takes one account's score apart, `whatif` re-scores edited values and ranks
//! levers, `portfolio` builds the whole list's picture.

mod account;
mod portfolio;
#[cfg(test)]
mod tests;
mod whatif;

use serde::Serialize;

use crate::features::{Prepared, RowText};
use crate::model::{format_value, sigmoid, Basis, Kind, Memo, Model, Score, Value};
use crate::schema::Group;
use crate::support::{fixed_sum::FixedSum, wire};

pub use account::{explain, explain_row, show, Explanation, Step};
pub use portfolio::{
    portfolio, typical_values, FeatureDriver, GroupDriver, HistogramBin, Portfolio,
    PortfolioBuilder, SegmentSummary, HISTOGRAM_BINS,
};
pub use whatif::{levers, next_best_actions, what_if, Action, Lever, WhatIf};

/// A copy of `model` with new tier thresholds (highest tier first, one per tier; the
/// last must be 0), validated like a model file.
pub fn with_tier_thresholds(model: &Model, thresholds: &[f64]) -> crate::Result<Model> {
    if thresholds.len() != model.tiers.len() {
        return Err(crate::Error::model(
            "the tier settings",
            format!(
                "{} thresholds were given for {} tiers",
                thresholds.len(),
                model.tiers.len()
            ),
        ));
    }
    let mut m = model.clone();
    for (t, &x) in m.tiers.iter_mut().zip(thresholds) {
        t.min_probability = x;
    }
    m.validate("the tier settings")?;
    Ok(m)
}
