//! A seeded simulator of B2B account histories with a known churn mechanism.
//!
//! It writes the canonical account-list CSV (see [`HEADER`]) for a book of accounts and
//! labels each with `churned` (yes/no over the following year). It serves as sample data
//! for the page, as training data for the default model, and as ground truth for tests:
//! because the true risk function is written down below, a trainer can be checked for
//! recovering its directions.
//!
//! # The story (after `../shared/DOMAIN.md`)
//!
//! Each account has a latent **relationship health** `h ~ N(0, 1)`, a latent
//! **service experience** `s ~ N(0, 1)` and an unobserved risk factor `u ~ N(0, 1)`.
//!
//! - **Value tiers.** Segment is SMB (55%), Mid-market (30%) or Enterprise (15%).
//!   Contract value is log-normal per tier: medians 12k, 60k and 250k, log-sd 0.6, 0.5,
//!   0.6. Tenure is log-normal around 22 months (30% longer for Enterprise), 1 to 180.
//! - **Engagement is driven by health.** Current engagement `e = 0.75h + 0.66·N` and
//!   twelve-month engagement `E = 0.85h + 0.53·N`. Days since the last two-way
//!   engagement `d = exp(ln 30 − 0.8e + 0.55·N)` (about 13% exceed 90 days); events
//!   attended `Poisson(exp(0.2 + 0.55E + tier))`; content engagements
//!   `Poisson(exp(1.3 + 0.5e))`; logins in 30 days `Poisson(exp(1.9 + 0.8e))`; usage
//!   trend `7e + 10·N` percent; missed check-ins `Poisson(exp(−0.4 − 0.7e))`, at most 6;
//!   stakeholders engaged `1 + Poisson(exp(0.2 + 0.35E + tier))`.
//! - **Outbound touches are stimulus, not engagement.** `touches_90d =
//!   Poisson(exp(2.4 + 0.35c − 0.15e))` with `c` an independent campaign intensity: sales
//!   chase quiet accounts a little harder, and touches have no protective effect at all.
//! - **Advocacy follows long-run engagement, and lapses erode it.** `a = 0.75E + 0.55·N −
//!   0.6·[d > 90] − 0.002·max(0, d − 90)`. NPS `= round(7 + 1.6a + 0.8·N)` in 0..10;
//!   referrals `Poisson(exp(−1.3 + 0.9a))`; reference customer with probability
//!   `σ(−2 + 1.1a + 0.5·[Enterprise])`; expansion revenue (12 months) with probability
//!   `σ(−0.9 + a + 0.3·[Enterprise])`, then `contract_value · exp(ln 0.15 + 0.5·N)`.
//! - **Satisfaction is not loyalty.** CSAT `= round(7.6 + 0.9s + 0.35a + 0.7·N)` in 1..10:
//!   mostly service experience, only weakly tied to churn.
//! - **Support and payment.** Open escalations `Poisson(exp(−0.9 − 0.5s − 0.2h +
//!   0.3·[Enterprise]))`, at most 12; invoices are late with probability `σ(−1.6 − 0.6h)`,
//!   then by `exp(ln 12 + 0.8·N)` days (1 to 180), else 0.
//! - **Renewal date** is uniform over the next 1 to 365 days and has no true effect (the
//!   label is churn over the next year, whenever the renewal falls).
//!
//! # The true risk function
//!
//! `churned ~ Bernoulli(σ(z))` with, in terms of the true (unmasked) values:
//!
//! ```text
//! z = −0.85
//!   + 0.005·min(d, 365) + 0.8·[d > 90]            lapses, with a jump at 90 days
//!   − 0.22·min(events, 4)                         events help, saturating at 4
//!   − 0.06·min(content, 10)
//!   + 0.04·max(0, touches − 20)                   heavy touching slightly hurts
//!   + 0.9·[logins < 2] − 0.015·min(logins, 30)    under 2 logins a month
//!   − 0.018·clamp(usage_trend_pct, −50, 50)       falling usage
//!   + 0.22·checkins_missed
//!   − 0.12·min(stakeholders, 6)
//!   − 0.10·(nps − 7)
//!   − 0.03·(csat − 7)                             satisfaction: weak
//!   − 0.40·min(referrals, 4)                      advocacy: strong
//!   − 0.70·is_reference
//!   − 0.60·[expansion > 0] − 1.5·min(expansion / contract_value, 0.5)
//!   + 0.25·min(escalations, 6) + 0.9·[escalations > 3]
//!   + 0.015·min(invoice_days_late, 90)
//!   − 0.30·ln(1 + tenure_months / 12)             new customers churn more
//!   + 0.5·u                                       what no CRM records
//! ```
//!
//! The intercept −0.85 gives an annual churn rate of about 20%.
//!
//! # Two snapshots
//!
//! [`simulate_snapshots`] writes the same book at two dates, as a client's export of
//! last year and this year's: the accounts that churned are gone from the later one
//! (they leave at their renewal), the others have moved on, a few carry a changed id,
//! and new accounts have joined. Tests and the comparison of two audits get pairs
//! whose movements are known.
//!
//! # As a workbook
//!
//! [`to_xlsx`] writes a simulated CSV as an Excel workbook of the same accounts (typed
//! numbers, date cells), whose reading gives back the CSV's text: its scores are the CSV
//! twin's, bit for bit (`churn-audit simulate --out FILE.xlsx`; tests/workbook.rs).
//!
//! # Missing values
//!
//! Cells are blanked after the label is drawn, as a CRM would lose them: NPS about 30%
//! (more often for disengaged accounts: `σ(−0.85 − 0.5e)`), CSAT about 25%, and 1 to 4%
//! in the other feature columns. Id, name, segment and the label are never missing.
//!
//! # Determinism
//!
//! Randomness comes from `rand_chacha`'s ChaCha8 generator seeded by
//! `ChaCha8Rng::seed_from_u64(seed)`; account `i` draws from the generator's stream `i`
//! ([`ChaCha8Rng::set_stream`]), so the first `n` accounts do not depend on how many
//! follow. Uniform, integer and Bernoulli draws are `rand`'s (integer arithmetic on the
//! generator's bits), normal and Poisson draws are `rand_distr`'s (`StandardNormal`, a
//! ziggurat, and `Poisson`), and the story's own `exp` and `ln` are the pure-Rust `libm`
//! crate's, the same bits on every platform.
//!
//! rand_distr uses the platform's `exp` and `ln` (in WebAssembly, the `libm` crate's; on
//! Linux, glibc's, which can differ in the last bit) only to accept or reject a candidate
//! and in the normal's far tail; its draws are whole numbers or ziggurat points, so such
//! a difference could change a draw only when a value falls within a rounding error of a
//! bound, of the order of once in 10^15 draws. So a seed gives the same bytes natively and
//! in WebAssembly: checked by building this module for wasm32 and running it in Node
//! against the native build (glibc), for the bundled model's 50,000 accounts and for a
//! million accounts under two seeds, though glibc's `exp` and `ln` differ from wasm's in
//! the last bit on about 10% and 7% of inputs. The crates' versions are pinned by
//! Cargo.lock; an upgrade that changed their values would be caught by
//! `make model-check`.

