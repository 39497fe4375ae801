//! Tests of explanations, what-ifs, actions and the portfolio.

use super::*;
use crate::ingest;
use crate::model::tests::tiny_model;
use crate::model::Actionable;

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
    let e = explain(&m, &p, 0, &[], &[]).unwrap();
    // Hand computation from tiny_model's coefficients. Contributions: days 120:
    // 0.01*(120-40) + 0.02*(30-5) = 1.3; reference missing (imputed 0): -1.5*(0-0.2) +
    // 0.5*(1-0.1) = 0.75; segment Enterprise: 0.3*(0-0.5) - 0.3*(1-0.4) = -0.33.
    // At the typical values: days 30: 0.01*(30-40) + 0.02*(0-5) = -0.2; reference 0
    // (recorded): 0.3 + 0.5*(0-0.1) = 0.25; segment SMB: 0.3*0.5 - 0.3*(0-0.4) = 0.27.
    // Typical account: -1 - 0.2 + 0.25 + 0.27 = -0.68; steps 1.5, 0.5, -0.6.
    assert!((e.base_log_odds - -0.68).abs() < 1e-12);
    assert!((e.base_probability - 0.336_261_302_595_647_3).abs() < 1e-12);
    let names: Vec<&str> = e.steps.iter().map(|s| s.feature.as_str()).collect();
    assert_eq!(names, ["days", "segment", "reference"], "sorted by size");
    let sizes: Vec<f64> = e.steps.iter().map(|s| s.contribution).collect();
    for (got, want) in sizes.iter().zip([1.5, -0.6, 0.5]) {
        assert!((got - want).abs() < 1e-12, "{sizes:?}");
    }
    assert!((e.steps[0].log_odds_after - 0.82).abs() < 1e-12);
    assert!((e.steps[1].log_odds_after - 0.22).abs() < 1e-12);
    assert!((e.steps[2].log_odds_after - 0.72).abs() < 1e-12);
    assert!((e.log_odds - 0.72).abs() < 1e-12);
    assert!((e.probability - 0.672_607_017_067_760_4).abs() < 1e-12);
    assert_eq!(e.steps[2].shown, "not recorded");
    assert_eq!(e.steps[0].shown, "120 days");
    assert_eq!(e.steps[1].shown, "Enterprise");
    assert_eq!(e.steps[1].model_typical, "SMB");
    assert!(e.absent.is_empty());
    assert!(explain(&m, &p, 1, &[], &[]).is_none());
}

#[test]
fn an_input_at_its_typical_value_is_no_driver() {
    let (m, p) = prepared("id,days,reference,segment\nA,30,no,SMB\n");
    let e = explain(&m, &p, 0, &[], &[]).unwrap();
    assert!(
        e.steps.iter().all(|s| s.contribution == 0.0),
        "{:?}",
        e.steps
    );
    assert_eq!(e.base_log_odds, e.log_odds);
    // -1 - 0.2 + 0.25 + 0.27 (see above).
    assert!((e.log_odds - -0.68).abs() < 1e-12);
}

#[test]
fn an_absent_input_is_no_step_lever_or_action() {
    let (m, p) = prepared("id,days,reference,segment\nA,120,,Enterprise\n");
    let e = explain(&m, &p, 0, &[], &[true, false, true]).unwrap();
    let names: Vec<&str> = e.steps.iter().map(|s| s.feature.as_str()).collect();
    assert_eq!(names, ["days", "segment"]);
    assert_eq!(e.absent, ["Reference"]);
    // The absent input's whole contribution (0.75) starts the waterfall:
    // -1 - 0.2 + 0.75 + 0.27 = -0.18, then +1.5 - 0.6 = 0.72.
    assert!((e.base_log_odds - -0.18).abs() < 1e-12);
    assert!((e.steps[1].log_odds_after - 0.72).abs() < 1e-12);
    assert!(e.levers.iter().all(|l| l.feature != "reference"));
    assert!(e.actions.iter().all(|a| a.feature != "reference"));
    assert_eq!(e.levers.len(), 2);
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

/// tiny_model with the canonical recency lever's name on its first input.
fn lever_model() -> Model {
    let mut m = tiny_model();
    m.features[0].name = "days_since_last_engagement".into();
    m
}

#[test]
fn next_best_actions_rank_by_the_drop_in_probability() {
    let m = lever_model();
    // Defaults: the recency lever lowers (at most 14 days), the yes/no input flips either
    // way, "segment" is not actionable.
    assert_eq!(actionable(&m.features[0]), Actionable::Lower);
    assert_eq!(actionable(&m.features[1]), Actionable::Any);
    assert_eq!(actionable(&m.features[2]), Actionable::No);
    let a = next_best_actions(&m, &[120.0, 0.0, 1.0], &[]);
    // reference = 0 (recorded): -1.5*(0-0.2) = 0.3; missing term 0.5*(0-0.1) = -0.05.
    // before: z = -1 + 1.3 + 0.25 - 0.33 = 0.22; p = 0.5547792351072148 (Python)
    // days 14: z = -1 - 0.36 + 0.25 - 0.33 = -1.44; p = 0.19154534856146752
    // reference yes: -1.5*(1-0.2) - 0.05 = -1.25; z = -1 + 1.3 - 1.25 - 0.33 = -1.28;
    // p = 0.2175502235768875
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].feature, "days_since_last_engagement");
    assert_eq!(a[0].value, 14.0);
    assert!((a[0].probability_before - 0.554_779_235_107_214_8).abs() < 1e-12);
    assert!((a[0].probability_after - 0.191_545_348_561_467_52).abs() < 1e-12);
    assert_eq!(a[0].text, "Re-engage within 30 days: 55% to 19%");
    assert_eq!(a[1].feature, "reference");
    assert_eq!((a[1].value, a[1].shown.as_str()), (1.0, "yes"));
    assert!((a[1].probability_after - 0.217_550_223_576_887_5).abs() < 1e-12);
    assert_eq!(a[1].text, "Reference: yes instead of no: 55% to 22%");
    // The announced probability is the what-if's, to the bit.
    let w = what_if(&m, &[120.0, 0.0, 1.0], &[(1, 1.0)]);
    assert_eq!(w.probability, a[1].probability_after);
    // Already engaged recently and a reference: nothing lowers the risk.
    assert!(next_best_actions(&m, &[10.0, 1.0, 1.0], &[]).is_empty());
}

