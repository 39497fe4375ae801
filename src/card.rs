//! The model card: what a model was trained on, how well it does, what drives it, and
//! where it should not be trusted, as markdown.
//!
//! Everything on the card is read from the model file itself (its provenance, its
//! recorded metrics, its features), so a card can be printed for any model file, and
//! the same file always gives the same card. The strength of a feature is measured on
//! the model, not on data: the largest change in log-odds its contribution makes across
//! its training range (or between its levels), which for an additive model is exactly
//! how far that feature alone can move an account's score.

use crate::model::{format_value, Basis, FeatureSpec, Kind, MetricSet, Model};

/// Points at which a numeric feature's contribution is evaluated across its range.
const GRID: usize = 201;

/// How one feature moves the score, as shown on the card.
#[derive(Debug, Clone, PartialEq)]
pub struct Driver {
    /// Index of the feature in the model.
    pub feature: usize,
    /// Largest minus smallest contribution (log-odds) over the training range or levels.
    pub swing: f64,
    /// Plain-language direction, e.g. "higher values raise risk".
    pub direction: String,
}

fn contribution(f: &FeatureSpec, x: f64) -> f64 {
    f.contribution(x, &mut Vec::new()).0
}

/// The swing and direction of one feature (see the module docs).
pub fn driver(model: &Model, feature: usize) -> Option<Driver> {
    let f = model.features.get(feature)?;
    let mut missing_note = String::new();
    if let Some(m) = f.missing {
        if m.coefficient.abs() >= 0.1 {
            missing_note = format!(
                "; a missing value {} risk",
                if m.coefficient > 0.0 {
                    "raises"
                } else {
                    "lowers"
                }
            );
        }
    }
    let (swing, direction) = match &f.basis {
        Basis::Categorical { levels } => {
            // Indices 0..len are the levels, len is "other".
            let points: Vec<(String, f64)> = (0..=levels.len())
                .map(|k| {
                    let name = levels.get(k).cloned().unwrap_or_else(|| "other".into());
                    (name, contribution(f, k as f64))
                })
                .collect();
            let hi = points.iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
            let lo = points.iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
            (
                hi.1 - lo.1,
                format!("highest risk: {}; lowest: {}", hi.0, lo.0),
            )
        }
        _ => {
            let [a, b] = f.range;
            let xs: Vec<f64> = (0..GRID)
                .map(|i| a + (b - a) * i as f64 / (GRID - 1) as f64)
                .collect();
            let cs: Vec<f64> = xs.iter().map(|&x| contribution(f, x)).collect();
            let (imax, cmax) = cs
                .iter()
                .enumerate()
                .max_by(|p, q| p.1.total_cmp(q.1))
                .map(|(i, c)| (i, *c))?;
            let (imin, cmin) = cs
                .iter()
                .enumerate()
                .min_by(|p, q| p.1.total_cmp(q.1))
                .map(|(i, c)| (i, *c))?;
            let unit = if f.unit.is_empty() {
                String::new()
            } else {
                format!(" {}", f.unit)
            };
            let text = if f.kind == Kind::Boolean {
                if cs[GRID - 1] > cs[0] {
                    "yes raises risk".to_string()
                } else {
                    "yes lowers risk".to_string()
                }
            } else if imax == GRID - 1 && imin == 0 {
                "higher values raise risk".to_string()
            } else if imax == 0 && imin == GRID - 1 {
                "lower values raise risk".to_string()
            } else {
                format!(
                    "risk highest near {}{unit}, lowest near {}{unit}",
                    format_value(round_sig(xs[imax])),
                    format_value(round_sig(xs[imin]))
                )
            };
            (cmax - cmin, text)
        }
    };
    Some(Driver {
        feature,
        swing,
        direction: direction + &missing_note,
    })
}

/// Rounds to three significant digits, for readable positions on the card.
fn round_sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let magnitude = 10f64.powf(x.abs().log10().floor() - 2.0);
    (x / magnitude).round() * magnitude
}

