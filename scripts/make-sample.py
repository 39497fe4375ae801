#!/usr/bin/env python3
"""Writes www/sample-accounts.csv: the first 42 complete accounts of the simulator (the
bundled model's own world, so the sample fits the model; the simulator leaves survey
fields blank as real CRMs do, and those rows are passed over) under the headers a HubSpot export uses, with money
written as CRMs write it ("$177,200") and three deliberate blemishes a real list has:
a renewal date typed as 'TBD', an NPS never collected, a contract value left blank.

    churn-audit simulate --accounts 400 --seed 2 --as-of 2026-01-15 --out sim.csv
    python3 scripts/make-sample.py sim.csv > www/sample-accounts.csv
"""
import csv
import sys

HEADERS = {
    "account_id": "Company ID", "account_name": "Company name", "segment": "Segment",
    "renewal_date": "Renewal Date", "contract_value": "Contract Value ($)",
    "expansion_revenue_12m": "Expansion Revenue (12m)", "tenure_months": "Tenure (months)",
    "last_engagement_date": "Last Engagement Date", "events_attended_12m": "Events Attended (12m)",
    "content_engagements_90d": "Content Engagements (90d)", "touches_90d": "Touches (90d)",
    "logins_30d": "Logins (30d)", "usage_trend_pct": "Usage Trend (%)",
    "checkins_missed_90d": "Check-ins Missed (90d)", "stakeholders_engaged": "Stakeholders Engaged",
    "nps": "NPS", "csat": "CSAT", "referrals_12m": "Referrals (12m)", "is_reference": "Is Reference",
    "open_escalations": "Open Escalations", "invoice_days_late": "Invoice Days Late",
}

rows = [r for r in csv.DictReader(open(sys.argv[1], newline="")) if all(r.values())][:42]
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(HEADERS.values())
for i, r in enumerate(rows):
    r["account_id"] = f"HS-{10231 + 17 * i}"
    r["contract_value"] = f"${int(float(r['contract_value'])):,}"
    if i == 5:
        r["renewal_date"] = "TBD"
    if i == 11:
        r["nps"] = ""
    if i == 23:
        r["contract_value"] = ""
    out.writerow(r[k] for k in HEADERS)
