//! Header matching: which header feeds the id, name, segment and each model input.

use super::*;

/// Where a feature's values come from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Source {
    Direct(usize),
    Date(usize, DateDirection),
}

impl Source {
    /// The file column the values come from.
    pub(super) fn column(self) -> usize {
        match self {
            Source::Direct(c) | Source::Date(c, _) => c,
        }
    }
}

pub(super) fn column_names(spec: &ColumnSpec) -> impl Iterator<Item = String> + '_ {
    std::iter::once(spec.name.as_str())
        .chain(spec.aliases.iter().map(String::as_str))
        .map(normalize_header)
}

/// Finds the first unused header whose normalised form is among `names`, trying the
/// names in order of preference (a feature's own name before its aliases).
pub(super) fn find_header(
    normalized: &[String],
    used: &[bool],
    names: impl Iterator<Item = String>,
) -> Option<usize> {
    for name in names {
        if name.is_empty() {
            continue;
        }
        if let Some(i) = (0..normalized.len()).find(|&i| !used[i] && normalized[i] == name) {
            return Some(i);
        }
    }
    None
}

/// A user's corrections to the header matching: header (exactly as written in the file)
/// to target, where a target is a feature name, the model's id, name or segment column
/// name, or [`IGNORE`]. Headers not in the mapping are matched automatically.
pub type Mapping = std::collections::BTreeMap<String, String>;

/// The mapping target that tells the matcher to leave a header unused.
pub const IGNORE: &str = "ignore";

/// The headers matched to the model's columns, before any cell is read.
pub(super) struct Matched {
    pub(super) columns: Vec<ColumnMatch>,
    pub(super) sources: Vec<Option<Source>>,
    pub(super) id: Option<usize>,
    pub(super) name: Option<usize>,
    pub(super) segment: Option<usize>,
}

/// Whether a column a user sent to a date-capable feature holds dates rather than day
/// counts: more of its first cells read as dates than as numbers.
pub(super) fn looks_like_dates(table: &Table, col: usize) -> bool {
    let cells: Vec<&str> = table
        .records
        .iter()
        .filter_map(|r| r.fields.get(col))
        .filter(|c| !ingest::is_missing(c))
        .take(50)
        .collect();
    let order = ingest::infer_date_order(cells.iter().copied(), table.decimal_comma);
    let style = ingest::infer_number_style(cells.iter().copied(), table.decimal_comma);
    let dates = cells
        .iter()
        .filter(|c| matches!(ingest::parse_date(c, order), Ok(Some(_))))
        .count();
    let numbers = cells
        .iter()
        .filter(|c| matches!(ingest::parse_number(c, style), Ok(Some(_))))
        .count();
    dates > numbers
}

/// Every header, matched to nothing yet.
pub(super) fn unmatched(headers: &[String]) -> Vec<ColumnMatch> {
    headers
        .iter()
        .map(|h| ColumnMatch {
            header: h.clone(),
            feature: None,
            how: None,
        })
        .collect()
}

