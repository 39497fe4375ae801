//! The model card: what a model was trained on, how well it does, what drives it, and
//! where it should not be trusted.
//!
//! There is one card, built here as a structured document ([`ModelCard`]): the command
//! line prints it as markdown ([`ModelCard::to_markdown`], what `churn-audit card`
//! writes) and the page receives the same structure as JSON and lays out the same
//! sections, so the two can never disagree on a figure. Every figure people read is
//! formatted here, once.
//!
//! Everything on the card is read from the model file itself (its provenance, its
//! recorded metrics, its features, its tiers), so a card can be made for any model file,
//! and the same file always gives the same card. The strength of a feature is measured on
//! the model, not on data: the largest change in log-odds its contribution makes across
//! its training range (or between its levels), which for an additive model is exactly
//! how far that feature alone can move an account's score.

use serde::Serialize;

use crate::model::{
    format_value, Basis, FeatureSpec, Kind, MetricSet, Metrics, Model, Provenance, Tier,
};
use crate::schema::Group;
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
    // `powi`, not `powf`: the exponent is whole, and for |exponent| ≤ 22 both give the
    // correctly rounded power (10^k is exact there, 10^-k one division), while `powf`
    // would bring a 2 KB general `pow` into the page's engine.
    let magnitude = 10f64.powi(x.abs().log10().floor() as i32 - 2);
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

/// Drivers listed in the "Strongest drivers" section.
const TOP_DRIVERS: usize = 8;

/// The model card of one model: the figures for programs, and the sections people read.
///
/// `sections` is what both the markdown ([`ModelCard::to_markdown`]) and the page show;
/// the other fields carry the same facts unformatted, for programs (the page reads the
/// tiers and the features' names and labels from them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelCard {
    /// Model name.
    pub name: String,
    /// Description (one paragraph, shown as written).
    pub description: String,
    /// A short version string people can quote: name, training date and the first
    /// characters of the training data's hash.
    pub version: String,
    /// Model file format version.
    pub format_version: u32,
    /// What churn meant in training (the label column).
    pub label: String,
    /// Where it came from. Not in the card's JSON (the "Trained on" section shows it):
    /// its seed may be any u64, which no JavaScript number holds exactly.
    #[serde(skip_serializing)]
    pub provenance: Provenance,
    /// Metrics recorded at training time.
    pub metrics: Metrics,
    /// Tiers, highest first.
    pub tiers: Vec<Tier>,
    /// Features in model order.
    pub features: Vec<CardFeature>,
    /// The card's sections, in order.
    pub sections: Vec<Section>,
}

/// One feature on the model card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CardFeature {
    /// Name.
    pub name: String,
    /// Label.
    pub label: String,
    /// Group.
    pub group: Group,
    /// Group label.
    pub group_label: String,
    /// Kind: numeric, boolean, categorical.
    pub kind: Kind,
    /// The kind as shown on the card ("numeric", "yes/no", "categorical", "date (days)").
    pub kind_label: String,
    /// The typical training value, as shown on the card.
    pub typical: String,
    /// The training range, as shown on the card.
    pub range: String,
    /// How often the value was missing in training, as shown on the card.
    pub missing: String,
    /// How far the feature alone moves the log-odds (see the module docs).
    pub swing: f64,
    /// Plain-language direction of the effect.
    pub direction: String,
}

/// A titled part of the card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// Title ("Trained on", "How well it does"...).
    pub title: String,
    /// Content, in order.
    pub blocks: Vec<Block>,
}

/// A paragraph, a bulleted list or a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Running text.
    Paragraph {
        /// The text, in spans.
        text: Vec<Span>,
    },
    /// A bulleted list.
    List {
        /// Each item's text, in spans.
        items: Vec<Vec<Span>>,
    },
    /// A table of text cells.
    Table {
        /// Column headings.
        columns: Vec<Column>,
        /// Rows of cells, one per column.
        rows: Vec<Vec<String>>,
    },
}

/// A table column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// Heading.
    pub title: String,
    /// Numbers, aligned right.
    pub numeric: bool,
}

/// A run of text with one style.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    /// The text.
    pub text: String,
    /// How it is set.
    pub style: Style,
}

