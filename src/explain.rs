//! Why an account scores as it does, what would change it, and the portfolio's picture.
//!
//! Everything here is the model itself, not an approximation: a logistic model's
//! log-odds is `intercept + Σ contribution(feature)` (see [`crate::model`]), so an
//! account's explanation is the exact list of those terms, a what-if is the same
//! [`Model::score`] on edited values, and a next best action is a what-if on one lever.
//! The page and the command line both get these through this module; the page never
//! recomputes a number.

use serde::Serialize;

use crate::features::{Prepared, RowText};
use crate::model::{format_value, sigmoid, Basis, Kind, Memo, Model, Score, Value};
use crate::schema::Group;
use crate::support::{fixed_sum::FixedSum, wire};

/// Bins of the risk histogram (each 5 percentage points wide).
pub const HISTOGRAM_BINS: usize = 20;

/// One bar of the risk histogram: accounts with `from <= p < to` (the last bin includes 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistogramBin {
    /// Lower edge, a probability.
    pub from: f64,
    /// Upper edge, a probability.
    pub to: f64,
    /// Accounts in the bin.
    pub accounts: usize,
}

/// How much one group of features pushes risk up across the portfolio.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupDriver {
    /// The group.
    pub group: Group,
    /// The group's name as shown to people.
    pub label: String,
    /// Sum over accounts of the group's total contribution to the log-odds where that
    /// total is positive (raises risk above the typical account).
    pub log_odds_added: f64,
    /// Accounts whose risk the group raises.
    pub accounts_raised: usize,
}

/// One feature's share of the portfolio's added risk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureDriver {
    /// Feature name.
    pub feature: String,
    /// Feature label.
    pub label: String,
    /// The feature's group.
    pub group: Group,
    /// Sum over accounts of the feature's positive contributions.
    pub log_odds_added: f64,
    /// Accounts whose risk the feature raises.
    pub accounts_raised: usize,
}

/// Revenue at risk in one segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentSummary {
    /// The segment as written in the file ("(none)" for rows without one).
    pub segment: String,
    /// Accounts in the segment.
    pub accounts: usize,
    /// Sum of churn probabilities.
    pub expected_churners: f64,
    /// Sum of revenue at risk over accounts with a known contract value.
    pub revenue_at_risk: f64,
}

/// Portfolio-wide figures beyond the summary: distribution, drivers, segments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Portfolio {
    /// [`HISTOGRAM_BINS`] equal-width bins of churn probability.
    pub histogram: Vec<HistogramBin>,
    /// Per feature group, strongest first; groups that raise no account are left out.
    pub drivers: Vec<GroupDriver>,
    /// Per feature, strongest first; features that raise no account are left out.
    pub feature_drivers: Vec<FeatureDriver>,
    /// Per segment, most revenue at risk first; empty when the file has no segment column.
    pub segments: Vec<SegmentSummary>,
    /// Per model feature, the portfolio's median value (None for categorical features and
    /// features with no recorded value).
    pub typical: Vec<Option<f64>>,
}

/// The median of `xs` (all finite), or None when empty; reorders `xs`.
fn median(xs: &mut [f64]) -> Option<f64> {
    let n = xs.len();
    if n == 0 {
        return None;
    }
    let mid = n / 2;
    // Selection rather than a full sort: a million rows per feature in linear time.
    let (below, &mut upper, _) = xs.select_nth_unstable_by(mid, f64::total_cmp);
    if n % 2 == 1 {
        Some(upper)
    } else {
        let lower = below.iter().copied().max_by(f64::total_cmp)?;
        Some((lower + upper) / 2.0)
    }
}

/// Computes the portfolio figures of a prepared table; `revenue_at_risk` is per row, in
/// the order of `prepared.rows`; `has_segment` says whether the file had a segment
/// column at all.
pub fn portfolio(
    model: &Model,
    prepared: &Prepared,
    revenue_at_risk: &[Option<f64>],
    has_segment: bool,
) -> Portfolio {
    let mut builder = PortfolioBuilder::new(model, has_segment);
    let mut score = model.score(&[]);
    let mut scratch = Vec::new();
    for (r, meta) in prepared.rows.iter().enumerate() {
        model.score_into(prepared.row(r), &mut score, &mut scratch);
        let revenue = revenue_at_risk.get(r).copied().flatten();
        builder.add(&score, &meta.segment, revenue);
    }
    let p = model.features.len();
    let typical = typical_values(model, &prepared.values, p);
    builder.finish(model, typical)
}

