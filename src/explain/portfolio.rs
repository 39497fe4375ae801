//! The portfolio's picture: the risk histogram, drivers by group and input, segments, typical values.

use super::*;

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
pub(super) fn median(xs: &mut [f64]) -> Option<f64> {
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
pub(super) fn raising(x: f64) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn median_of_the_values() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0, 10.0]), Some(2.5));
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut []), None);
    }
}
