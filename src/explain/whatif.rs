//! What would change an account's score: what-if re-scoring, the inputs a what-if
//! edits, and next-best actions.
//!
//! A what-if is [`Model::score`] on edited values: every input of any model can be
//! edited (numbers, yes/no, categories, days from dates), see [`levers`].
//!
//! Next-best actions ([`next_best_actions`], and [`top_changes`] for the rows of
//! `score --format json`) are single changes of the inputs marked actionable
//! ([`Actionable`], recorded per input in the model file; [`default_actionable`] when a
//! file does not say), each a realistic candidate:
//!
//! * a number: the canonical move of [`RULES`] for the canonical levers ("re-engage
//!   within 30 days": at most 14 days), otherwise the model's typical value when the
//!   account is on the wrong side of it for the recorded direction; always within the
//!   training range;
//! * yes/no: the flip in the recorded direction (`lower`: yes to no, `raise`: no to yes,
//!   `any`: either);
//! * a category: each other level seen in training (the best one is kept).
//!
//! Each candidate is scored exactly (the contributions with that one input's replaced,
//! summed as [`Model::score`] sums them: the same bits as a what-if of that change), the
//! best candidate of each input is kept, and the inputs are ranked by the drop in
//! probability; a change that does not lower the probability is never offered. Inputs
//! absent from the scored file (`present[f] == false`) are neither edited nor proposed.

use super::*;
use crate::model::{Actionable, FeatureSpec};

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
}

impl Move {
    /// The direction of the move.
    fn direction(self) -> Actionable {
        match self {
            Move::AtMost(_) => Actionable::Lower,
            Move::AtLeast(_) | Move::Add(_) | Move::AtLeastTypical => Actionable::Raise,
        }
    }
}

/// The canonical levers, the plain-language action, and how it moves the value. These
/// follow the early-warning signals of relationship marketing: recency of two-way
/// contact, answered check-ins, events, escalations, payment, breadth of stakeholders,
/// product use and content engagement.
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

pub(super) fn rule_for(name: &str) -> Option<(&'static str, Move)> {
    RULES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|&(_, text, m)| (text, m))
}

/// Words in an input's name or label that mark something an account team cannot change
/// (who the client is, what it pays, how long it has been one).
const FIXED_WORDS: &[&str] = &[
    "gender",
    "sex",
    "age",
    "senior",
    "partner",
    "married",
    "dependents",
    "dependent",
    "region",
    "country",
    "state",
    "city",
    "zip",
    "postal",
    "industry",
    "employees",
    "tenure",
    "signup",
    "created",
    "joined",
    "founded",
    "charges",
    "charge",
    "price",
    "revenue",
    "value",
    "spend",
    "amount",
    "fee",
    "cost",
    "arr",
    "mrr",
    "acv",
    "income",
    "salary",
    "total",
    "balance",
    "size",
    "segment",
    "tier",
];

/// Words that mark a count of bad news, which a team works to lower.
const LOWER_WORDS: &[&str] = &[
    "ticket",
    "tickets",
    "escalation",
    "escalations",
    "complaint",
    "complaints",
    "late",
    "overdue",
    "missed",
    "incident",
    "incidents",
    "outage",
    "outages",
    "bugs",
    "errors",
    "inactive",
    "unresolved",
    "disputes",
];

/// Words that mark engagement, which a team works to raise.
const RAISE_WORDS: &[&str] = &[
    "login",
    "logins",
    "usage",
    "sessions",
    "session",
    "visits",
    "active",
    "engagement",
    "engagements",
    "events",
    "event",
    "nps",
    "csat",
    "satisfaction",
    "referrals",
    "stakeholders",
    "adoption",
    "meetings",
    "checkins",
    "webinars",
    "trainings",
];

