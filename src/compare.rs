//! Two scored lists side by side: what changed between a previous audit and this one.
//!
//! [`compare`] matches the accounts of two lists scored with one model (see
//! [`crate::score::Scored`]) by their account id, as written (trimmed; case counts).
//! It reports
//!
//! - the accounts **new** (only in the later list) and **gone** (only in the earlier);
//! - the **tier-to-tier table**: per pair of tiers (with "new" and "gone" as tiers of
//!   their own), the accounts, their contract value and their revenue at risk on each
//!   side;
//! - per account in both lists, the change of its churn probability and of its
//!   log-odds **split exactly by input**: the model is the same on both sides, so the
//!   intercept cancels and the log-odds change is the sum, over the inputs, of each
//!   input's contribution change (to rounding, ~1e-15; tested to 1e-12);
//! - the **portfolio's change**: expected churners and revenue at risk per tier on each
//!   side, and per input the summed log-odds change over the accounts in both lists
//!   (the drivers of the change).
//!
//! Ids that appear more than once in a list, and rows without an id, are not matched
//! (the first row of a repeated id is); each is reported in [`Comparison::problems`] as
//! one sentence naming the file, the lines and the id. Differences between the two
//! sides that bear on the reading (an input one file has no column for, other as-of
//! dates, other models) are told in [`Comparison::notes`].
//!
//! An input the earlier file has no column for counts for nothing there (see
//! [`Model::without_inputs`]): its change is then its whole contribution in the later
//! list, and the note says so. The sum still equals the change of the log-odds shown.

use std::collections::HashMap;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::ingest::format_iso_date;
use crate::model::Model;
use crate::score::Scored;

/// The tier name given to accounts only in the later list in [`Transition`]s.
pub const NEW: &str = "(new)";
/// The tier name given to accounts only in the earlier list in [`Transition`]s.
pub const GONE: &str = "(gone)";

/// What one side of a comparison was.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideInfo {
    /// The file's name.
    pub file: String,
    /// SHA-256 of the file's bytes (empty when not computed).
    pub file_sha256: String,
    /// The date counted to, YYYY-MM-DD.
    pub as_of: String,
    /// The model's name.
    pub model: String,
    /// Rows in the list.
    pub accounts: usize,
    /// Inputs the file has no column for.
    pub missing_features: Vec<String>,
}

/// One account in both lists.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountChange {
    /// The account id (as in the later list).
    pub account_id: String,
    /// The account name in the later list (the earlier one's when the later has none).
    pub account_name: String,
    /// Line of the account's record in the earlier file.
    pub line_before: usize,
    /// Line of the account's record in the later file.
    pub line_after: usize,
    /// Churn probability in the earlier list.
    pub probability_before: f64,
    /// Churn probability in the later list.
    pub probability_after: f64,
    /// Log-odds in the earlier list.
    pub log_odds_before: f64,
    /// Log-odds in the later list.
    pub log_odds_after: f64,
    /// Index of the tier (in [`Model::tiers`]) in the earlier list.
    pub tier_before: usize,
    /// Index of the tier in the later list.
    pub tier_after: usize,
    /// Revenue at risk in the earlier list (`None`: no contract value).
    pub revenue_at_risk_before: Option<f64>,
    /// Revenue at risk in the later list.
    pub revenue_at_risk_after: Option<f64>,
    /// Per model input (in [`Comparison::inputs`]' order): its contribution in the later
    /// list minus its contribution in the earlier; they add up to
    /// `log_odds_after - log_odds_before`.
    pub log_odds_change_by_input: Vec<f64>,
}

impl AccountChange {
    /// `probability_after - probability_before`.
    pub fn probability_change(&self) -> f64 {
        self.probability_after - self.probability_before
    }

    /// `log_odds_after - log_odds_before`.
    pub fn log_odds_change(&self) -> f64 {
        self.log_odds_after - self.log_odds_before
    }
}