/// How a span is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// Plain text.
    Plain,
    /// A name or value as written in a file (code in markdown).
    Code,
    /// Emphasised.
    Strong,
}

fn plain(text: impl Into<String>) -> Span {
    Span {
        text: text.into(),
        style: Style::Plain,
    }
}

fn code(text: impl Into<String>) -> Span {
    Span {
        text: text.into(),
        style: Style::Code,
    }
}

fn strong(text: impl Into<String>) -> Span {
    Span {
        text: text.into(),
        style: Style::Strong,
    }
}

fn paragraph(text: impl Into<String>) -> Block {
    Block::Paragraph {
        text: vec![plain(text)],
    }
}

fn table(columns: &[(&str, bool)], rows: Vec<Vec<String>>) -> Block {
    Block::Table {
        columns: columns
            .iter()
            .map(|&(title, numeric)| Column {
                title: title.to_string(),
                numeric,
            })
            .collect(),
        rows,
    }
}

fn metric_row(name: &str, m: &MetricSet) -> Vec<String> {
    let opt = |x: Option<f64>, digits: usize| {
        x.map(|v| format!("{v:.digits$}"))
            .unwrap_or_else(|| "n/a".into())
    };
    vec![
        name.to_string(),
        m.rows.to_string(),
        format!("{:.3}", m.auc),
        opt(m.pr_auc, 3),
        format!("{:.3}", m.brier),
        format!("{:.3}", m.log_loss),
        opt(m.lift_top_decile, 2),
    ]
}

/// A probability threshold as a percentage ("50%", "12.5%").
fn threshold(p: f64) -> String {
    format!("{}%", format_value(100.0 * p))
}

