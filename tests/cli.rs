//! The command line on fixture files: the same accounts exported six ways score
//! identically, the scores agree with an independent Python scorer, and unusable input
//! fails with one clear line.
#![cfg(not(target_arch = "wasm32"))]

#[path = "reference/scores.rs"]
mod reference;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const AS_OF: &str = "2026-01-15";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_churn-audit"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A new folder of this test run's own under the system's temporary folder.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

/// A simulated labelled history of `accounts` accounts written to `dir/history.csv`.
fn simulated_history(dir: &Path, accounts: u32, seed: u64) -> PathBuf {
    let path = dir.join("history.csv");
    let (accounts, seed) = (accounts.to_string(), seed.to_string());
    let out = run(&[
        "simulate",
        "--accounts",
        &accounts,
        "--seed",
        &seed,
        "--as-of",
        AS_OF,
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    path
}

fn score_json(file: &Path) -> serde_json::Value {
    let out = run(&[
        "score",
        "--data",
        file.to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON on stdout")
}

fn rows(v: &serde_json::Value) -> &Vec<serde_json::Value> {
    v["rows"].as_array().expect("rows")
}

#[test]
fn every_export_variant_scores_like_the_clean_file() {
    let clean = score_json(&fixture("accounts-clean.csv"));
    assert_eq!(rows(&clean).len(), 60);
    for variant in [
        "accounts-hubspot.csv",
        "accounts-excel-de.csv",
        "accounts-excel-unicode.txt",
        "accounts-latin1.csv",
        "accounts-salesforce.csv",
    ] {
        let v = score_json(&fixture(variant));
        assert_eq!(rows(&v).len(), 60, "{variant}");
        assert!(
            v["missing_features"].as_array().unwrap().is_empty(),
            "{variant}: unmatched features {}",
            v["missing_features"]
        );
        for (a, b) in rows(&clean).iter().zip(rows(&v)) {
            assert_eq!(a["account_id"], b["account_id"], "{variant}");
            assert_eq!(a["account_name"], b["account_name"], "{variant}");
            assert_eq!(
                a["churn_probability"], b["churn_probability"],
                "{variant}, account {}",
                a["account_id"]
            );
            assert_eq!(a["revenue_at_risk"], b["revenue_at_risk"], "{variant}");
        }
    }
}

#[test]
fn probabilities_agree_with_an_independent_scorer() {
    let data = fixture("accounts-clean.csv");
    let expected = reference_scores(&data);
    let ours = score_json(&data);
    assert_eq!(rows(&ours).len(), expected.len());
    for (row, (id, p)) in rows(&ours).iter().zip(&expected) {
        assert_eq!(row["account_id"].as_str().unwrap(), id);
        let q = row["churn_probability"].as_f64().unwrap();
        assert!((p - q).abs() <= 1e-12, "{id}: reference {p}, ours {q}");
    }
}

#[test]
fn csv_output_has_the_documented_columns_and_a_summary_on_stderr() {
    let out = run(&[
        "score",
        "--data",
        fixture("accounts-hubspot.csv").to_str().unwrap(),
        "--as-of",
        AS_OF,
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(
        "account_id,account_name,churn_probability,risk_tier,revenue_at_risk,top_reasons,warnings\n"
    ));
    // 60 accounts plus the header; one name holds a quoted newline.
    assert_eq!(text.matches("\nACC-").count(), 60);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("scored 60 accounts"), "{stderr}");
    assert!(stderr.contains("expected churners:"), "{stderr}");
    assert!(stderr.contains("revenue at risk:"), "{stderr}");
}

/// The independent scorer's account ids and churn probabilities for `data`, with the
/// bundled model.
fn reference_scores(data: &Path) -> Vec<(String, f64)> {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default.json");
    reference::reference_scores(&model, data, AS_OF)
}

/// `--format summary` writes the figures alone (to stdout, or `--out`), exactly the
/// summary a CSV run prints on stderr, for a small file and for one big enough to be
/// scored in parts on threads; its expected churners are the independent scorer's
/// probabilities summed.
#[test]
fn summary_format_writes_the_figures_alone() {
    let clean = fixture("accounts-clean.csv");
    // `--format summary` and `extra` options: what it writes on stdout.
    let summary_with = |data: &Path, extra: &[&str]| {
        let data = data.to_str().unwrap();
        let mut args = vec![
            "score", "--data", data, "--as-of", AS_OF, "--format", "summary",
        ];
        args.extend_from_slice(extra);
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && out.stderr.is_empty(), "{stderr}");
        String::from_utf8(out.stdout).unwrap()
    };
    let summary = |data: &Path| summary_with(data, &[]);
    let text = summary(&clean);
    let expected: f64 = reference_scores(&clean).iter().map(|(_, p)| p).sum();
    assert!(
        text.starts_with("scored 60 accounts from accounts-clean.csv"),
        "{text}"
    );
    assert!(
        text.contains(&format!("expected churners: {expected:.1} (")),
        "reference {expected}: {text}"
    );

    let dir = scratch("churn-audit-summary");
    let big = dir.join("big.csv");
    let sim = run(&[
        "simulate",
        "--accounts",
        "180000",
        "--seed",
        "7",
        "--as-of",
        AS_OF,
        "--out",
        big.to_str().unwrap(),
    ]);
    assert!(sim.status.success());
    // Past the size below which one thread reads the file (`score::MIN_PARALLEL_BYTES`).
    assert!(std::fs::metadata(&big).unwrap().len() > 16 << 20);
    for data in [clean.as_path(), big.as_path()] {
        let csv = run(&["score", "--data", data.to_str().unwrap(), "--as-of", AS_OF]);
        assert!(csv.status.success());
        assert_eq!(summary(data), String::from_utf8(csv.stderr).unwrap());
        // --out takes the summary as it takes the rows.
        let file = dir.join("summary.txt");
        assert_eq!(summary_with(data, &["--out", file.to_str().unwrap()]), "");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), summary(data));
    }
    assert!(summary(&big).starts_with("scored 180000 accounts from big.csv"));
    std::fs::remove_dir_all(&dir).ok();
}

/// An `--out` that cannot be written is reported before any work (with an empty input,
/// the error is about the output, not the input), for every command that writes one; and
/// checking it changes nothing: when the input then fails, an existing output keeps its
/// bytes and a new one is not left behind.
#[test]
fn an_unwritable_output_is_reported_before_the_work() {
    let dir = scratch("churn-audit-out");
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, b"").unwrap();
    let empty = empty.to_str().unwrap();
    let nowhere = dir.join("no-such-folder/out.csv");
    let nowhere = nowhere.to_str().unwrap();
    let folder = dir.to_str().unwrap();
    let runs: [&[&str]; 5] = [
        &["score", "--data", empty, "--out", nowhere],
        &[
            "score", "--data", empty, "--format", "summary", "--out", folder,
        ],
        &[
            "train", "--data", empty, "--label", "churned", "--out", nowhere,
        ],
        &[
            "eval", "--data", empty, "--label", "churned", "--model", empty, "--out", nowhere,
        ],
        &[
            "simulate",
            "--accounts",
            "10",
            "--seed",
            "1",
            "--out",
            nowhere,
        ],
    ];
    for args in runs {
        let out = run(args);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        let target = args.last().unwrap();
        assert!(
            stderr.starts_with(&format!("error: {target}: ")),
            "{args:?}: {stderr}"
        );
    }
    let existing = dir.join("scored.csv");
    std::fs::write(&existing, b"kept\n").unwrap();
    let fresh = dir.join("fresh.csv");
    for out in [&existing, &fresh] {
        let run = run(&["score", "--data", empty, "--out", out.to_str().unwrap()]);
        let stderr = String::from_utf8(run.stderr).unwrap();
        assert!(stderr.contains("empty.csv: the file is empty"), "{stderr}");
    }
    assert_eq!(std::fs::read(&existing).unwrap(), b"kept\n");
    assert!(!fresh.exists(), "a new output left behind by a failed run");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unusable_input_exits_nonzero_with_one_clear_line() {
    let dir = scratch("churn-audit-cli");
    let cases: [(&str, &[u8], &str); 4] = [
        ("empty.csv", b"", "empty"),
        (
            "picture.png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0",
            "binary",
        ),
        ("noid.csv", b"colour,size\nred,1\n", "no account id column"),
        (
            "nofeature.csv",
            b"account_id,colour\nA,red\n",
            "none of the model's",
        ),
    ];
    for (name, bytes, needle) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = run(&["score", "--data", path.to_str().unwrap(), "--as-of", AS_OF]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.contains(needle), "{name}: {stderr}");
        assert!(
            stderr.contains(name),
            "{name}: message must name the file: {stderr}"
        );
        assert!(out.stdout.is_empty());
    }
    let out = run(&["score", "--data", dir.join("missing.csv").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&["score", "--bogus", "x"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn simulate_and_train_build_a_model_that_scores() {
    let dir = scratch("churn-audit-train");
    let data = dir.join("history.csv");
    let again = dir.join("history2.csv");
    let model = dir.join("model.json");
    for path in [&data, &again] {
        let out = run(&[
            "simulate",
            "--accounts",
            "3000",
            "--seed",
            "11",
            "--as-of",
            AS_OF,
            "--out",
            path.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        std::fs::read(&data).unwrap(),
        std::fs::read(&again).unwrap()
    );
    let out = run(&[
        "train",
        "--data",
        data.to_str().unwrap(),
        "--label",
        "churned",
        "--as-of",
        AS_OF,
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "score",
        "--data",
        fixture("accounts-clean.csv").to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--as-of",
        AS_OF,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A model trained on a history is not the demonstration model, and does not say so.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("demonstration model"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn simulate_train_eval_and_card_work_from_the_command_line() {
    let dir = scratch("churn-audit-cli-train");
    let data = dir.join("history.csv");
    let model = dir.join("model.json");
    let p = |path: &Path| path.to_str().unwrap().to_string();
    let out = run(&[
        "simulate",
        "--accounts",
        "1500",
        "--seed",
        "3",
        "--as-of",
        AS_OF,
        "--out",
        &p(&data),
    ]);
    assert!(out.status.success());
    let out = run(&[
        "train",
        "--data",
        &p(&data),
        "--label",
        "churned",
        "--exclude",
        "touches_90d",
        "--as-of",
        AS_OF,
        "--out",
        &p(&model),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    let names: Vec<&str> = m["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"touches_90d") && names.contains(&"nps"));
    let out = run(&[
        "eval",
        "--model",
        &p(&model),
        "--data",
        &p(&data),
        "--label",
        "churned",
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "auc",
        "brier",
        "log_loss",
        "lift_top_decile",
        "rows",
        "calibration",
    ] {
        assert!(!e[key].is_null(), "{key} missing from {e}");
    }
    assert_eq!(e["rows"], 1500);
    let out = run(&["card", "--model", &p(&model)]);
    assert!(out.status.success());
    let card = String::from_utf8(out.stdout).unwrap();
    assert!(card.contains("## Strongest drivers") && card.contains("history.csv"));
    let out = run(&["eval", "--model", &p(&model), "--data", &p(&data)]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "missing --label is a usage error"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Each command and the options it takes, as the README's "Command line" lists them.
const COMMANDS: [(&str, &[&str]); 6] = [
    (
        "score",
        &["--data", "--model", "--out", "--as-of", "--format"],
    ),
    (
        "train",
        &[
            "--data",
            "--label",
            "--id",
            "--exclude",
            "--out",
            "--seed",
            "--as-of",
            "--l2",
            "--held-out",
            "--before",
            "--after",
            "--lost-column",
        ],
    ),
    (
        "eval",
        &[
            "--model", "--data", "--label", "--as-of", "--format", "--out",
        ],
    ),
    ("card", &["--model", "--out"]),
    (
        "simulate",
        &[
            "--accounts",
            "--seed",
            "--out",
            "--as-of",
            "--snapshot-after",
            "--out-after",
        ],
    ),
    (
        "compare",
        &[
            "--before",
            "--after",
            "--model",
            "--as-of-before",
            "--as-of-after",
            "--format",
            "--out",
        ],
    ),
];

/// `--help` (and `-h`, and `help COMMAND`) and `--version` answer on stdout with exit
/// status 0, for the tool and for each command; each command's help names its options.
#[test]
fn help_and_version_work_for_the_tool_and_each_command() {
    let stdout_of = |args: &[&str]| {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(out.stderr.is_empty(), "{args:?}: {stderr}");
        String::from_utf8(out.stdout).unwrap()
    };
    let version = format!("{}\n", env!("CARGO_PKG_VERSION"));
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let help = stdout_of(args);
        assert!(help.contains("Usage: churn-audit <COMMAND>"), "{help}");
        for (command, _) in COMMANDS {
            assert!(
                help.contains(&format!("\n  {command} ")),
                "{command}: {help}"
            );
        }
    }
    assert!(stdout_of(&["--version"]).ends_with(&version));
    assert!(stdout_of(&["-V"]).starts_with("churn-audit "));
    for (command, options) in COMMANDS {
        for args in [[command, "--help"], [command, "-h"], ["help", command]] {
            let help = stdout_of(&args);
            assert!(
                help.contains(&format!("Usage: churn-audit {command} ")),
                "{args:?}: {help}"
            );
            for option in options {
                assert!(help.contains(&format!("{option} <")), "{args:?}: {help}");
            }
        }
        assert!(stdout_of(&[command, "--version"]).ends_with(&version));
    }
    // No command at all: the help, on stderr, as a usage error.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: churn-audit <COMMAND>"));
}

/// A usage error: exit status 2, nothing on stdout, and stderr containing every needle.
fn assert_usage_error(args: &[&str], needles: &[&str]) {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: no {needle:?} in {stderr}"
        );
    }
}

#[test]
fn a_mistyped_option_or_command_is_refused_with_a_suggestion() {
    let data = fixture("accounts-clean.csv");
    let data = data.to_str().unwrap();
    assert_usage_error(
        &["score", "--data", data, "--as_of", AS_OF],
        &["'--as_of'", "tip: a similar argument exists: '--as-of'"],
    );
    assert_usage_error(
        &["score", "--data", data, "--fromat", "json"],
        &["'--fromat'", "tip: a similar argument exists: '--format'"],
    );
    assert_usage_error(
        &[
            "train",
            "--data",
            data,
            "--label",
            "churned",
            "--held_out",
            "0",
        ],
        &[
            "'--held_out'",
            "tip: a similar argument exists: '--held-out'",
        ],
    );
    assert_usage_error(
        &["scor", "--data", data],
        // "scor" is near "compare" too: clap names both.
        &["'scor'", "similar subcommand", "'score'"],
    );
    // An option of another command is not one of this command's.
    assert_usage_error(&["card", "--data", data], &["'--data'"]);
}

/// Values are typed: a date that is not a day, a number that is not one (or not of the
/// option's kind), a format the command does not write, an option given twice or without
/// its value are refused before any work, naming the option and the value.
#[test]
fn an_invalid_value_is_refused_naming_the_option() {
    let data = fixture("accounts-clean.csv");
    let data = data.to_str().unwrap();
    let score: &[&str] = &["score", "--data", data];
    for date in [
        "2026-02-30",
        "2026-13-01",
        "15.01.2026",
        "2026-1-15",
        "today",
    ] {
        assert_usage_error(
            &[score, &["--as-of", date]].concat(),
            &[&format!("'{date}'"), "'--as-of <YYYY-MM-DD>'", "YYYY-MM-DD"],
        );
    }
    assert_usage_error(
        &[score, &["--format", "xml"]].concat(),
        &["'xml'", "--format", "csv, json, summary"],
    );
    assert_usage_error(
        &[
            "eval", "--model", data, "--data", data, "--label", "churned", "--format", "csv",
        ],
        &["'csv'", "--format", "text, json"],
    );
    assert_usage_error(&[score, &["--data", data]].concat(), &["'--data <FILE>'"]);
    assert_usage_error(&["score", "--data"], &["'--data <FILE>'"]);
    let simulate = |accounts: &str, seed: &str| {
        let out = run(&["simulate", "--accounts", accounts, "--seed", seed]);
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    for (accounts, seed, option, value) in [
        ("ten", "1", "--accounts", "ten"),
        ("-5", "1", "--accounts", "-5"),
        ("1e3", "1", "--accounts", "1e3"),
        ("10", "-1", "--seed", "-1"),
        ("10", "1.5", "--seed", "1.5"),
        (
            "10",
            "99999999999999999999999",
            "--seed",
            "99999999999999999999999",
        ),
    ] {
        let (code, stderr) = simulate(accounts, seed);
        assert_eq!(code, Some(2), "{accounts} {seed}: {stderr}");
        assert!(
            stderr.contains(&format!("invalid value '{value}' for '{option} <")),
            "{stderr}"
        );
    }
    for (option, value) in [("--l2", "strong"), ("--held-out", "20%"), ("--seed", "x")] {
        assert_usage_error(
            &["train", "--data", data, "--label", "churned", option, value],
            &[&format!("invalid value '{value}' for '{option} <")],
        );
    }
}

/// Range checks are the library's (the same words for every front end): a negative L2
/// strength or held-out share reaches them, with exit status 1, not a usage error.
#[test]
fn out_of_range_numbers_are_the_librarys_to_refuse() {
    let dir = scratch("churn-audit-range");
    let history = simulated_history(&dir, 200, 5);
    let data = history.to_str().unwrap();
    for (option, value, needle) in [
        ("--l2", "-1", "the L2 strength must be"),
        ("--held-out", "-0.1", "the held-out share must be"),
        ("--held-out", "1.5", "the held-out share must be"),
    ] {
        let out = run(&[
            "train", "--data", data, "--label", "churned", "--as-of", AS_OF, option, value,
        ]);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{option} {value}: {stderr}");
        assert!(
            stderr.contains(needle) && stderr.contains(value),
            "{stderr}"
        );
        assert!(out.stdout.is_empty());
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `--exclude` takes a comma list (spaces around names and empty items ignored) or the
/// option repeated.
#[test]
fn exclude_takes_a_comma_list() {
    let dir = scratch("churn-audit-exclude");
    let history = simulated_history(&dir, 400, 9);
    let data = history.to_str().unwrap();
    let features = |exclude: &[&str]| {
        let mut args = vec![
            "train", "--data", data, "--label", "churned", "--as-of", AS_OF,
        ];
        args.extend_from_slice(exclude);
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{exclude:?}: {stderr}");
        let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let names: Vec<String> = m["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect();
        names
    };
    let all = features(&[]);
    assert!(all.iter().any(|n| n == "nps") && all.iter().any(|n| n == "csat"));
    let without: Vec<String> = all
        .iter()
        .filter(|n| *n != "nps" && *n != "csat")
        .cloned()
        .collect();
    assert_eq!(features(&["--exclude", "nps, csat,"]), without);
    assert_eq!(features(&["--exclude=nps", "--exclude", "csat"]), without);
    std::fs::remove_dir_all(&dir).ok();
}

/// A telecom customer table (the shape of a real one, made-up rows) supplies one of the
/// default model's eighteen inputs, tenure: the JSON says the coverage is insufficient,
/// with the share computed here by hand from the model file's contribution covariance
/// (the squared correlation of the tenure-only score with the full score), every other
/// input listed as missing, reasons citing tenure only, and probabilities that match the
/// independent scorer (absent inputs adding nothing).
#[test]
fn a_list_with_few_of_the_models_inputs_is_not_presented_as_an_audit() {
    let data = fixture("accounts-few-inputs.csv");
    let v = score_json(&data);
    let model: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default.json"))
            .unwrap(),
    )
    .unwrap();
    let names: Vec<&str> = model["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    let sigma: Vec<Vec<f64>> = model["contribution_covariance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect();
    let t = names.iter().position(|n| *n == "tenure_months").unwrap();
    let total: f64 = sigma.iter().flatten().sum();
    let cross: f64 = sigma[t].iter().sum();
    let expected = cross * cross / (sigma[t][t] * total);
    let coverage = &v["coverage"];
    let share = coverage["share"].as_f64().unwrap();
    assert!((share - expected).abs() < 1e-12, "{share} vs {expected}");
    assert!(share < 0.05, "{share}");
    assert_eq!(coverage["sufficient"], false);
    let missing: Vec<&str> = coverage["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let others: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| *n != "tenure_months")
        .collect();
    assert_eq!(missing, others);
    for row in rows(&v) {
        for reason in row["top_reasons"].as_array().unwrap() {
            assert!(reason.as_str().unwrap().contains("tenure"), "{reason}");
        }
    }
    let reference = reference_scores(&data);
    for (row, (id, p)) in rows(&v).iter().zip(&reference) {
        assert_eq!(row["account_id"].as_str().unwrap(), id);
        let got = row["churn_probability"].as_f64().unwrap();
        assert!((got - p).abs() < 1e-12, "{id}: {got} vs {p}");
    }
    // The summary says it before any figure.
    let out = run(&[
        "score",
        "--data",
        data.to_str().unwrap(),
        "--format",
        "summary",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    let second = text.lines().nth(1).unwrap_or("");
    assert!(second.contains("NOT ENOUGH for an audit"), "{text}");
    // The bundled model says what it is.
    assert_eq!(v["demonstration_model"], true);
    assert!(text.contains("demonstration model, trained on simulated accounts"));
    // A list with every input is sufficient.
    let full = score_json(&fixture("accounts-clean.csv"));
    assert_eq!(full["coverage"]["sufficient"], true);
    assert_eq!(full["coverage"]["share"], 1.0);
}

/// `score --format json` rows carry `actions`: at most three single changes of the
/// model's actionable inputs, best first, each lowering the probability to exactly what
/// the independent scorer gives the account with that one value changed.
#[test]
fn json_rows_carry_actions_the_independent_scorer_confirms() {
    let dir = scratch("churn-audit-actions");
    // Python: date(2026, 1, 15) - timedelta(days=14), and 400 days.
    assert_eq!(iso_days_before("2026-01-15", 14), "2026-01-01");
    assert_eq!(iso_days_before("2026-01-15", 400), "2024-12-11");
    let clean = fixture("accounts-clean.csv");
    let text = std::fs::read_to_string(&clean).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let model: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default.json"))
            .unwrap(),
    )
    .unwrap();
    let spec = |name: &str| {
        model["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    let result = score_json(&clean);
    let mut checked = 0;
    for row in rows(&result) {
        let actions = row["actions"].as_array().expect("actions");
        assert!(actions.len() <= 3);
        let p = row["churn_probability"].as_f64().unwrap();
        let mut last = 0.0;
        for (k, a) in actions.iter().enumerate() {
            let input = a["input"].as_str().unwrap();
            let q = a["probability"].as_f64().unwrap();
            assert!(q < p, "an action must lower the probability: {a}");
            assert!(k == 0 || q >= last, "best first: {actions:?}");
            last = q;
            let f = spec(input);
            let way = f["actionable"].as_str().unwrap_or("");
            assert!(
                ["lower", "raise", "any"].contains(&way),
                "{input} is not actionable"
            );
            let v = a["value"].as_f64().unwrap();
            let range = f["range"].as_array().unwrap();
            assert!(v >= range[0].as_f64().unwrap() && v <= range[1].as_f64().unwrap());
        }
        // The independent scorer on the account with the one value changed, for the
        // first plain rows (no quoted cell to split).
        let id = row["account_id"].as_str().unwrap();
        let Some(line) = text
            .lines()
            .find(|l| l.starts_with(&format!("{id},")) && !l.contains('"'))
        else {
            continue;
        };
        if checked >= 30 {
            continue;
        }
        for a in actions {
            let input = a["input"].as_str().unwrap();
            let v = a["value"].as_f64().unwrap();
            let mut cells: Vec<String> = line.split(',').map(String::from).collect();
            // The recency is read from a date in this file: the changed value is written
            // as the date that many days before the as-of date.
            let (col, cell) = match header.iter().position(|h| *h == input) {
                Some(col) if spec(input)["kind"] == "boolean" => {
                    (col, (if v >= 0.5 { "yes" } else { "no" }).to_string())
                }
                Some(col) => (col, v.to_string()),
                None => {
                    assert_eq!(input, "days_since_last_engagement");
                    let col = header
                        .iter()
                        .position(|h| *h == "last_engagement_date")
                        .unwrap();
                    (col, iso_days_before(AS_OF, v as i64))
                }
            };
            cells[col] = cell;
            // The whole file with that one line changed: whether a column has any value
            // decides whether it counts, so the other rows stay.
            let changed = text.replacen(line, &cells.join(","), 1);
            let one = dir.join(format!("one-{checked}.csv"));
            std::fs::write(&one, changed).unwrap();
            let model_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default.json");
            let expected = reference::reference_scores(&model_path, &one, AS_OF);
            let (_, reference) = expected.iter().find(|(i, _)| i == id).unwrap();
            let q = a["probability"].as_f64().unwrap();
            assert!(
                (reference - q).abs() <= 1e-12,
                "{id} {input} = {v}: reference {reference}, ours {q}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} actions checked");
    std::fs::remove_dir_all(&dir).ok();
}

/// The ISO date `days` days before `as_of` (YYYY-MM-DD), by the civil-calendar
/// algorithm of H. Hinnant (days from civil and back).
fn iso_days_before(as_of: &str, days: i64) -> String {
    let p: Vec<i64> = as_of.split('-').map(|x| x.parse().unwrap()).collect();
    let (y, m, d) = (p[0] - i64::from(p[1] <= 2), p[1], p[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let z = era * 146_097 + doe - 719_468 - days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A history in another schema, with category columns and a money column: written
/// from a known mechanism with a small deterministic generator.
fn telco_like_history(rows: usize) -> String {
    let mut out = String::from("customerID,Contract,PaymentMethod,MonthlyCharges,tenure,Churn\n");
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..rows {
        let contract = ["Month-to-month", "One year", "Two year"][(next() * 3.0) as usize];
        let payment = ["Electronic check", "Mailed check", "Credit card"][(next() * 3.0) as usize];
        let charges = (20.0 + 100.0 * next()).round();
        let tenure = (72.0 * next()).round();
        let z =
            -1.0 + match contract {
                "Month-to-month" => 1.5,
                "One year" => 0.0,
                _ => -1.0,
            } + if payment == "Electronic check" {
                0.8
            } else {
                0.0
            } + 0.01 * (charges - 70.0)
                - 0.03 * (tenure - 36.0);
        let churned = next() < 1.0 / (1.0 + (-z).exp());
        out.push_str(&format!(
            "C{i:05},{contract},{payment},{charges},{tenure},{}\n",
            if churned { "Yes" } else { "No" }
        ));
    }
    out
}

/// Trained on another table: categories are actions (with a level as the new value),
/// `--actionable` chooses the inputs, and revenue at risk is hidden without a value
/// column (`--value`) and present, as probability times the value, with one.
#[test]
fn a_model_of_another_table_has_actions_and_revenue_only_with_a_value_column() {
    let dir = scratch("churn-audit-telco");
    let history = dir.join("telco.csv");
    std::fs::write(&history, telco_like_history(1500)).unwrap();
    let train = |extra: &[&str], out: &Path| {
        let mut args = vec![
            "train",
            "--data",
            history.to_str().unwrap(),
            "--label",
            "Churn",
            "--as-of",
            AS_OF,
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = run(&args);
        let stderr = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(o.status.success(), "{stderr}");
        stderr
    };
    let score = |model: &Path| {
        let o = run(&[
            "score",
            "--data",
            history.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--as-of",
            AS_OF,
            "--format",
            "json",
        ]);
        assert!(o.status.success());
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        (v, String::from_utf8_lossy(&o.stderr).to_string())
    };
    let plain = dir.join("plain.json");
    let warned = train(&[], &plain);
    assert!(
        warned.contains("no value column chosen") && warned.contains("'MonthlyCharges'"),
        "{warned}"
    );
    let (v, summary) = score(&plain);
    assert_eq!(v["value_input"], serde_json::Value::Null);
    assert!(!summary.contains("revenue at risk"), "{summary}");
    assert!(!summary.contains("at risk"), "{summary}");
    // Contract and payment method are actions by default; tenure and charges are not.
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plain).unwrap()).unwrap();
    let way = |m: &serde_json::Value, name: &str| {
        m["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .map(|f| f["actionable"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(way(&m, "contract"), "any");
    assert_eq!(way(&m, "payment_method"), "any");
    assert_eq!(way(&m, "tenure_months"), "no");
    assert_eq!(way(&m, "monthly_charges"), "no");
    let levels = |name: &str| {
        m["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["basis"]["levels"]
            .clone()
    };
    let mut categories = 0;
    for row in rows(&v) {
        for a in row["actions"].as_array().unwrap() {
            let input = a["input"].as_str().unwrap();
            assert!(input == "contract" || input == "payment_method", "{a}");
            let level = a["value"].as_str().expect("a level");
            assert!(levels(input).as_array().unwrap().iter().any(|l| l == level));
            categories += 1;
        }
    }
    assert!(categories > 100, "{categories}");

    // --actionable and --value.
    let chosen = dir.join("chosen.json");
    let quiet = train(
        &["--actionable", "Contract", "--value", "MonthlyCharges"],
        &chosen,
    );
    assert!(!quiet.contains("no value column"), "{quiet}");
    let (v, summary) = score(&chosen);
    assert_eq!(v["value_input"], "monthly_charges");
    assert!(summary.contains("revenue at risk: "), "{summary}");
    let text = std::fs::read_to_string(&history).unwrap();
    for (row, line) in rows(&v).iter().zip(text.lines().skip(1)) {
        let charges: f64 = line.split(',').nth(3).unwrap().parse().unwrap();
        let p = row["churn_probability"].as_f64().unwrap();
        let r = row["revenue_at_risk"].as_f64().unwrap();
        assert!((r - p * charges).abs() <= 1e-9 * charges, "{line}");
        for a in row["actions"].as_array().unwrap() {
            assert_eq!(a["input"], "contract");
        }
    }
    let o = run(&[
        "train",
        "--data",
        history.to_str().unwrap(),
        "--label",
        "Churn",
        "--value",
        "Contract",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not hold numbers"));
    std::fs::remove_dir_all(&dir).ok();
}