/// What a contribution adds to the risk: itself when it raises it, else 0.
fn raising(x: f64) -> f64 {
    if x > 0.0 {
        x
    } else {
        0.0
    }
}

/// Collects the portfolio figures one scored account at a time. Every sum is an
/// [`FixedSum`], so builders of a file's parts merge into exactly the whole file's figures.
#[derive(Debug, Clone)]
pub struct PortfolioBuilder {
    histogram: [usize; HISTOGRAM_BINS],
    groups: Vec<Group>,
    group_of: Vec<usize>,
    group_added: Vec<FixedSum>,
    group_raised: Vec<usize>,
    group_sum: Vec<f64>,
    feature_added: Vec<FixedSum>,
    feature_raised: Vec<usize>,
    /// Contributions looked up in the memo are counted per slot instead, and added up
    /// (count times the term, the same bits as adding it each time) when read out.
    memo: Memo,
    tabled: Vec<u32>,
    has_segment: bool,
    segments: Vec<(String, usize, FixedSum, FixedSum)>,
    segment_index: std::collections::HashMap<String, usize>,
}

impl PortfolioBuilder {
    /// An empty builder; `has_segment` says whether the file has a segment column.
    pub fn new(model: &Model, has_segment: bool) -> PortfolioBuilder {
        let mut groups: Vec<Group> = model.features.iter().map(|f| f.group).collect();
        groups.sort();
        groups.dedup();
        let group_of = model
            .features
            .iter()
            .map(|f| groups.binary_search(&f.group).unwrap_or(0))
            .collect();
        let p = model.features.len();
        PortfolioBuilder {
            histogram: [0; HISTOGRAM_BINS],
            group_added: vec![FixedSum::fine(); groups.len()],
            group_raised: vec![0; groups.len()],
            group_sum: vec![0.0; groups.len()],
            groups,
            group_of,
            feature_added: vec![FixedSum::fine(); p],
            feature_raised: vec![0; p],
            memo: Memo::default(),
            tabled: Vec::new(),
            has_segment,
            segments: Vec::new(),
            segment_index: std::collections::HashMap::new(),
        }
    }

    /// Counts the contributions `memo` (the model's [`Model::memo`]) tables rather than
    /// adding each: a portfolio's counts and day numbers repeat, and a count is cheaper
    /// than a fixed-point sum (much cheaper in wasm, which has no 128-bit integers).
    pub fn with_memo(mut self, memo: Memo) -> PortfolioBuilder {
        self.tabled = vec![0; memo.len()];
        self.memo = memo;
        self
    }

    /// Adds one scored account with its segment and revenue at risk.
    pub fn add(&mut self, score: &Score, segment: &str, revenue_at_risk: Option<f64>) {
        let bin =
            ((score.probability * HISTOGRAM_BINS as f64).floor() as usize).min(HISTOGRAM_BINS - 1);
        if let Some(b) = self.histogram.get_mut(bin) {
            *b += 1;
        }
        // Only what raises the risk is added up. Adding 0 leaves a `FixedSum` exactly as
        // it was, so every term is added, the others as 0: the sign of a contribution is
        // unpredictable, and a branch on it mispredicts about every other time.
        self.group_sum.iter_mut().for_each(|g| *g = 0.0);
        // Per feature, side by side (a score has an entry for every feature of the
        // model, as the builder has): no index is checked but the two looked up.
        let sums = self.feature_added.iter_mut().zip(&mut self.feature_raised);
        let terms = score.contributions.iter().zip(&score.tabled);
        for (((&c, &slot), &g), (sum, raised)) in terms.zip(&self.group_of).zip(sums) {
            // Found in the memo while scoring (this builder's memo is the scorer's).
            if let Some(n) = self.tabled.get_mut(slot as usize) {
                *n += 1;
            } else {
                sum.add(raising(c));
                *raised += usize::from(c > 0.0);
            }
            if let Some(s) = self.group_sum.get_mut(g) {
                *s += c;
            }
        }
        let groups = self.group_added.iter_mut().zip(&mut self.group_raised);
        for (&s, (sum, raised)) in self.group_sum.iter().zip(groups) {
            sum.add(raising(s));
            *raised += usize::from(s > 0.0);
        }
        if self.has_segment {
            let name = Some(crate::ingest::trim(segment))
                .filter(|s| !s.is_empty())
                .unwrap_or("(none)");
            // A list has a handful of segments: comparing a few names is quicker than
            // hashing one. The map and the list always hold the same names.
            let known = if self.segments.len() <= 8 {
                self.segments.iter().position(|s| s.0 == name)
            } else {
                self.segment_index.get(name).copied()
            };
            let i = match known {
                Some(i) => i,
                None => {
                    self.segments
                        .push((name.to_string(), 0, FixedSum::fine(), FixedSum::money()));
                    self.segment_index
                        .insert(name.to_string(), self.segments.len() - 1);
                    self.segments.len() - 1
                }
            };
            if let Some(s) = self.segments.get_mut(i) {
                s.1 += 1;
                s.2.add(score.probability);
                s.3.add(revenue_at_risk.unwrap_or(0.0));
            }
        }
    }

