//! One account's score taken apart: the waterfall of its exact terms.
//!
//! Each input is measured against a reference account: the typical account, whose
//! every input is at its typical value (the training median; a category's most
//! frequent level). The waterfall starts at the typical account's log-odds, adds one
//! step per input, `c_f(x_f) - c_f(typical_f)` (the input's contribution to the
//! log-odds, [`crate::model`], minus the one it would have at its typical value), and
//! ends exactly at the account's log-odds: the steps add up to the score, whatever
//! their order. A step's size is therefore its own, in log-odds points or as an odds
//! multiplier `exp(step)`, not a share of probability that would depend on which bars
//! came before it; the steps are sorted by size, and the probability is given at both
//! ends. An input at its typical value contributes exactly 0 and is not called a driver.
//!
//! Inputs absent from the scored file (`present[f] == false`) are left out of the steps,
//! the levers and the actions and listed in [`Explanation::absent`] ("not in this
//! file"); whatever they contribute (nothing, once the scored list gives them no
//! weight) is part of the starting point, so the sum stays exact.

use super::*;

/// One term of an account's score, in the order the waterfall draws them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Feature name.
    pub feature: String,
    /// Feature label.
    pub label: String,
    /// The feature's group.
    pub group: Group,
    /// The account's value as read (None = missing, imputed).
    pub value: Option<f64>,
    /// The value as people read it ("142 days", "yes", "Enterprise", "not recorded").
    pub shown: String,
    /// The portfolio's median, as people read it ("" when there is none).
    pub portfolio_typical: String,
    /// The model's typical (training median) value, as people read it.
    pub model_typical: String,
    /// What this input adds to the log-odds against the typical account:
    /// `c_f(x) - c_f(typical)`; exactly 0 at the typical value.
    pub contribution: f64,
    /// Log-odds after adding this and every earlier step to the base.
    pub log_odds_after: f64,
    /// Probability at `log_odds_after`.
    pub probability_after: f64,
    /// The value was outside the training range and was scored at the range's edge.
    pub clipped: bool,
}

/// An account's score taken apart: base rate, each feature's term, the result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// Row index in the scored file.
    pub row: usize,
    /// 1-based line of the record.
    pub line: usize,
    /// Account id.
    pub account_id: String,
    /// Account name.
    pub account_name: String,
    /// Segment.
    pub segment: String,
    /// The log-odds of the typical account (every input at its typical value), where the
    /// waterfall starts.
    pub base_log_odds: f64,
    /// The typical account's probability.
    pub base_probability: f64,
    /// The term of every input the file has, largest effect first.
    pub steps: Vec<Step>,
    /// Labels of the model's inputs the file has no column for ("not in this file").
    pub absent: Vec<String>,
    /// The account's log-odds (exactly [`Model::score`]'s).
    pub log_odds: f64,
    /// The account's probability (exactly [`Model::score`]'s).
    pub probability: f64,
    /// Risk tier.
    pub risk_tier: String,
    /// The inputs a what-if can edit (every input the file has), with their values.
    pub levers: Vec<Lever>,
    /// Single changes of actionable inputs that lower this account's risk, best first.
    pub actions: Vec<Action>,
}

/// How a value is shown to people, with its unit.
pub fn show(spec: &crate::model::FeatureSpec, x: Value) -> String {
    if x.is_nan() {
        return "not recorded".into();
    }
    if let Basis::Categorical { levels } = &spec.basis {
        return levels
            .get(x as usize)
            .cloned()
            .unwrap_or_else(|| "other".into());
    }
    if spec.kind == Kind::Boolean {
        return if x >= 0.5 { "yes" } else { "no" }.into();
    }
    let v = format_value(x);
    match spec.unit.as_str() {
        "" => v,
        "%" => format!("{v}%"),
        u => format!("{v} {u}"),
    }
}

/// Takes row `row` of `prepared` apart. `typical` is [`Portfolio::typical`] (may be
/// empty); `present` says per input whether the file has its column (see the module
/// docs).
pub fn explain(
    model: &Model,
    prepared: &Prepared,
    row: usize,
    typical: &[Option<f64>],
    present: &[bool],
) -> Option<Explanation> {
    let meta = prepared.rows.get(row)?;
    let text = RowText {
        account_id: &meta.account_id,
        account_name: &meta.account_name,
        segment: &meta.segment,
    };
    Some(explain_row(
        model,
        row,
        meta.line,
        text,
        prepared.row(row),
        typical,
        present,
    ))
}

/// Takes one account apart: row `row` at line `line`, with its id, name and segment and
/// its feature values. `typical` is [`Portfolio::typical`] (may be empty); `present`
/// says per input whether the file has its column (one per input; all true, or empty,
/// when unknown).
pub fn explain_row(
    model: &Model,
    row: usize,
    line: usize,
    text: RowText,
    values: &[f64],
    typical: &[Option<f64>],
    present: &[bool],
) -> Explanation {
    let score = model.score(values);
    let mut scratch = Vec::new();
    // Per input: the step against the typical account; an absent input's whole
    // contribution goes to the starting point instead.
    let mut base = model.intercept;
    let mut step = vec![0.0; model.features.len()];
    for (f, spec) in model.features.iter().enumerate() {
        let c = score.contributions[f];
        if whatif::is_present(present, f) {
            let (reference, _) = spec.contribution(spec.typical, &mut scratch);
            base += reference;
            step[f] = c - reference;
        } else {
            base += c;
        }
    }
    let mut order: Vec<usize> = (0..model.features.len())
        .filter(|&f| whatif::is_present(present, f))
        .collect();
    order.sort_by(|&a, &b| step[b].abs().total_cmp(&step[a].abs()).then(a.cmp(&b)));
    let mut z = base;
    let steps = order
        .into_iter()
        .map(|f| {
            let spec = &model.features[f];
            let x = values.get(f).copied().unwrap_or(f64::NAN);
            let c = step[f];
            z += c;
            Step {
                feature: spec.name.clone(),
                label: spec.label.clone(),
                group: spec.group,
                value: if x.is_nan() { None } else { Some(x) },
                shown: show(spec, x),
                portfolio_typical: typical
                    .get(f)
                    .copied()
                    .flatten()
                    .map(|t| show(spec, t))
                    .unwrap_or_default(),
                model_typical: show(spec, spec.typical),
                contribution: c,
                log_odds_after: z,
                probability_after: sigmoid(z),
                clipped: score.clipped[f],
            }
        })
        .collect();
    Explanation {
        row,
        line,
        account_id: text.account_id.to_string(),
        account_name: text.account_name.to_string(),
        segment: text.segment.to_string(),
        base_log_odds: base,
        base_probability: sigmoid(base),
        steps,
        absent: model
            .features
            .iter()
            .enumerate()
            .filter(|&(f, _)| !whatif::is_present(present, f))
            .map(|(_, spec)| spec.label.clone())
            .collect(),
        log_odds: score.log_odds,
        probability: score.probability,
        risk_tier: model.tier(score.probability).to_string(),
        levers: levers(model, values, present),
        actions: next_best_actions(model, values, present),
    }
}
