//! Unit tests of the model file and of scoring one account; `tiny_model` and `Rng` are
//! shared with other modules' tests.

use super::*;
use rand::{Rng as _, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A small hand-made model: intercept -1, one hinge feature, one boolean with a
/// missing term, one categorical.
pub(crate) fn tiny_model() -> Model {
    Model {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        name: "tiny".into(),
        description: String::new(),
        label: "churned".into(),
        id_column: ColumnSpec {
            name: "account_id".into(),
            aliases: vec!["id".into()],
        },
        name_column: None,
        segment_column: None,
        value_feature: Some("days".into()),
        intercept: -1.0,
        features: vec![
            FeatureSpec {
                name: "days".into(),
                label: "Days".into(),
                group: Group::Engagement,
                kind: Kind::Numeric,
                aliases: vec![],
                date_aliases: vec![],
                date_direction: None,
                unit: "days".into(),
                impute: 30.0,
                typical: 30.0,
                range: [0.0, 365.0],
                transform: Transform::None,
                basis: Basis::Hinge { knots: vec![90.0] },
                coefficients: vec![0.01, 0.02],
                centers: vec![40.0, 5.0],
                missing: None,
                reasons: Reasons {
                    high: "No contact for {value} days".into(),
                    low: String::new(),
                },
                actionable: None,
            },
            FeatureSpec {
                name: "reference".into(),
                label: "Reference".into(),
                group: Group::Advocacy,
                kind: Kind::Boolean,
                aliases: vec![],
                date_aliases: vec![],
                date_direction: None,
                unit: String::new(),
                impute: 0.0,
                typical: 0.0,
                range: [0.0, 1.0],
                transform: Transform::None,
                basis: Basis::Linear,
                coefficients: vec![-1.5],
                centers: vec![0.2],
                missing: Some(MissingTerm {
                    coefficient: 0.5,
                    center: 0.1,
                }),
                reasons: Reasons::default(),
                actionable: None,
            },
            FeatureSpec {
                name: "segment".into(),
                label: "Segment".into(),
                group: Group::Other,
                kind: Kind::Categorical,
                aliases: vec![],
                date_aliases: vec![],
                date_direction: None,
                unit: String::new(),
                impute: 0.0,
                typical: 0.0,
                range: [0.0, 0.0],
                transform: Transform::None,
                basis: Basis::Categorical {
                    levels: vec!["SMB".into(), "Enterprise".into()],
                },
                coefficients: vec![0.3, -0.3],
                centers: vec![0.5, 0.4],
                missing: None,
                reasons: Reasons::default(),
                actionable: None,
            },
        ],
        contribution_covariance: Vec::new(),
        tiers: vec![
            Tier {
                name: "High".into(),
                min_probability: 0.5,
            },
            Tier {
                name: "Low".into(),
                min_probability: 0.0,
            },
        ],
        metrics: Metrics::default(),
        provenance: Provenance {
            tool: "test".into(),
            trained_at: "2026-01-01".into(),
            data_file: "none".into(),
            data_sha256: String::new(),
            rows: 0,
            churn_rate: 0.2,
            seed: 0,
            l2: 0.0,
        },
    }
}

#[test]
fn contributions_match_a_hand_computation_and_add_up() {
    let m = tiny_model();
    // days = 120: basis [120, 30] -> 0.01*(120-40) + 0.02*(30-5) = 0.8 + 0.5 = 1.3
    // reference = missing: basis [impute 0] -> -1.5*(0-0.2) = 0.3; missing 0.5*(1-0.1) = 0.45
    // segment = Enterprise (1): 0.3*(0-0.5) + -0.3*(1-0.4) = -0.15 - 0.18 = -0.33
    let s = m.score(&[120.0, f64::NAN, 1.0]);
    let expected = [1.3, 0.75, -0.33];
    for (c, e) in s.contributions.iter().zip(expected) {
        assert!((c - e).abs() < 1e-12, "{c} vs {e}");
    }
    let z: f64 = -1.0 + 1.3 + 0.75 - 0.33;
    assert!((s.log_odds - z).abs() < 1e-12);
    // 1 / (1 + e^-0.72) = 0.6726070170677604 (Python math.exp)
    assert!((s.probability - 0.672_607_017_067_760_4).abs() < 1e-12);
    assert_eq!(m.tier(s.probability), "High");
}

#[test]
fn contributions_have_the_bits_of_the_basis_buffer_sum() {
    // The reference is the buffer path: fill the basis columns, then sum them.
    let by_buffer = |f: &FeatureSpec, x: f64| {
        let mut basis = Vec::new();
        let clipped = f.basis_into(x, &mut basis);
        let mut c: f64 = basis
            .iter()
            .zip(&f.coefficients)
            .zip(&f.centers)
            .map(|((b, w), m)| w * (b - m))
            .sum();
        if let Some(m) = &f.missing {
            c += m.coefficient * (if x.is_nan() { 1.0 } else { 0.0 } - m.center);
        }
        (c.to_bits(), clipped)
    };
    let mut xs = vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, 1e300];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in 0..4000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
        xs.push(match i % 4 {
            0 => (i / 4) as f64 - 50.0,
            1 => unit * 800.0 - 100.0,
            2 => unit * 3e6,
            _ => (unit - 0.5) * 200.0,
        });
    }
    let default = crate::default_model().unwrap();
    for f in tiny_model().features.iter().chain(&default.features) {
        for &x in &xs {
            let (c, clipped) = f.contribution(x, &mut Vec::new());
            assert_eq!((c.to_bits(), clipped), by_buffer(f, x), "{} at {x}", f.name);
        }
    }
}