/// The lower-case words of an input's name and label.
fn words(spec: &FeatureSpec) -> Vec<String> {
    let mut out = Vec::new();
    for text in [spec.name.as_str(), spec.label.as_str()] {
        let mut current = String::new();
        let mut prev_lower = false;
        for c in text.chars() {
            let split = !c.is_alphanumeric() || (c.is_uppercase() && prev_lower);
            if split && !current.is_empty() {
                out.push(std::mem::take(&mut current).to_lowercase());
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            if c.is_alphanumeric() {
                current.push(c);
            }
        }
        if !current.is_empty() {
            out.push(current.to_lowercase());
        }
    }
    out
}

/// Whether an input is actionable, and which way, when its model file does not say:
/// the canonical levers of [`RULES`] in their direction; any other canonical column
/// (value, tenure, advocacy, touches) no; a column of another table by its kind and
/// name: a count of bad news (tickets, escalations, late payments) `lower`, engagement
/// (logins, usage, events, satisfaction) `raise`, who the client is or what it pays
/// (gender, age, tenure, charges, value) `no`, other categories and yes/no inputs
/// `any` (a contract type, a payment method, an add-on), other numbers `no` (no
/// realistic direction is known).
pub fn default_actionable(spec: &FeatureSpec) -> Actionable {
    if let Some((_, how)) = rule_for(&spec.name) {
        return how.direction();
    }
    if crate::schema::CANONICAL.iter().any(|c| c.name == spec.name) {
        return Actionable::No;
    }
    let words = words(spec);
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    // A value derived from a date ("days since signup") is history, unless it is the
    // recency of a contact.
    let from_date = !spec.date_aliases.is_empty() && spec.aliases.is_empty();
    if has(FIXED_WORDS) {
        Actionable::No
    } else if has(LOWER_WORDS) && spec.kind != Kind::Categorical {
        Actionable::Lower
    } else if has(RAISE_WORDS) && spec.kind != Kind::Categorical && !from_date {
        Actionable::Raise
    } else if from_date {
        let contact = has(&["contact", "engagement", "touch", "call", "meeting", "visit"]);
        if contact && has(&["last"]) {
            Actionable::Lower
        } else {
            Actionable::No
        }
    } else {
        match spec.kind {
            Kind::Categorical | Kind::Boolean => Actionable::Any,
            Kind::Numeric => Actionable::No,
        }
    }
}

/// Whether an input is actionable, and which way: as its model file records it, else
/// [`default_actionable`].
pub fn actionable(spec: &FeatureSpec) -> Actionable {
    spec.actionable.unwrap_or_else(|| default_actionable(spec))
}

/// An input a what-if can edit, with the account's current value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lever {
    /// Feature name.
    pub feature: String,
    /// Feature label.
    pub label: String,
    /// Unit ("days", "%" or empty).
    pub unit: String,
    /// How the value is read: numeric, boolean or categorical.
    pub kind: Kind,
    /// Boolean features take 0 or 1.
    pub boolean: bool,
    /// A category's levels (its value is the index; `levels.len()` is any other level).
    pub levels: Vec<String>,
    /// The value is a number of days counted from a date in the file, up to ("since")
    /// or from ("until") the as-of date; `None` for other inputs.
    pub date_direction: Option<crate::schema::DateDirection>,
    /// The account's current value (None = missing).
    pub value: Option<f64>,
    /// The value as people read it ("142 days", "yes", "Enterprise", "not recorded").
    pub shown: String,
    /// The value scored when it is missing.
    pub imputed: f64,
    /// The training range: values outside are scored at its edge.
    pub min: f64,
    /// Upper end of the training range.
    pub max: f64,
    /// Whether next-best actions may change it, and which way.
    pub actionable: Actionable,
}

/// Whether input `f` has a column in the scored file; an unknown mask (shorter) says yes.
pub(super) fn is_present(present: &[bool], f: usize) -> bool {
    present.get(f).copied().unwrap_or(true)
}

/// Every input of `model` the scored file has (`present`, one per input; all true when
/// unknown), for an account with `values`, in the model's feature order: the what-if
/// edits any of them.
pub fn levers(model: &Model, values: &[Value], present: &[bool]) -> Vec<Lever> {
    model
        .features
        .iter()
        .enumerate()
        .filter(|&(f, _)| is_present(present, f))
        .map(|(f, spec)| {
            let x = values.get(f).copied().unwrap_or(f64::NAN);
            let from_date = !spec.date_aliases.is_empty() && spec.aliases.is_empty();
            Lever {
                feature: spec.name.clone(),
                label: spec.label.clone(),
                unit: spec.unit.clone(),
                kind: spec.kind,
                boolean: spec.kind == Kind::Boolean,
                levels: match &spec.basis {
                    Basis::Categorical { levels } => levels.clone(),
                    _ => Vec::new(),
                },
                date_direction: spec.date_direction.filter(|_| from_date),
                value: if x.is_nan() { None } else { Some(x) },
                shown: show(spec, x),
                imputed: spec.impute,
                min: spec.range[0],
                max: spec.range[1],
                actionable: actionable(spec),
            }
        })
        .collect()
}

/// One change to one input and what it does to the account's risk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    /// Feature changed.
    pub feature: String,
    /// Its label.
    pub label: String,
    /// The new value, as the what-if takes it (a category's level index, yes/no as 1/0).
    pub value: f64,
    /// The new value as people read it ("14 days", "yes", "One year").
    pub shown: String,
    /// Plain language: "Re-engage within 30 days: 64% to 38%".
    pub text: String,
    /// Probability now.
    pub probability_before: f64,
    /// Probability after the change.
    pub probability_after: f64,
}

/// A new value in `score --format json`'s `actions`: a number (yes/no as 1/0) or a
/// category's level.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum NewValue {
    /// A number; yes/no as 1/0.
    Number(f64),
    /// A category's level, as seen in training.
    Level(String),
}

/// One single change of `score --format json`'s `actions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The input's name.
    pub input: String,
    /// The new value.
    pub value: NewValue,
    /// The account's probability with that change.
    pub probability: f64,
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