/// One cell of the tier-to-tier table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    /// The tier in the earlier list, or [`NEW`].
    pub from: String,
    /// The tier in the later list, or [`GONE`].
    pub to: String,
    /// Accounts that moved so.
    pub accounts: usize,
    /// Their contract value (the later list's, the earlier's for gone accounts).
    pub value: f64,
    /// Their revenue at risk in the earlier list (0 for new accounts).
    pub revenue_at_risk_before: f64,
    /// Their revenue at risk in the later list (0 for gone accounts).
    pub revenue_at_risk_after: f64,
}

/// One tier's figures on both sides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierChange {
    /// The tier's name.
    pub name: String,
    /// Accounts in the tier, earlier list.
    pub accounts_before: usize,
    /// Accounts in the tier, later list.
    pub accounts_after: usize,
    /// Revenue at risk in the tier, earlier list.
    pub revenue_at_risk_before: f64,
    /// Revenue at risk in the tier, later list.
    pub revenue_at_risk_after: f64,
}

/// One input's part in the portfolio's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputChange {
    /// The input's name.
    pub input: String,
    /// The input's label.
    pub label: String,
    /// Sum over the accounts in both lists of the input's contribution change.
    pub log_odds_change: f64,
    /// Accounts whose risk the input's change raised.
    pub accounts_up: usize,
    /// Accounts whose risk the input's change lowered.
    pub accounts_down: usize,
}

/// The whole list's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortfolioChange {
    /// Expected churners (sum of probabilities) over the earlier list.
    pub expected_churners_before: f64,
    /// Expected churners over the later list.
    pub expected_churners_after: f64,
    /// Revenue at risk over the earlier list.
    pub revenue_at_risk_before: f64,
    /// Revenue at risk over the later list.
    pub revenue_at_risk_after: f64,
    /// Per tier, in the model's order.
    pub tiers: Vec<TierChange>,
    /// Expected churners among the accounts in both lists, earlier.
    pub matched_expected_churners_before: f64,
    /// Expected churners among the accounts in both lists, later.
    pub matched_expected_churners_after: f64,
    /// Per input, the largest summed change first.
    pub drivers: Vec<InputChange>,
}

/// Two lists compared ([`compare`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The earlier list.
    pub before: SideInfo,
    /// The later list.
    pub after: SideInfo,
    /// The model's inputs, in its order: the keys of every account's split.
    pub inputs: Vec<String>,
    /// The tiers, highest risk first.
    pub tiers: Vec<String>,
    /// Ids only in the later list, in its order.
    pub new_accounts: Vec<String>,
    /// Ids only in the earlier list, in its order.
    pub gone_accounts: Vec<String>,
    /// One per account in both lists, in the later list's order.
    pub accounts: Vec<AccountChange>,
    /// The tier-to-tier table: every pair with at least one account.
    pub transitions: Vec<Transition>,
    /// The portfolio's change.
    pub portfolio: PortfolioChange,
    /// What bears on the reading: other models, columns or dates on the two sides.
    pub notes: Vec<String>,
    /// Rows not matched: repeated ids and rows without one.
    pub problems: Vec<String>,
}

/// How many ids a problem sentence lists before "and N more".
const LISTED: usize = 5;

/// A list's rows by id: the first row of each id, and the problems.
struct Index<'a> {
    rows: HashMap<&'a str, usize>,
    /// Row indices in file order, first row of each id only.
    order: Vec<usize>,
}

fn index<'a>(list: &'a Scored, problems: &mut Vec<String>) -> Index<'a> {
    let mut rows: HashMap<&str, usize> = HashMap::with_capacity(list.len());
    let mut order = Vec::with_capacity(list.len());
    let mut blank = Vec::new();
    let mut repeated: Vec<(&str, usize, usize)> = Vec::new();
    for r in 0..list.len() {
        let id = list.row_text(r).account_id;
        if crate::ingest::is_missing(id) {
            blank.push(list.lines[r]);
            continue;
        }
        match rows.get(id) {
            Some(&first) => repeated.push((id, list.lines[first] as usize, list.lines[r] as usize)),
            None => {
                rows.insert(id, r);
                order.push(r);
            }
        }
    }
    if !blank.is_empty() {
        let lines: Vec<String> = blank.iter().take(LISTED).map(u32::to_string).collect();
        let more = blank.len().saturating_sub(LISTED);
        problems.push(format!(
            "{}: {} row{} without an account id (line {}{}) cannot be matched and {} left out of the comparison",
            list.file,
            blank.len(),
            if blank.len() == 1 { "" } else { "s" },
            lines.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() },
            if blank.len() == 1 { "is" } else { "are" },
        ));
    }
    for (id, first, again) in repeated.iter().take(LISTED) {
        problems.push(format!(
            "{}: account id \"{id}\" appears again on line {again} (first on line {first}); only line {first} is compared",
            list.file
        ));
    }
    if repeated.len() > LISTED {
        problems.push(format!(
            "{}: {} more rows repeat an account id seen before; only each id's first row is compared",
            list.file,
            repeated.len() - LISTED
        ));
    }
    Index { rows, order }
}

