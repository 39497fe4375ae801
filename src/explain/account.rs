//! One account's score taken apart: the waterfall of its exact terms.

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
    /// Contribution to the log-odds.
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
    /// The model's intercept: the log-odds of a typical account.
    pub base_log_odds: f64,
    /// The typical account's probability.
    pub base_probability: f64,
    /// Every feature's term, largest effect first.
    pub steps: Vec<Step>,
    /// The account's log-odds (exactly [`Model::score`]'s).
    pub log_odds: f64,
    /// The account's probability (exactly [`Model::score`]'s).
    pub probability: f64,
    /// Risk tier.
    pub risk_tier: String,
    /// The levers a what-if can move, with their current values.
    pub levers: Vec<Lever>,
    /// Single changes that lower this account's risk most, best first.
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

/// Takes row `row` of `prepared` apart. `typical` is [`Portfolio::typical`] (may be empty).
pub fn explain(
    model: &Model,
    prepared: &Prepared,
    row: usize,
    typical: &[Option<f64>],
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
    ))
}

/// Takes one account apart: row `row` at line `line`, with its id, name and segment and
/// its feature values. `typical` is [`Portfolio::typical`] (may be empty).
pub fn explain_row(
    model: &Model,
    row: usize,
    line: usize,
    text: RowText,
    values: &[f64],
    typical: &[Option<f64>],
) -> Explanation {
    let score = model.score(values);
    let mut order: Vec<usize> = (0..model.features.len()).collect();
    order.sort_by(|&a, &b| {
        score.contributions[b]
            .abs()
            .total_cmp(&score.contributions[a].abs())
            .then(a.cmp(&b))
    });
    let mut z = model.intercept;
    let steps = order
        .into_iter()
        .map(|f| {
            let spec = &model.features[f];
            let x = values.get(f).copied().unwrap_or(f64::NAN);
            let c = score.contributions[f];
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
                model_typical: if spec.kind == Kind::Categorical {
                    String::new()
                } else {
                    show(spec, spec.typical)
                },
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
        base_log_odds: model.intercept,
        base_probability: sigmoid(model.intercept),
        steps,
        log_odds: score.log_odds,
        probability: score.probability,
        risk_tier: model.tier(score.probability).to_string(),
        levers: levers(model, values),
        actions: next_best_actions(model, values),
    }
}