/// The realistic new values of input `spec` (see the module docs) for current value
/// `x` (NaN = missing), each passed to `try_value`.
fn candidates(spec: &FeatureSpec, x: Value, how: Actionable, try_value: &mut impl FnMut(f64)) {
    match (&spec.basis, spec.kind) {
        (Basis::Categorical { levels }, _) => {
            for k in 0..levels.len() {
                if x != k as f64 {
                    try_value(k as f64);
                }
            }
        }
        (_, Kind::Boolean) => {
            let now = if x.is_nan() { None } else { Some(x >= 0.5) };
            for (target, way) in [(0.0, Actionable::Lower), (1.0, Actionable::Raise)] {
                let wanted = how == way || how == Actionable::Any;
                if wanted && now != Some(target == 1.0) {
                    try_value(target);
                }
            }
        }
        _ => {
            let current = if x.is_nan() { spec.impute } else { x };
            let target = match rule_for(&spec.name).filter(|(_, m)| m.direction() == how) {
                Some((_, Move::AtMost(t))) => current.min(t),
                Some((_, Move::AtLeast(t))) => current.max(t),
                Some((_, Move::Add(d))) => current + d,
                Some((_, Move::AtLeastTypical)) => current.max(spec.typical),
                None => match how {
                    Actionable::Lower => current.min(spec.typical),
                    Actionable::Raise => current.max(spec.typical),
                    _ => spec.typical,
                },
            };
            let target = crate::model::clip(target, spec.range);
            if x.is_nan() || target != x {
                try_value(target);
            }
        }
    }
}

/// The log-odds of an account scored as `score` with input `f`'s contribution replaced
/// by `c`: the contributions summed in [`Model::score`]'s order, so the same bits as
/// re-scoring the account with that one value changed.
fn log_odds_with(model: &Model, score: &Score, f: usize, c: f64) -> f64 {
    let sum: f64 = score
        .contributions
        .iter()
        .enumerate()
        .map(|(g, &cg)| if g == f { c } else { cg })
        .sum();
    model.intercept + sum
}

/// The best realistic change of each actionable input present in the file, as
/// (input, new value, probability after), lowest probability first (ties by input
/// name); only changes that lower the probability. `score` is `model.score(values)`.
fn best_changes(
    model: &Model,
    values: &[Value],
    score: &Score,
    present: &[bool],
) -> Vec<(usize, f64, f64)> {
    let before = score.probability;
    let mut out: Vec<(usize, f64, f64)> = Vec::new();
    let mut scratch = Vec::new();
    for (f, spec) in model.features.iter().enumerate() {
        let how = actionable(spec);
        if how == Actionable::No || !is_present(present, f) {
            continue;
        }
        let x = values.get(f).copied().unwrap_or(f64::NAN);
        let mut best: Option<(f64, f64)> = None;
        candidates(spec, x, how, &mut |t| {
            let (c, _) = spec.contribution(t, &mut scratch);
            let p = sigmoid(log_odds_with(model, score, f, c));
            if best.is_none_or(|(_, b)| p < b) {
                best = Some((t, p));
            }
        });
        // A drop smaller than a rounding error is no action worth proposing.
        if let Some((t, p)) = best.filter(|&(_, p)| p < before - 1e-9) {
            out.push((f, t, p));
        }
    }
    out.sort_by(|a, b| {
        a.2.total_cmp(&b.2)
            .then_with(|| model.features[a.0].name.cmp(&model.features[b.0].name))
    });
    out
}

/// The single changes that lower this account's risk, biggest drop first, one per
/// actionable input present in the file (see the module docs).
pub fn next_best_actions(model: &Model, values: &[Value], present: &[bool]) -> Vec<Action> {
    let score = model.score(values);
    let before = score.probability;
    best_changes(model, values, &score, present)
        .into_iter()
        .map(|(f, t, after)| {
            let spec = &model.features[f];
            let x = values.get(f).copied().unwrap_or(f64::NAN);
            let what = match rule_for(&spec.name).filter(|(_, m)| m.direction() == actionable(spec))
            {
                Some((text, _)) if spec.kind == Kind::Numeric => text.to_string(),
                _ if spec.kind == Kind::Numeric => format!(
                    "Bring {} to the typical {}",
                    lower_first(&spec.label),
                    show(spec, t)
                ),
                _ => format!(
                    "{}: {} instead of {}",
                    spec.label,
                    show(spec, t),
                    show(spec, x)
                ),
            };
            Action {
                feature: spec.name.clone(),
                label: spec.label.clone(),
                value: t,
                shown: show(spec, t),
                text: format!("{what}: {} to {}", pct(before), pct(after)),
                probability_before: before,
                probability_after: after,
            }
        })
        .collect()
}

/// [`next_best_actions`]' first `n` changes for an account already scored (`score` is
/// `model.score(values)`), as `score --format json` writes them.
pub fn top_changes(
    model: &Model,
    values: &[Value],
    score: &Score,
    present: &[bool],
    n: usize,
) -> Vec<Change> {
    let mut best = best_changes(model, values, score, present);
    best.truncate(n);
    best.into_iter()
        .map(|(f, t, probability)| {
            let spec = &model.features[f];
            let value = match &spec.basis {
                Basis::Categorical { levels } => {
                    NewValue::Level(levels.get(t as usize).cloned().unwrap_or_default())
                }
                _ => NewValue::Number(t),
            };
            Change {
                input: spec.name.clone(),
                value,
                probability,
            }
        })
        .collect()
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