    /// Adds the accounts of another builder for the same model (a later part of the same
    /// file): sums merge exactly and segments keep the order they were first seen in.
    pub fn merge(&mut self, other: &PortfolioBuilder) {
        for (mine, theirs) in self.histogram.iter_mut().zip(&other.histogram) {
            *mine += theirs;
        }
        for (mine, theirs) in self.group_added.iter_mut().zip(&other.group_added) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.group_raised.iter_mut().zip(&other.group_raised) {
            *mine += theirs;
        }
        let (added, raised) = other.feature_totals();
        for (mine, theirs) in self.feature_added.iter_mut().zip(&added) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.feature_raised.iter_mut().zip(&raised) {
            *mine += theirs;
        }
        for (name, accounts, churners, revenue) in &other.segments {
            let i = match self.segment_index.get(name) {
                Some(&i) => i,
                None => {
                    self.segments
                        .push((name.clone(), 0, FixedSum::fine(), FixedSum::money()));
                    self.segment_index
                        .insert(name.clone(), self.segments.len() - 1);
                    self.segments.len() - 1
                }
            };
            if let Some(s) = self.segments.get_mut(i) {
                s.1 += accounts;
                s.2.merge(churners);
                s.3.merge(revenue);
            }
        }
    }

    /// The sums and counts per feature, with the counted contributions added in.
    fn feature_totals(&self) -> (Vec<FixedSum>, Vec<usize>) {
        let mut added = self.feature_added.clone();
        let mut raised = self.feature_raised.clone();
        let counted = self.tabled.iter().enumerate().filter(|(_, &n)| n > 0);
        for (k, &n) in counted {
            let f = Memo::feature_of(k);
            let c = self.memo.tabled(k);
            if let (Some(sum), Some(r)) = (added.get_mut(f), raised.get_mut(f)) {
                sum.add_times(raising(c), n);
                *r += if c > 0.0 { n as usize } else { 0 };
            }
        }
        (added, raised)
    }

    /// Writes the running figures ([`wire`]); the model gives the rest.
    pub fn write(&self, w: &mut wire::Writer) {
        w.len(self.histogram.len());
        self.histogram.iter().for_each(|&n| w.len(n));
        let (added, raised) = self.feature_totals();
        for (sums, counts) in [(&self.group_added, &self.group_raised), (&added, &raised)] {
            w.len(sums.len());
            sums.iter().for_each(|s| s.write(w));
            counts.iter().for_each(|&n| w.len(n));
        }
        w.len(self.segments.len());
        for (name, accounts, churners, revenue) in &self.segments {
            w.str(name);
            w.len(*accounts);
            churners.write(w);
            revenue.write(w);
        }
    }