use std::fmt::Write;

use libm::{exp, log};
use rand::distr::{Bernoulli, Distribution};
use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Poisson, StandardNormal};

use crate::ingest::format_iso_date;
use crate::model::sigmoid;

/// The CSV header the simulator writes, in column order.
pub const HEADER: &str = "account_id,account_name,segment,renewal_date,contract_value,\
expansion_revenue_12m,tenure_months,last_engagement_date,events_attended_12m,\
content_engagements_90d,touches_90d,logins_30d,usage_trend_pct,checkins_missed_90d,\
stakeholders_engaged,nps,csat,referrals_12m,is_reference,open_escalations,\
invoice_days_late,churned";

/// What to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimConfig {
    /// Number of accounts (rows).
    pub accounts: usize,
    /// Random seed; the same seed gives the same bytes.
    pub seed: u64,
    /// The as-of date, in days since 1970-01-01; dates in the file are relative to it.
    pub as_of: i64,
}

/// Simulates a labelled account history and returns it as CSV (comma, LF, one header
/// line, ISO dates, `yes`/`no` booleans, empty cells for missing values).
///
/// ```
/// use churn_audit::simulate::{simulate, SimConfig, HEADER};
/// let csv = simulate(&SimConfig { accounts: 3, seed: 1, as_of: 20_468 });
/// assert!(csv.starts_with(HEADER));
/// assert_eq!(csv.lines().count(), 4);
/// ```
pub fn simulate(cfg: &SimConfig) -> String {
    let mut out = String::with_capacity(300 + cfg.accounts * 170);
    out.push_str(HEADER);
    out.push('\n');
    let base = ChaCha8Rng::seed_from_u64(cfg.seed);
    for i in 0..cfg.accounts {
        let mut rng = Draws::account(&base, i as u64);
        let account = Account::draw(&mut rng);
        let name = account_name(&mut rng);
        account.write_row(&account_id(i), &name, cfg.as_of, &mut rng, &mut out);
    }
    out
}

/// Excel's data rows per sheet (its 1,048,576 rows, the header's included).
pub const XLSX_MAX_ACCOUNTS: usize = 1_048_575;