fn side_info(list: &Scored) -> SideInfo {
    SideInfo {
        file: list.file.clone(),
        file_sha256: list.file_sha256.clone(),
        as_of: format_iso_date(list.as_of),
        model: list.model.name.clone(),
        accounts: list.len(),
        missing_features: list.missing_features.clone(),
    }
}

/// The value input's value on row `r`, 0 when unknown.
fn value_of(list: &Scored, r: usize) -> f64 {
    let i = list
        .model
        .value_feature
        .as_deref()
        .and_then(|v| list.model.feature_index(v));
    i.and_then(|i| list.row_values(r).get(i).copied())
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

fn revenue(list: &Scored, r: usize) -> Option<f64> {
    list.revenue.get(r).copied().filter(|v| v.is_finite())
}

/// What differs between the sides in a way that bears on reading the changes.
fn notes(before: &Scored, after: &Scored) -> Vec<String> {
    let mut notes = Vec::new();
    let (a, b) = (&before.model, &after.model);
    if a.name != b.name
        || a.provenance.data_sha256 != b.provenance.data_sha256
        || a.features.len() != b.features.len()
    {
        notes.push(format!(
            "the lists were scored with different models ('{}' and '{}'): their changes mix the accounts' changes with the models' differences",
            a.name, b.name
        ));
    }
    if before.as_of != after.as_of {
        notes.push(format!(
            "dates are counted to {} in {} and to {} in {}",
            format_iso_date(before.as_of),
            before.file,
            format_iso_date(after.as_of),
            after.file
        ));
    } else if before.file_sha256 == after.file_sha256 && !before.file_sha256.is_empty() {
        notes.push("both sides are the same file: nothing can have changed".to_string());
    }
    for f in &before.missing_features {
        if !after.missing_features.contains(f) {
            notes.push(format!(
                "{} has no column for {f}, which counts for nothing there: its change is its whole contribution in {}",
                before.file, after.file
            ));
        }
    }
    for f in &after.missing_features {
        if !before.missing_features.contains(f) {
            notes.push(format!(
                "{} has no column for {f}, which counts for nothing there: its change is minus its contribution in {}",
                after.file, before.file
            ));
        }
    }
    notes
}

/// Compares an earlier scored list with a later one, both scored with `model` (the
/// later list's model, re-scoring the earlier if need be: see the module docs).
///
/// ```
/// use churn_audit::{compare::compare, default_model, score::Scorer, features::Mapping};
/// let model = default_model()?;
/// let score = |text: &str, file: &str| -> churn_audit::Result<_> {
///     let mut s = Scorer::new(model.clone(), file, 20_468, Mapping::new());
///     s.push(text.as_bytes())?;
///     s.finish()
/// };
/// let before = score("account_id,open_escalations\nA,0\nB,1\n", "q1.csv")?;
/// let after = score("account_id,open_escalations\nA,5\nC,0\n", "q2.csv")?;
/// let c = compare(&before, &after);
/// assert_eq!((c.new_accounts.clone(), c.gone_accounts.clone()), (vec!["C".to_string()], vec!["B".to_string()]));
/// let a = &c.accounts[0];
/// let split: f64 = a.log_odds_change_by_input.iter().sum();
/// assert!((split - a.log_odds_change()).abs() < 1e-12 && a.log_odds_change() > 0.0);
/// # Ok::<(), churn_audit::Error>(())
/// ```
pub fn compare(before: &Scored, after: &Scored) -> Comparison {
    let model: &Model = &after.model;
    let mut problems = Vec::new();
    let bi = index(before, &mut problems);
    let ai = index(after, &mut problems);
    let tiers: Vec<String> = model.tiers.iter().map(|t| t.name.clone()).collect();
    let nt = tiers.len();
    // The tier-to-tier table: (nt + 1) x (nt + 1), the last row "new", the last column
    // "gone"; (accounts, value, revenue before, revenue after).
    let mut table = vec![(0usize, 0.0f64, 0.0f64, 0.0f64); (nt + 1) * (nt + 1)];
    let cell = |from: usize, to: usize| from * (nt + 1) + to;
    let inputs: Vec<String> = model.features.iter().map(|f| f.name.clone()).collect();
    let p = inputs.len();
    let mut drivers = vec![(0.0f64, 0usize, 0usize); p];
    let mut accounts = Vec::new();
    let mut new_accounts = Vec::new();
    let (mut matched_before, mut matched_after) = (0.0, 0.0);
    for &r in &ai.order {
        let text = after.row_text(r);
        let Some(&b) = bi.rows.get(text.account_id) else {
            new_accounts.push(text.account_id.to_string());
            let t = &mut table[cell(nt, after.tier[r] as usize)];
            t.0 += 1;
            t.1 += value_of(after, r);
            t.3 += revenue(after, r).unwrap_or(0.0);
            continue;
        };
        let sa = after.model.score(after.row_values(r));
        let sb = before.model.score(before.row_values(b));
        let split: Vec<f64> = (0..p)
            .map(|i| {
                sa.contributions.get(i).copied().unwrap_or(0.0)
                    - sb.contributions.get(i).copied().unwrap_or(0.0)
            })
            .collect();
        for (d, &x) in drivers.iter_mut().zip(&split) {
            d.0 += x;
            d.1 += usize::from(x > 0.0);
            d.2 += usize::from(x < 0.0);
        }
        let (tb, ta) = (before.tier[b] as usize, after.tier[r] as usize);
        let t = &mut table[cell(tb.min(nt.saturating_sub(1)), ta.min(nt.saturating_sub(1)))];
        t.0 += 1;
        t.1 += value_of(after, r);
        t.2 += revenue(before, b).unwrap_or(0.0);
        t.3 += revenue(after, r).unwrap_or(0.0);
        matched_before += sb.probability;
        matched_after += sa.probability;
        let name = if text.account_name.is_empty() {
            before.row_text(b).account_name
        } else {
            text.account_name
        };
        accounts.push(AccountChange {
            account_id: text.account_id.to_string(),
            account_name: name.to_string(),
            line_before: before.lines[b] as usize,
            line_after: after.lines[r] as usize,
            probability_before: sb.probability,
            probability_after: sa.probability,
            log_odds_before: sb.log_odds,
            log_odds_after: sa.log_odds,
            tier_before: tb,
            tier_after: ta,
            revenue_at_risk_before: revenue(before, b),
            revenue_at_risk_after: revenue(after, r),
            log_odds_change_by_input: split,
        });
    }
    let after_ids: std::collections::HashSet<&str> = ai.rows.keys().copied().collect();
    let mut gone_accounts = Vec::new();
    for &b in &bi.order {
        let id = before.row_text(b).account_id;
        if !after_ids.contains(id) {
            gone_accounts.push(id.to_string());
            let t = &mut table[cell((before.tier[b] as usize).min(nt.saturating_sub(1)), nt)];
            t.0 += 1;
            t.1 += value_of(before, b);
            t.2 += revenue(before, b).unwrap_or(0.0);
        }
    }
    let name_of = |k: usize, last: &str| tiers.get(k).cloned().unwrap_or_else(|| last.to_string());
    let transitions = (0..=nt)
        .flat_map(|from| (0..=nt).map(move |to| (from, to)))
        .filter(|&(from, to)| table[cell(from, to)].0 > 0)
        .map(|(from, to)| {
            let t = table[cell(from, to)];
            Transition {
                from: name_of(from, NEW),
                to: name_of(to, GONE),
                accounts: t.0,
                value: t.1,
                revenue_at_risk_before: t.2,
                revenue_at_risk_after: t.3,
            }
        })
        .collect();
    let tier_changes = tiers
        .iter()
        .map(|name| {
            let find = |s: &Scored| s.summary.tiers.iter().find(|t| &t.name == name).cloned();
            let (b, a) = (find(before), find(after));
            TierChange {
                name: name.clone(),
                accounts_before: b.as_ref().map_or(0, |t| t.accounts),
                accounts_after: a.as_ref().map_or(0, |t| t.accounts),
                revenue_at_risk_before: b.as_ref().map_or(0.0, |t| t.revenue_at_risk),
                revenue_at_risk_after: a.as_ref().map_or(0.0, |t| t.revenue_at_risk),
            }
        })
        .collect();
    let mut drivers: Vec<InputChange> = model
        .features
        .iter()
        .zip(drivers)
        .map(|(f, (sum, up, down))| InputChange {
            input: f.name.clone(),
            label: f.label.clone(),
            log_odds_change: sum,
            accounts_up: up,
            accounts_down: down,
        })
        .collect();
    drivers.sort_by(|a, b| b.log_odds_change.abs().total_cmp(&a.log_odds_change.abs()));
    Comparison {
        before: side_info(before),
        after: side_info(after),
        inputs,
        tiers: tiers.clone(),
        new_accounts,
        gone_accounts,
        accounts,
        transitions,
        portfolio: PortfolioChange {
            expected_churners_before: before.summary.expected_churners,
            expected_churners_after: after.summary.expected_churners,
            revenue_at_risk_before: before.summary.revenue_at_risk,
            revenue_at_risk_after: after.summary.revenue_at_risk,
            tiers: tier_changes,
            matched_expected_churners_before: matched_before,
            matched_expected_churners_after: matched_after,
            drivers,
        },
        notes: notes(before, after),
        problems,
    }
}

impl Comparison {
    /// Indices into [`Comparison::accounts`] of the `n` largest rises of probability,
    /// largest first (only accounts whose probability rose).
    pub fn risers(&self, n: usize) -> Vec<usize> {
        self.ranked(n, |c| c.probability_change())
    }

    /// Indices of the `n` largest falls of probability, largest first.
    pub fn fallers(&self, n: usize) -> Vec<usize> {
        self.ranked(n, |c| -c.probability_change())
    }

    fn ranked(&self, n: usize, key: impl Fn(&AccountChange) -> f64) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.accounts.len())
            .filter(|&i| key(&self.accounts[i]) > 0.0)
            .collect();
        idx.sort_by(|&a, &b| key(&self.accounts[b]).total_cmp(&key(&self.accounts[a])));
        idx.truncate(n);
        idx
    }

    /// The tier name of index `k`.
    pub fn tier_name(&self, k: usize) -> &str {
        self.tiers.get(k).map_or("", String::as_str)
    }

    /// The comparison as CSV: one row per account in both lists, in the later list's
    /// order (`account_id, account_name, probability_before, probability_after,
    /// probability_change, tier_before, tier_after, revenue_at_risk_before,
    /// revenue_at_risk_after, log_odds_change`, then one `change:INPUT` column per
    /// input), then one row per new and per gone account with the side it lacks empty.
    /// Text cells are quoted when needed and guarded against spreadsheet formulas as the
    /// scored CSV's are.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "account_id,account_name,status,probability_before,probability_after,probability_change,tier_before,tier_after,revenue_at_risk_before,revenue_at_risk_after,log_odds_change",
        );
        for i in &self.inputs {
            out.push_str(",change:");
            crate::score::push_text_cell(&mut out, i);
        }
        out.push('\n');
        let num = |out: &mut String, x: Option<f64>| {
            out.push(',');
            if let Some(x) = x {
                crate::score::push_f64(out, x);
            }
        };
        for a in &self.accounts {
            crate::score::push_text_cell(&mut out, &a.account_id);
            out.push(',');
            crate::score::push_text_cell(&mut out, &a.account_name);
            out.push_str(",both");
            num(&mut out, Some(a.probability_before));
            num(&mut out, Some(a.probability_after));
            num(&mut out, Some(a.probability_change()));
            out.push(',');
            crate::score::push_text_cell(&mut out, self.tier_name(a.tier_before));
            out.push(',');
            crate::score::push_text_cell(&mut out, self.tier_name(a.tier_after));
            num(&mut out, a.revenue_at_risk_before);
            num(&mut out, a.revenue_at_risk_after);
            num(&mut out, Some(a.log_odds_change()));
            for &x in &a.log_odds_change_by_input {
                num(&mut out, Some(x));
            }
            out.push('\n');
        }
        for (ids, status) in [(&self.new_accounts, "new"), (&self.gone_accounts, "gone")] {
            for id in ids {
                crate::score::push_text_cell(&mut out, id);
                out.push_str(",,");
                out.push_str(status);
                out.push_str(&",".repeat(8 + self.inputs.len()));
                out.push('\n');
            }
        }
        out
    }
}

