//! An account's reasons in plain language: the values shown in them, the strongest
//! contributions chosen, and each reason's text with its weight as an odds multiplier.

use super::{Basis, FeatureSpec, Kind, Memo, Model, Score, Value};

/// Formats a value for a reason or a warning: whole numbers without decimals, others
/// with at most two, grouped thousands never (reasons must read the same in any locale).
pub fn format_value(x: f64) -> String {
    let mut out = String::new();
    push_value(&mut out, x);
    out
}

/// Appends [`format_value`]'s text for `x` to `out`: the scored CSV writes a million
/// rows of reasons and warnings, and a `String` per number would be most of its work.
pub fn push_value(out: &mut String, x: f64) {
    use std::fmt::Write;
    if !x.is_finite() {
        out.push('?');
        return;
    }
    // Beyond 10^15 every f64 is whole and `as i64` would saturate: show it in
    // scientific notation (1.5e300) instead of pages of digits or a wrong number.
    // (Writing to a `String` cannot fail.)
    if x.abs() >= 1e15 {
        let _ = write!(out, "{x:e}");
        return;
    }
    let whole = x.round();
    if (x - whole).abs() < 1e-9 {
        out.push_str(itoa::Buffer::new().format(whole as i64));
    } else {
        // Two decimals, then no trailing zeros or point: "2.50" is "2.5", "3.00" is "3".
        // `{:.2}` always writes a point, so the trimming never reaches the integer part.
        let start = out.len();
        let _ = write!(out, "{x:.2}");
        let kept = out
            .get(start..)
            .unwrap_or("")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .len();
        out.truncate(start + kept);
    }
}

/// The plain-language reasons that push this account's risk up most, strongest first,
/// at most `n`, each with its weight as an odds multiplier, e.g.
/// "No two-way engagement for 142 days (odds ×3.1)".
pub fn top_reasons(model: &Model, values: &[Value], score: &Score, n: usize) -> Vec<String> {
    let mut order = Vec::with_capacity(n + 1);
    top_features(&score.contributions, n, &mut order);
    order
        .into_iter()
        .map(|i| {
            let mut text = String::new();
            push_reason(&mut text, model, values, score, i);
            text
        })
        .collect()
}

/// Fills `order` with the indices of the (at most `n`) features that raise the risk
/// most, strongest first, ties in feature order: [`top_reasons`]'s choice, without
/// sorting every feature (the scored CSV asks a million times).
pub fn top_features(contributions: &[f64], n: usize, order: &mut Vec<usize>) {
    order.clear();
    if n == 3 {
        return top_three(contributions, order);
    }
    if n > TOP_KEPT {
        return top_features_in(contributions, n, order);
    }
    // The same steps as [`top_features_in`] on a small array of (value, index): no
    // insertion into the vector and no look-up of a kept value per comparison.
    let mut kept = [(0.0, 0); TOP_KEPT];
    let mut len = 0;
    let mut floor = 1e-9;
    for (i, &c) in contributions.iter().enumerate() {
        if c <= floor || n == 0 {
            continue;
        }
        let at = kept
            .iter()
            .take(len)
            .position(|&(v, _)| c > v)
            .unwrap_or(len);
        // Insert at `at`, the weakest falling off once `n` are kept.
        if at < n {
            let end = len.min(n - 1);
            kept.copy_within(at..end, at + 1);
            kept[at] = (c, i);
            len = (len + 1).min(n);
        }
        if len == n {
            floor = kept[n - 1].0;
        }
    }
    order.extend(kept.iter().take(len).map(|&(_, i)| i));
}

/// [`top_features`] for three reasons, as the scored CSV gives each account: the three
/// kept in locals, each contribution merged in by selects, not branches (whether a
/// contribution makes the three is a coin toss per feature, and the branches of the
/// general way mispredicted about that often: a sixth of writing the scored CSV).
fn top_three(contributions: &[f64], order: &mut Vec<usize>) {
    const NONE: usize = usize::MAX;
    // Strongest first; the places not yet taken hold the threshold, which only a
    // contribution above 1e-9 passes (NaN passes nothing).
    let (mut v0, mut v1, mut v2) = (1e-9, 1e-9, 1e-9);
    let (mut i0, mut i1, mut i2) = (NONE, NONE, NONE);
    for (i, &c) in contributions.iter().enumerate() {
        // Strictly above: a later equal contribution goes after (ties in feature order).
        let (above0, above1, above2) = (c > v0, c > v1, c > v2);
        (v2, i2) = if above1 {
            (v1, i1)
        } else if above2 {
            (c, i)
        } else {
            (v2, i2)
        };
        (v1, i1) = if above0 {
            (v0, i0)
        } else if above1 {
            (c, i)
        } else {
            (v1, i1)
        };
        (v0, i0) = if above0 { (c, i) } else { (v0, i0) };
    }
    order.extend([i0, i1, i2].into_iter().filter(|&i| i != NONE));
}