/// One feature's row of facts on the card.
fn card_feature(model: &Model, index: usize, f: &FeatureSpec) -> CardFeature {
    let (kind_label, range, typical) = match &f.basis {
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
    let (swing, direction) = driver(model, index)
        .map(|d| (d.swing, d.direction))
        .unwrap_or((0.0, String::new()));
    CardFeature {
        name: f.name.clone(),
        label: f.label.clone(),
        group: f.group,
        group_label: f.group.label().to_string(),
        kind: f.kind,
        kind_label: kind_label.to_string(),
        typical,
        range,
        missing,
        swing,
        direction,
    }
}

/// The model card of `model`.
///
/// ```
/// let model = churn_audit::default_model().unwrap();
/// let card = churn_audit::card::model_card(&model);
/// assert_eq!(card.sections[0].title, "Trained on");
/// assert!(card.to_markdown().contains("## Strongest drivers"));
/// ```
pub fn model_card(model: &Model) -> ModelCard {
    let p = &model.provenance;
    let hash: String = p.data_sha256.chars().take(12).collect();
    let version = if hash.is_empty() {
        format!("{} ({})", model.name, p.trained_at)
    } else {
        format!("{} ({}, data {hash})", model.name, p.trained_at)
    };
    let features: Vec<CardFeature> = model
        .features
        .iter()
        .enumerate()
        .map(|(i, f)| card_feature(model, i, f))
        .collect();
    let mut sections = Vec::new();

    sections.push(Section {
        title: "Trained on".into(),
        blocks: vec![Block::List {
            items: vec![
                vec![
                    plain("Data: "),
                    code(&p.data_file),
                    plain(" (SHA-256 "),
                    code(&p.data_sha256),
                    plain(format!(
                        "), {} labelled rows, churn rate {:.1}%",
                        p.rows,
                        100.0 * p.churn_rate
                    )),
                ],
                vec![
                    plain("Label column: "),
                    code(&model.label),
                    plain(format!(
                        "; as-of date {}; seed {}; L2 strength {}",
                        p.trained_at, p.seed, p.l2
                    )),
                ],
                vec![plain(format!("Trained by {}", p.tool))],
                vec![
                    plain("Version: "),
                    code(&version),
                    plain(format!("; model file format {}", model.format_version)),
                ],
            ],
        }],
    });

    let held = model.metrics.held_out.as_ref();
    let cv = model.metrics.cross_validated.as_ref();
    let mut blocks = Vec::new();
    if held.is_none() && cv.is_none() {
        blocks.push(paragraph("No metrics were recorded with this model."));
    } else {
        let mut rows = Vec::new();
        if let Some(m) = held {
            rows.push(metric_row("held-out rows (never fitted)", m));
        }
        if let Some(m) = cv {
            rows.push(metric_row("cross-validation (training rows)", m));
        }
        blocks.push(table(
            &[
                ("measured on", false),
                ("rows", true),
                ("AUC", true),
                ("PR-AUC", true),
                ("Brier", true),
                ("log loss", true),
                ("top-decile lift", true),
            ],
            rows,
        ));
        blocks.push(paragraph(
            "AUC is the chance that a churner is ranked above a retained account (0.5 is a coin \
             toss); lift is how much more often accounts in the top 10% of scores churn than \
             accounts overall.",
        ));
    }
    sections.push(Section {
        title: "How well it does".into(),
        blocks,
    });

    let rows = drivers(model)
        .iter()
        .take(TOP_DRIVERS)
        .filter_map(|d| {
            let f = features.get(d.feature)?;
            Some(vec![
                f.label.clone(),
                f.group_label.clone(),
                format!("{:.2}", d.swing),
                format!("{:.1}", d.swing.exp()),
                d.direction.clone(),
            ])
        })
        .collect();
    sections.push(Section {
        title: "Strongest drivers".into(),
        blocks: vec![
            paragraph(
                "How far each feature alone can move an account's log-odds across its training \
                 range (the model is additive, so this is exact, not an approximation).",
            ),
            table(
                &[
                    ("feature", false),
                    ("group", false),
                    ("swing (log-odds)", true),
                    ("odds ×", true),
                    ("direction", false),
                ],
                rows,
            ),
        ],
    });

    sections.push(Section {
        title: "Features and training ranges".into(),
        blocks: vec![table(
            &[
                ("feature", false),
                ("group", false),
                ("kind", false),
                ("training range", false),
                ("typical", true),
                ("missing in training", true),
                ("swing (log-odds)", true),
            ],
            features
                .iter()
                .map(|f| {
                    vec![
                        f.label.clone(),
                        f.group_label.clone(),
                        f.kind_label.clone(),
                        f.range.clone(),
                        f.typical.clone(),
                        f.missing.clone(),
                        format!("{:.2}", f.swing),
                    ]
                })
                .collect(),
        )],
    });

    sections.push(Section {
        title: "Risk tiers".into(),
        blocks: vec![
            paragraph("An account is in the first tier whose lowest churn probability it reaches."),
            table(
                &[("tier", false), ("churn probability from", true)],
                model
                    .tiers
                    .iter()
                    .map(|t| vec![t.name.clone(), threshold(t.min_probability)])
                    .collect(),
            ),
        ],
    });

    let mut limits = Vec::new();
    // A byte search: `str::contains` would bring its searcher (and its slicing's
    // failure message) into the page's engine for this one test.
    if p.data_file.as_bytes().windows(7).any(|w| w == b"simulat") {
        limits.push(vec![
            strong("Trained on simulated accounts."),
            plain(
                " The relationships are those of the simulator's documented story, not of any \
                 real portfolio: use this model to try the tool, and train one on your own \
                 history before acting on its scores.",
            ),
        ]);
    }
    limits.push(vec![plain(format!(
        "Probabilities are calibrated to a churn rate of {:.1}%; on a book whose churn rate \
         differs, the ranking holds better than the probabilities.",
        100.0 * p.churn_rate
    ))]);
    for text in [
        "The model learns associations, not causes: a driver says which accounts to look at, \
         not that changing the value will keep the account.",
        "Values outside the training ranges above are clipped to the range and flagged; \
         missing values are imputed with the typical value (with the effect of being missing \
         learned where it was common enough).",
        "Each feature acts on its own (no interactions): an effect that exists only in \
         combination with another feature is missed.",
    ] {
        limits.push(vec![plain(text)]);
    }
    if let Some(m) = held {
        if m.rows < 1000 {
            limits.push(vec![plain(format!(
                "The held-out metrics rest on only {} rows: expect them to move by a few points \
                 on new data.",
                m.rows
            ))]);
        }
    }
    limits.push(vec![plain(
        "Every score comes with its reasons; review them rather than acting on the probability \
         alone.",
    )]);
    sections.push(Section {
        title: "Limits".into(),
        blocks: vec![Block::List { items: limits }],
    });

    ModelCard {
        name: model.name.clone(),
        description: model.description.clone(),
        version,
        format_version: model.format_version,
        label: model.label.clone(),
        provenance: p.clone(),
        metrics: model.metrics.clone(),
        tiers: model.tiers.clone(),
        features,
        sections,
    }
}

/// Escapes the characters that would break a markdown table cell or list item.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn spans_markdown(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|s| match s.style {
            Style::Plain => cell(&s.text),
            Style::Code => format!("`{}`", cell(&s.text)),
            Style::Strong => format!("**{}**", cell(&s.text)),
        })
        .collect()
}

