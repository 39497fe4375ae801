//! What would change an account's score: what-if re-scoring, levers and next best actions.

use super::*;

/// The result of scoring an account with some values replaced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIf {
    /// Probability with the account's own values.
    pub probability_before: f64,
    /// Probability with the changes.
    pub probability: f64,
    /// Log-odds with the changes.
    pub log_odds: f64,
    /// Risk tier with the changes.
    pub risk_tier: String,
}

/// Scores `values` with `changes` (feature index, new value) applied, through the same
/// [`Model::score`] every other number comes from. Unknown indices are ignored.
pub fn what_if(model: &Model, values: &[Value], changes: &[(usize, f64)]) -> WhatIf {
    let before = model.score(values);
    let mut edited = values.to_vec();
    edited.resize(model.features.len(), f64::NAN);
    for &(f, x) in changes {
        if let Some(v) = edited.get_mut(f) {
            *v = x;
        }
    }
    let after = model.score(&edited);
    WhatIf {
        probability_before: before.probability,
        probability: after.probability,
        log_odds: after.log_odds,
        risk_tier: model.tier(after.probability).to_string(),
    }
}

/// How a lever's target value is found from the account's current value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Move {
    /// Lower the value to at most this.
    AtMost(f64),
    /// Raise the value to at least this.
    AtLeast(f64),
    /// Add this much.
    Add(f64),
    /// Raise to at least the model's typical value.
    AtLeastTypical,
    /// Bring to the model's typical value (for features without a known good direction).
    Typical,
}

/// The canonical actionable features, the plain-language action, and how it moves the
/// value. These follow the early-warning signals of relationship marketing: recency of
/// two-way contact, answered check-ins, events, escalations, payment, breadth of
/// stakeholders, product use and content engagement.
pub(super) const RULES: &[(&str, &str, Move)] = &[
    (
        "days_since_last_engagement",
        "Re-engage within 30 days",
        Move::AtMost(14.0),
    ),
    (
        "open_escalations",
        "Resolve the open escalations",
        Move::AtMost(0.0),
    ),
    (
        "invoice_days_late",
        "Get invoices paid on time",
        Move::AtMost(0.0),
    ),
    (
        "checkins_missed_90d",
        "Get check-ins answered again",
        Move::AtMost(0.0),
    ),
    (
        "stakeholders_engaged",
        "Engage one more stakeholder",
        Move::Add(1.0),
    ),
    (
        "events_attended_12m",
        "Bring them to an event",
        Move::Add(1.0),
    ),
    (
        "logins_30d",
        "Lift product use to the typical level",
        Move::AtLeastTypical,
    ),
    (
        "content_engagements_90d",
        "Share content they engage with (3 more engagements)",
        Move::Add(3.0),
    ),
    ("nps", "Follow up on their NPS feedback", Move::AtLeast(7.0)),
];

/// A value a what-if can change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lever {
    /// Feature name.
    pub feature: String,
    /// Feature label.
    pub label: String,
    /// Unit ("days", "%" or empty).
    pub unit: String,
    /// Boolean features take 0 or 1.
    pub boolean: bool,
    /// The account's current value (None = missing).
    pub value: Option<f64>,
    /// The value scored when it is missing.
    pub imputed: f64,
    /// The training range: values outside are scored at its edge.
    pub min: f64,
    /// Upper end of the training range.
    pub max: f64,
}

pub(super) fn rule_for(name: &str) -> Option<(&'static str, Move)> {
    RULES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|&(_, text, m)| (text, m))
}

/// Whether a feature is a lever: a canonical actionable feature, or, for models without
/// canonical names, a numeric or boolean feature of the engagement or support groups.
pub(super) fn is_lever(spec: &crate::model::FeatureSpec) -> bool {
    if spec.kind == Kind::Categorical {
        return false;
    }
    rule_for(&spec.name).is_some() || matches!(spec.group, Group::Engagement | Group::Support)
}

/// The levers of `model` for an account with `values`, in the model's feature order.
pub fn levers(model: &Model, values: &[Value]) -> Vec<Lever> {
    model
        .features
        .iter()
        .enumerate()
        .filter(|(_, spec)| is_lever(spec))
        .map(|(f, spec)| {
            let x = values.get(f).copied().unwrap_or(f64::NAN);
            Lever {
                feature: spec.name.clone(),
                label: spec.label.clone(),
                unit: spec.unit.clone(),
                boolean: spec.kind == Kind::Boolean,
                value: if x.is_nan() { None } else { Some(x) },
                imputed: spec.impute,
                min: spec.range[0],
                max: spec.range[1],
            }
        })
        .collect()
}

/// One change to one lever and what it does to the account's risk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    /// Feature changed.
    pub feature: String,
    /// The new value.
    pub value: f64,
    /// Plain language: "Re-engage within 30 days: 64% to 38%".
    pub text: String,
    /// Probability now.
    pub probability_before: f64,
    /// Probability after the change.
    pub probability_after: f64,
}

/// A probability as a whole percentage for plain-language text ("64%").
pub(super) fn pct(p: f64) -> String {
    let x = p * 100.0;
    if x > 0.0 && x < 1.0 {
        "<1%".into()
    } else if x < 100.0 && x > 99.0 {
        ">99%".into()
    } else {
        format!("{}%", x.round())
    }
}

/// The single lever changes that lower this account's risk, biggest drop first.
///
/// Each candidate is a plausible target for one lever (see the rules in the source;
/// other engagement and support features are tried at the model's typical value) scored
/// with [`what_if`]; changes that would not lower the probability are left out.
pub fn next_best_actions(model: &Model, values: &[Value]) -> Vec<Action> {
    let before = model.score(values).probability;
    let mut actions: Vec<Action> = Vec::new();
    for (f, spec) in model.features.iter().enumerate() {
        if !is_lever(spec) {
            continue;
        }
        let x = values.get(f).copied().unwrap_or(f64::NAN);
        let current = if x.is_nan() { spec.impute } else { x };
        let (text, how) = match rule_for(&spec.name) {
            Some((text, how)) => (text.to_string(), how),
            None => (
                format!(
                    "Bring {} to the typical {}",
                    lower_first(&spec.label),
                    show(spec, spec.typical)
                ),
                Move::Typical,
            ),
        };
        let target = match how {
            Move::AtMost(t) => current.min(t),
            Move::AtLeast(t) => current.max(t),
            Move::Add(d) => current + d,
            Move::AtLeastTypical => current.max(spec.typical),
            Move::Typical => spec.typical,
        };
        let target = crate::model::clip(target, spec.range);
        if !x.is_nan() && target == x {
            continue;
        }
        let after = what_if(model, values, &[(f, target)]).probability;
        // A drop smaller than a rounding error is no action worth proposing.
        if after < before - 1e-9 {
            actions.push(Action {
                feature: spec.name.clone(),
                value: target,
                text: format!("{text}: {} to {}", pct(before), pct(after)),
                probability_before: before,
                probability_after: after,
            });
        }
    }
    actions.sort_by(|a, b| {
        a.probability_after
            .total_cmp(&b.probability_after)
            .then(a.feature.cmp(&b.feature))
    });
    actions
}

pub(super) fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => {
            let mut out = String::with_capacity(s.len());
            out.extend(first.to_lowercase());
            out.extend(c);
            out
        }
        None => String::new(),
    }
}
