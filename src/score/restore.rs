//! A scored list made again from its rows' model inputs: a saved audit reopened
//! (`crate::audit_file`), without the file it was read from.

use crate::error::{Error, Result};
use crate::explain::PortfolioBuilder;
use crate::features;
use crate::model::Model;

use super::scored::{imputed, revenue_at_risk, Lookups};
use super::{Scored, SummaryBuilder};

/// One row to restore: its line, id, name, segment and model inputs (NaN = missing).
pub struct RestoreRow<'a> {
    /// The 1-based line of the record in the original file.
    pub line: usize,
    /// The account id.
    pub account_id: &'a str,
    /// The account name.
    pub account_name: &'a str,
    /// The segment.
    pub segment: &'a str,
    /// The model's inputs, in [`Model::features`]' order.
    pub values: &'a [f64],
}

impl Scored {
    /// Scores `rows` with `model` as a file of those rows would have been scored, with
    /// the columns named in `missing_features` absent ([`Model::without_inputs`]). The
    /// rows' reading warnings are not kept (the values are what reading gave); imputed and
    /// clipped values are told again. Fails when a row has not one value per input.
    #[allow(clippy::too_many_arguments)]
    pub fn restore<'a>(
        model: &Model,
        file: &str,
        file_sha256: &str,
        as_of: i64,
        missing_features: Vec<String>,
        has_segment: bool,
        file_warnings: Vec<String>,
        rows: impl IntoIterator<Item = RestoreRow<'a>>,
    ) -> Result<Scored> {
        let model = model.without_inputs(&missing_features);
        let lookups = Lookups::new(&model, &missing_features);
        let memo = model.memo();
        let mut summary = SummaryBuilder::new(&model);
        let mut portfolio = PortfolioBuilder::new(&model, has_segment).with_memo(memo.clone());
        let mut s = Scored::empty(model.clone(), file, as_of);
        let mut score = model.score(&[]);
        let p = model.features.len();
        for row in rows {
            if row.values.len() != p {
                return Err(Error::unusable(
                    file,
                    format!(
                        "the account on line {} has {} input values where the model has {p}",
                        row.line,
                        row.values.len()
                    ),
                ));
            }
            model.score_memo(row.values, &mut score, &memo);
            let warned = score.clipped.iter().any(|&c| c)
                || imputed(&model, row.values, &lookups.has_column)
                    .next()
                    .is_some();
            let revenue = revenue_at_risk(lookups.value, row.values, score.probability);
            let tier = model.tier_index(score.probability);
            summary.add(tier, score.probability, revenue, warned);
            portfolio.add(&score, row.segment, revenue);
            s.values.extend_from_slice(row.values);
            for part in [row.account_id, row.account_name, row.segment] {
                s.text.push_str(part);
                s.text_ends
                    .push(u32::try_from(s.text.len()).unwrap_or(u32::MAX));
            }
            s.lines.push(u32::try_from(row.line).unwrap_or(u32::MAX));
            s.probability.push(score.probability);
            s.tier.push(u8::try_from(tier).unwrap_or(u8::MAX));
            s.revenue.push(revenue.unwrap_or(f64::NAN));
            s.warned.push(warned);
        }
        if s.is_empty() {
            return Err(features::no_rows(file));
        }
        s.file_sha256 = file_sha256.to_string();
        s.coverage = features::coverage(&model, &lookups.has_column);
        s.missing_features = missing_features;
        s.has_segment = has_segment;
        s.file_warnings = file_warnings;
        s.summary = summary.finish();
        s.portfolio = portfolio.finish(&model, Vec::new());
        Ok(s)
    }
}
