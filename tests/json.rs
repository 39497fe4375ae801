//! The crate's JSON reader and writer ([`churn_audit::json`]) against `serde_json`, the
//! independent reference: model files read to the same model and are written to the
//! same bytes as serde's derives did (the reference types below carry the format's
//! serde attributes as the model file format had them), the same texts are refused,
//! and numbers and strings read and write exactly as `serde_json` reads and writes them.
#![cfg(not(target_arch = "wasm32"))]

#[path = "fixtures/hostile/corpus.rs"]
mod corpus;

use churn_audit::json::{self, FromJson, ToJson, Writer};
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

/// Reads `text` both ways: the same model (written to the same bytes) or both refuse.
/// A text the reference reads may still fail our validation, never our reading.
fn same_model(what: &str, text: &str) {
    let ours = Model::from_json(text, "m.json");
    match serde_json::from_str::<reference::Model>(text) {
        Ok(r) => match ours {
            Ok(m) => {
                let mut expected = serde_json::to_string_pretty(&r).unwrap();
                expected.push('\n');
                assert_eq!(m.to_json(), expected, "{what}");
            }
            // serde's derives also read a struct from an array of its fields in order,
            // which no model file is written as: that one difference is deliberate.
            Err(e) if text_has_array_for_object(&e.to_string()) => {}
            Err(e) => assert!(!e.to_string().contains(NOT_JSON), "{what}: {e}"),
        },
        Err(r) => match ours {
            Ok(_) => panic!("{what}: accepted, the reference says {r}"),
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains(NOT_JSON), "{what}: {e} (reference: {r})");
                assert!(e.contains("(line ") && e.contains(", column "), "{e}");
            }
        },
    }
}

