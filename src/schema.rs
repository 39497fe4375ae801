//! The canonical account-list columns and header matching.
//!
//! A CRM export never names its columns the way a model does: "Contract Value ($)",
//! "ACV", "Last Engagement Date" and "days_since_last_engagement" all have to find their
//! feature. Matching works on a normalised form of each header (see
//! [`normalize_header`]) compared with a feature's own name and its aliases, which the
//! model file carries. This module also holds the canonical B2B schema the default
//! model is trained on; a model trained on another table carries its own names and
//! aliases and never consults [`CANONICAL`].

use serde::{Deserialize, Serialize};

/// The family a feature belongs to, following the four data sources of relationship
/// marketing (touches, engagement, advocacy, value) plus support and the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Two-way interaction: events, content, logins, check-ins, recency of contact.
    Engagement,
    /// Willingness to recommend: NPS, referrals, reference participation.
    Advocacy,
    /// Contract value, expansion, tenure, renewal, payment.
    Value,
    /// Support escalations and service problems.
    Support,
    /// Outbound stimulus: emails, calls, campaigns sent to the account.
    Touches,
    /// Anything else a custom table brings.
    Other,
}

impl Group {
    /// The group's name as shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Group::Engagement => "Engagement",
            Group::Advocacy => "Advocacy",
            Group::Value => "Value",
            Group::Support => "Support",
            Group::Touches => "Outbound touches",
            Group::Other => "Other",
        }
    }
}

/// Whether a date column counts days since the date (recency) or until it (renewal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateDirection {
    /// Days from the date to the as-of date (e.g. last engagement).
    Since,
    /// Days from the as-of date to the date (e.g. renewal).
    Until,
}

/// One canonical column of the default B2B schema.
#[derive(Debug, Clone, Copy)]
pub struct CanonicalFeature {
    /// Canonical snake_case name.
    pub name: &'static str,
    /// Human label.
    pub label: &'static str,
    /// Data-source family.
    pub group: Group,
    /// True for yes/no columns.
    pub boolean: bool,
    /// Header synonyms seen in CRM exports (matched after normalisation).
    pub aliases: &'static [&'static str],
    /// Headers holding a date from which the value is derived in days.
    pub date_aliases: &'static [&'static str],
    /// How a date alias becomes days.
    pub date_direction: Option<DateDirection>,
    /// Reason text when a high value raises risk; `{value}` is replaced.
    pub reason_high: &'static str,
    /// Reason text when a low value raises risk; `{value}` is replaced.
    pub reason_low: &'static str,
    /// Unit shown after values, if any.
    pub unit: &'static str,
}

/// Headers that hold the account identifier (required).
pub const ID_ALIASES: &[&str] = &[
    "account_id",
    "account id",
    "company id",
    "record id",
    "customer id",
    "client id",
    "organization id",
    "organization - id",
    "org id",
    "account number",
    "customer number",
    "id",
];

/// Headers that hold the account's display name.
pub const NAME_ALIASES: &[&str] = &[
    "account_name",
    "account name",
    "company name",
    "company",
    "name",
    "organization name",
    "organization - name",
    "organization",
    "customer name",
    "customer",
    "client name",
    "client",
];

/// Headers that hold a segment (tier, region...) used to break results down.
pub const SEGMENT_ALIASES: &[&str] = &[
    "segment",
    "customer segment",
    "account segment",
    "account tier",
    "customer tier",
    "tier",
];