#[test]
fn values_outside_the_training_range_are_clipped_and_flagged() {
    let m = tiny_model();
    let a = m.score(&[1000.0, 0.0, 0.0]);
    let b = m.score(&[365.0, 0.0, 0.0]);
    assert!(a.clipped[0] && !b.clipped[0]);
    assert_eq!(a.log_odds, b.log_odds);
}

#[test]
fn unseen_levels_and_short_rows_score_without_panicking() {
    let m = tiny_model();
    let s = m.score(&[10.0]);
    assert!(s.probability.is_finite());
    assert_eq!(m.features[2].level_index(" enterprise "), Some(1));
    assert_eq!(m.features[2].level_index("Mid-market"), Some(2));
    let unseen = m.score(&[10.0, 0.0, 2.0]);
    assert!((unseen.contributions[2] - (0.3 * -0.5 - 0.3 * -0.4)).abs() < 1e-12);
}

#[test]
fn reasons_are_plain_language_with_weights() {
    let m = tiny_model();
    let values = [120.0, f64::NAN, 0.0];
    let s = m.score(&values);
    let r = top_reasons(&m, &values, &s, 3);
    assert_eq!(r[0], "No contact for 120 days (odds ×3.7)");
    assert_eq!(r[1], "Reference: not recorded (odds ×2.1)");
    assert_eq!(r.len(), 3);
}