/// The simulator's CSV `csv` (from [`simulate`] or [`simulate_snapshots`]) as an `.xlsx`
/// workbook's bytes, written by rust_xlsxwriter: one sheet, `Accounts`, the header in the
/// first row, then one row per account with the CSV's cells typed as a spreadsheet
/// export has them: the dates (`*_date` columns) as date cells shown `yyyy-mm-dd`, the
/// numbers as numbers, the id, name, segment and `yes`/`no` columns as text, a missing
/// value as an empty cell. Read back (by the workbook reader, [`crate::ingest::workbook`])
/// it gives the CSV's text cell for cell, so it scores exactly as its CSV twin does. No
/// creation date is written from the clock: the same CSV gives the same bytes. More than
/// [`XLSX_MAX_ACCOUNTS`] accounts are refused.
pub fn to_xlsx(csv: &str) -> crate::error::Result<Vec<u8>> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

    use crate::error::Error;
    use crate::ingest::{civil_from_days, parse_iso_date};

    let fail = |e: XlsxError| Error::io("xlsx", e);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let rows = csv.lines().count().saturating_sub(1);
    if rows > XLSX_MAX_ACCOUNTS {
        return Err(Error::unusable(
            "xlsx",
            format!(
                "{rows} accounts do not fit in one Excel sheet (at most {XLSX_MAX_ACCOUNTS}); write a CSV file"
            ),
        ));
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Text,
        Date,
        Number,
    }
    let kinds: Vec<Kind> = header
        .iter()
        .map(|h| match *h {
            "account_id" | "account_name" | "segment" | "is_reference" | "churned" => Kind::Text,
            h if h.ends_with("_date") => Kind::Date,
            _ => Kind::Number,
        })
        .collect();
    let mut book = Workbook::new();
    let epoch = ExcelDateTime::from_ymd(2000, 1, 1).map_err(fail)?;
    book.set_properties(
        &DocProperties::new()
            .set_title("Simulated account history")
            .set_creation_datetime(&epoch),
    );
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = book.add_worksheet();
    sheet.set_name("Accounts").map_err(fail)?;
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).map_err(fail)?;
    }
    for (r, line) in lines.enumerate() {
        let row = (r + 1) as u32;
        // The simulator never quotes a cell (no cell holds a comma or a quote).
        for (c, cell) in line.split(',').enumerate() {
            let col = c as u16;
            if cell.is_empty() {
                continue;
            }
            let kind = kinds.get(c).copied().unwrap_or(Kind::Text);
            let day = (kind == Kind::Date)
                .then(|| parse_iso_date(cell))
                .flatten()
                .map(civil_from_days)
                .and_then(|(y, m, d)| ExcelDateTime::from_ymd(y as u16, m as u8, d as u8).ok());
            let number = (kind == Kind::Number)
                .then(|| cell.parse::<f64>().ok())
                .flatten();
            match (day, number) {
                (Some(day), _) => sheet.write_datetime_with_format(row, col, &day, &date),
                (_, Some(x)) => sheet.write_number(row, col, x),
                _ => sheet.write_string(row, col, cell),
            }
            .map_err(fail)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}

/// The id of the account simulated `index`-th (from 0): `ACC-000001` and on.
fn account_id(index: usize) -> String {
    format!("ACC-{:06}", index + 1)
}

/// How the same book of accounts looks at a later date ([`simulate_snapshots`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SnapshotConfig {
    /// Days from the first snapshot's as-of date to the second's (at least 1).
    pub days: i64,
    /// New accounts in the second snapshot, as a share of the first's accounts.
    pub new_share: f64,
    /// The share of the accounts still there whose id the CRM changed (a merge or a
    /// migration): they appear under `ACC-R…` ids, gone and new at once.
    pub renamed_share: f64,
}

impl Default for SnapshotConfig {
    /// A year later, 10% new accounts, 1% of ids changed.
    fn default() -> SnapshotConfig {
        SnapshotConfig {
            days: 365,
            new_share: 0.10,
            renamed_share: 0.01,
        }
    }
}

/// Two exports of one book of accounts: [`simulate`]'s, and the same book
/// [`SnapshotConfig::days`] later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshots {
    /// The first export: exactly [`simulate`]'s bytes for the same [`SimConfig`].
    pub before: String,
    /// The later export (as of `as_of + days`), in the same columns.
    pub after: String,
    /// The ids of the first export's accounts that churned before the later date (its
    /// `churned` accounts whose renewal fell within the days), in file order.
    pub churned_ids: Vec<String>,
    /// The first export's ids that appear under another id later (`old`, `new`).
    pub renamed: Vec<(String, String)>,
}

/// Where the later snapshot's streams start: account `i` moves on with stream
/// `LATER + i`, new account `j` is drawn from stream `NEW + j`; far from the first
/// snapshot's streams `0..accounts`.
const LATER_STREAMS: u64 = 1 << 40;
const NEW_STREAMS: u64 = 2 << 40;

