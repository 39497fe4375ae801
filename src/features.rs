//! From a read table to feature values: header matching, cell parsing, imputation flags.
//!
//! Headers are matched to the model's columns after [`normalize_header`]: first the id,
//! name and segment columns, then each feature by its own name and aliases, then by its
//! date aliases (a date column turned into days before or after the as-of date). Each
//! header serves at most one column and each column takes the first header that
//! matches, so a duplicated header is reported rather than silently merged.
//!
//! Cells are parsed with the column's inferred number style or date order (see
//! [`crate::ingest`]); a cell that cannot be read becomes missing, and its row gets a
//! warning naming the line, the column and the value.

use serde::Serialize;

use crate::error::{show_value, Error, Result};
use crate::ingest::{self, DateOrder, Table};
use crate::model::{ColumnSpec, Kind, Model};
use crate::schema::{normalize_header, DateDirection};

/// How a header was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The account id column.
    Id,
    /// The account name column.
    Name,
    /// The segment column.
    Segment,
    /// The feature's own name.
    Exact,
    /// One of the feature's aliases.
    Alias,
    /// A date alias, turned into days.
    Date,
    /// Chosen by the user in the column mapping.
    Manual,
}

/// One header of the file and what it was matched to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnMatch {
    /// The header as written in the file.
    pub header: String,
    /// The model column it feeds (a feature name, or the id/name/segment column's name).
    pub feature: Option<String>,
    /// How it matched.
    pub how: Option<MatchKind>,
}

/// The non-feature facts of one account row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowMeta {
    /// 1-based line where the record starts.
    pub line: usize,
    /// The account id as written (trimmed).
    pub account_id: String,
    /// The account name, empty when the file has none.
    pub account_name: String,
    /// The segment, empty when the file has none.
    pub segment: String,
}

/// A table turned into model inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// One per data record, in file order.
    pub rows: Vec<RowMeta>,
    /// `rows.len() × n_features` values, row-major; NaN = missing.
    pub values: Vec<f64>,
    /// Number of model features (the row stride of `values`).
    pub n_features: usize,
    /// Warnings per row (parse failures, imputed features, ragged records).
    pub warnings: Vec<Vec<String>>,
    /// Every header and what it matched.
    pub columns: Vec<ColumnMatch>,
    /// Model features with no column in the file (imputed for every row).
    pub missing_features: Vec<String>,
    /// Problems with the file as a whole that did not stop scoring.
    pub file_warnings: Vec<String>,
}

impl Prepared {
    /// The values of row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        let start = (i * self.n_features).min(self.values.len());
        let end = (start + self.n_features).min(self.values.len());
        &self.values[start..end]
    }
}

/// Where a feature's values come from.
#[derive(Debug, Clone, Copy)]
enum Source {
    Direct(usize),
    Date(usize, DateDirection),
}

fn column_names(spec: &ColumnSpec) -> impl Iterator<Item = String> + '_ {
    std::iter::once(spec.name.as_str())
        .chain(spec.aliases.iter().map(String::as_str))
        .map(normalize_header)
}