/// The accounts as JSON: each row's split is an object from input name to number.
struct AccountsJson<'a>(&'a Comparison);

struct AccountJson<'a>(&'a Comparison, &'a AccountChange);

impl Serialize for AccountsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.accounts.len()))?;
        for a in &self.0.accounts {
            seq.serialize_element(&AccountJson(self.0, a))?;
        }
        seq.end()
    }
}

struct Split<'a>(&'a [String], &'a [f64]);

impl Serialize for Split<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0.iter().zip(self.1) {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Serialize for AccountJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (c, a) = (self.0, self.1);
        let mut map = s.serialize_map(Some(14))?;
        map.serialize_entry("account_id", &a.account_id)?;
        map.serialize_entry("account_name", &a.account_name)?;
        map.serialize_entry("line_before", &a.line_before)?;
        map.serialize_entry("line_after", &a.line_after)?;
        map.serialize_entry("probability_before", &a.probability_before)?;
        map.serialize_entry("probability_after", &a.probability_after)?;
        map.serialize_entry("log_odds_before", &a.log_odds_before)?;
        map.serialize_entry("log_odds_after", &a.log_odds_after)?;
        map.serialize_entry("tier_before", c.tier_name(a.tier_before))?;
        map.serialize_entry("tier_after", c.tier_name(a.tier_after))?;
        map.serialize_entry("revenue_at_risk_before", &a.revenue_at_risk_before)?;
        map.serialize_entry("revenue_at_risk_after", &a.revenue_at_risk_after)?;
        map.serialize_entry(
            "log_odds_change_by_input",
            &Split(&c.inputs, &a.log_odds_change_by_input),
        )?;
        map.end()
    }
}