/// Simulates one book of accounts at two dates.
///
/// The first export is [`simulate`]'s. In the later one, `snap.days` on: an account
/// labelled `churned` has left if its renewal date fell within the days (accounts leave
/// at renewal), and stays otherwise, still `churned`; every account still there has
/// moved on: its health and service experience drift (`h' = ρh + √(1−ρ²)·N` with
/// `ρ = exp(−days/365)`), everything the story derives from them is drawn again, its
/// tenure grows by the months passed, its renewal date is the same day of the year;
/// the unobserved risk `u`, segment and contract value stay. Its `churned` label (over
/// the year from the later date) is drawn from the moved-on values, unless it had
/// churned already. `snap.renamed_share` of the accounts still there carry a new id
/// (`ACC-R` and the old number), and `snap.new_share` new accounts (`ACC-` numbered on
/// from the first export's last) follow, with a tenure within the days passed.
/// Deterministic: the same configurations give the same bytes.
///
/// ```
/// use churn_audit::simulate::{simulate, simulate_snapshots, SimConfig, SnapshotConfig};
/// let cfg = SimConfig { accounts: 200, seed: 4, as_of: 20_468 };
/// let two = simulate_snapshots(&cfg, &SnapshotConfig::default());
/// assert_eq!(two.before, simulate(&cfg));
/// let rows = two.after.lines().count() - 1;
/// assert_eq!(rows, 200 - two.churned_ids.len() + 20);
/// ```
pub fn simulate_snapshots(cfg: &SimConfig, snap: &SnapshotConfig) -> Snapshots {
    let days = snap.days.max(1);
    let later_as_of = cfg.as_of + days;
    let mut before = String::with_capacity(300 + cfg.accounts * 170);
    let mut after = String::with_capacity(300 + cfg.accounts * 170);
    before.push_str(HEADER);
    before.push('\n');
    after.push_str(HEADER);
    after.push('\n');
    let (mut churned_ids, mut renamed) = (Vec::new(), Vec::new());
    let base = ChaCha8Rng::seed_from_u64(cfg.seed);
    for i in 0..cfg.accounts {
        let mut rng = Draws::account(&base, i as u64);
        let account = Account::draw(&mut rng);
        let name = account_name(&mut rng);
        let id = account_id(i);
        account.write_row(&id, &name, cfg.as_of, &mut rng, &mut before);
        if account.churned && account.days_to_renewal <= days {
            churned_ids.push(id);
            continue;
        }
        let mut rng = Draws::account(&base, LATER_STREAMS + i as u64);
        let new_id = if rng.bernoulli(snap.renamed_share) {
            let new_id = format!("ACC-R{:06}", i + 1);
            renamed.push((id, new_id.clone()));
            new_id
        } else {
            id
        };
        let later = account.move_on(days, &mut rng);
        later.write_row(&new_id, &name, later_as_of, &mut rng, &mut after);
    }
    let new_accounts = (cfg.accounts as f64 * snap.new_share.max(0.0)).round() as usize;
    let months = ((days as f64 / 30.44).floor() as usize).max(1);
    for j in 0..new_accounts {
        let mut rng = Draws::account(&base, NEW_STREAMS + j as u64);
        let mut account = Account::draw(&mut rng);
        account.tenure = 1.0 + rng.below(months) as f64;
        let name = account_name(&mut rng);
        let id = account_id(cfg.accounts + j);
        account.write_row(&id, &name, later_as_of, &mut rng, &mut after);
    }
    Snapshots {
        before,
        after,
        churned_ids,
        renamed,
    }
}

/// The segments and their shares of accounts.
const SEGMENTS: [(&str, f64); 3] = [("SMB", 0.55), ("Mid-market", 0.30), ("Enterprise", 0.15)];

/// What an account is underneath: kept so that a later snapshot moves on from it.
#[derive(Debug, Clone, Copy)]
struct Latent {
    segment: usize,
    contract_value: f64,
    tenure: f64,
    h: f64,
    s: f64,
    u: f64,
}

/// One account's true (unmasked) values.
struct Account {
    latent: Latent,
    segment: usize,
    contract_value: f64,
    expansion: f64,
    tenure: f64,
    days_to_renewal: i64,
    days_since: f64,
    events: f64,
    content: f64,
    touches: f64,
    logins: f64,
    usage_trend: f64,
    checkins_missed: f64,
    stakeholders: f64,
    nps: f64,
    csat: f64,
    referrals: f64,
    is_reference: bool,
    escalations: f64,
    invoice_days_late: f64,
    /// Current engagement, kept to make survey non-response depend on it.
    engagement: f64,
    churned: bool,
}

impl Account {
    fn draw(rng: &mut Draws) -> Account {
        let u0 = rng.uniform();
        let segment = if u0 < SEGMENTS[0].1 {
            0
        } else if u0 < SEGMENTS[0].1 + SEGMENTS[1].1 {
            1
        } else {
            2
        };
        let (median, sd) = [(12_000.0, 0.6), (60_000.0, 0.5), (250_000.0, 0.6)][segment];
        let contract_value = (median * exp(sd * rng.normal())).round().max(100.0);
        let tenure_scale = if segment == 2 { 1.3 } else { 1.0 };
        let tenure = (22.0 * tenure_scale * exp(0.8 * rng.normal()))
            .round()
            .clamp(1.0, 180.0);

        let h = rng.normal();
        let s = rng.normal();
        let u = rng.normal();
        let latent = Latent {
            segment,
            contract_value,
            tenure,
            h,
            s,
            u,
        };
        Account::develop(latent, rng)
    }

