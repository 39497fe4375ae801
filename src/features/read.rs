//! Reading records into model inputs with a plan decided from the head of the file.

use super::matching::*;
use super::*;

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
        let head = table
            .records
            .get(..table.head_records.min(table.records.len()))
            .unwrap_or(&[]);
        // A column with no value in any row of the head is no input at all: read as
        // missing cells, its "not recorded" effect would lift every account alike and
        // become everyone's reason. It is treated as a column the file does not have.
        let mut sources = sources;
        for (f, source) in sources.iter_mut().enumerate() {
            let Some(c) = source.map(Source::column) else {
                continue;
            };
            let empty = !head.is_empty()
                && head
                    .iter()
                    .all(|r| ingest::is_missing(r.fields.get(c).unwrap_or("")));
            if empty {
                *source = None;
                file_warnings.push(format!(
                    "column '{}' ({}) has no values in the file's first {} rows: treated as not in this file",
                    show_value(&table.headers[c]),
                    model.features[f].label,
                    head.len()
                ));
            }
        }
        let missing_features = missing_of(model, &sources);
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
        warnings: &mut Vec<ingest::RowWarning>,
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
                Err(why) => warnings.push(ingest::RowWarning::cell(
                    line, &r.header, text, why, &r.action,
                )),
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
                ingest::RowWarning {
                    line,
                    issue: ingest::RowIssue::NoAccountId,
                },
            );
        }
        text
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        ingest::read_table(text.as_bytes(), "t.csv").unwrap()
    }

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
}