/// Matches headers to the model's columns: the user's mapping first, then the automatic
/// rules described in the module docs for everything the mapping leaves open.
pub(super) fn match_headers(
    table: &Table,
    model: &Model,
    mapping: &Mapping,
    file: &str,
) -> Result<Matched> {
    let normalized: Vec<String> = table.headers.iter().map(|h| normalize_header(h)).collect();
    let mut used = vec![false; normalized.len()];
    let mut columns = unmatched(&table.headers);
    let mut claim = |i: usize, used: &mut Vec<bool>, feature: &str, how: MatchKind| {
        used[i] = true;
        columns[i].feature = Some(feature.to_string());
        columns[i].how = Some(how);
    };
    let mut sources: Vec<Option<Source>> = vec![None; model.features.len()];
    let (mut id, mut name, mut segment) = (None, None, None);
    let is = |spec: Option<&ColumnSpec>, target: &str| spec.is_some_and(|s| s.name == target);

    // The user's choices come first; a header listed twice in a file takes the choice at
    // its first occurrence only, so one target never gets two columns.
    for (i, header) in table.headers.iter().enumerate() {
        let Some(target) = mapping.get(header) else {
            continue;
        };
        if (0..i).any(|j| table.headers[j] == *header) {
            continue;
        }
        if target == IGNORE {
            used[i] = true;
            continue;
        }
        if is(Some(&model.id_column), target) && id.is_none() {
            id = Some(i);
            claim(i, &mut used, target, MatchKind::Id);
        } else if is(model.name_column.as_ref(), target) && name.is_none() {
            name = Some(i);
            claim(i, &mut used, target, MatchKind::Name);
        } else if is(model.segment_column.as_ref(), target) && segment.is_none() {
            segment = Some(i);
            claim(i, &mut used, target, MatchKind::Segment);
        } else if let Some(f) = model.feature_index(target) {
            if sources[f].is_some() {
                continue;
            }
            let spec = &model.features[f];
            let source = match spec.date_direction {
                Some(direction) if looks_like_dates(table, i) => Source::Date(i, direction),
                _ => Source::Direct(i),
            };
            sources[f] = Some(source);
            claim(i, &mut used, target, MatchKind::Manual);
        } else {
            return Err(Error::unusable(
                file,
                format!(
                    "the column mapping sends '{}' to '{}', which is not one of the model's columns",
                    show_value(header),
                    show_value(target)
                ),
            ));
        }
    }

    if id.is_none() {
        id = find_header(&normalized, &used, column_names(&model.id_column));
        if let Some(i) = id {
            claim(i, &mut used, &model.id_column.name, MatchKind::Id);
        }
    }

    // Features first by their own name and aliases, then date aliases, so that a file
    // with both "days_since_last_engagement" and "last_engagement_date" uses the number.
    for (f, spec) in model.features.iter().enumerate() {
        if sources[f].is_some() {
            continue;
        }
        let own = normalize_header(&spec.name);
        if let Some(i) = find_header(&normalized, &used, std::iter::once(own.clone())) {
            claim(i, &mut used, &spec.name, MatchKind::Exact);
            sources[f] = Some(Source::Direct(i));
        } else if let Some(i) = find_header(
            &normalized,
            &used,
            spec.aliases.iter().map(|a| normalize_header(a)),
        ) {
            claim(i, &mut used, &spec.name, MatchKind::Alias);
            sources[f] = Some(Source::Direct(i));
        }
    }
    for (f, spec) in model.features.iter().enumerate() {
        if sources[f].is_some() {
            continue;
        }
        let Some(direction) = spec.date_direction else {
            continue;
        };
        if let Some(i) = find_header(
            &normalized,
            &used,
            spec.date_aliases.iter().map(|a| normalize_header(a)),
        ) {
            claim(i, &mut used, &spec.name, MatchKind::Date);
            sources[f] = Some(Source::Date(i, direction));
        }
    }
    // Name and segment come after the features so that a feature alias is never taken
    // by the looser name aliases ("company", "name").
    if name.is_none() {
        if let Some(spec) = &model.name_column {
            name = find_header(&normalized, &used, column_names(spec));
            if let Some(i) = name {
                claim(i, &mut used, &spec.name, MatchKind::Name);
            }
        }
    }
    if segment.is_none() {
        if let Some(spec) = &model.segment_column {
            segment = find_header(&normalized, &used, column_names(spec));
            if let Some(i) = segment {
                claim(i, &mut used, &spec.name, MatchKind::Segment);
            }
        }
    }
    Ok(Matched {
        columns,
        sources,
        id,
        name,
        segment,
    })
}

pub(super) fn missing_of(model: &Model, sources: &[Option<Source>]) -> Vec<String> {
    model
        .features
        .iter()
        .zip(sources)
        .filter(|(_, s)| s.is_none())
        .map(|(f, _)| f.name.clone())
        .collect()
}

/// A column the user can send a header to, for the mapping step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    /// The name to put in a [`Mapping`].
    pub name: String,
    /// What people call it.
    pub label: String,
    /// "id", "name", "segment" or the feature's group ("engagement", "value"...).
    pub role: String,
    /// Whether a date column can feed it (it is then counted in days).
    pub takes_dates: bool,
}