    /// Everything that follows from the latent values: the draws after `h`, `s` and `u`,
    /// in the story's order (the first snapshot's bytes depend on that order).
    fn develop(latent: Latent, rng: &mut Draws) -> Account {
        let Latent {
            segment,
            contract_value,
            tenure,
            h,
            s,
            u,
        } = latent;
        let enterprise = if segment == 2 { 1.0 } else { 0.0 };
        let e = 0.75 * h + 0.66 * rng.normal();
        let e_long = 0.85 * h + 0.53 * rng.normal();

        let days_since = (30.0 * exp(-0.8 * e + 0.55 * rng.normal()))
            .round()
            .clamp(0.0, 730.0);
        let events_tier = [0.0, 0.2, 0.4][segment];
        let events = rng.poisson(exp(0.2 + 0.55 * e_long + events_tier));
        let content = rng.poisson(exp(1.3 + 0.5 * e));
        let campaign = rng.normal();
        let touches = rng.poisson(exp(2.4 + 0.35 * campaign - 0.15 * e));
        let logins = rng.poisson(exp(1.9 + 0.8 * e));
        let usage_trend = round1((7.0 * e + 10.0 * rng.normal()).clamp(-90.0, 200.0));
        let checkins_missed = rng.poisson(exp(-0.4 - 0.7 * e)).min(6.0);
        let stakeholder_tier = [0.0, 0.4, 0.9][segment];
        let stakeholders = 1.0 + rng.poisson(exp(0.2 + 0.35 * e_long + stakeholder_tier));

        let lapse = if days_since > 90.0 { 1.0 } else { 0.0 };
        let advocacy = 0.75 * e_long + 0.55 * rng.normal()
            - 0.6 * lapse
            - 0.002 * (days_since - 90.0).max(0.0);
        let nps = (7.0 + 1.6 * advocacy + 0.8 * rng.normal())
            .round()
            .clamp(0.0, 10.0);
        let csat = (7.6 + 0.9 * s + 0.35 * advocacy + 0.7 * rng.normal())
            .round()
            .clamp(1.0, 10.0);
        let referrals = rng.poisson(exp(-1.3 + 0.9 * advocacy));
        let is_reference = rng.bernoulli(sigmoid(-2.0 + 1.1 * advocacy + 0.5 * enterprise));
        let expansion = if rng.bernoulli(sigmoid(-0.9 + advocacy + 0.3 * enterprise)) {
            (contract_value * exp(log(0.15) + 0.5 * rng.normal())).round()
        } else {
            0.0
        };

        let escalations = rng
            .poisson(exp(-0.9 - 0.5 * s - 0.2 * h + 0.3 * enterprise))
            .min(12.0);
        let invoice_days_late = if rng.bernoulli(sigmoid(-1.6 - 0.6 * h)) {
            (12.0 * exp(0.8 * rng.normal())).round().clamp(1.0, 180.0)
        } else {
            0.0
        };
        let days_to_renewal = 1 + rng.below(365) as i64;

        let mut account = Account {
            latent,
            segment,
            contract_value,
            expansion,
            tenure,
            days_to_renewal,
            days_since,
            events,
            content,
            touches,
            logins,
            usage_trend,
            checkins_missed,
            stakeholders,
            nps,
            csat,
            referrals,
            is_reference,
            escalations,
            invoice_days_late,
            engagement: e,
            churned: false,
        };
        let z = account.true_log_odds() + 0.5 * u;
        account.churned = rng.bernoulli(sigmoid(z));
        account
    }

    /// The same account `days` later (see [`simulate_snapshots`]).
    fn move_on(&self, days: i64, rng: &mut Draws) -> Account {
        let rho = exp(-(days as f64) / 365.0);
        let keep = (1.0 - rho * rho).sqrt();
        let mut latent = self.latent;
        latent.h = rho * latent.h + keep * rng.normal();
        latent.s = rho * latent.s + keep * rng.normal();
        latent.tenure = (latent.tenure + (days as f64 / 30.44).round()).min(180.0);
        let mut later = Account::develop(latent, rng);
        later.days_to_renewal = (self.days_to_renewal - 1 - days).rem_euclid(365) + 1;
        // An account that will leave at its coming renewal is still leaving.
        later.churned |= self.churned;
        later
    }

    /// The documented true risk function, without the unobserved term.
    fn true_log_odds(&self) -> f64 {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        -0.85 + 0.005 * self.days_since.min(365.0) + 0.8 * flag(self.days_since > 90.0)
            - 0.22 * self.events.min(4.0)
            - 0.06 * self.content.min(10.0)
            + 0.04 * (self.touches - 20.0).max(0.0)
            + 0.9 * flag(self.logins < 2.0)
            - 0.015 * self.logins.min(30.0)
            - 0.018 * self.usage_trend.clamp(-50.0, 50.0)
            + 0.22 * self.checkins_missed
            - 0.12 * self.stakeholders.min(6.0)
            - 0.10 * (self.nps - 7.0)
            - 0.03 * (self.csat - 7.0)
            - 0.40 * self.referrals.min(4.0)
            - 0.70 * flag(self.is_reference)
            - 0.60 * flag(self.expansion > 0.0)
            - 1.5 * (self.expansion / self.contract_value).min(0.5)
            + 0.25 * self.escalations.min(6.0)
            + 0.9 * flag(self.escalations > 3.0)
            + 0.015 * self.invoice_days_late.min(90.0)
            - 0.30 * log(1.0 + self.tenure / 12.0)
    }