/// Reasons [`top_features`] keeps on the stack; more are chosen in the vector.
const TOP_KEPT: usize = 8;

/// [`top_features`] for any `n`, in `order` itself.
fn top_features_in(contributions: &[f64], n: usize, order: &mut Vec<usize>) {
    order.clear();
    // Only contributions above 1e-9 count, so none is NaN and `>` orders them all; once
    // `n` are kept, only one above the weakest of them does.
    let mut floor = 1e-9;
    for (i, &c) in contributions.iter().enumerate() {
        if c <= floor || n == 0 {
            continue;
        }
        // Later features go after equal ones already kept: ties stay in feature order.
        let at = order
            .iter()
            .position(|&j| c > contributions[j])
            .unwrap_or(order.len());
        order.insert(at, i);
        order.truncate(n);
        if order.len() == n {
            floor = order.last().map_or(floor, |&j| contributions[j]);
        }
    }
}

/// Appends the reason for feature `i` of an account to `out`, with its weight, e.g.
/// "No two-way engagement for 142 days (odds ×3.1)" (see [`top_reasons`]).
pub fn push_reason(out: &mut String, model: &Model, values: &[Value], score: &Score, i: usize) {
    push_reason_memo(out, model, values, score, i, &Memo::default());
}

/// [`push_reason`] for a `score` computed with `memo` ([`Model::score_memo`]): a tabled
/// contribution's odds are looked up rather than computed, with the same bits.
pub fn push_reason_memo(
    out: &mut String,
    model: &Model,
    values: &[Value],
    score: &Score,
    i: usize,
    memo: &Memo,
) {
    use std::fmt::Write;
    let (Some(f), Some(&c)) = (model.features.get(i), score.contributions.get(i)) else {
        return;
    };
    let x = values.get(i).copied().unwrap_or(f64::NAN);
    push_reason_text(out, f, x);
    out.push_str(" (odds ×");
    let odds = memo.odds(i, x).unwrap_or_else(|| libm::exp(c));
    let _ = write!(out, "{odds:.1})");
}

fn push_reason_text(out: &mut String, f: &FeatureSpec, x: Value) {
    if x.is_nan() {
        out.push_str(&f.label);
        out.push_str(": not recorded");
        return;
    }
    if let Basis::Categorical { levels } = &f.basis {
        let level = levels
            .get(x as usize)
            .map(String::as_str)
            .unwrap_or("other");
        out.push_str(&f.label);
        out.push_str(": ");
        out.push_str(level);
        return;
    }
    if f.kind == Kind::Boolean {
        // Boolean reasons are fixed sentences: no {value} is filled in.
        let yes = x >= 0.5;
        let template = if yes { &f.reasons.high } else { &f.reasons.low };
        if template.is_empty() {
            out.push_str(&f.label);
            out.push_str(if yes { ": yes" } else { ": no" });
        } else {
            out.push_str(template);
        }
        return;
    }
    let high = x > f.typical;
    let template = if high {
        &f.reasons.high
    } else {
        &f.reasons.low
    };
    if template.is_empty() {
        // The default template is "<label> is high: {value}"; a label that itself holds
        // "{value}" gets it filled in too, as the whole template's replace always did.
        push_filled(out, &f.label, x);
        out.push_str(if high { " is high: " } else { " is low: " });
        push_value(out, x);
    } else {
        push_filled(out, template, x);
    }
}

/// Appends `template` with every "{value}" replaced by `x` ([`format_value`]).
fn push_filled(out: &mut String, template: &str, x: Value) {
    // As `template.replace("{value}", ..)`, looking for the `{` with a plain byte loop:
    // templates are a few dozen bytes, too short for `str::find`'s searcher to pay off
    // (it was most of this function's time, three times per row of the scored CSV).
    let mut rest = template;
    let mut from = 0;
    while let Some(at) = rest
        .as_bytes()
        .get(from..)
        .and_then(|r| r.iter().position(|&b| b == b'{'))
        .map(|p| from + p)
    {
        match rest.get(at..).and_then(|r| r.strip_prefix("{value}")) {
            Some(after) => {
                out.push_str(rest.get(..at).unwrap_or(""));
                push_value(out, x);
                rest = after;
                from = 0;
            }
            None => from = at + 1,
        }
    }
    out.push_str(rest);
}
