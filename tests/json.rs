//! The model file format, read and written through serde (`Model::from_json`,
//! `Model::to_json`), held to the format as it was defined: the reference types below
//! carry its serde attributes (unknown fields refused, defaults, names), and every model
//! file, hostile model and edit of the default model reads to the same model, writes to
//! the same bytes, or is refused by both. Also: parse errors name their line and
//! column, numbers read exactly, and the command line's streamed JSON is serde_json's
//! text of the whole result.
#![cfg(not(target_arch = "wasm32"))]

#[path = "fixtures/hostile/corpus.rs"]
mod corpus;

use churn_audit::model::Model;
use serde_json::{json, Value};

/// The model file format as serde derives read and wrote it.
mod reference {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Model {
        pub format: String,
        pub format_version: u32,
        pub name: String,
        #[serde(default)]
        pub description: String,
        pub label: String,
        pub id_column: ColumnSpec,
        #[serde(default)]
        pub name_column: Option<ColumnSpec>,
        #[serde(default)]
        pub segment_column: Option<ColumnSpec>,
        #[serde(default)]
        pub value_feature: Option<String>,
        pub intercept: f64,
        pub features: Vec<FeatureSpec>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub contribution_covariance: Vec<Vec<f64>>,
        pub tiers: Vec<Tier>,
        #[serde(default)]
        pub metrics: Metrics,
        pub provenance: Provenance,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ColumnSpec {
        pub name: String,
        #[serde(default)]
        pub aliases: Vec<String>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Kind {
        Numeric,
        Boolean,
        Categorical,
    }

    #[derive(Serialize, Deserialize, Default)]
    #[serde(rename_all = "snake_case")]
    pub enum Transform {
        #[default]
        None,
        Log1p,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Group {
        Engagement,
        Advocacy,
        Value,
        Support,
        Touches,
        Other,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum DateDirection {
        Since,
        Until,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
    pub enum Basis {
        Linear,
        Hinge { knots: Vec<f64> },
        Categorical { levels: Vec<String> },
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct MissingTerm {
        pub coefficient: f64,
        pub center: f64,
    }

    #[derive(Serialize, Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub struct Reasons {
        #[serde(default)]
        pub high: String,
        #[serde(default)]
        pub low: String,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct FeatureSpec {
        pub name: String,
        pub label: String,
        pub group: Group,
        pub kind: Kind,
        #[serde(default)]
        pub aliases: Vec<String>,
        #[serde(default)]
        pub date_aliases: Vec<String>,
        #[serde(default)]
        pub date_direction: Option<DateDirection>,
        #[serde(default)]
        pub unit: String,
        pub impute: f64,
        pub typical: f64,
        pub range: [f64; 2],
        #[serde(default)]
        pub transform: Transform,
        pub basis: Basis,
        pub coefficients: Vec<f64>,
        pub centers: Vec<f64>,
        #[serde(default)]
        pub missing: Option<MissingTerm>,
        #[serde(default)]
        pub reasons: Reasons,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub actionable: Option<Actionable>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Actionable {
        No,
        Lower,
        Raise,
        Any,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Tier {
        pub name: String,
        pub min_probability: f64,
    }

    #[derive(Serialize, Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub struct MetricSet {
        pub rows: usize,
        pub auc: f64,
        #[serde(default)]
        pub pr_auc: Option<f64>,
        pub brier: f64,
        pub log_loss: f64,
        #[serde(default)]
        pub lift_top_decile: Option<f64>,
        #[serde(default)]
        pub base_rate: Option<f64>,
    }

    #[derive(Serialize, Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub struct Metrics {
        #[serde(default)]
        pub held_out: Option<MetricSet>,
        #[serde(default)]
        pub cross_validated: Option<MetricSet>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Provenance {
        pub tool: String,
        pub trained_at: String,
        pub data_file: String,
        pub data_sha256: String,
        pub rows: usize,
        pub churn_rate: f64,
        pub seed: u64,
        #[serde(default)]
        pub l2: f64,
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const NOT_JSON: &str = "not a valid churn-audit model file";

/// Reads `text` both ways: the same model (written to the same bytes) or both refuse,
/// ours naming the line and column the reference names. A text the reference reads may
/// still fail our validation, never our reading.
fn same_model(what: &str, text: &str) {
    let ours = Model::from_json(text, "m.json");
    match serde_json::from_str::<reference::Model>(text) {
        Ok(r) => match ours {
            Ok(m) => {
                let mut expected = serde_json::to_string_pretty(&r).unwrap();
                expected.push('\n');
                assert_eq!(m.to_json(), expected, "{what}");
            }
            Err(e) => assert!(!e.to_string().contains(NOT_JSON), "{what}: {e}"),
        },
        Err(r) => match ours {
            Ok(_) => panic!("{what}: accepted, the reference says {r}"),
            Err(e) => {
                let e = e.to_string();
                let at = format!("(line {}, column {})", r.line(), r.column());
                assert!(
                    e.contains(NOT_JSON) && e.contains(&at),
                    "{what}: {e} (reference: {r})"
                );
            }
        },
    }
}

fn model_files() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        "models/default.json",
        "tests/fixtures/hostile/model.json",
        "tests/fixtures/hostile/determinism-model.json",
    ]
    .iter()
    .map(|p| {
        (
            p.to_string(),
            std::fs::read_to_string(root.join(p)).unwrap(),
        )
    })
    .collect()
}

#[test]
fn model_files_read_and_write_as_the_format_says() {
    for (path, text) in model_files() {
        same_model(&path, &text);
        // Files written by `churn-audit train` come back byte for byte.
        if path.starts_with("models/") {
            assert_eq!(Model::from_json(&text, &path).unwrap().to_json(), text);
        }
    }
    // The bundled compact copy writes the same bytes as the file it was made from.
    let bundled = churn_audit::default_model().unwrap();
    assert_eq!(bundled.to_json(), model_files()[0].1);
    for (what, text, _) in corpus::hostile_models() {
        same_model(&what, &text);
    }
}

/// Edits of the default model at every level: fields left out, unknown, null, of the
/// wrong type, numbers as integers, floats, negative, huge; every basis and variant.
#[test]
fn edited_model_files_read_as_the_format_says() {
    let base: Value = serde_json::from_str(churn_audit::DEFAULT_MODEL_JSON).unwrap();
    let replacements = [
        json!(null),
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(-0.0),
        json!(4_294_967_296u64),
        json!(u64::MAX),
        json!(1e300),
        json!(""),
        json!("linear"),
        json!("log1p"),
        json!("until"),
        json!("categorical"),
        json!("lower"),
        json!("any"),
        json!([]),
        json!([1, 2]),
        json!(["a"]),
        json!({}),
        json!({"type": "linear"}),
        json!({"type": "linear", "knots": [1]}),
        json!({"type": "hinge", "knots": [1.5, 2]}),
        json!({"type": "hinge"}),
        json!({"type": "categorical", "levels": ["a", "b"]}),
        json!({"type": "categorical", "levels": ["a"], "knots": []}),
        json!({"knots": [1]}),
        json!({"high": "x"}),
        json!({"coefficient": 1, "center": 0.5}),
    ];
    // Every path to a value in the model.
    fn paths(v: &Value, at: Vec<Value>, out: &mut Vec<Vec<Value>>) {
        out.push(at.clone());
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let mut p = at.clone();
                    p.push(json!(k));
                    paths(x, p, out);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate().take(3) {
                    let mut p = at.clone();
                    p.push(json!(i));
                    paths(x, p, out);
                }
            }
            _ => {}
        }
    }
    fn at<'v>(v: &'v mut Value, path: &[Value]) -> &'v mut Value {
        path.iter().fold(v, |v, k| match k {
            Value::String(k) => &mut v[k.as_str()],
            _ => &mut v[k.as_u64().unwrap() as usize],
        })
    }
    let mut all = Vec::new();
    paths(&base, Vec::new(), &mut all);
    let mut rng = Rng(0x5eed_0a11);
    let mut checked = 0;
    for path in &all {
        for r in &replacements {
            let mut m = base.clone();
            *at(&mut m, path) = r.clone();
            same_model(
                &format!("{path:?} = {r}"),
                &serde_json::to_string_pretty(&m).unwrap(),
            );
            checked += 1;
        }
        // The field left out, and an unknown field next to it.
        if let Some((Value::String(key), parent)) = path.split_last() {
            let mut m = base.clone();
            at(&mut m, parent).as_object_mut().unwrap().remove(key);
            same_model(
                &format!("{path:?} left out"),
                &serde_json::to_string(&m).unwrap(),
            );
            let mut m = base.clone();
            at(&mut m, parent)["evil"] = json!(rng.next());
            same_model(
                &format!("{path:?} + evil"),
                &serde_json::to_string(&m).unwrap(),
            );
        }
    }
    assert!(checked > 1000, "{checked}");
    // A repeated key is refused by both.
    let dup =
        churn_audit::DEFAULT_MODEL_JSON.replacen("\"label\":", "\"label\": \"x\", \"label\":", 1);
    same_model("duplicate label", &dup);
}

/// A field the format does not know is refused wherever it is, by its name.
#[test]
fn unknown_fields_are_refused_at_every_level() {
    let base: Value = serde_json::from_str(corpus::MODEL_JSON).unwrap();
    let places: [&dyn Fn(&mut Value) -> &mut Value; 8] = [
        &|m| m,
        &|m| &mut m["id_column"],
        &|m| &mut m["features"][0],
        &|m| &mut m["features"][0]["reasons"],
        &|m| &mut m["tiers"][0],
        &|m| &mut m["metrics"],
        &|m| &mut m["provenance"],
        &|m| &mut m["features"][5]["basis"],
    ];
    for (i, place) in places.iter().enumerate() {
        let mut m = base.clone();
        place(&mut m)["colour\n"] = json!("red");
        let e = Model::from_json(&serde_json::to_string_pretty(&m).unwrap(), "m.json")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "model m.json: not a valid churn-audit model file: unknown field `colour\\n`"
            ) && e.contains("(line ")
                && !e.contains('\n'),
            "place {i}: {e}"
        );
    }
}

/// Where the text is wrong: the line, and the column where reading stopped (serde_json's
/// count: the characters of the line read so far).
#[test]
fn parse_errors_name_the_line_and_column() {
    let cases = [
        ("", "EOF while parsing a value (line 1, column 0)"),
        (
            "{\n  \"format\": 1\n}",
            "invalid type: integer `1`, expected a string (line 2, column 13)",
        ),
        (
            "{\n  \"format\": \"churn-audit-model\",\n  \"format_version\": NaN",
            "expected value (line 3, column 21)",
        ),
        ("{\"format\": \"x\",}", "trailing comma (line 1, column 16)"),
        (
            "[1, 2",
            "invalid type: integer `1`, expected a string (line 1, column 2)",
        ),
        (
            "{\"format\"\n\n :\"x\", \"intercept\": 1e999}",
            "number out of range (line 3, column 25)",
        ),
    ];
    for (text, expected) in cases {
        let e = Model::from_json(text, "m.json").unwrap_err().to_string();
        assert_eq!(
            e,
            format!("model m.json: {NOT_JSON}: {expected}"),
            "{text:?}"
        );
    }
    // A value of any length is quoted short, on one line.
    let text = format!(
        "{{\"format\": \"{}\\n\", \"format_version\": \"2\"}}",
        "x".repeat(20_000)
    );
    let e = Model::from_json(&text, "m.json").unwrap_err().to_string();
    assert!(
        e.len() < 400 && !e.contains('\n') && e.contains("(line 1, column "),
        "{e}"
    );
}

/// The text of a number in one of the ways it can be written.
fn number_text(rng: &mut Rng) -> String {
    let x = f64::from_bits(rng.next());
    let x = if x.is_finite() { x } else { rng.next() as f64 };
    let digits = |rng: &mut Rng, n: usize| -> String {
        (0..n)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect()
    };
    let (a, b, c) = (rng.below(40), rng.below(330), 1 + rng.below(30));
    match rng.below(6) {
        0 => format!("{x:e}"),
        1 => format!("{x:?}"),
        2 => format!("{:.*e}", a % 25, x),
        // Long decimals, near halfway points and beyond 17 digits.
        3 => {
            let whole = digits(rng, c % 20);
            let fraction = digits(rng, a + 1);
            format!("{}1.{fraction}", whole.trim_start_matches('0'))
        }
        4 => format!("{}e{}{b}", 1 + a % 9, ["", "-", "+"][c % 3]),
        _ => {
            let fraction = digits(rng, c);
            format!("0.{fraction}e-{}", b.min(320))
        }
    }
}

/// A number of the file reads as the nearest f64 to the decimal written, as
/// `str::parse` reads it, and is written back in the fewest digits that read back the
/// same; one beyond an f64 is refused. Whole numbers fit their field or are refused.
#[test]
fn numbers_read_exactly() {
    let base: Value = serde_json::from_str(corpus::MODEL_JSON).unwrap();
    let mut m = base.clone();
    m["metrics"]["held_out"] = json!({"rows": 1, "auc": 0.5, "brier": 0.25, "log_loss": 0.7});
    m["metrics"]["held_out"]["auc"] = json!("AUC");
    let template = serde_json::to_string(&m)
        .unwrap()
        .replacen("\"AUC\"", "AUC", 1);
    let mut rng = Rng(0x5eed_0a13);
    for _ in 0..20_000 {
        let mut t = number_text(&mut rng);
        if rng.below(2) == 0 && !t.starts_with('-') {
            t.insert(0, '-');
        }
        let expected = t.parse::<f64>().unwrap();
        let read = Model::from_json(&template.replacen("AUC", &t, 1), "m.json");
        if !expected.is_finite() {
            let e = read.unwrap_err().to_string();
            assert!(e.contains("number out of range"), "{t}: {e}");
            continue;
        }
        let model = read.unwrap_or_else(|e| panic!("{t}: {e}"));
        let auc = model.metrics.held_out.as_ref().unwrap().auc;
        assert_eq!(auc.to_bits(), expected.to_bits(), "{t}");
        let again = Model::from_json(&model.to_json(), "m.json").unwrap();
        assert_eq!(
            again.metrics.held_out.unwrap().auc.to_bits(),
            auc.to_bits(),
            "{t}"
        );
    }
    // Whole numbers: the row count (usize), the seed (u64), the format version (u32).
    for (field, text, fits) in [
        ("rows", "0", true),
        ("rows", "18446744073709551615", true),
        ("rows", "18446744073709551616", false),
        ("rows", "-1", false),
        ("rows", "1.0", false),
        ("rows", "1e3", false),
        ("seed", "18446744073709551615", true),
        ("seed", "-0", false),
        ("format_version", "4294967296", false),
        ("format_version", "01", false),
    ] {
        let mut m = base.clone();
        match field {
            "format_version" => m[field] = json!("N"),
            _ => m["provenance"][field] = json!("N"),
        }
        let text = serde_json::to_string(&m)
            .unwrap()
            .replacen("\"N\"", text, 1);
        let read = Model::from_json(&text, "m.json");
        assert_eq!(read.is_ok(), fits, "{field} = {text}: {read:?}");
        if let Err(e) = read {
            assert!(e.to_string().contains(NOT_JSON), "{e}");
        }
    }
}

/// A file of millions of numbers where a model has a few is refused by the limits on
/// its counts, after reading (serde holds the numbers alone, 8 bytes each), or at once
/// where no list belongs.
#[test]
fn a_huge_list_is_refused_by_the_limits() {
    let zeros = format!("[{}0]", "0,".repeat(7_000_000));
    let base: Value = serde_json::from_str(corpus::MODEL_JSON).unwrap();
    let mut m = base.clone();
    m["features"][1]["coefficients"] = json!("ZEROS");
    let text = serde_json::to_string(&m)
        .unwrap()
        .replacen("\"ZEROS\"", &zeros, 1);
    assert!(text.len() < churn_audit::model::MAX_MODEL_BYTES);
    let e = Model::from_json(&text, "m.json").unwrap_err().to_string();
    assert!(e.contains("has 7000001 coefficients and 1 centers"), "{e}");
    let e = Model::from_json(&format!("{{\"format\": {zeros}}}"), "m.json")
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected a string (line 1, column 11)"), "{e}");
}

/// The page's table view query: every field optional, others ignored, a field of the
/// wrong type refused.
#[test]
fn the_view_query_reads_what_the_page_sends() {
    use churn_audit::score::ViewQuery;
    let q: ViewQuery = serde_json::from_str(
        r#"{"sort":"risk_tier","descending":true,"tier":"High","segment":"(none)","search":"Zoë","other":[1]}"#,
    )
    .unwrap();
    assert_eq!(
        q,
        ViewQuery {
            sort: "risk_tier".into(),
            descending: true,
            tier: "High".into(),
            segment: "(none)".into(),
            search: "Zoë".into(),
        }
    );
    assert_eq!(
        serde_json::from_str::<ViewQuery>("{}").unwrap(),
        ViewQuery::default()
    );
    for text in [
        r#"{"descending":"yes"}"#,
        r#"{"sort":null}"#,
        r#"{"sort":1}"#,
        "null",
    ] {
        assert!(serde_json::from_str::<ViewQuery>(text).is_err(), "{text}");
    }
}

/// The command line's JSON, written a few rows at a time (on one thread or several), is
/// `serde_json`'s text of the whole result.
fn same_streamed(what: &str, scored: &churn_audit::score::Scored) {
    let whole = serde_json::to_string(&scored.to_result()).unwrap();
    for threads in [1, 2, 3] {
        let mut streamed = Vec::new();
        scored.write_json_threaded(&mut streamed, threads).unwrap();
        let streamed = String::from_utf8(streamed).unwrap();
        assert!(streamed == whole, "{what}, {threads} threads");
    }
}

/// Every fixture file (clean, hostile and generated), with the hostile corpus's model, and
/// the clean ones with the bundled model too.
#[test]
fn results_stream_as_serde_json_writes_them() {
    use churn_audit::features::Mapping;
    use churn_audit::score::Scorer;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let default = churn_audit::default_model().unwrap();
    let hostile = Model::from_json(corpus::MODEL_JSON, "model.json").unwrap();
    let mut files: Vec<(&Model, String, Vec<u8>)> = corpus::generated()
        .into_iter()
        .map(|c| (&hostile, c.name, c.bytes))
        .collect();
    for (dir, models) in [
        (root.clone(), vec![&default, &hostile]),
        (root.join("hostile"), vec![&hostile]),
    ] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .extension()
                .is_some_and(|e| e != "json" && e != "rs" && e != "py")
            {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                for model in &models {
                    files.push((model, name.clone(), std::fs::read(&path).unwrap()));
                }
            }
        }
    }
    let as_of = churn_audit::ingest::parse_iso_date("2026-06-30").unwrap();
    let mut streamed = 0;
    for (model, name, bytes) in &files {
        let mut scorer = Scorer::new((*model).clone(), name, as_of, Mapping::new());
        if let Ok(scored) = scorer.push(bytes).and_then(|_| scorer.finish()) {
            same_streamed(&format!("{} {name}", model.name), &scored);
            streamed += 1;
        }
    }
    assert!(streamed > 50, "{streamed}");
}

#[test]
fn a_long_list_streams_as_serde_json_writes_it() {
    use churn_audit::score::Scorer;
    use churn_audit::simulate::{simulate, SimConfig};
    let as_of = churn_audit::ingest::parse_iso_date("2026-06-30").unwrap();
    // Tens of megabytes of JSON: the text is written out in several blocks.
    let csv = simulate(&SimConfig {
        accounts: 30_000,
        seed: 3,
        as_of,
    });
    let model = churn_audit::default_model().unwrap();
    let mut scorer = Scorer::new(model, "long.csv", as_of, Default::default());
    scorer.push(csv.as_bytes()).unwrap();
    let scored = scorer.finish().unwrap();
    same_streamed("30,000 accounts", &scored);
}