fn text_has_array_for_object(message: &str) -> bool {
    message.contains("expected an object, found an array")
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
fn model_files_read_and_write_as_serde_did() {
    for (path, text) in model_files() {
        same_model(&path, &text);
        // Files written by `churn-audit train` come back byte for byte.
        if path.starts_with("models/") {
            assert_eq!(Model::from_json(&text, &path).unwrap().to_json(), text);
        }
    }
    for (what, text, _) in corpus::hostile_models() {
        same_model(&what, &text);
    }
}

/// Edits of the default model at every level: fields left out, unknown, null, of the
/// wrong type, numbers as integers, floats, negative, huge; every basis and variant.
#[test]
fn edited_model_files_read_as_serde_read_them() {
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
                &serde_json::to_string(&m).unwrap(),
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

/// Our value tree as a `serde_json::Value` (numbers as `serde_json` keeps them: an
/// unsigned or negative integer when it fits, else an f64), or the first number that
/// does not fit an f64.
fn to_value(node: &json::Node) -> Result<Value, String> {
    Ok(match &node.value {
        json::Value::Null => Value::Null,
        json::Value::Bool(b) => json!(b),
        json::Value::Number(text) => {
            if *text == "-0" {
                json!(-0.0)
            } else if let Ok(n) = text.parse::<u64>() {
                json!(n)
            } else if let Ok(n) = text.parse::<i64>() {
                json!(n)
            } else {
                json!(f64::from_json(node).map_err(|e| e.reason)?)
            }
        }
        json::Value::String(s) => json!(s),
        json::Value::Array(items) => {
            Value::Array(items.iter().map(to_value).collect::<Result<_, _>>()?)
        }
        json::Value::Object(members) => {
            let mut map = serde_json::Map::new();
            for (k, _, v) in members {
                map.insert(k.clone(), to_value(v)?);
            }
            Value::Object(map)
        }
    })
}

/// Reads `text` both ways into a value tree: the same tree, or both refuse.
fn same_value(text: &str) {
    let ours = json::parse(text)
        .map_err(|e| e.reason)
        .and_then(|n| to_value(&n));
    let theirs = serde_json::from_str::<Value>(text);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{text:?}"),
        (Err(_), Err(_)) => {}
        _ => panic!("{text:?}: ours {ours:?}, serde_json {theirs:?}"),
    }
}

#[test]
fn damaged_texts_are_refused_as_serde_json_refuses_them() {
    let text = corpus::MODEL_JSON;
    let mut rng = Rng(0x5eed_0a12);
    let specials = [
        "", "{", "}", "[", "]", ",", ":", "\"", "\\", "-", ".", "e", "0", "1", "E+", "n", "\u{1}",
        " ", "\\u", "\\ud800", "tru", "nul", "01", "-.5", "1.", ".5", "1e", "NaN", "Infinity",
    ];
    for _ in 0..3000 {
        let mut t = text.to_string();
        for _ in 0..1 + rng.below(2) {
            let mut at = rng.below(t.len() + 1);
            while !t.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + rng.below(3)).min(t.len());
            while !t.is_char_boundary(end) {
                end += 1;
            }
            t.replace_range(at..end, specials[rng.below(specials.len())]);
        }
        same_value(&t);
    }
    for t in [
        "",
        " ",
        "null",
        " true ",
        "[1,]",
        "[,1]",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{1:2}",
        "[1 2]",
        "\"\\x\"",
        "\"a\nb\"",
        "\"\u{7f}\"",
        "\"\\uD83D\\uDE00\"",
        "\"\\uDE00\"",
        "\"\\uD83Dx\"",
        "\"\\uD83D\\u0041\"",
        "\"\\u00e9\\/\"",
        "-0",
        "-0.0",
        "1E400",
        "-1e400",
        "1e-400",
        "123456789012345678901234567890",
        "-9223372036854775809",
        "18446744073709551616",
        "0.1e1",
        "[] []",
        "{\"a\":1,\"a\":2}",
        "\u{feff}1",
    ] {
        same_value(t);
    }
    // Nesting up to and past the limit, arrays and objects.
    for depth in 120..135 {
        same_value(&format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
        same_value(&format!(
            "{}1{}",
            "{\"a\":".repeat(depth),
            "}".repeat(depth)
        ));
    }
    same_value(&"[".repeat(200_000));
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
        1 => zmij::Buffer::new().format_finite(x).to_string(),
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

#[test]
fn numbers_read_as_str_parse_and_serde_json_read_them() {
    let mut rng = Rng(0x5eed_0a13);
    for _ in 0..200_000 {
        let mut t = number_text(&mut rng);
        if rng.below(2) == 0 && !t.starts_with('-') {
            t.insert(0, '-');
        }
        let node = json::parse(&t).unwrap_or_else(|e| panic!("{t}: {e:?}"));
        let ours = f64::from_json(&node).ok();
        let parsed = t.parse::<f64>().ok().filter(|x| x.is_finite());
        let theirs = serde_json::from_str::<f64>(&t).ok();
        assert_eq!(ours.map(f64::to_bits), parsed.map(f64::to_bits), "{t}");
        assert_eq!(ours.map(f64::to_bits), theirs.map(f64::to_bits), "{t}");
    }
    // Whole numbers: in range or refused, as u32, u64 and usize.
    for t in [
        "0",
        "-0",
        "1",
        "-1",
        "4294967295",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
        "1.0",
        "1e3",
        "00",
    ] {
        let node = json::parse(t);
        let ours = node.as_ref().ok().map(|n| {
            (
                u32::from_json(n).ok(),
                u64::from_json(n).ok(),
                usize::from_json(n).ok(),
            )
        });
        let theirs = (
            serde_json::from_str::<u32>(t).ok(),
            serde_json::from_str::<u64>(t).ok(),
            serde_json::from_str::<usize>(t).ok(),
        );
        assert_eq!(ours.unwrap_or((None, None, None)), theirs, "{t}");
    }
}

#[test]
fn strings_read_and_write_as_serde_json_does() {
    let mut rng = Rng(0x5eed_0a14);
    let pool: Vec<char> = "aZ09 \"\\/\u{0}\u{1}\u{8}\u{9}\u{a}\u{c}\u{d}\u{1f}\u{7f}\u{80}é€\u{ffff}😀\u{10ffff}\u{2028}"
        .chars()
        .collect();
    for _ in 0..50_000 {
        let s: String = (0..rng.below(12))
            .map(|_| pool[rng.below(pool.len())])
            .collect();
        // Written as serde_json writes it.
        let mut w = Writer::compact();
        w.string(&s);
        let written = w.finish();
        assert_eq!(written, serde_json::to_string(&s).unwrap(), "{s:?}");
        // Read back, also with every character as a \u escape (surrogate pairs above
        // the basic plane), upper or lower case hex.
        let mut escaped = String::from("\"");
        for c in s.chars() {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                if rng.below(2) == 0 {
                    escaped.push_str(&format!("\\u{u:04x}"));
                } else {
                    escaped.push_str(&format!("\\u{u:04X}"));
                }
            }
        }
        escaped.push('"');
        for text in [&written, &escaped] {
            assert_eq!(
                json::from_str::<String>(text).as_deref(),
                Ok(s.as_str()),
                "{text}"
            );
            same_value(text);
        }
    }
}

#[test]
fn values_write_as_serde_json_writes_them() {
    let mut rng = Rng(0x5eed_0a15);
    for _ in 0..200_000 {
        let x = match rng.below(4) {
            0 => f64::from_bits(rng.next()),
            1 => (rng.next() % 100_000) as f64 / 100.0,
            2 => [
                f64::NAN,
                f64::INFINITY,
                -0.0,
                0.0,
                1e21,
                1e-7,
                5e-324,
                f64::MAX,
            ][rng.below(8)],
            _ => rng.next() as f64,
        };
        assert_eq!(
            x.to_json_string(),
            serde_json::to_string(&x).unwrap(),
            "{x:e}"
        );
        let n = rng.next() >> rng.below(64);
        assert_eq!(n.to_json_string(), serde_json::to_string(&n).unwrap());
    }
    let v: Vec<Option<Vec<u32>>> = vec![None, Some(vec![]), Some(vec![1, 2])];
    assert_eq!(v.to_json_string(), serde_json::to_string(&v).unwrap());
    let mut w = Writer::pretty();
    v.write_json(&mut w);
    assert_eq!(w.finish(), serde_json::to_string_pretty(&v).unwrap());
}

/// The page's table view query as serde read it: every field optional, others ignored.
#[derive(serde::Deserialize, Default, Debug, PartialEq)]
#[serde(default)]
struct ViewQueryReference {
    sort: String,
    descending: bool,
    tier: String,
    segment: String,
    search: String,
}

#[test]
fn the_page_arguments_read_as_serde_read_them() {
    use churn_audit::audit::ViewQuery;
    use churn_audit::features::Mapping;
    for text in [
        "{}",
        r#"{"sort":"risk_tier","descending":true,"tier":"High","segment":"(none)","search":"Zoë \"Ltd\""}"#,
        r#"{"sort":"account_id","other":[1,{"x":null}]}"#,
        r#"{"descending":"yes"}"#,
        r#"{"sort":null}"#,
        r#"{"sort":1}"#,
        "[]",
        "null",
        r#"{"search":"a","search":"b"}"#,
    ] {
        let ours = json::from_str::<ViewQuery>(text).map(|q| ViewQueryReference {
            sort: q.sort,
            descending: q.descending,
            tier: q.tier,
            segment: q.segment,
            search: q.search,
        });
        let theirs = serde_json::from_str::<ViewQueryReference>(text);
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
            (Err(e), Err(_)) => assert!(e.contains("(line 1, column "), "{e}"),
            // serde also reads a struct from an array of its fields (see above).
            (Err(e), Ok(_)) if text_has_array_for_object(e) => {}
            _ => panic!("{text}: ours {ours:?}, serde {theirs:?}"),
        }
    }
    for text in [
        "{}",
        r#"{"Account":"account_id","NPS \"score\"":"nps","é":""}"#,
        r#"{"a":"x","a":"y"}"#,
        r#"{"a":1}"#,
        r#"{"a":null}"#,
        "[]",
    ] {
        let ours = json::from_str::<Mapping>(text).ok();
        let theirs = serde_json::from_str::<Mapping>(text).ok();
        assert_eq!(ours, theirs, "{text}");
    }
}