    /// Reads figures written by [`PortfolioBuilder::write`] for the same model.
    pub fn read(
        r: &mut wire::Reader<'_>,
        model: &Model,
        has_segment: bool,
    ) -> Result<PortfolioBuilder, &'static str> {
        let damaged = wire::DAMAGED;
        let mut b = PortfolioBuilder::new(model, has_segment);
        if r.count()? != b.histogram.len() {
            return Err(damaged);
        }
        for n in b.histogram.iter_mut() {
            *n = r.usize()?;
        }
        for (sums, counts) in [
            (&mut b.group_added, &mut b.group_raised),
            (&mut b.feature_added, &mut b.feature_raised),
        ] {
            if r.count()? != sums.len() {
                return Err(damaged);
            }
            for s in sums.iter_mut() {
                *s = FixedSum::read(r)?;
            }
            for n in counts.iter_mut() {
                *n = r.usize()?;
            }
        }
        for _ in 0..r.count()? {
            let name = r.str()?;
            let accounts = r.usize()?;
            let (churners, revenue) = (FixedSum::read(r)?, FixedSum::read(r)?);
            b.segment_index.insert(name.clone(), b.segments.len());
            b.segments.push((name, accounts, churners, revenue));
        }
        Ok(b)
    }

    /// The figures; `typical` is [`Portfolio::typical`] (see [`typical_values`]).
    pub fn finish(&self, model: &Model, typical: Vec<Option<f64>>) -> Portfolio {
        let histogram = self
            .histogram
            .iter()
            .enumerate()
            .map(|(b, &accounts)| HistogramBin {
                from: b as f64 / HISTOGRAM_BINS as f64,
                to: (b + 1) as f64 / HISTOGRAM_BINS as f64,
                accounts,
            })
            .collect();
        let mut drivers: Vec<GroupDriver> = self
            .groups
            .iter()
            .enumerate()
            .filter(|&(g, _)| self.group_raised[g] > 0)
            .map(|(g, group)| GroupDriver {
                group: *group,
                label: group.label().to_string(),
                log_odds_added: self.group_added[g].value(),
                accounts_raised: self.group_raised[g],
            })
            .collect();
        drivers.sort_by(|a, b| b.log_odds_added.total_cmp(&a.log_odds_added));
        let (added, raised) = self.feature_totals();
        let mut feature_drivers: Vec<FeatureDriver> = model
            .features
            .iter()
            .zip(added.iter().zip(&raised))
            .filter(|(_, (_, &raised))| raised > 0)
            .map(|(spec, (added, &raised))| FeatureDriver {
                feature: spec.name.clone(),
                label: spec.label.clone(),
                group: spec.group,
                log_odds_added: added.value(),
                accounts_raised: raised,
            })
            .collect();
        feature_drivers.sort_by(|a, b| b.log_odds_added.total_cmp(&a.log_odds_added));
        let mut segments: Vec<SegmentSummary> = self
            .segments
            .iter()
            .map(|(segment, accounts, churners, revenue)| SegmentSummary {
                segment: segment.clone(),
                accounts: *accounts,
                expected_churners: churners.value(),
                revenue_at_risk: revenue.value(),
            })
            .collect();
        segments.sort_by(|a, b| {
            b.revenue_at_risk
                .total_cmp(&a.revenue_at_risk)
                .then(b.accounts.cmp(&a.accounts))
                .then(a.segment.cmp(&b.segment))
        });
        Portfolio {
            histogram,
            drivers,
            feature_drivers,
            segments,
            typical,
        }
    }
}