    /// Appends the account's CSV row with id `id` and name `name` (drawn just before,
    /// [`account_name`]), blanking cells at the documented missing rates.
    fn write_row(&self, id: &str, name: &Name, as_of: i64, rng: &mut Draws, out: &mut String) {
        let (first, second, form) = name;
        // Survey non-response is not at random: disengaged accounts answer less.
        let nps_missing = sigmoid(-0.85 - 0.5 * self.engagement);
        let csat_missing = sigmoid(-1.1 - 0.3 * self.engagement);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "{id},{first} {second} {form},{}",
            SEGMENTS[self.segment].0
        );
        let renewal = format_iso_date(as_of + self.days_to_renewal);
        cell_text(out, rng, 0.015, &renewal);
        cell_num(out, rng, 0.01, self.contract_value);
        cell_num(out, rng, 0.03, self.expansion);
        cell_num(out, rng, 0.02, self.tenure);
        let last = format_iso_date(as_of - self.days_since as i64);
        cell_text(out, rng, 0.02, &last);
        cell_num(out, rng, 0.03, self.events);
        cell_num(out, rng, 0.03, self.content);
        cell_num(out, rng, 0.02, self.touches);
        cell_num(out, rng, 0.03, self.logins);
        cell_num(out, rng, 0.04, self.usage_trend);
        cell_num(out, rng, 0.03, self.checkins_missed);
        cell_num(out, rng, 0.02, self.stakeholders);
        cell_num(out, rng, nps_missing, self.nps);
        cell_num(out, rng, csat_missing, self.csat);
        cell_num(out, rng, 0.03, self.referrals);
        cell_text(out, rng, 0.03, yes_no(self.is_reference));
        cell_num(out, rng, 0.02, self.escalations);
        cell_num(out, rng, 0.02, self.invoice_days_late);
        out.push(',');
        out.push_str(yes_no(self.churned));
        out.push('\n');
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Appends `,text`, or `,` alone with probability `missing`.
fn cell_text(out: &mut String, rng: &mut Draws, missing: f64, text: &str) {
    out.push(',');
    if !rng.bernoulli(missing) {
        out.push_str(text);
    }
}

/// Appends a number (whole numbers without decimals, others with one), or an empty cell
/// with probability `missing`.
fn cell_num(out: &mut String, rng: &mut Draws, missing: f64, x: f64) {
    out.push(',');
    if rng.bernoulli(missing) {
        return;
    }
    if x == x.trunc() {
        let _ = write!(out, "{}", x as i64);
    } else {
        let _ = write!(out, "{x:.1}");
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A company name's three words.
type Name = (&'static str, &'static str, &'static str);

/// A plausible company name; names repeat across a large book, ids never do.
fn account_name(rng: &mut Draws) -> Name {
    const FIRST: [&str; 20] = [
        "Acme",
        "Northwind",
        "Bluewater",
        "Summit",
        "Vertex",
        "Harbor",
        "Granite",
        "Silverline",
        "Maple",
        "Orion",
        "Pioneer",
        "Cedar",
        "Atlas",
        "Beacon",
        "Crescent",
        "Delta",
        "Evergreen",
        "Falcon",
        "Horizon",
        "Ivory",
    ];
    const SECOND: [&str; 16] = [
        "Logistics",
        "Health",
        "Analytics",
        "Foods",
        "Capital",
        "Systems",
        "Labs",
        "Energy",
        "Retail",
        "Media",
        "Robotics",
        "Partners",
        "Bank",
        "Clinics",
        "Software",
        "Freight",
    ];
    const FORM: [&str; 7] = ["Ltd", "Inc", "GmbH", "LLC", "SA", "BV", "plc"];
    let (a, b, c) = (
        FIRST[rng.below(FIRST.len())],
        SECOND[rng.below(SECOND.len())],
        FORM[rng.below(FORM.len())],
    );
    (a, b, c)
}

/// One account's random draws: its own ChaCha8 stream and the distributions the story
/// above names.
///
/// Every account draws from stream `index` of the generator seeded with
/// `ChaCha8Rng::seed_from_u64(seed)` ([`ChaCha8Rng::set_stream`]), so account `index` is
/// the same whatever comes before or after it.
struct Draws(ChaCha8Rng);

impl Draws {
    /// Account `index`'s stream of the generator `base` (a fresh `seed_from_u64`).
    fn account(base: &ChaCha8Rng, index: u64) -> Draws {
        let mut rng = base.clone();
        rng.set_stream(index);
        Draws(rng)
    }

    /// A uniform number in `[0, 1)`.
    fn uniform(&mut self) -> f64 {
        self.0.random()
    }

    /// A uniform integer in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n)
    }

    /// True with probability `p` (false for a `p` outside `[0, 1]`, which the story never
    /// gives).
    fn bernoulli(&mut self, p: f64) -> bool {
        Bernoulli::new(p).is_ok_and(|b| b.sample(&mut self.0))
    }

    /// A standard normal draw.
    fn normal(&mut self) -> f64 {
        StandardNormal.sample(&mut self.0)
    }

    /// A Poisson draw with the given mean, as a float (0 for a mean that is not positive).
    fn poisson(&mut self, mean: f64) -> f64 {
        Poisson::new(mean).map_or(0.0, |d| d.sample(&mut self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::parse_iso_date;

    const AS_OF: i64 = 20_468; // 2026-01-15

    fn cfg(accounts: usize, seed: u64) -> SimConfig {
        SimConfig {
            accounts,
            seed,
            as_of: AS_OF,
        }
    }

    fn column(csv: &str, name: &str) -> Vec<String> {
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let i = header.iter().position(|h| *h == name).unwrap();
        lines
            .map(|l| l.split(',').nth(i).unwrap().to_string())
            .collect()
    }

    #[test]
    fn draws_follow_their_distributions() {
        let base = ChaCha8Rng::seed_from_u64(1);
        let mut r = Draws::account(&base, 0);
        let n = 100_000;
        let mean = (0..n).map(|_| r.uniform()).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
        assert!(m.abs() < 0.02 && (v - 1.0).abs() < 0.02, "{m} {v}");
        // Both of rand_distr's Poisson methods: inversion below a mean of 12, rejection
        // above.
        for mean in [3.5, 40.0] {
            let p = (0..n).map(|_| r.poisson(mean)).sum::<f64>() / n as f64;
            assert!((p - mean).abs() < 0.02 * mean, "{p} for {mean}");
        }
        assert_eq!(r.poisson(0.0), 0.0);
        assert_eq!(r.poisson(f64::NAN), 0.0);
        assert!(r.bernoulli(1.0) && !r.bernoulli(0.0) && !r.bernoulli(f64::NAN));
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[r.below(3)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
        // Streams of one seed differ, and each is its own sequence from the start.
        let mut other = Draws::account(&base, 1);
        let mut again = Draws::account(&base, 0);
        let first = again.uniform();
        assert_ne!(first, other.uniform());
        assert_eq!(first, Draws::account(&base, 0).uniform());
    }

    #[test]
    fn same_config_same_bytes_and_prefix_stability() {
        let a = simulate(&cfg(500, 7));
        assert_eq!(a, simulate(&cfg(500, 7)));
        assert_ne!(a, simulate(&cfg(500, 8)));
        let longer = simulate(&cfg(600, 7));
        assert!(longer.starts_with(&a));
    }

    #[test]
    fn format_is_the_canonical_csv() {
        let csv = simulate(&cfg(2_000, 3));
        let width = HEADER.split(',').count();
        assert_eq!(width, 22);
        for line in csv.lines() {
            assert_eq!(line.split(',').count(), width, "{line}");
        }
        assert!(csv.ends_with('\n') && !csv.contains('\r'));
        assert!(column(&csv, "churned")
            .iter()
            .all(|c| c == "yes" || c == "no"));
        assert!(column(&csv, "is_reference")
            .iter()
            .all(|c| c.is_empty() || c == "yes" || c == "no"));
        for d in column(&csv, "last_engagement_date") {
            if !d.is_empty() {
                let day = parse_iso_date(&d).unwrap();
                assert!((AS_OF - 730..=AS_OF).contains(&day));
            }
        }
        for d in column(&csv, "renewal_date") {
            if !d.is_empty() {
                let day = parse_iso_date(&d).unwrap();
                assert!((AS_OF + 1..=AS_OF + 365).contains(&day));
            }
        }
        let segments = column(&csv, "segment");
        for s in ["SMB", "Mid-market", "Enterprise"] {
            assert!(segments.iter().any(|x| x == s));
        }
        for nps in column(&csv, "nps") {
            if !nps.is_empty() {
                let v: f64 = nps.parse().unwrap();
                assert!((0.0..=10.0).contains(&v));
            }
        }
    }

    #[test]
    fn churn_rate_and_missing_rates_are_realistic() {
        let csv = simulate(&cfg(20_000, 11));
        let churned = column(&csv, "churned");
        let rate = churned.iter().filter(|c| *c == "yes").count() as f64 / churned.len() as f64;
        assert!((0.15..=0.25).contains(&rate), "churn rate {rate}");
        let missing = |name: &str| {
            let c = column(&csv, name);
            c.iter().filter(|x| x.is_empty()).count() as f64 / c.len() as f64
        };
        let nps = missing("nps");
        let csat = missing("csat");
        assert!((0.26..=0.36).contains(&nps), "nps missing {nps}");
        assert!((0.21..=0.30).contains(&csat), "csat missing {csat}");
        for name in [
            "contract_value",
            "last_engagement_date",
            "logins_30d",
            "invoice_days_late",
        ] {
            let m = missing(name);
            assert!((0.005..=0.05).contains(&m), "{name} missing {m}");
        }
        for name in ["account_id", "account_name", "segment", "churned"] {
            assert_eq!(missing(name), 0.0, "{name}");
        }
    }

    /// Churn rate among rows whose column `name` satisfies `pred`.
    fn rate_where(csv: &str, name: &str, pred: impl Fn(f64) -> bool) -> f64 {
        let values = column(csv, name);
        let churned = column(csv, "churned");
        let (mut n, mut k) = (0, 0);
        for (v, c) in values.iter().zip(&churned) {
            let x = if v == "yes" {
                1.0
            } else if v == "no" {
                0.0
            } else if let Some(d) = parse_iso_date(v) {
                (AS_OF - d) as f64
            } else if let Ok(x) = v.parse::<f64>() {
                x
            } else {
                continue;
            };
            if pred(x) {
                n += 1;
                k += (c == "yes") as usize;
            }
        }
        k as f64 / n.max(1) as f64
    }

    #[test]
    fn warning_signs_go_with_churn() {
        let csv = simulate(&cfg(20_000, 5));
        let lapsed = rate_where(&csv, "last_engagement_date", |d| d > 90.0);
        let recent = rate_where(&csv, "last_engagement_date", |d| d < 30.0);
        assert!(lapsed > recent + 0.15, "lapsed {lapsed} recent {recent}");
        let few_logins = rate_where(&csv, "logins_30d", |x| x < 2.0);
        let many_logins = rate_where(&csv, "logins_30d", |x| x >= 8.0);
        assert!(few_logins > 2.0 * many_logins, "{few_logins} {many_logins}");
        let escalated = rate_where(&csv, "open_escalations", |x| x > 3.0);
        let calm = rate_where(&csv, "open_escalations", |x| x == 0.0);
        assert!(escalated > calm + 0.2, "{escalated} {calm}");
        let reference = rate_where(&csv, "is_reference", |x| x == 1.0);
        let not_reference = rate_where(&csv, "is_reference", |x| x == 0.0);
        assert!(
            reference < 0.5 * not_reference,
            "{reference} {not_reference}"
        );
        let referrers = rate_where(&csv, "referrals_12m", |x| x >= 2.0);
        let silent = rate_where(&csv, "referrals_12m", |x| x == 0.0);
        assert!(referrers < 0.5 * silent, "{referrers} {silent}");
        let late = rate_where(&csv, "invoice_days_late", |x| x > 20.0);
        let on_time = rate_where(&csv, "invoice_days_late", |x| x == 0.0);
        assert!(late > on_time, "{late} {on_time}");
    }

    #[test]
    fn a_later_snapshot_loses_the_churned_and_keeps_the_rest() {
        let c = cfg(3_000, 9);
        let snap = SnapshotConfig {
            days: 180,
            new_share: 0.05,
            renamed_share: 0.02,
        };
        let two = simulate_snapshots(&c, &snap);
        assert_eq!(two.before, simulate(&c));
        assert_eq!(two, simulate_snapshots(&c, &snap));
        let ids_before = column(&two.before, "account_id");
        let ids_after = column(&two.after, "account_id");
        let churned = column(&two.before, "churned");
        // Every churned id was labelled churned; about half the year's churners (renewal
        // within 180 of 365 days) have left.
        for id in &two.churned_ids {
            let i = ids_before.iter().position(|x| x == id).unwrap();
            assert_eq!(churned[i], "yes");
        }
        let all_churned = churned.iter().filter(|c| *c == "yes").count();
        let share = two.churned_ids.len() as f64 / all_churned as f64;
        assert!((0.4..0.6).contains(&share), "{share}");
        // Gone: the churned and the renamed; new: the renamed and 150 new accounts.
        let gone: Vec<&String> = ids_before
            .iter()
            .filter(|id| !ids_after.contains(id))
            .collect();
        assert_eq!(gone.len(), two.churned_ids.len() + two.renamed.len());
        assert!(!two.renamed.is_empty());
        let new = ids_after
            .iter()
            .filter(|id| !ids_before.contains(id))
            .count();
        assert_eq!(new, two.renamed.len() + 150);
        assert_eq!(ids_after.last().unwrap(), "ACC-003150");
        for line in two.after.lines() {
            assert_eq!(line.split(',').count(), 22, "{line}");
        }
        // Names and segments stay; dates are counted from the later day.
        let (names_a, names_b) = (
            column(&two.before, "account_name"),
            column(&two.after, "account_name"),
        );
        assert_eq!(
            names_a[0],
            names_b[ids_after.iter().position(|x| x == &ids_before[0]).unwrap()]
        );
        for d in column(&two.after, "renewal_date") {
            if !d.is_empty() {
                let day = parse_iso_date(&d).unwrap();
                assert!((AS_OF + 181..=AS_OF + 180 + 365).contains(&day), "{d}");
            }
        }
        // Engagement has moved on: the same account's logins differ on most rows.
        let (a, b) = (
            column(&two.before, "logins_30d"),
            column(&two.after, "logins_30d"),
        );
        let moved = (0..500)
            .filter(|&i| {
                ids_after
                    .iter()
                    .position(|x| x == &ids_before[i])
                    .is_some_and(|j| a[i] != b[j])
            })
            .count();
        assert!(moved > 250, "{moved}");
    }

    #[test]
    fn hundred_thousand_accounts_are_fast() {
        // 100k accounts take about half a second in a release build; an unoptimised test
        // build is ten times slower, so it checks a fifth of that against a loose bound.
        let accounts = if cfg!(debug_assertions) {
            20_000
        } else {
            100_000
        };
        let start = std::time::Instant::now();
        let csv = simulate(&cfg(accounts, 1));
        let elapsed = start.elapsed();
        assert_eq!(csv.lines().count(), accounts + 1);
        assert!(elapsed.as_secs_f64() < 5.0, "{elapsed:?}");
        println!("simulate({accounts}): {elapsed:?}, {} bytes", csv.len());
    }
}