/// Every result the page receives, for every model and every fixture file (clean,
/// hostile and generated): the same bytes as `serde_json` writes from serde's derives.
#[test]
fn results_write_as_serde_json_writes_them() {
    use churn_audit::audit::{inspect, ScoredRow, Scorer};
    use churn_audit::card::model_card;
    use churn_audit::explain::{explain_row, what_if};
    use churn_audit::features::Mapping;
    fn same<T: ToJson + serde::Serialize>(what: &str, value: &T) {
        assert_eq!(
            value.to_json_string(),
            serde_json::to_string(value).unwrap(),
            "{what}"
        );
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files: Vec<(String, Vec<u8>)> = corpus::generated()
        .into_iter()
        .map(|c| (c.name, c.bytes))
        .collect();
    for dir in [root.clone(), root.join("hostile")] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .extension()
                .is_some_and(|e| e != "json" && e != "rs" && e != "py")
            {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                files.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    let as_of = churn_audit::ingest::parse_iso_date("2026-06-30").unwrap();
    let mut explained = 0;
    for (path, text) in model_files() {
        let model = Model::from_json(&text, &path).unwrap();
        same(&path, &model_card(&model));
        // A manual mapping: the first feature taken from the first header.
        for (name, bytes) in &files {
            let what = format!("{path} {name}");
            if let Ok(inspection) = inspect(bytes, name, &model, &Mapping::new()) {
                same(&what, &inspection);
                if let Some(first) = inspection.columns.first() {
                    let mapping =
                        Mapping::from([(first.header.clone(), model.features[0].name.clone())]);
                    if let Ok(inspection) = inspect(bytes, name, &model, &mapping) {
                        same(&what, &inspection);
                    }
                }
            }
            let mut scorer = Scorer::new(model.clone(), name, as_of, Mapping::new());
            let Ok(scored) = scorer.push(bytes).and_then(|_| scorer.finish()) else {
                continue;
            };
            same(&what, &scored.overview(500));
            same(&what, &scored.overview(2));
            same(&what, &scored.to_result());
            same_streamed(&what, &scored);
            let rows: Vec<(u32, ScoredRow)> = (0..scored.len())
                .filter_map(|r| scored.row(r).map(|row| (r as u32, row)))
                .collect();
            same(&what, &rows);
            let typical = scored.typical();
            for r in 0..scored.len().min(40) {
                let line = scored.lines.get(r).map_or(0, |&l| l as usize);
                let e = explain_row(
                    &scored.model,
                    r,
                    line,
                    scored.row_text(r),
                    scored.row_values(r),
                    &typical,
                );
                same(&what, &e);
                let changes = [(0, 1.0), (model.features.len() - 1, f64::NAN)];
                same(
                    &what,
                    &what_if(&scored.model, scored.row_values(r), &changes),
                );
                explained += 1;
            }
        }
    }
    assert!(explained > 1000, "{explained}");
}

/// The command line's JSON, written a few rows at a time (on one thread or several), is
/// `serde_json`'s text of the whole result.
fn same_streamed(what: &str, scored: &churn_audit::audit::Scored) {
    let whole = serde_json::to_string(&scored.to_result()).unwrap();
    let mut streamed = Vec::new();
    scored.write_json(&mut streamed).unwrap();
    assert!(String::from_utf8(streamed).unwrap() == whole, "{what}");
    for threads in [2, 3] {
        let mut streamed = Vec::new();
        scored.write_json_threaded(&mut streamed, threads).unwrap();
        let streamed = String::from_utf8(streamed).unwrap();
        assert!(streamed == whole, "{what}, {threads} threads");
    }
}

/// Items written apart in blocks, as the command line's threads write rows, and spliced
/// in order, the first block's leading comma dropped, make the array serde writes,
/// compact and pretty, with empty blocks anywhere and empty arrays.
#[test]
fn items_written_apart_splice_into_one_array() {
    let mut rng = Rng(0x5eed_0a16);
    for _ in 0..2_000 {
        let items: Vec<Vec<u64>> = (0..rng.below(6))
            .map(|_| (0..rng.below(3)).map(|_| rng.next() % 9).collect())
            .collect();
        for pretty in [false, true] {
            let mut w = if pretty {
                Writer::pretty()
            } else {
                Writer::compact()
            };
            w.begin_object();
            w.key("items");
            w.begin_array();
            let pattern = w.items_in(String::new());
            let mut text = w.take();
            let (mut first, mut at) = (true, 0);
            loop {
                let n = rng.below(3).min(items.len() - at);
                let mut block = pattern.items_in(String::from("left over"));
                items[at..at + n]
                    .iter()
                    .for_each(|v| v.write_json(&mut block));
                let block = block.finish();
                let block = if first {
                    block.strip_prefix(',').unwrap_or(&block)
                } else {
                    &block
                };
                first &= block.is_empty();
                text.push_str(block);
                at += n;
                if at == items.len() && rng.below(2) == 0 {
                    break;
                }
            }
            if !first {
                w.spliced();
            }
            w.end_array();
            w.key("tail");
            w.bool(true);
            w.end_object();
            text.push_str(&w.finish());
            let v = json!({ "items": items, "tail": true });
            let expected = if pretty {
                serde_json::to_string_pretty(&v)
            } else {
                serde_json::to_string(&v)
            };
            assert_eq!(text, expected.unwrap(), "{items:?}");
        }
    }
}

#[test]
fn a_long_list_streams_as_serde_json_writes_it() {
    use churn_audit::audit::Scorer;
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

/// A text of more values than any model holds is refused before its value tree can
/// take hundreds of megabytes; one just below the limit is read.
#[test]
fn too_many_values_is_an_error_not_an_abort() {
    let list = |n: usize| format!("[{}0]", "0,".repeat(n - 1));
    let text = list(json::MAX_VALUES - 1);
    let node = json::parse(&text).unwrap();
    assert_eq!(node.array().unwrap().len(), json::MAX_VALUES - 1);
    let e = json::parse(&list(json::MAX_VALUES)).unwrap_err();
    assert!(e.reason.contains("more than"), "{e:?}");
    let text = format!("{{\"format\": {}}}", list(8_000_000));
    let e = Model::from_json(&text, "m.json").unwrap_err().to_string();
    assert!(
        e.contains(NOT_JSON) && e.contains("values (line 1, column "),
        "{e}"
    );
}