#[test]
fn recorded_directions_and_categories_give_realistic_changes() {
    let mut m = lever_model();
    // Only "no" is realistic for the yes/no input: an account at "no" has no change.
    m.features[1].actionable = Some(Actionable::Lower);
    m.features[2].actionable = Some(Actionable::Any);
    let a = next_best_actions(&m, &[120.0, 0.0, 1.0], &[]);
    // Enterprise -> SMB raises the risk (0.27 against -0.33): not offered.
    let names: Vec<&str> = a.iter().map(|a| a.feature.as_str()).collect();
    assert_eq!(names, ["days_since_last_engagement"]);
    // From SMB, Enterprise lowers it. Before: z = -1 + 1.3 + 0.25 + 0.27 = 0.82.
    // days 14: -1 - 0.36 + 0.25 + 0.27 = -0.84, p = 0.30153478399746125;
    // segment Enterprise: -1 + 1.3 + 0.25 - 0.33 = 0.22, p = 0.5547792351072148.
    m.features[1].actionable = Some(Actionable::Raise);
    let values = [120.0, 0.0, 0.0];
    let score = m.score(&values);
    let c = top_changes(&m, &values, &score, &[], 3);
    let inputs: Vec<&str> = c.iter().map(|c| c.input.as_str()).collect();
    assert_eq!(
        inputs,
        ["days_since_last_engagement", "reference", "segment"]
    );
    assert_eq!(c[0].value, NewValue::Number(14.0));
    assert!((c[0].probability - 0.301_534_783_997_461_25).abs() < 1e-12);
    assert_eq!(c[2].value, NewValue::Level("Enterprise".into()));
    assert!((c[2].probability - 0.554_779_235_107_214_8).abs() < 1e-12);
    assert_eq!(
        serde_json::to_string(&c[2]).unwrap(),
        format!(
            r#"{{"input":"segment","value":"Enterprise","probability":{}}}"#,
            c[2].probability
        )
    );
    // At most n; an absent input is never proposed.
    assert_eq!(top_changes(&m, &values, &score, &[], 1).len(), 1);
    let without = top_changes(&m, &values, &score, &[true, true, false], 3);
    assert!(without.iter().all(|c| c.input != "segment"));
    // Numbers stay in the training range: a rule's target beyond it is clipped.
    m.features[0].range = [20.0, 365.0];
    let a = next_best_actions(&m, &values, &[]);
    assert_eq!(a[0].value, 20.0);
}

#[test]
fn default_directions_follow_kind_and_name() {
    use crate::model::Kind;
    let mut spec = tiny_model().features[0].clone();
    spec.group = Group::Other;
    let mut case = |name: &str, label: &str, kind: Kind| {
        spec.name = name.into();
        spec.label = label.into();
        spec.kind = kind;
        spec.basis = match kind {
            Kind::Categorical => Basis::Categorical {
                levels: vec!["a".into()],
            },
            _ => Basis::Linear,
        };
        default_actionable(&spec)
    };
    assert_eq!(
        case("contract", "Contract", Kind::Categorical),
        Actionable::Any
    );
    assert_eq!(
        case("payment_method", "PaymentMethod", Kind::Categorical),
        Actionable::Any
    );
    assert_eq!(case("gender", "gender", Kind::Categorical), Actionable::No);
    assert_eq!(
        case("senior_citizen", "SeniorCitizen", Kind::Boolean),
        Actionable::No
    );
    assert_eq!(
        case("paperless_billing", "PaperlessBilling", Kind::Boolean),
        Actionable::Any
    );
    assert_eq!(case("tenure", "tenure", Kind::Numeric), Actionable::No);
    assert_eq!(
        case("monthly_charges", "MonthlyCharges", Kind::Numeric),
        Actionable::No
    );
    assert_eq!(
        case("support_tickets", "Support Tickets", Kind::Numeric),
        Actionable::Lower
    );
    assert_eq!(
        case("weekly_logins", "Weekly Logins", Kind::Numeric),
        Actionable::Raise
    );
    assert_eq!(case("seats", "Seats", Kind::Numeric), Actionable::No);
    // The canonical columns: the canonical levers, nothing else.
    assert_eq!(
        case("logins_30d", "Logins", Kind::Numeric),
        Actionable::Raise
    );
    assert_eq!(
        case("open_escalations", "x", Kind::Numeric),
        Actionable::Lower
    );
    assert_eq!(case("tenure_months", "x", Kind::Numeric), Actionable::No);
    assert_eq!(case("is_reference", "x", Kind::Boolean), Actionable::No);
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
fn tier_thresholds_are_validated() {
    let m = tiny_model();
    let t = with_tier_thresholds(&m, &[0.3, 0.0]).unwrap();
    assert_eq!(t.tier(0.35), "High");
    assert!(with_tier_thresholds(&m, &[0.3]).is_err());
    assert!(with_tier_thresholds(&m, &[0.3, 0.1]).is_err());
    assert!(with_tier_thresholds(&m, &[1.5, 0.0]).is_err());
}