/// How a file's headers would be read, before anything is scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inspection {
    /// Every header and what it matched (the mapping applied).
    pub columns: Vec<ColumnMatch>,
    /// Up to three non-empty example values per header, for people to recognise columns.
    pub examples: Vec<Vec<String>>,
    /// Model features that no header feeds (they would be imputed).
    pub missing_features: Vec<String>,
    /// Everything a header can be sent to, in the model's order: id, name, segment, then
    /// the features.
    pub targets: Vec<Target>,
    /// Data rows in the file.
    pub rows: usize,
    /// Why the file could not be scored as matched (no id column, no feature), if so.
    pub problem: Option<String>,
}

/// Matches `table`'s headers with `mapping` applied and reports the outcome without
/// reading any cell as a value. Never fails: what would stop scoring is in `problem`.
pub fn inspect(table: &Table, model: &Model, mapping: &Mapping, file: &str) -> Inspection {
    let mut targets = vec![Target {
        name: model.id_column.name.clone(),
        label: "Account ID".into(),
        role: "id".into(),
        takes_dates: false,
    }];
    for (spec, label, role) in [
        (&model.name_column, "Account name", "name"),
        (&model.segment_column, "Segment", "segment"),
    ] {
        if let Some(spec) = spec {
            targets.push(Target {
                name: spec.name.clone(),
                label: label.into(),
                role: role.into(),
                takes_dates: false,
            });
        }
    }
    targets.extend(model.features.iter().map(|f| Target {
        name: f.name.clone(),
        label: f.label.clone(),
        role: f.group.label().to_ascii_lowercase(),
        takes_dates: f.date_direction.is_some(),
    }));
    let examples = (0..table.headers.len())
        .map(|c| {
            table
                .records
                .iter()
                .filter_map(|r| r.fields.get(c))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .take(3)
                .map(show_value)
                .collect()
        })
        .collect();
    let (columns, missing_features, problem) = match match_headers(table, model, mapping, file) {
        Ok(m) => {
            let problem = check_matched(table, model, &m, file)
                .err()
                .or_else(|| table.records.is_empty().then(|| no_rows(file)))
                .map(|e| e.to_string());
            let missing = missing_of(model, &m.sources);
            (m.columns, missing, problem)
        }
        Err(e) => (
            unmatched(&table.headers),
            model.features.iter().map(|f| f.name.clone()).collect(),
            Some(e.to_string()),
        ),
    };
    Inspection {
        columns,
        examples,
        missing_features,
        targets,
        rows: table.records.len(),
        problem,
    }
}

/// The reasons a matched table cannot be scored at all; returns the id column.
pub(super) fn check_matched(
    table: &Table,
    model: &Model,
    m: &Matched,
    file: &str,
) -> Result<usize> {
    let Some(id) = m.id else {
        let examples: Vec<&str> = std::iter::once(model.id_column.name.as_str())
            .chain(model.id_column.aliases.iter().map(String::as_str))
            .take(4)
            .collect();
        return Err(Error::unusable(
            file,
            format!(
                "no account id column: expected a header such as '{}' (found: {})",
                examples.join("', '"),
                list_headers(&table.headers)
            ),
        ));
    };
    if m.sources.iter().all(Option::is_none) {
        let examples: Vec<&str> = model
            .features
            .iter()
            .take(5)
            .map(|f| f.name.as_str())
            .collect();
        return Err(Error::unusable(
            file,
            format!(
                "none of the model's {} features was found among the headers (found: {}; expected headers such as '{}')",
                model.features.len(),
                list_headers(&table.headers),
                examples.join("', '")
            ),
        ));
    }
    Ok(id)
}

pub(super) fn list_headers(headers: &[String]) -> String {
    if headers.is_empty() {
        return "no headers".into();
    }
    let shown: Vec<String> = headers
        .iter()
        .take(8)
        .map(|h| format!("'{}'", show_value(h)))
        .collect();
    if headers.len() > 8 {
        format!("{}, … {} in all", shown.join(", "), headers.len())
    } else {
        shown.join(", ")
    }
}