/// Finds the first unused header whose normalised form is among `names`, trying the
/// names in order of preference (a feature's own name before its aliases).
fn find_header(
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
struct Matched {
    columns: Vec<ColumnMatch>,
    sources: Vec<Option<Source>>,
    id: Option<usize>,
    name: Option<usize>,
    segment: Option<usize>,
}

/// Whether a column a user sent to a date-capable feature holds dates rather than day
/// counts: more of its first cells read as dates than as numbers.
fn looks_like_dates(table: &Table, col: usize) -> bool {
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
fn unmatched(headers: &[String]) -> Vec<ColumnMatch> {
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
fn match_headers(table: &Table, model: &Model, mapping: &Mapping, file: &str) -> Result<Matched> {
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

fn missing_of(model: &Model, sources: &[Option<Source>]) -> Vec<String> {
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
fn check_matched(table: &Table, model: &Model, m: &Matched, file: &str) -> Result<usize> {
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

const NO_ROWS: &str = "the file has column headers but no account rows";

/// The error for a file with a header and no data rows.
pub fn no_rows(file: &str) -> Error {
    Error::unusable(file, NO_ROWS)
}

/// Matches the table's headers to the model's columns and parses every cell.
///
/// Fails only when the file cannot be scored at all: no account id column, none of the
/// model's features present, or no data rows.
pub fn prepare(table: &Table, model: &Model, as_of: i64, file: &str) -> Result<Prepared> {
    prepare_mapped(table, model, as_of, file, &Mapping::new())
}

/// [`prepare`] with the user's corrections to the header matching applied first.
pub fn prepare_mapped(
    table: &Table,
    model: &Model,
    as_of: i64,
    file: &str,
    mapping: &Mapping,
) -> Result<Prepared> {
    let plan = Plan::new(table, model, as_of, file, mapping)?;
    if table.records.is_empty() {
        return Err(no_rows(file));
    }
    let n = table.records.len();
    let p = plan.n_features;
    let mut values = vec![f64::NAN; n * p];
    let mut warnings = Vec::with_capacity(n);
    let mut rows = Vec::with_capacity(n);
    let mut memo = plan.read_memo();
    for (record, out) in table.records.iter().zip(values.chunks_exact_mut(p.max(1))) {
        let mut w = record.warnings.clone();
        let cells = ingest::Cells::of(&record.fields);
        let meta = plan.read(model, &cells, record.line, out, &mut w, &mut memo);
        rows.push(RowMeta {
            line: record.line,
            account_id: meta.account_id.to_string(),
            account_name: meta.account_name.to_string(),
            segment: meta.segment.to_string(),
        });
        warnings.push(w);
    }
    Ok(Prepared {
        rows,
        values,
        n_features: p,
        warnings,
        columns: plan.columns,
        missing_features: plan.missing_features,
        file_warnings: plan.file_warnings,
    })
}

/// How one feature's cells are read.
#[derive(Debug, Clone, Copy)]
enum CellReader {
    Number(ingest::NumberStyle),
    Boolean,
    Categorical,
    Date(DateOrder, DateDirection),
}

/// One feature fed by one column.
#[derive(Debug, Clone)]
struct FeatureReader {
    feature: usize,
    column: usize,
    reader: CellReader,
    /// The header as shown in warnings.
    header: String,
    /// What happens to an unreadable cell ("imputed 30", "left out").
    action: String,
}

/// The values a plan's readers gave the cells they read, by the cells' texts, for
/// [`Plan::read`]: a CRM column repeats a few hundred texts (counts, scores, dates,
/// yes/no words) over a million rows, and a cell's value depends on nothing but its text
/// and its column's reader, so a look-up gives exactly the value reading would, at a
/// fraction of the cost. One table per reader; a column whose texts rarely repeat (an
/// amount) stops being looked up after a trial. Made by [`Plan::read_memo`]; an empty
/// one (the default) looks nothing up.
#[derive(Debug, Clone, Default)]
pub struct ReadMemo {
    columns: Vec<ColumnMemo>,
    /// Records read, until the trial ends.
    records: u32,
}

/// One reader's table: direct-mapped, each text in the slot its hash picks, replacing
/// the one there. It starts large; after the trial it is cut to a few slots per text
/// seen, so that the tables of every column stay in the processor's nearest cache.
#[derive(Debug, Clone)]
struct ColumnMemo {
    slots: Vec<MemoSlot>,
    /// 64 - log2 of the number of slots.
    shift: u32,
    /// Cells not found (no key, or not in the table) during the trial.
    missed: u32,
}

/// A text and its value (NaN: missing).
#[derive(Debug, Clone, Copy)]
struct MemoSlot {
    key: ingest::CellKey,
    value: f64,
}

/// An unused slot: no key has a length of 255.
const UNUSED: MemoSlot = MemoSlot {
    key: ingest::CellKey {
        low: 0,
        high: u64::MAX,
    },
    value: f64::NAN,
};

/// log2 of the slots per column: during the trial, the most; after it, at least the
/// fewest.
const MEMO_MIN_BITS: u32 = 5;
const MEMO_MAX_BITS: u32 = 10;
/// Records in the trial; a column that found fewer than half of its cells in its table
/// is read without it from then on.
const MEMO_TRIAL: u32 = 4096;

impl ColumnMemo {
    fn new() -> ColumnMemo {
        ColumnMemo::sized(MEMO_MAX_BITS)
    }

    fn sized(bits: u32) -> ColumnMemo {
        ColumnMemo {
            slots: vec![UNUSED; 1 << bits],
            shift: 64 - bits,
            missed: 0,
        }
    }

    /// The slot `key` belongs in.
    #[inline]
    fn slot(&self, key: ingest::CellKey) -> usize {
        let mixed = (key.low ^ key.high.rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> self.shift) as usize
    }

    /// The value remembered for `key`, if any.
    #[inline]
    fn get(&self, key: ingest::CellKey) -> Option<f64> {
        let slot = self.slots.get(self.slot(key))?;
        (slot.key == key).then_some(slot.value)
    }

    /// Drops the table when too few texts repeated, else cuts it to 4 slots per text
    /// seen (those seen are forgotten: they come back).
    fn end_trial(&mut self) {
        if self.missed > MEMO_TRIAL / 2 {
            self.slots = Vec::new();
            return;
        }
        let seen = self.slots.iter().filter(|s| s.key != UNUSED.key).count();
        let bits = (seen * 4).next_power_of_two().trailing_zeros();
        let bits = bits.clamp(MEMO_MIN_BITS, MEMO_MAX_BITS);
        if 1 << bits < self.slots.len() {
            *self = ColumnMemo {
                missed: self.missed,
                ..ColumnMemo::sized(bits)
            };
        }
    }

    /// Remembers `value` for `key`.
    #[inline]
    fn put(&mut self, key: ingest::CellKey, value: f64) {
        let slot = self.slot(key);
        if let Some(slot) = self.slots.get_mut(slot) {
            *slot = MemoSlot { key, value };
        }
    }
}

/// A row's id, name and segment, borrowed from its cells (trimmed).
#[derive(Debug, Clone, Copy)]
pub struct RowText<'a> {
    /// The account id as written.
    pub account_id: &'a str,
    /// The account name, empty when the file has none.
    pub account_name: &'a str,
    /// The segment, empty when the file has none.
    pub segment: &'a str,
}

/// How a file's records become model inputs: the header matching and, per column, the
/// number style or date order, all decided from the file's head
/// ([`Table::head_records`]), so records can then be read one at a time as they arrive.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Every header and what it matched.
    pub columns: Vec<ColumnMatch>,
    /// Model features with no column in the file (imputed for every row).
    pub missing_features: Vec<String>,
    /// Problems with the file as a whole that did not stop scoring.
    pub file_warnings: Vec<String>,
    /// Whether a header was matched to the segment column.
    pub has_segment: bool,
    /// Number of model features (the length of a row's values).
    pub n_features: usize,
    id: usize,
    name: Option<usize>,
    segment: Option<usize>,
    readers: Vec<FeatureReader>,
    as_of: i64,
}

impl Plan {
    /// Matches `table`'s headers (with `mapping` applied) and decides how each column is
    /// read from the table's head records. Fails when the file cannot be scored at all:
    /// no account id column, or none of the model's features present.
    pub fn new(
        table: &Table,
        model: &Model,
        as_of: i64,
        file: &str,
        mapping: &Mapping,
    ) -> Result<Plan> {
        let matched = match_headers(table, model, mapping, file)?;
        let id = check_matched(table, model, &matched, file)?;
        let Matched {
            columns,
            sources,
            name,
            segment,
            ..
        } = matched;
        let normalized: Vec<String> = table.headers.iter().map(|h| normalize_header(h)).collect();
        let mut file_warnings = Vec::new();
        for (i, col) in columns.iter().enumerate() {
            if col.feature.is_none() && !normalized[i].is_empty() {
                let twin = (0..i)
                    .find(|&j| normalized[j] == normalized[i] && columns[j].feature.is_some());
                if let Some(j) = twin {
                    file_warnings.push(format!(
                        "column '{}' appears twice (columns {} and {}); the first is used",
                        show_value(&col.header),
                        j + 1,
                        i + 1
                    ));
                }
            }
        }
        let missing_features = missing_of(model, &sources);
        let head = table
            .records
            .get(..table.head_records.min(table.records.len()))
            .unwrap_or(&[]);
        // The head's cells are counted in one pass over its records for every column
        // that needs a number style or a date order: a pass per column read the whole
        // head's memory once per column.
        let p = model.features.len();
        let (mut numbers, mut dates) = (
            vec![ingest::NumberVotes::default(); p],
            vec![ingest::DateVotes::default(); p],
        );
        let counted: Vec<(usize, usize, bool)> = (0..p)
            .filter_map(|f| match (sources[f]?, model.features[f].kind) {
                (Source::Date(c, _), _) => Some((f, c, true)),
                (Source::Direct(c), Kind::Numeric) => Some((f, c, false)),
                _ => None,
            })
            .collect();
        for record in head {
            for &(f, c, date) in &counted {
                let cell = record.fields.get(c).unwrap_or("");
                if date {
                    dates[f].add(cell);
                } else {
                    numbers[f].add(cell);
                }
            }
        }
        let day_first_hint = table.decimal_comma || table.delimiter == b';';
        let mut readers = Vec::new();
        for (f, spec) in model.features.iter().enumerate() {
            let Some(source) = sources[f] else { continue };
            let (column, reader) = match (source, spec.kind) {
                (Source::Date(c, direction), _) => (
                    c,
                    CellReader::Date(dates[f].order(day_first_hint), direction),
                ),
                (Source::Direct(c), Kind::Numeric) => {
                    (c, CellReader::Number(numbers[f].style(table.decimal_comma)))
                }
                (Source::Direct(c), Kind::Boolean) => (c, CellReader::Boolean),
                (Source::Direct(c), Kind::Categorical) => (c, CellReader::Categorical),
            };
            readers.push(FeatureReader {
                feature: f,
                column,
                reader,
                header: show_value(&table.headers[column]),
                action: match spec.kind {
                    Kind::Categorical => "left out".to_string(),
                    _ => format!("imputed {}", crate::model::format_value(spec.impute)),
                },
            });
        }
        Ok(Plan {
            has_segment: segment.is_some(),
            columns,
            missing_features,
            file_warnings,
            n_features: model.features.len(),
            id,
            name,
            segment,
            readers,
            as_of,
        })
    }

    /// An empty [`ReadMemo`] for this plan's readers.
    pub fn read_memo(&self) -> ReadMemo {
        ReadMemo {
            columns: self.readers.iter().map(|_| ColumnMemo::new()).collect(),
            records: 0,
        }
    }

    /// Reads one record (`fields` as wide as the header) into `out` (one value per
    /// feature, NaN = missing), appending its cell warnings to `warnings` (after the
    /// record's own); returns its id, name and segment.
    pub fn read<'a>(
        &self,
        model: &Model,
        fields: &'a ingest::Cells,
        line: usize,
        out: &mut [f64],
        warnings: &mut Vec<String>,
        memo: &mut ReadMemo,
    ) -> RowText<'a> {
        let cell = |c: usize| fields.cell(c);
        out.iter_mut().for_each(|v| *v = f64::NAN);
        let trial = memo.records < MEMO_TRIAL;
        if trial {
            memo.records += 1;
        }
        for (i, r) in self.readers.iter().enumerate() {
            let mut column = memo.columns.get_mut(i).filter(|m| !m.slots.is_empty());
            let key = column.as_ref().and_then(|_| fields.key(r.column));
            if let Some(m) = column.as_mut() {
                if let Some(x) = key.and_then(|k| m.get(k)) {
                    if let Some(slot) = out.get_mut(r.feature).filter(|_| !x.is_nan()) {
                        *slot = x;
                    }
                    continue;
                }
                if trial {
                    m.missed += 1;
                }
            }
            let text = cell(r.column);
            let value = match r.reader {
                CellReader::Number(style) => ingest::parse_number(text, style),
                CellReader::Boolean => {
                    ingest::parse_bool(text).map(|b| b.map(|b| if b { 1.0 } else { 0.0 }))
                }
                CellReader::Categorical => Ok((!ingest::is_missing(text))
                    .then(|| model.features[r.feature].level_index(text))
                    .flatten()
                    .map(|level| level as f64)),
                CellReader::Date(order, direction) => ingest::parse_date(text, order).map(|d| {
                    d.map(|day| match direction {
                        DateDirection::Since => (self.as_of - day) as f64,
                        DateDirection::Until => (day - self.as_of) as f64,
                    })
                }),
            };
            // Values are remembered, warnings not: each unreadable cell gets its own.
            if let (Some(m), Some(k), Ok(v)) = (column.as_mut(), key, &value) {
                m.put(k, v.unwrap_or(f64::NAN));
            }
            match value {
                Ok(Some(x)) => {
                    if let Some(slot) = out.get_mut(r.feature) {
                        *slot = x;
                    }
                }
                Ok(None) => {}
                Err(why) => warnings.push(cell_warning(line, &r.header, text, why, &r.action)),
            }
        }
        if trial && memo.records == MEMO_TRIAL {
            memo.columns.iter_mut().for_each(ColumnMemo::end_trial);
        }
        // `ingest::trim` is `str::trim` with a shortcut for cells with nothing to trim.
        let text = RowText {
            account_id: ingest::trim(cell(self.id)),
            account_name: self.name.map_or("", |c| ingest::trim(cell(c))),
            segment: self.segment.map_or("", |c| ingest::trim(cell(c))),
        };
        if ingest::is_missing(text.account_id) {
            warnings.insert(
                0,
                format!(
                    "line {line}: no account id; the account is scored but cannot be matched back to the CRM"
                ),
            );
        }
        text
    }
}

fn cell_warning(line: usize, header: &str, value: &str, why: &str, action: &str) -> String {
    format!(
        "line {line}, column '{header}': '{}' {why}; {action}",
        show_value(value.trim())
    )
}

fn list_headers(headers: &[String]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::tiny_model;

    fn table(text: &str) -> Table {
        ingest::read_table(text.as_bytes(), "t.csv").unwrap()
    }

    #[test]
    fn matches_headers_by_alias_and_dates() {
        let mut m = tiny_model();
        m.features[0].date_aliases = vec!["Last Contact Date".into()];
        m.features[0].date_direction = Some(DateDirection::Since);
        m.features[1].aliases = vec!["is reference".into()];
        let t = table("ID,Last contact date,Is Reference?,Segment\nA,2024-01-01,yes,smb\n");
        let as_of = ingest::parse_iso_date("2024-03-01").unwrap();
        let p = prepare(&t, &m, as_of, "t.csv").unwrap();
        // 2024 is a leap year: Jan 31 + Feb 29 = 60 days.
        assert_eq!(p.row(0), &[60.0, 1.0, 0.0]);
        assert_eq!(p.columns[1].how, Some(MatchKind::Date));
        assert_eq!(p.columns[2].how, Some(MatchKind::Alias));
        assert!(p.missing_features.is_empty());
        assert_eq!(p.rows[0].account_id, "A");
    }

    /// Each column gets its own number style and date order from its own cells, however
    /// the columns around it are written (the head is counted in one pass).
    #[test]
    fn every_column_is_read_its_own_way() {
        let m = crate::default_model().unwrap();
        let t = table(
            "account_id\tcontract_value\tusage_trend_pct\tlast_engagement_date\trenewal_date\n\
             A\t1.234,50\t1,234.5\t25/12/2025\t12/25/2026\n\
             B\t12,5\t2.25\t13/01/2026\t01/13/2027\n",
        );
        let plan = Plan::new(&t, &m, 0, "t.csv", &Mapping::new()).unwrap();
        let reader = |name: &str| {
            let f = m.features.iter().position(|f| f.name == name).unwrap();
            let r = plan.readers.iter().find(|r| r.feature == f).unwrap();
            format!("{:?}", r.reader)
        };
        let (comma, point) = ("decimal_comma: true", "decimal_comma: false");
        assert!(reader("contract_value").contains(comma));
        assert!(reader("usage_trend_pct").contains(point));
        assert!(reader("days_since_last_engagement").contains("DayFirst"));
        assert!(reader("days_to_renewal").contains("MonthFirst"));
        let as_of = ingest::parse_iso_date("2026-01-31").unwrap();
        let p = prepare(&t, &m, as_of, "t.csv").unwrap();
        let value = |r: usize, name: &str| {
            p.row(r)[m.features.iter().position(|f| f.name == name).unwrap()]
        };
        assert_eq!(value(0, "contract_value"), 1234.5);
        assert_eq!(value(1, "contract_value"), 12.5);
        assert_eq!(value(0, "usage_trend_pct"), 1234.5);
        // 2025-12-25 to 2026-01-31; 2026-01-31 to 2027-01-13.
        assert_eq!(value(0, "days_since_last_engagement"), 37.0);
        assert_eq!(value(1, "days_to_renewal"), 347.0);
    }

    /// Reading with the memo gives every cell the value and warning reading without it
    /// gives: repeated texts, dates a day apart in one month and numbers with 8 leading
    /// zeros (their first 8 bytes equal), unreadable and missing cells again and again,
    /// texts of 15 to 17 bytes, a column of amounts that stops being looked up, and the
    /// last cells near the text's end.
    #[test]
    fn the_read_memo_gives_what_reading_gives() {
        let m = crate::default_model().unwrap();
        let mut text = String::from(
            "account_id,contract_value,usage_trend_pct,last_engagement_date,is_reference,nps,tenure_months\n",
        );
        let mut x = 12345u64;
        let mut next = |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        let odd = [
            "abc",
            "n/a",
            "",
            " 7 ",
            "123456789012345",
            "1234567890123456",
            "12345678901234567",
        ];
        for i in 0..12_000 {
            let amount = 1000 + next(90_000);
            let trend = format!("{}.{}", next(40) as i64 - 20, next(10));
            let day = format!("2026-05-{:02}", 1 + next(28));
            let reference = ["yes", "no", "maybe", "N/A"][next(4) as usize];
            let nps = if next(50) == 0 {
                odd[next(7) as usize].to_string()
            } else {
                next(11).to_string()
            };
            // Texts of 9 to 11 bytes whose first 8 are the same, many to a slot.
            let tenure = match next(20) {
                0 => odd[next(7) as usize].to_string(),
                1..=9 => format!("00000000{}", next(1000)),
                _ => next(120).to_string(),
            };
            text.push_str(&format!(
                "A{i},{amount},{trend},{day},{reference},{nps},{tenure}\n"
            ));
        }
        let t = table(&text);
        let plan = Plan::new(&t, &m, 20600, "t.csv", &Mapping::new()).unwrap();
        let p = m.features.len();
        let (mut memo, mut none) = (plan.read_memo(), ReadMemo::default());
        let (mut a, mut b) = (vec![0.0; p], vec![0.0; p]);
        for record in &t.records {
            let cells = ingest::Cells::of(&record.fields);
            let (mut wa, mut wb) = (Vec::new(), Vec::new());
            plan.read(&m, &cells, record.line, &mut a, &mut wa, &mut memo);
            plan.read(&m, &cells, record.line, &mut b, &mut wb, &mut none);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a), bits(&b), "line {}", record.line);
            assert_eq!(wa, wb);
        }
        // The memo was used, and the amounts' column left it.
        let missed: u32 = memo.columns.iter().map(|c| c.missed).sum();
        assert!(missed < 6 * MEMO_TRIAL / 2, "{missed}");
        let amounts = m.feature_index("contract_value").unwrap();
        let (i, _) = plan
            .readers
            .iter()
            .enumerate()
            .find(|(_, r)| r.feature == amounts)
            .unwrap();
        assert!(memo.columns[i].slots.is_empty());
        assert_eq!(
            memo.columns.iter().filter(|c| c.slots.is_empty()).count(),
            1
        );
        // A column of three texts keeps the fewest slots, one of dates more.
        let slots = |name: &str| {
            let f = m.feature_index(name).unwrap();
            let i = plan.readers.iter().position(|r| r.feature == f).unwrap();
            memo.columns[i].slots.len()
        };
        assert_eq!(slots("is_reference"), 1 << MEMO_MIN_BITS);
        assert_eq!(slots("days_since_last_engagement"), 128);
    }

    #[test]
    fn unreadable_cells_become_missing_with_a_warning() {
        let m = tiny_model();
        let t = table("account_id,days,reference\nA,abc,maybe\nB,12,no\n");
        let p = prepare(&t, &m, 0, "t.csv").unwrap();
        assert!(p.row(0)[0].is_nan() && p.row(0)[1].is_nan());
        assert_eq!(p.row(1)[..2], [12.0, 0.0]);
        assert_eq!(p.warnings[0].len(), 2);
        assert!(p.warnings[0][0].starts_with("line 2, column 'days': 'abc'"));
        assert!(p.warnings[0][0].ends_with("imputed 30"));
        assert!(p.warnings[1].is_empty());
        assert_eq!(p.missing_features, vec!["segment".to_string()]);
    }

    #[test]
    fn unusable_files_say_why() {
        let m = tiny_model();
        let e = prepare(&table("name,days\nx,1\n"), &m, 0, "t.csv").unwrap_err();
        assert!(e.to_string().contains("no account id column"), "{e}");
        let e = prepare(&table("id,colour\nx,red\n"), &m, 0, "t.csv").unwrap_err();
        assert!(
            e.to_string().contains("none of the model's 3 features"),
            "{e}"
        );
        let e = prepare(&table("id,days\n"), &m, 0, "t.csv").unwrap_err();
        assert!(e.to_string().contains("no account rows"), "{e}");
    }

    #[test]
    fn duplicate_headers_are_reported_and_the_first_is_used() {
        let m = tiny_model();
        let p = prepare(&table("id,days,days\nA,1,2\n"), &m, 0, "t.csv").unwrap();
        assert_eq!(p.row(0)[0], 1.0);
        assert_eq!(p.file_warnings.len(), 1);
    }
}
