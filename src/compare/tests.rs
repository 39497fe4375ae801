use super::*;
use crate::features::Mapping;
use crate::model::tests::tiny_model;
use crate::score::Scorer;

fn scored(model: &Model, text: &str, file: &str) -> Scored {
    let mut s = Scorer::new(model.clone(), file, 0, Mapping::new());
    s.push(text.as_bytes()).unwrap();
    s.finish().unwrap()
}

/// The tiny model by hand (see `model::tests`): days `0.01·(d − 40) + 0.02·(max(d − 90,
/// 0) − 5)`; reference `−1.5·(x − 0.2) + 0.5·([missing] − 0.1)`; segment `0.3·([SMB] −
/// 0.5) − 0.3·([Enterprise] − 0.4)`; intercept −1.
#[test]
fn changes_split_exactly_by_input_on_a_tiny_model() {
    let m = tiny_model();
    let before = scored(
        &m,
        "id,days,reference,segment\nA,120,,SMB\nB,10,yes,Enterprise\nC,50,no,SMB\n",
        "q1.csv",
    );
    let after = scored(
        &m,
        "id,days,reference,segment\nD,5,no,SMB\nB,100,yes,Enterprise\nA,200,yes,SMB\n",
        "q2.csv",
    );
    let c = compare(&before, &after);
    assert_eq!(c.new_accounts, ["D"]);
    assert_eq!(c.gone_accounts, ["C"]);
    assert_eq!(c.inputs, ["days", "reference", "segment"]);
    // In the later list's order: B, then A.
    let ids: Vec<&str> = c.accounts.iter().map(|a| a.account_id.as_str()).collect();
    assert_eq!(ids, ["B", "A"]);
    let (b, a) = (&c.accounts[0], &c.accounts[1]);
    // A: days 120 -> 200: 1.3 -> 0.01·160 + 0.02·105 = 3.7; reference missing -> yes:
    // 0.3 + 0.45 = 0.75 -> −1.2 − 0.05 = −1.25; segment SMB both: 0.27.
    let want_a = [2.4, -2.0, 0.0];
    for (got, want) in a.log_odds_change_by_input.iter().zip(want_a) {
        assert!((got - want).abs() < 1e-12, "{got} {want}");
    }
    assert!((a.log_odds_before - (-1.0 + 1.3 + 0.75 + 0.27)).abs() < 1e-12);
    assert!((a.log_odds_after - (-1.0 + 3.7 - 1.25 + 0.27)).abs() < 1e-12);
    // B: days 10 -> 100: −0.4 -> 0.7.
    let want_b = [1.1, 0.0, 0.0];
    for (got, want) in b.log_odds_change_by_input.iter().zip(want_b) {
        assert!((got - want).abs() < 1e-12, "{got} {want}");
    }
    for x in &c.accounts {
        let sum: f64 = x.log_odds_change_by_input.iter().sum();
        assert!((sum - x.log_odds_change()).abs() < 1e-12);
        assert_eq!(x.probability_after, crate::model::sigmoid(x.log_odds_after));
    }
    assert_eq!((b.line_before, b.line_after), (3, 3));
    // Portfolio drivers: days rose by 3.5 in all, reference fell by 2.
    let days = c
        .portfolio
        .drivers
        .iter()
        .find(|d| d.input == "days")
        .unwrap();
    assert!((days.log_odds_change - 3.5).abs() < 1e-12);
    assert_eq!((days.accounts_up, days.accounts_down), (2, 0));
    assert_eq!(c.portfolio.drivers[0].input, "days");
    // Every account lands in exactly one cell of the tier-to-tier table.
    let cells: usize = c.transitions.iter().map(|t| t.accounts).sum();
    assert_eq!(cells, 4);
    assert!(c
        .transitions
        .iter()
        .any(|t| t.from == NEW && t.accounts == 1));
    assert!(c
        .transitions
        .iter()
        .any(|t| t.to == GONE && t.accounts == 1));
    // Risers: both rose, A by more.
    assert_eq!(c.risers(5).len(), 2);
    assert!(c.fallers(5).is_empty());
    assert!(c.notes.is_empty(), "{:?}", c.notes);
    assert!(c.problems.is_empty());
}

#[test]
fn repeated_and_blank_ids_are_reported_not_matched() {
    let m = tiny_model();
    let before = scored(&m, "id,days\nA,1\nA,2\n,3\nB,4\n", "q1.csv");
    let after = scored(&m, "id,days\nA,5\nB,6\n ,7\n", "q2.csv");
    let c = compare(&before, &after);
    assert_eq!(c.accounts.len(), 2);
    assert_eq!(c.accounts[0].line_before, 2);
    assert!(c.new_accounts.is_empty() && c.gone_accounts.is_empty());
    assert_eq!(c.problems.len(), 3, "{:?}", c.problems);
    assert!(c.problems.iter().any(|p| p
        == "q1.csv: account id \"A\" appears again on line 3 (first on line 2); only line 2 is compared"));
    assert!(c
        .problems
        .iter()
        .any(|p| p.starts_with("q1.csv: 1 row without an account id (line 4)")));
    assert!(c.problems.iter().any(|p| p.starts_with("q2.csv: 1 row")));
}

#[test]
fn a_column_missing_on_one_side_is_told_and_still_adds_up() {
    let m = tiny_model();
    let before = scored(&m, "id,days\nA,120\n", "q1.csv");
    let after = scored(&m, "id,days,reference\nA,120,yes\n", "q2.csv");
    let c = compare(&before, &after);
    let a = &c.accounts[0];
    // reference counts for nothing in q1 (no column), −1.25 in q2.
    assert!((a.log_odds_change_by_input[1] - (-1.25)).abs() < 1e-12);
    assert!((a.log_odds_change() - (-1.25)).abs() < 1e-12);
    assert!(c
        .notes
        .iter()
        .any(|n| n.starts_with("q1.csv has no column for reference")));
}

#[test]
fn csv_and_json_carry_the_stable_fields() {
    let m = tiny_model();
    let before = scored(&m, "id,days\nA,120\nC,1\n", "q1.csv");
    let after = scored(&m, "id,days\nA,30\n=B,1\n", "q2.csv");
    let c = compare(&before, &after);
    let json: serde_json::Value = serde_json::to_value(&c).unwrap();
    assert_eq!(json["new_accounts"], serde_json::json!(["=B"]));
    assert_eq!(json["gone_accounts"], serde_json::json!(["C"]));
    let row = &json["accounts"][0];
    assert_eq!(row["account_id"], "A");
    assert!(
        row["probability_before"].as_f64().unwrap() > row["probability_after"].as_f64().unwrap()
    );
    let split = row["log_odds_change_by_input"].as_object().unwrap();
    assert_eq!(split.len(), 3);
    assert!((split["days"].as_f64().unwrap() - (-1.5)).abs() < 1e-12);
    assert_eq!(json["fallers"], serde_json::json!(["A"]));
    let csv = c.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].ends_with(",log_odds_change,change:days,change:reference,change:segment"));
    assert!(lines[1].starts_with("A,,both,"));
    assert_eq!(lines[2], "'=B,,new,,,,,,,,,,,");
    assert_eq!(lines[3].split(',').count(), lines[0].split(',').count());
}