/// The canonical B2B feature columns of the default model.
pub const CANONICAL: &[CanonicalFeature] = &[
    CanonicalFeature {
        name: "contract_value",
        label: "Contract value",
        group: Group::Value,
        boolean: false,
        aliases: &[
            "contract value",
            "annual contract value",
            "acv",
            "arr",
            "annual recurring revenue",
            "contract amount",
            "subscription value",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "Large contract ({value})",
        reason_low: "Small contract ({value})",
        unit: "",
    },
    CanonicalFeature {
        name: "expansion_revenue_12m",
        label: "Expansion revenue, last 12 months",
        group: Group::Value,
        boolean: false,
        aliases: &[
            "expansion revenue",
            "expansion revenue 12m",
            "expansion arr",
            "upsell revenue",
            "expansion",
            "cross sell revenue",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "Expansion revenue of {value} in 12 months",
        reason_low: "Little or no expansion in 12 months ({value})",
        unit: "",
    },
    CanonicalFeature {
        name: "tenure_months",
        label: "Tenure (months)",
        group: Group::Value,
        boolean: false,
        aliases: &[
            "tenure",
            "customer tenure",
            "months as customer",
            "tenure months",
            "customer for months",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "Customer for {value} months",
        reason_low: "New customer: {value} months of tenure",
        unit: "months",
    },
    CanonicalFeature {
        name: "days_to_renewal",
        label: "Days to renewal",
        group: Group::Value,
        boolean: false,
        aliases: &["days to renewal", "days until renewal"],
        date_aliases: &[
            "renewal_date",
            "renewal date",
            "next renewal date",
            "contract renewal date",
            "contract end date",
            "renewal",
        ],
        date_direction: Some(DateDirection::Until),
        reason_high: "Renewal is {value} days away",
        reason_low: "Renewal in {value} days",
        unit: "days",
    },
    CanonicalFeature {
        name: "days_since_last_engagement",
        label: "Days since last two-way engagement",
        group: Group::Engagement,
        boolean: false,
        aliases: &[
            "days since last engagement",
            "days since last activity",
            "days since last contact",
            "days since engagement",
        ],
        date_aliases: &[
            "last_engagement_date",
            "last engagement date",
            "last engagement",
            "last activity date",
            "last activity",
            "last meeting date",
        ],
        date_direction: Some(DateDirection::Since),
        reason_high: "No two-way engagement for {value} days",
        reason_low: "Engaged only {value} days ago",
        unit: "days",
    },
    CanonicalFeature {
        name: "events_attended_12m",
        label: "Events attended, last 12 months",
        group: Group::Engagement,
        boolean: false,
        aliases: &[
            "events attended",
            "events attended 12m",
            "event attendance",
            "webinars attended",
            "events",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "Attended {value} events in 12 months",
        reason_low: "Attended {value} events in 12 months",
        unit: "",
    },
    CanonicalFeature {
        name: "content_engagements_90d",
        label: "Content engagements, last 90 days",
        group: Group::Engagement,
        boolean: false,
        aliases: &[
            "content engagements",
            "content engagements 90d",
            "content downloads",
            "newsletter engagements",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "{value} content engagements in 90 days",
        reason_low: "Only {value} content engagements in 90 days",
        unit: "",
    },
    CanonicalFeature {
        name: "touches_90d",
        label: "Outbound touches, last 90 days",
        group: Group::Touches,
        boolean: false,
        aliases: &[
            "touches",
            "touches 90d",
            "outbound touches",
            "number of times contacted",
            "emails sent",
            "outreach",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "{value} outbound touches in 90 days without matching engagement",
        reason_low: "Only {value} outbound touches in 90 days",
        unit: "",
    },
    CanonicalFeature {
        name: "logins_30d",
        label: "Logins, last 30 days",
        group: Group::Engagement,
        boolean: false,
        aliases: &[
            "logins",
            "logins 30d",
            "logins last 30 days",
            "monthly logins",
            "active logins",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "{value} logins in 30 days",
        reason_low: "Only {value} logins in 30 days",
        unit: "",
    },
    CanonicalFeature {
        name: "usage_trend_pct",
        label: "Usage trend (%)",
        group: Group::Engagement,
        boolean: false,
        aliases: &[
            "usage trend",
            "usage trend pct",
            "usage change",
            "product usage trend",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "Usage up {value}%",
        reason_low: "Usage trend {value}%",
        unit: "%",
    },
    CanonicalFeature {
        name: "checkins_missed_90d",
        label: "Check-ins missed, last 90 days",
        group: Group::Engagement,
        boolean: false,
        aliases: &[
            "checkins missed",
            "check ins missed",
            "checkins missed 90d",
            "missed checkins",
            "missed check ins",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "Missed {value} check-ins in 90 days",
        reason_low: "Missed {value} check-ins in 90 days",
        unit: "",
    },
    CanonicalFeature {
        name: "stakeholders_engaged",
        label: "Stakeholders engaged",
        group: Group::Engagement,
        boolean: false,
        aliases: &[
            "stakeholders",
            "stakeholders engaged",
            "engaged stakeholders",
            "engaged contacts",
            "contacts engaged",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "{value} stakeholders engaged",
        reason_low: "Only {value} stakeholder(s) engaged",
        unit: "",
    },
    CanonicalFeature {
        name: "nps",
        label: "NPS (0-10)",
        group: Group::Advocacy,
        boolean: false,
        aliases: &[
            "nps",
            "net promoter score",
            "nps score",
            "likelihood to recommend",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "NPS of {value}",
        reason_low: "Low NPS: {value}",
        unit: "",
    },
    CanonicalFeature {
        name: "csat",
        label: "CSAT (1-10)",
        group: Group::Advocacy,
        boolean: false,
        aliases: &[
            "csat",
            "csat score",
            "customer satisfaction",
            "satisfaction",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "CSAT of {value}",
        reason_low: "Low satisfaction: CSAT {value}",
        unit: "",
    },
    CanonicalFeature {
        name: "referrals_12m",
        label: "Referrals, last 12 months",
        group: Group::Advocacy,
        boolean: false,
        aliases: &[
            "referrals",
            "referrals 12m",
            "referrals made",
            "referrals given",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "{value} referrals in 12 months",
        reason_low: "No referrals in 12 months",
        unit: "",
    },
    CanonicalFeature {
        name: "is_reference",
        label: "Reference customer",
        group: Group::Advocacy,
        boolean: true,
        aliases: &[
            "reference",
            "is reference",
            "reference account",
            "reference customer",
            "case study",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "Is a reference customer",
        reason_low: "Not a reference customer",
        unit: "",
    },
    CanonicalFeature {
        name: "open_escalations",
        label: "Open escalations",
        group: Group::Support,
        boolean: false,
        aliases: &[
            "escalations",
            "open escalations",
            "unresolved escalations",
            "open support escalations",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "{value} unresolved support escalations",
        reason_low: "{value} open escalations",
        unit: "",
    },
    CanonicalFeature {
        name: "invoice_days_late",
        label: "Invoice days late",
        group: Group::Value,
        boolean: false,
        aliases: &[
            "invoice days late",
            "days late",
            "payment delay",
            "payment delay days",
            "days past due",
            "invoice delay",
        ],
        date_aliases: &[],
        date_direction: None,
        reason_high: "Invoices paid {value} days late",
        reason_low: "Invoices paid {value} days late",
        unit: "days",
    },
];

/// Looks up a canonical feature by name.
pub fn canonical(name: &str) -> Option<&'static CanonicalFeature> {
    CANONICAL.iter().find(|f| f.name == name)
}

/// Normalises a header for matching: drops a leading BOM and bracketed units such as
/// "(USD)", "[%]" or "{days}", lower-cases, and keeps only letters and digits, so
/// "Contract Value ($)", "contract_value" and "CONTRACT-VALUE" all become
/// "contractvalue".
///
/// ```
/// use churn_audit::schema::normalize_header;
/// assert_eq!(normalize_header("Contract Value ($)"), "contractvalue");
/// assert_eq!(normalize_header(" days_since_last_engagement "), "dayssincelastengagement");
/// assert_eq!(normalize_header("Check-ins Missed [90d]"), "checkinsmissed");
/// ```
pub fn normalize_header(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    let mut depth = 0usize;
    for c in header.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    // A header that is nothing but a bracketed unit keeps its inner text rather than
    // vanishing, so "(id)" still matches "id".
    if out.is_empty() && depth == 0 {
        header
            .chars()
            .filter(|c| c.is_alphanumeric())
            .for_each(|c| out.extend(c.to_lowercase()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_ignores_case_spaces_punctuation_and_units() {
        assert_eq!(normalize_header("Contract Value ($)"), "contractvalue");
        assert_eq!(normalize_header("contract_value"), "contractvalue");
        assert_eq!(normalize_header("CONTRACT-VALUE"), "contractvalue");
        assert_eq!(normalize_header("Usage Trend (%)"), "usagetrend");
        assert_eq!(normalize_header("NPS [0-10]"), "nps");
        assert_eq!(normalize_header("(id)"), "id");
        assert_eq!(normalize_header("Organization - ID"), "organizationid");
        assert_eq!(normalize_header("Événements"), "événements");
    }

    #[test]
    fn aliases_are_unambiguous_across_features() {
        // Two features claiming the same normalised header would make matching depend on
        // the order of the list: forbid it.
        let mut owner = std::collections::HashMap::new();
        let lists: Vec<(&str, Vec<&str>)> = CANONICAL
            .iter()
            .map(|f| {
                let names = std::iter::once(f.name)
                    .chain(f.aliases.iter().copied())
                    .chain(f.date_aliases.iter().copied());
                (f.name, names.collect())
            })
            .chain([
                ("id", ID_ALIASES.to_vec()),
                ("name", NAME_ALIASES.to_vec()),
                ("segment", SEGMENT_ALIASES.to_vec()),
            ])
            .collect();
        let mut dupes = Vec::new();
        for (column, names) in &lists {
            for a in names {
                let n = normalize_header(a);
                if let Some(other) = owner.insert(n.clone(), *column) {
                    if other != *column {
                        dupes.push(format!("{n}: {other} and {column}"));
                    }
                }
            }
        }
        assert!(dupes.is_empty(), "ambiguous aliases: {dupes:?}");
    }
}
