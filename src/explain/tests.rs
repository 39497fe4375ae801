//! Tests of explanations, what-ifs, actions and the portfolio.

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
fn tier_thresholds_are_validated() {
    let m = tiny_model();
    let t = with_tier_thresholds(&m, &[0.3, 0.0]).unwrap();
    assert_eq!(t.tier(0.35), "High");
    assert!(with_tier_thresholds(&m, &[0.3]).is_err());
    assert!(with_tier_thresholds(&m, &[0.3, 0.1]).is_err());
    assert!(with_tier_thresholds(&m, &[1.5, 0.0]).is_err());
}