/// The comparison as JSON: `before`, `after`, `inputs`, `tiers`, `new_accounts`,
/// `gone_accounts` (lists of ids), `accounts` (one object per account in both lists
/// with `account_id`, `probability_before`, `probability_after` and
/// `log_odds_change_by_input`, an object from input name to number, among others),
/// `risers` and `fallers` (the ten largest moves' ids), `transitions`, `portfolio`,
/// `notes` and `problems`.
impl Serialize for Comparison {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ids = |idx: Vec<usize>| -> Vec<&str> {
            idx.into_iter()
                .map(|i| self.accounts[i].account_id.as_str())
                .collect()
        };
        let mut map = s.serialize_map(Some(13))?;
        map.serialize_entry("before", &self.before)?;
        map.serialize_entry("after", &self.after)?;
        map.serialize_entry("inputs", &self.inputs)?;
        map.serialize_entry("tiers", &self.tiers)?;
        map.serialize_entry("new_accounts", &self.new_accounts)?;
        map.serialize_entry("gone_accounts", &self.gone_accounts)?;
        map.serialize_entry("accounts", &AccountsJson(self))?;
        map.serialize_entry("risers", &ids(self.risers(10)))?;
        map.serialize_entry("fallers", &ids(self.fallers(10)))?;
        map.serialize_entry("transitions", &self.transitions)?;
        map.serialize_entry("portfolio", &self.portfolio)?;
        map.serialize_entry("notes", &self.notes)?;
        map.serialize_entry("problems", &self.problems)?;
        map.end()
    }
}

#[cfg(test)]
mod tests;