/// Per model feature, the median of the recorded values in `values` (row-major, `p` per
/// row); `None` for categorical features and features with no recorded value.
pub fn typical_values(model: &Model, values: &[f64], p: usize) -> Vec<Option<f64>> {
    let mut column = Vec::with_capacity(values.len() / p.max(1));
    (0..p)
        .map(|f| {
            if model.features.get(f).is_none() || model.features[f].kind == Kind::Categorical {
                return None;
            }
            column.clear();
            column.extend(
                values
                    .iter()
                    .skip(f)
                    .step_by(p.max(1))
                    .filter(|x| x.is_finite()),
            );
            median(&mut column)
        })
        .collect()
}

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
enum Move {
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
const RULES: &[(&str, &str, Move)] = &[
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

fn rule_for(name: &str) -> Option<(&'static str, Move)> {
    RULES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|&(_, text, m)| (text, m))
}

/// Whether a feature is a lever: a canonical actionable feature, or, for models without
/// canonical names, a numeric or boolean feature of the engagement or support groups.
fn is_lever(spec: &crate::model::FeatureSpec) -> bool {
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
fn pct(p: f64) -> String {
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

fn lower_first(s: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest;
    use crate::model::tests::tiny_model;

    fn prepared(text: &str) -> (Model, Prepared) {
        let mut m = tiny_model();
        m.segment_column = Some(crate::model::ColumnSpec {
            name: "seg".into(),
            aliases: vec![],
        });
        let t = ingest::read_table(text.as_bytes(), "t.csv").unwrap();
        let p = crate::features::prepare(&t, &m, 0, "t.csv").unwrap();
        (m, p)
    }

    #[test]
    fn the_waterfall_adds_up_to_the_score() {
        let (m, p) = prepared("id,days,reference,segment\nA,120,,Enterprise\n");
        let e = explain(&m, &p, 0, &[]).unwrap();
        // Hand computation in model::tests: days 1.3, reference (missing) 0.75,
        // segment (Enterprise) -0.33, intercept -1.
        assert_eq!(e.base_log_odds, -1.0);
        assert!((e.base_probability - 0.268_941_421_369_995_1).abs() < 1e-12);
        let labels: Vec<&str> = e.steps.iter().map(|s| s.feature.as_str()).collect();
        assert_eq!(labels, ["days", "reference", "segment"]);
        assert!((e.steps[0].log_odds_after - 0.3).abs() < 1e-12);
        assert!((e.steps[1].log_odds_after - 1.05).abs() < 1e-12);
        assert!((e.steps[2].log_odds_after - 0.72).abs() < 1e-12);
        assert!((e.probability - 0.672_607_017_067_760_4).abs() < 1e-12);
        assert_eq!(e.steps[1].shown, "not recorded");
        assert_eq!(e.steps[0].shown, "120 days");
        assert_eq!(e.steps[2].shown, "Enterprise");
        assert!(explain(&m, &p, 1, &[]).is_none());
    }

    #[test]
    fn what_if_rescores_through_the_model() {
        let m = tiny_model();
        // days 120 -> 14: basis [14, 0] -> 0.01*(14-40) + 0.02*(0-5) = -0.26 - 0.1 = -0.36
        // z = -1 - 0.36 + 0.75 (reference missing) + (-0.33) = -0.94
        // 1/(1+e^0.94) = 0.2809003425836161 (Python: 1/(1+math.exp(0.94)))
        let w = what_if(&m, &[120.0, f64::NAN, 1.0], &[(0, 14.0)]);
        assert!((w.log_odds - -0.94).abs() < 1e-12);
        assert!((w.probability - 0.280_900_342_583_616_1).abs() < 1e-12);
        assert!((w.probability_before - 0.672_607_017_067_760_4).abs() < 1e-12);
        assert_eq!(w.risk_tier, "Low");
        // An unknown feature index changes nothing.
        let same = what_if(&m, &[120.0, f64::NAN, 1.0], &[(9, 0.0)]);
        assert_eq!(same.probability, same.probability_before);
    }

    #[test]
    fn next_best_actions_rank_by_the_drop_in_probability() {
        let mut m = tiny_model();
        m.features[0].name = "days_since_last_engagement".into();
        m.features[1].group = Group::Engagement;
        let a = next_best_actions(&m, &[120.0, 0.0, 1.0]);
        // reference = 0 (recorded): -1.5*(0-0.2) = 0.3; missing term 0.5*(0-0.1) = -0.05.
        // before: z = -1 + 1.3 + 0.25 - 0.33 = 0.22; p = 0.5547792351072148 (Python)
        // after:  z = -1 - 0.36 + 0.25 - 0.33 = -1.44; p = 0.19154534856146752
        assert_eq!(a[0].feature, "days_since_last_engagement");
        assert_eq!(a[0].value, 14.0);
        assert!((a[0].probability_before - 0.554_779_235_107_214_8).abs() < 1e-12);
        assert!((a[0].probability_after - 0.191_545_348_561_467_52).abs() < 1e-12);
        assert_eq!(a[0].text, "Re-engage within 30 days: 55% to 19%");
        // The boolean engagement feature has no rule: tried at its typical value 0, which
        // is where it already is, so it is not proposed.
        assert_eq!(a.len(), 1);
        // Already engaged recently: no action.
        assert!(next_best_actions(&m, &[10.0, 0.0, 1.0]).is_empty());
    }

    #[test]
    fn portfolio_figures_match_a_hand_count() {
        let (m, p) = prepared(
            "id,days,reference,segment,seg\nA,120,,Enterprise,East\nB,0,yes,SMB,East\nC,60,no,,West\n",
        );
        let probs: Vec<f64> = (0..3).map(|r| m.score(p.row(r)).probability).collect();
        let rev: Vec<Option<f64>> = vec![Some(100.0), None, Some(10.0)];
        let pf = portfolio(&m, &p, &rev, true);
        assert_eq!(pf.histogram.len(), HISTOGRAM_BINS);
        assert_eq!(pf.histogram.iter().map(|b| b.accounts).sum::<usize>(), 3);
        // A: p = 0.6726 -> bin 13 (0.65..0.70).
        assert_eq!(pf.histogram[13].accounts, 1);
        // Segments: East = A + B, revenue 100 (B unknown); West = C, revenue 10.
        assert_eq!(pf.segments[0].segment, "East");
        assert_eq!(pf.segments[0].accounts, 2);
        assert!((pf.segments[0].revenue_at_risk - 100.0).abs() < 1e-12);
        assert!((pf.segments[0].expected_churners - probs[0] - probs[1]).abs() < 1e-12);
        // Medians: days [0, 60, 120] -> 60; reference [1, 0] -> 0.5; segment categorical.
        assert_eq!(pf.typical, vec![Some(60.0), Some(0.5), None]);
        // Engagement (days): A +1.3, B 0.01*(0-40) + 0.02*(0-5) = -0.5,
        // C 0.01*(60-40) + 0.02*(0-5) = 0.1 -> positive parts 1.3 + 0.1 = 1.4
        let eng = pf
            .drivers
            .iter()
            .find(|d| d.group == Group::Engagement)
            .unwrap();
        assert!((eng.log_odds_added - 1.4).abs() < 1e-12);
        assert_eq!(eng.accounts_raised, 2);
        // No segment column: no segment figures.
        assert!(portfolio(&m, &p, &rev, false).segments.is_empty());
    }

    #[test]
    fn counting_tabled_contributions_gives_the_same_figures() {
        let m = crate::default_model().unwrap();
        let p = m.features.len();
        let memo = m.memo();
        let mut plain = PortfolioBuilder::new(&m, true);
        let mut counted = PortfolioBuilder::new(&m, true).with_memo(memo.clone());
        let (mut one, mut other) = (plain.clone(), counted.clone());
        let mut score = m.score(&[]);
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for row in 0..20_000 {
            // Whole numbers in and out of the table, -0, fractions, missing values.
            let values: Vec<f64> = (0..p)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let k = (state >> 40) % 3000;
                    match state % 8 {
                        0 => f64::NAN,
                        1 => -0.0,
                        2 => k as f64 / 7.0,
                        3 => -(k as f64),
                        4 => (k % 1100) as f64,
                        _ => (k % 30) as f64,
                    }
                })
                .collect();
            // The scorer's way: contributions looked up where tabled.
            m.score_memo(&values, &mut score, &memo);
            let segment = ["East", "West", ""][row % 3];
            plain.add(&score, segment, Some(100.0 * score.probability));
            counted.add(&score, segment, Some(100.0 * score.probability));
            // A part of the file, merged into the first.
            let part = if row < 7_000 { &mut one } else { &mut other };
            part.add(&score, segment, None);
        }
        let figures = |b: &PortfolioBuilder| format!("{:?}", b.finish(&m, Vec::new()));
        assert!(
            counted.tabled.iter().sum::<u32>() > 50_000,
            "few values counted"
        );
        assert_eq!(figures(&plain), figures(&counted));
        let mut merged = PortfolioBuilder::new(&m, true);
        merged.merge(&one);
        merged.merge(&other);
        let mut w = wire::Writer::default();
        other.write(&mut w);
        let bytes = w.finish().unwrap();
        let mut r = wire::Reader::new(&bytes);
        let mut through_bytes = one.clone();
        through_bytes.merge(&PortfolioBuilder::read(&mut r, &m, true).unwrap());
        let mut counted_parts = PortfolioBuilder::new(&m, true).with_memo(memo);
        counted_parts.merge(&through_bytes);
        assert_eq!(figures(&merged), figures(&through_bytes));
        assert_eq!(figures(&merged), figures(&counted_parts));
    }

    #[test]
    fn tier_thresholds_are_validated() {
        let m = tiny_model();
        let t = with_tier_thresholds(&m, &[0.3, 0.0]).unwrap();
        assert_eq!(t.tier(0.35), "High");
        assert!(with_tier_thresholds(&m, &[0.3]).is_err());
        assert!(with_tier_thresholds(&m, &[0.3, 0.1]).is_err());
        assert!(with_tier_thresholds(&m, &[1.5, 0.0]).is_err());
    }

    #[test]
    fn median_of_the_values() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0, 10.0]), Some(2.5));
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut []), None);
    }
}