/// Every feature's driver, strongest first (ties by model order).
pub fn drivers(model: &Model) -> Vec<Driver> {
    let mut all: Vec<Driver> = (0..model.features.len())
        .filter_map(|i| driver(model, i))
        .collect();
    all.sort_by(|a, b| b.swing.total_cmp(&a.swing).then(a.feature.cmp(&b.feature)));
    all
}

fn metric_row(name: &str, m: &MetricSet) -> String {
    let opt = |x: Option<f64>, digits: usize| {
        x.map(|v| format!("{v:.digits$}"))
            .unwrap_or_else(|| "n/a".into())
    };
    format!(
        "| {name} | {} | {:.3} | {} | {:.3} | {:.3} | {} |\n",
        m.rows,
        m.auc,
        opt(m.pr_auc, 3),
        m.brier,
        m.log_loss,
        opt(m.lift_top_decile, 2)
    )
}

/// Escapes the characters that would break a markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The model card of `model`, as markdown.
///
/// ```
/// let model = churn_audit::default_model().unwrap();
/// let card = churn_audit::card::model_card(&model);
/// assert!(card.starts_with("# Model card"));
/// assert!(card.contains("## Strongest drivers"));
/// ```
pub fn model_card(model: &Model) -> String {
    let p = &model.provenance;
    let mut out = format!("# Model card: {}\n\n", cell(&model.name));
    if !model.description.is_empty() {
        out.push_str(&format!("{}\n\n", model.description));
    }
    out.push_str("## Trained on\n\n");
    out.push_str(&format!(
        "- Data: `{}` (SHA-256 `{}`), {} labelled rows, churn rate {:.1}%\n",
        cell(&p.data_file),
        cell(&p.data_sha256),
        p.rows,
        100.0 * p.churn_rate
    ));
    out.push_str(&format!(
        "- Label column: `{}`; as-of date {}; seed {}; L2 strength {}\n",
        cell(&model.label),
        cell(&p.trained_at),
        p.seed,
        p.l2
    ));
    out.push_str(&format!("- Trained by {}\n\n", cell(&p.tool)));

    out.push_str("## How well it does\n\n");
    let held = model.metrics.held_out.as_ref();
    let cv = model.metrics.cross_validated.as_ref();
    if held.is_none() && cv.is_none() {
        out.push_str("No metrics were recorded with this model.\n\n");
    } else {
        out.push_str(
            "| measured on | rows | AUC | PR-AUC | Brier | log loss | top-decile lift |\n",
        );
        out.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
        if let Some(m) = held {
            out.push_str(&metric_row("held-out rows (never fitted)", m));
        }
        if let Some(m) = cv {
            out.push_str(&metric_row("cross-validation (training rows)", m));
        }
        out.push_str(
            "\nAUC is the chance that a churner is ranked above a retained account (0.5 is a coin \
             toss); lift is how much more often accounts in the top 10% of scores churn than \
             accounts overall.\n\n",
        );
    }

    out.push_str("## Strongest drivers\n\n");
    out.push_str(
        "How far each feature alone can move an account's log-odds across its training range \
         (the model is additive, so this is exact, not an approximation).\n\n",
    );
    out.push_str("| feature | group | swing (log-odds) | odds × | direction |\n");
    out.push_str("|---|---|---:|---:|---|\n");
    let all = drivers(model);
    for d in all.iter().take(8) {
        let f = &model.features[d.feature];
        out.push_str(&format!(
            "| {} | {} | {:.2} | {:.1} | {} |\n",
            cell(&f.label),
            f.group.label(),
            d.swing,
            d.swing.exp(),
            cell(&d.direction)
        ));
    }
    out.push('\n');

    out.push_str("## Features and training ranges\n\n");
    out.push_str("| feature | kind | training range | typical | missing in training |\n");
    out.push_str("|---|---|---|---:|---:|\n");
    for f in &model.features {
        let (kind, range, typical) = match &f.basis {
            Basis::Categorical { levels } => (
                "categorical",
                format!("{} levels (others pooled)", levels.len()),
                levels
                    .get(f.typical as usize)
                    .cloned()
                    .unwrap_or_else(|| "other".into()),
            ),
            _ => (
                match (f.kind, f.date_aliases.is_empty()) {
                    (Kind::Boolean, _) => "yes/no",
                    (_, false) if f.aliases.is_empty() => "date (days)",
                    _ => "numeric",
                },
                format!(
                    "{} to {}",
                    format_value(f.range[0]),
                    format_value(f.range[1])
                ),
                format_value(f.typical),
            ),
        };
        let missing = f
            .missing
            .map(|m| format!("{:.1}%", 100.0 * m.center))
            .unwrap_or_else(|| "under 1%".into());
        out.push_str(&format!(
            "| {} | {kind} | {} | {} | {missing} |\n",
            cell(&f.label),
            cell(&range),
            cell(&typical)
        ));
    }
    out.push('\n');

    out.push_str("## Limits\n\n");
    if p.data_file.contains("simulat") {
        out.push_str(
            "- **Trained on simulated accounts.** The relationships are those of the simulator's \
             documented story, not of any real portfolio: use this model to try the tool, and \
             train one on your own history before acting on its scores.\n",
        );
    }
    out.push_str(&format!(
        "- Probabilities are calibrated to a churn rate of {:.1}%; on a book whose churn rate \
         differs, the ranking holds better than the probabilities.\n",
        100.0 * p.churn_rate
    ));
    out.push_str(
        "- The model learns associations, not causes: a driver says which accounts to look \
         at, not that changing the value will keep the account.\n\
         - Values outside the training ranges above are clipped to the range and flagged; \
         missing values are imputed with the typical value (with the effect of being missing \
         learned where it was common enough).\n\
         - Each feature acts on its own (no interactions): an effect that exists only in \
         combination with another feature is missed.\n",
    );
    if let Some(m) = held {
        if m.rows < 1000 {
            out.push_str(&format!(
                "- The held-out metrics rest on only {} rows: expect them to move by a few \
                 points on new data.\n",
                m.rows
            ));
        }
    }
    out.push_str(
        "- Every score comes with its reasons; review them rather than acting on the \
         probability alone.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::tiny_model;

    #[test]
    fn drivers_are_exact_swings_and_directions() {
        let m = tiny_model();
        let all = drivers(&m);
        assert_eq!(all.len(), m.features.len());
        for d in &all {
            let f = &m.features[d.feature];
            if let Basis::Categorical { levels } = &f.basis {
                let cs: Vec<f64> = (0..=levels.len())
                    .map(|k| contribution(f, k as f64))
                    .collect();
                let hi = cs.iter().cloned().fold(f64::MIN, f64::max);
                let lo = cs.iter().cloned().fold(f64::MAX, f64::min);
                assert!((d.swing - (hi - lo)).abs() < 1e-12);
            }
            assert!(d.swing >= 0.0);
        }
        assert!(all.windows(2).all(|w| w[0].swing >= w[1].swing));
    }

    #[test]
    fn card_has_every_section_and_escapes_cells() {
        let mut m = tiny_model();
        m.features[0].label = "a|b".into();
        let card = model_card(&m);
        for section in [
            "## Trained on",
            "## How well it does",
            "## Strongest drivers",
            "## Features and training ranges",
            "## Limits",
        ] {
            assert!(card.contains(section), "{section}");
        }
        assert!(card.contains("a\\|b"));
        assert_eq!(card, model_card(&m));
    }

    #[test]
    fn rounding_for_display() {
        assert_eq!(round_sig(123.456), 123.0);
        assert_eq!(round_sig(0.012345), 0.0123);
        assert_eq!(round_sig(0.0), 0.0);
    }
}