impl Block {
    /// The block as markdown lines, each ending in a newline.
    fn to_markdown(&self) -> String {
        match self {
            Block::Paragraph { text } => format!("{}\n", spans_markdown(text)),
            Block::List { items } => items
                .iter()
                .map(|item| format!("- {}\n", spans_markdown(item)))
                .collect(),
            Block::Table { columns, rows } => {
                let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
                let mut out = line(columns.iter().map(|c| cell(&c.title)).collect());
                out.push('|');
                for c in columns {
                    out.push_str(if c.numeric { "---:|" } else { "---|" });
                }
                out.push('\n');
                for row in rows {
                    out.push_str(&line(row.iter().map(|c| cell(c)).collect()));
                }
                out
            }
        }
    }
}

impl ModelCard {
    /// The card as markdown (what `churn-audit card` prints): the title, the description
    /// and every section, blocks separated by blank lines.
    pub fn to_markdown(&self) -> String {
        let mut parts = vec![format!("# Model card: {}\n", cell(&self.name))];
        if !self.description.is_empty() {
            parts.push(format!("{}\n", self.description));
        }
        for s in &self.sections {
            parts.push(format!("## {}\n", cell(&s.title)));
            parts.extend(s.blocks.iter().map(Block::to_markdown));
        }
        parts.join("\n")
    }
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
        let card = model_card(&m).to_markdown();
        for section in [
            "## Trained on",
            "## How well it does",
            "## Strongest drivers",
            "## Features and training ranges",
            "## Risk tiers",
            "## Limits",
        ] {
            assert!(card.contains(section), "{section}");
        }
        assert!(card.contains("a\\|b"));
        assert_eq!(card, model_card(&m).to_markdown());
        // One newline at the end, blank lines between blocks.
        assert!(card.ends_with(".\n") && !card.ends_with("\n\n"));
        assert!(card.contains("\n\n## Limits\n\n- "));
    }

    #[test]
    fn the_structured_card_carries_the_markdown_figures() {
        let card = model_card(&tiny_model());
        assert_eq!(card.version, "tiny (2026-01-01)");
        assert_eq!(card.features[0].range, "0 to 365");
        let md = card.to_markdown();
        for f in &card.features {
            assert!(md.contains(&format!("| {} | {} |", f.label, f.group_label)));
        }
        assert!(md.contains("| High | 50% |"), "{md}");
        // Every table cell of every section appears in the markdown.
        for s in &card.sections {
            for b in &s.blocks {
                if let Block::Table { rows, .. } = b {
                    for row in rows {
                        assert!(md.contains(&format!("| {} |", row.join(" | "))));
                    }
                }
            }
        }
    }

    #[test]
    fn thresholds_read_as_percentages() {
        assert_eq!(threshold(0.5), "50%");
        assert_eq!(threshold(0.125), "12.5%");
        assert_eq!(threshold(0.07), "7%");
        assert_eq!(threshold(0.0), "0%");
    }

    #[test]
    fn rounding_for_display() {
        assert_eq!(round_sig(123.456), 123.0);
        assert_eq!(round_sig(0.012345), 0.0123);
        assert_eq!(round_sig(0.0), 0.0);
    }
}