#[test]
fn json_round_trip_and_validation() {
    let m = tiny_model();
    let text = m.to_json();
    assert_eq!(Model::from_json(&text, "m.json").unwrap(), m);

    let mut bad = m.clone();
    bad.features[0].coefficients.push(1.0);
    assert!(bad
        .validate("m.json")
        .unwrap_err()
        .to_string()
        .contains("coefficients"));
    let mut bad = m.clone();
    bad.features[0].basis = Basis::Hinge {
        knots: vec![5.0, 5.0],
    };
    bad.features[0].coefficients.push(0.0);
    bad.features[0].centers.push(0.0);
    assert!(bad
        .validate("m")
        .unwrap_err()
        .to_string()
        .contains("increasing"));
    let mut bad = m.clone();
    bad.tiers[1].min_probability = 0.1;
    assert!(bad.validate("m").is_err());
    let mut bad = m;
    bad.format_version = 2;
    assert!(bad
        .validate("m")
        .unwrap_err()
        .to_string()
        .contains("version 2"));

    // The actionable field: written only when set, read back, and checked.
    assert!(!text.contains("actionable"));
    let mut marked = tiny_model();
    marked.features[0].actionable = Some(Actionable::Lower);
    marked.features[2].actionable = Some(Actionable::Any);
    let marked_text = marked.to_json();
    assert!(
        marked_text.contains(r#""actionable": "lower""#),
        "{marked_text}"
    );
    assert_eq!(Model::from_json(&marked_text, "m.json").unwrap(), marked);
    let wrong = marked_text.replacen(r#""actionable": "any""#, r#""actionable": "raise""#, 1);
    assert!(Model::from_json(&wrong, "m.json")
        .unwrap_err()
        .to_string()
        .contains("categorical"));
    let unknown = marked_text.replacen(r#""actionable": "lower""#, r#""actionable": "up""#, 1);
    assert!(Model::from_json(&unknown, "m.json").is_err());

    let nan = text.replacen("-1.0", "NaN", 1);
    assert!(Model::from_json(&nan, "m.json").is_err());
    assert!(Model::from_json("{", "m.json")
        .unwrap_err()
        .to_string()
        .starts_with("model m.json: not a valid"));
}

#[test]
fn validation_bounds_the_work_and_the_size_of_a_score() {
    let m = tiny_model();
    // |intercept| + max |contribution| of each feature, by hand: days reaches 365
    // (and 365 - 90 past its knot): 0.01·(365+40) + 0.02·(365+90+5) = 4.05 + 9.2;
    // reference 1.5·(1+0.2) + 0.5·(1+0.1) = 2.35; segment 0.3·1.5 + 0.3·1.4 = 0.87.
    let bound: f64 = 1.0
        + m.features
            .iter()
            .map(FeatureSpec::max_abs_contribution)
            .sum::<f64>();
    assert!(
        (bound - (1.0 + 13.25 + 2.35 + 0.87)).abs() < 1e-12,
        "{bound}"
    );
    let mut bad = m.clone();
    bad.features[0].coefficients[1] = 1e300;
    let e = bad.validate("m").unwrap_err().to_string();
    assert!(e.contains("log-odds could reach"), "{e}");
    let mut bad = m.clone();
    bad.features[0].range = [-f64::MAX, f64::MAX];
    bad.features[0].coefficients = vec![0.0, 0.0];
    bad.features[0].centers = vec![f64::MAX, 0.0];
    // basis − center reaches −2·MAX = −∞, and 0 · ∞ would be NaN.
    assert!(bad.validate("m").is_err());
    let huge = " ".repeat(MAX_MODEL_BYTES + 1);
    let e = Model::from_json(&huge, "m").unwrap_err().to_string();
    assert!(e.contains("at most"), "{e}");
}

/// The tests' seeded generator (ChaCha8 from `seed_from_u64`), with the draws they use.
pub(crate) struct Rng(ChaCha8Rng);

impl Rng {
    /// The generator for `seed`: the same sequence on every run and platform.
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        self.0.random()
    }

    /// Some value a test of number formatting should see: tiny, huge, whole, near
    /// halves and whole numbers, negative, non-finite, or any bit pattern at all.
    pub(crate) fn value(&mut self) -> f64 {
        let scale = 10f64.powi((self.next() % 40) as i32 - 20);
        let x = match self.next() % 10 {
            0 => f64::from_bits(self.next()),
            1 => (self.next() % 100_000) as f64,
            2 => (self.next() % 100_000) as f64 / 100.0 + 0.005,
            3 => (self.next() % 1000) as f64 * scale,
            4 => 1e15 * (1.0 + self.unit()),
            5 => (self.unit() - 0.5) * 2e-9 + (self.next() % 1000) as f64,
            6 => [
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                0.0,
                -0.0,
                f64::MAX,
            ][(self.next() % 6) as usize],
            // Few fraction bits: where a shortest form can be a tie.
            7 => (self.next() >> 11) as f64 / (1u64 << (self.next() % 30)) as f64,
            8 => (self.next() >> 11) as f64 * 2f64.powi((self.next() % 80) as i32),
            _ => self.unit() * scale,
        };
        if self.next().is_multiple_of(4) {
            -x
        } else {
            x
        }
    }
}

/// [`format_value`] as it was written before [`push_value`]: the reference.
fn format_value_reference(x: f64) -> String {
    if !x.is_finite() {
        return "?".into();
    }
    if x.abs() >= 1e15 {
        return format!("{x:e}");
    }
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// [`top_reasons`] as it was written before [`push_reason`]: the reference.
fn top_reasons_reference(model: &Model, values: &[Value], score: &Score, n: usize) -> Vec<String> {
    fn non_empty(s: &str, default: impl FnOnce() -> String) -> String {
        if s.is_empty() {
            default()
        } else {
            s.to_string()
        }
    }
    fn reason_text(f: &FeatureSpec, x: Value) -> String {
        if x.is_nan() {
            return format!("{}: not recorded", f.label);
        }
        if let Basis::Categorical { levels } = &f.basis {
            let level = levels
                .get(x as usize)
                .map(String::as_str)
                .unwrap_or("other");
            return format!("{}: {}", f.label, level);
        }
        let shown = match f.kind {
            Kind::Boolean => {
                return if x >= 0.5 {
                    non_empty(&f.reasons.high, || format!("{}: yes", f.label))
                } else {
                    non_empty(&f.reasons.low, || format!("{}: no", f.label))
                }
            }
            _ => format_value_reference(x),
        };
        let template = if x > f.typical {
            non_empty(&f.reasons.high, || {
                format!("{} is high: {{value}}", f.label)
            })
        } else {
            non_empty(&f.reasons.low, || format!("{} is low: {{value}}", f.label))
        };
        template.replace("{value}", &shown)
    }
    let mut order: Vec<usize> = (0..score.contributions.len())
        .filter(|&i| score.contributions[i] > 1e-9)
        .collect();
    order.sort_by(|&a, &b| {
        score.contributions[b]
            .total_cmp(&score.contributions[a])
            .then(a.cmp(&b))
    });
    order
        .into_iter()
        .take(n)
        .map(|i| {
            let f = &model.features[i];
            let x = values.get(i).copied().unwrap_or(f64::NAN);
            let text = reason_text(f, x);
            format!("{text} (odds ×{:.1})", libm::exp(score.contributions[i]))
        })
        .collect()
}

#[test]
fn values_are_written_as_the_format_based_reference_writes_them() {
    let mut rng = Rng::new(0x5eed_0001);
    let mut out = String::from("kept");
    for _ in 0..200_000 {
        let x = rng.value();
        assert_eq!(format_value(x), format_value_reference(x), "{x:e}");
        out.truncate(4);
        push_value(&mut out, x);
        assert_eq!(out[4..], format_value_reference(x), "{x:e}");
    }
    for x in [
        0.005,
        0.015,
        -0.004,
        0.995,
        1.005,
        2.675,
        999.995,
        1e15 - 0.5,
        1e-10,
    ] {
        assert_eq!(format_value(x), format_value_reference(x), "{x:e}");
    }
}

#[test]
fn reasons_are_written_as_the_format_based_reference_writes_them() {
    let mut m = tiny_model();
    // Templates with no value, several values, braces, and a label holding "{value}".
    let labels = [
        "Days",
        "={value} days",
        "{value}{value",
        "",
        "Ünïcode {valu",
    ];
    let highs = [
        "",
        "No contact for {value} days",
        "{value}/{value}",
        "{}",
        "Yes!",
    ];
    let lows = ["", "Only {value}", "{value}", "low"];
    let mut rng = Rng::new(0x5eed_0002);
    let mut order = Vec::new();
    for round in 0..20_000 {
        let pick =
            |rng: &mut Rng, xs: &[&str]| xs[(rng.next() % xs.len() as u64) as usize].to_string();
        for f in &mut m.features {
            f.label = pick(&mut rng, &labels);
            f.reasons.high = pick(&mut rng, &highs);
            f.reasons.low = pick(&mut rng, &lows);
            f.typical = (rng.next() % 3) as f64 * 0.5;
        }
        let values: Vec<f64> = (0..3)
            .map(|_| match rng.next() % 4 {
                0 => f64::NAN,
                1 => (rng.next() % 4) as f64,
                2 => rng.unit(),
                _ => rng.value(),
            })
            .collect();
        let mut s = m.score(&values);
        // Ties, zeros and negatives, as well as the model's own contributions.
        if round % 2 == 0 {
            for c in &mut s.contributions {
                *c = [0.0, 1e-9, 2e-9, 0.5, 0.5, 1.0, -1.0][(rng.next() % 7) as usize];
            }
        }
        for n in 0..5 {
            let reasons = top_reasons(&m, &values, &s, n);
            assert_eq!(
                reasons,
                top_reasons_reference(&m, &values, &s, n),
                "{values:?} {:?}",
                s.contributions
            );
            top_features(&s.contributions, n, &mut order);
            assert_eq!(order.len(), reasons.len());
        }
    }
}

#[test]
fn huge_values_are_shown_in_scientific_notation() {
    assert_eq!(format_value(1e308), "1e308");
    assert_eq!(format_value(-1.5e20), "-1.5e20");
    assert_eq!(format_value(123456.0), "123456");
    assert_eq!(format_value(2.5), "2.5");
    assert_eq!(format_value(f64::NAN), "?");
}

#[test]
fn sigmoid_is_finite_at_extremes() {
    assert_eq!(sigmoid(1000.0), 1.0);
    assert_eq!(sigmoid(-1000.0), 0.0);
    assert_eq!(sigmoid(0.0), 0.5);
}

#[test]
fn top_features_are_a_stable_sort_of_the_raising_ones() {
    // Generated contributions with many ties, against a stable sort (strongest
    // first, ties in feature order) of those above 1e-9, cut to `n`.
    let mut rng = Rng::new(0x5eed_0011);
    let steps = [-1.0, -1e-9, 0.0, 1e-9, 2e-9, 0.25, 0.5, 0.5, 1.0, 3.0];
    let mut order = Vec::new();
    for _ in 0..20_000 {
        let p = (rng.next() % 24) as usize;
        let contributions: Vec<f64> = (0..p)
            .map(|_| steps[(rng.next() % steps.len() as u64) as usize])
            .collect();
        let mut expected: Vec<usize> = (0..p).filter(|&i| contributions[i] > 1e-9).collect();
        expected.sort_by(|&a, &b| contributions[b].total_cmp(&contributions[a]));
        for n in [0, 1, 2, 3, 5, 8, 9, 30] {
            top_features(&contributions, n, &mut order);
            let want = &expected[..expected.len().min(n)];
            assert_eq!(order, want, "{contributions:?} n {n}");
        }
    }
}

#[test]
fn memo_gives_the_computed_bits() {
    for m in [tiny_model(), crate::default_model().unwrap()] {
        let memo = m.memo();
        let p = m.features.len();
        let mut xs: Vec<f64> = (0..(MEMO_VALUES as i64 + 20)).map(|x| x as f64).collect();
        xs.extend([-0.0, -1.0, 0.5, 1e-300, 2.5, f64::NAN, 1e9, f64::INFINITY]);
        // Edges of the whole-number test: saturating conversions, a NaN with another
        // payload, just below and at the end of the table.
        xs.extend([
            -1e-300,
            f64::NEG_INFINITY,
            1e19,
            -1e19,
            9.3e18,
            f64::from_bits(0xfff8_0000_0000_0001),
            1023.5,
            1023.0,
            1024.0,
        ]);
        let (mut a, mut b) = (m.score(&[]), m.score(&[]));
        for k in 0..xs.len() {
            // Each feature gets a different value from the list in turn.
            let values: Vec<f64> = (0..p).map(|f| xs[(k + 31 * f) % xs.len()]).collect();
            m.score_into(&values, &mut a, &mut Vec::new());
            m.score_memo(&values, &mut b, &memo);
            let bits = |s: &Score| {
                let mut v: Vec<u64> = s.contributions.iter().map(|c| c.to_bits()).collect();
                v.push(s.probability.to_bits());
                v.push(s.log_odds.to_bits());
                v
            };
            assert_eq!(bits(&a), bits(&b), "values {values:?}");
            assert_eq!(a.clipped, b.clipped);
            // A tabled odds multiplier is exp of the computed contribution.
            for (f, &x) in values.iter().enumerate() {
                let odds = memo.odds(f, x).map(f64::to_bits);
                let computed = libm::exp(a.contributions[f]).to_bits();
                assert!(odds.is_none() || odds == Some(computed), "{f} {x}");
                let whole = x >= 0.0 && x.fract() == 0.0 && x < MEMO_VALUES as f64;
                if x.is_nan() || (whole && !a.clipped[f] && x.is_sign_positive()) {
                    assert_eq!(odds, Some(computed), "{f} {x}");
                }
            }
        }
    }
}
