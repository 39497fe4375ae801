//! The churn-audit command line: a thin adapter over the library.
//!
//! ```text
//! churn-audit score    --data FILE [--model FILE] [--out FILE] [--as-of YYYY-MM-DD] [--format csv|json|summary]
//! churn-audit train    --data FILE --label COL [--id COL] [--exclude COLS] [--out FILE] [--seed N]
//!                      [--as-of YYYY-MM-DD] [--l2 X] [--held-out SHARE]
//! churn-audit eval     --model FILE --data FILE --label COL [--as-of YYYY-MM-DD] [--format text|json]
//! churn-audit card     [--model FILE] [--out FILE]
//! churn-audit simulate --accounts N --seed S [--out FILE] [--as-of YYYY-MM-DD]
//! ```
//! Exit status: 0 on success, 1 when the input cannot be used, 2 on a usage error.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::ExitCode;

use churn_audit::audit;
use churn_audit::error::{Error, Result};
use churn_audit::model::Model;
use churn_audit::{ingest, parallel, simulate, train};

const USAGE: &str = "usage:
  churn-audit score    --data FILE [--model FILE] [--out FILE] [--as-of YYYY-MM-DD] [--format csv|json|summary]
  churn-audit train    --data FILE --label COL [--id COL] [--exclude COL,COL] [--out FILE] [--seed N]
                       [--as-of YYYY-MM-DD] [--l2 X] [--held-out SHARE]
  churn-audit eval     --model FILE --data FILE --label COL [--as-of YYYY-MM-DD] [--format text|json]
  churn-audit card     [--model FILE] [--out FILE]
  churn-audit simulate --accounts N --seed S [--out FILE] [--as-of YYYY-MM-DD]

Dates in the data are counted up to --as-of (default: today, UTC).
Nothing is sent anywhere: files are read and written on this machine only.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Usage(msg)) => {
            eprintln!("error: {msg}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Parsed `--name value` options; every option takes exactly one value.
struct Options {
    values: BTreeMap<String, String>,
}

impl Options {
    fn parse(args: &[String], allowed: &[&str]) -> Result<Options> {
        let mut values = BTreeMap::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let Some(name) = arg.strip_prefix("--") else {
                return Err(Error::Usage(format!("unexpected argument '{arg}'")));
            };
            let (name, value) = match name.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None => {
                    let v = it
                        .next()
                        .ok_or_else(|| Error::Usage(format!("--{name} needs a value")))?;
                    (name.to_string(), v.clone())
                }
            };
            if !allowed.contains(&name.as_str()) {
                return Err(Error::Usage(format!("unknown option --{name}")));
            }
            if values.insert(name.clone(), value).is_some() {
                return Err(Error::Usage(format!("--{name} given twice")));
            }
        }
        Ok(Options { values })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    fn required(&self, name: &str) -> Result<&str> {
        self.get(name)
            .ok_or_else(|| Error::Usage(format!("--{name} is required")))
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: Option<T>) -> Result<T> {
        match self.get(name) {
            Some(v) => v
                .parse()
                .map_err(|_| Error::Usage(format!("--{name} '{v}' is not a valid number"))),
            None => default.ok_or_else(|| Error::Usage(format!("--{name} is required"))),
        }
    }

    /// The as-of date in days since 1970-01-01; today (UTC) by default.
    fn as_of(&self) -> Result<i64> {
        match self.get("as-of") {
            Some(v) => ingest::parse_iso_date(v).ok_or_else(|| {
                Error::Usage(format!(
                    "--as-of '{v}' is not a date of the form YYYY-MM-DD"
                ))
            }),
            None => {
                let secs = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                Ok((secs / 86_400) as i64)
            }
        }
    }
}

/// Each command, the options it takes and what runs it.
type Command = (
    &'static str,
    &'static [&'static str],
    fn(&Options) -> Result<()>,
);
const COMMANDS: [Command; 5] = [
    ("score", &["data", "model", "out", "as-of", "format"], score),
    (
        "train",
        &[
            "data", "label", "id", "exclude", "out", "seed", "as-of", "l2", "held-out",
        ],
        train_cmd,
    ),
    (
        "eval",
        &["model", "data", "label", "as-of", "format", "out"],
        eval_cmd,
    ),
    ("card", &["model", "out"], card_cmd),
    (
        "simulate",
        &["accounts", "seed", "out", "as-of"],
        simulate_cmd,
    ),
];

fn run(args: &[String]) -> Result<()> {
    let Some((command, rest)) = args.split_first() else {
        return Err(Error::Usage("no command given".into()));
    };
    if matches!(command.as_str(), "-h" | "--help" | "help") {
        println!("{USAGE}");
        return Ok(());
    }
    let Some(&(_, allowed, execute)) = COMMANDS.iter().find(|(name, ..)| name == command) else {
        return Err(Error::Usage(format!("unknown command '{command}'")));
    };
    let opts = Options::parse(rest, allowed)?;
    if let Some(out) = opts.get("out") {
        check_writable(out)?;
    }
    execute(&opts)
}

/// Fails at once when `path` (an `--out`) cannot be written: a mistyped folder is
/// reported in a moment, not after a big file has been scored or a model trained.
/// Nothing is changed: an existing file is opened without being emptied, a new one is
/// created and removed again, and a pipe or device is left to the write itself (opening
/// and closing a named pipe would end its reader's input).
fn check_writable(path: &str) -> Result<()> {
    let io = |e| Error::io(path, e);
    let open = |new| {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(new)
            .open(path)
            .map_err(io)
    };
    match std::fs::metadata(path) {
        // A folder fails here too, with the system's "Is a directory".
        Ok(meta) if meta.is_file() || meta.is_dir() => open(false).map(drop),
        Ok(_) => Ok(()),
        Err(_) => {
            open(true).map(drop)?;
            std::fs::remove_file(path).map_err(io)
        }
    }
}

fn read(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// Writes to `--out` or, without it, to stdout.
fn write_out(out: Option<&str>, text: &str) -> Result<()> {
    match out {
        Some(path) => std::fs::write(path, text).map_err(|e| Error::io(path, e)),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| Error::io("stdout", e)),
    }
}

fn file_name(path: &str) -> &str {
    std::path::Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
}

/// The model named by `--model`, or the bundled default.
fn load_model(opts: &Options) -> Result<Model> {
    match opts.get("model") {
        Some(path) => {
            let bytes = read(path)?;
            let text = String::from_utf8(bytes)
                .map_err(|_| Error::model(path, "the file is not UTF-8 text"))?;
            Model::from_json(&text, path)
        }
        None => churn_audit::default_model(),
    }
}

fn score(opts: &Options) -> Result<()> {
    let data = opts.required("data")?;
    let model = load_model(opts)?;
    let format = opts.get("format").unwrap_or("csv");
    if !["csv", "json", "summary"].contains(&format) {
        return Err(Error::Usage(format!(
            "--format '{format}' is not one of csv, json, summary"
        )));
    }
    // The file streams through one scorer per core (cut at line feeds, joined in order
    // into exactly the one-scorer result) and the CSV streams out: memory holds the
    // scored columns, never the whole file or every row's text.
    let open = || std::fs::File::open(data);
    let meta = open()
        .and_then(|f| f.metadata())
        .map_err(|e| Error::io(data, e))?;
    let (name, as_of) = (file_name(data), opts.as_of()?);
    // The file's SHA-256 is reported in the JSON only (the scored CSV and the summary do
    // not carry it), so only the JSON pays for it.
    let json = format == "json";
    // The CSV is written from the parts' rows as they are (the first part's list holds
    // the whole file's figures): joining them would only copy the later rows once more.
    let (scored, later) = if meta.is_file() {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let starts =
            parallel::part_starts(meta.len(), threads, &open).map_err(|e| Error::io(data, e))?;
        let (mapping, size) = (Default::default(), meta.len());
        let (mut scored, later) =
            parallel::score_in_parts(&model, name, as_of, &mapping, size, &starts, &open, json)?;
        if json {
            // The JSON's figures (the portfolio's typical values) read every row at once.
            scored.join_later(later)?;
            (scored, Vec::new())
        } else {
            (scored, later)
        }
    } else {
        // A pipe or device: read once, front to back.
        let mut file = open().map_err(|e| Error::io(data, e))?;
        let mut scorer = audit::Scorer::new(model, name, as_of, Default::default());
        if !json {
            scorer = scorer.without_digest();
        }
        let mut chunk = vec![0; 4 << 20];
        loop {
            let n = file.read(&mut chunk).map_err(|e| Error::io(data, e))?;
            if n == 0 {
                break;
            }
            scorer.push(&chunk[..n])?;
        }
        (scorer.finish()?, Vec::new())
    };
    let out_name = opts.get("out").unwrap_or("stdout");
    let summary = summary_text(&scored.overview(0));
    let write = |w: &mut dyn Write| -> std::io::Result<()> {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, w);
        // Formatting the rows is most of the work: every core takes a share.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        if format == "summary" {
            // The figures alone, where the rows are not wanted (a first look at a big
            // export): no row's text is made.
            w.write_all(summary.as_bytes())?;
        } else if json {
            // Written as it is made: a million rows never sit in memory as objects.
            scored.write_json_threaded(&mut w, threads)?;
            w.write_all(b"\n")?;
        } else {
            let parts: Vec<&audit::Scored> = std::iter::once(&scored).chain(&later).collect();
            audit::write_csv_parts(&parts, &mut w, threads)?;
        }
        w.flush()
    };
    match opts.get("out") {
        Some(path) => {
            let mut f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
            write(&mut f)
        }
        None => write(&mut std::io::stdout().lock()),
    }
    .map_err(|e| Error::io(out_name, e))?;
    if format != "summary" {
        eprint!("{summary}");
    }
    // The process ends next, and the system takes its memory back at once: handing the
    // columns' pages (~250 MB for a million rows) back one allocation at a time first
    // took ~15 ms after the output was complete.
    std::mem::forget((scored, later));
    Ok(())
}

/// The human summary printed on stderr after scoring (the output itself with
/// `--format summary`).
fn summary_text(overview: &audit::Overview) -> String {
    let r = &overview.result;
    let s = &r.summary;
    let share = if s.accounts_scored > 0 {
        100.0 * s.expected_churners / s.accounts_scored as f64
    } else {
        0.0
    };
    let mut out = format!(
        "scored {} accounts from {} ({}, delimiter '{}', as of {}) with model '{}'\n\
         rows with warnings: {}\n\
         expected churners: {:.1} ({:.1}%)\n\
         revenue at risk: {}\n",
        s.accounts_scored,
        r.file,
        r.encoding,
        r.delimiter,
        r.as_of,
        r.model,
        s.rows_with_warnings,
        s.expected_churners,
        share,
        grouped(s.revenue_at_risk)
    );
    for t in &s.tiers {
        out.push_str(&format!(
            "  {:<8} {:>7} accounts  {:>15} at risk\n",
            t.name,
            t.accounts,
            grouped(t.revenue_at_risk)
        ));
    }
    for w in &r.file_warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

/// A whole number with thousands separators, for the summary.
fn grouped(x: f64) -> String {
    let n = x.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn train_cmd(opts: &Options) -> Result<()> {
    let data = opts.required("data")?;
    let cfg = train::TrainConfig {
        label: opts.required("label")?.to_string(),
        seed: opts.number("seed", Some(42u64))?,
        as_of: opts.as_of()?,
        l2: opts
            .get("l2")
            .map(|_| opts.number("l2", None::<f64>))
            .transpose()?,
        id: opts.get("id").map(String::from),
        held_out_share: opts.number("held-out", Some(train::HELD_OUT_SHARE))?,
        exclude: opts
            .get("exclude")
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
    };
    let bytes = read(data)?;
    let started = std::time::Instant::now();
    let train::Trained { model, warnings } =
        train::train_with_report(&bytes, file_name(data), &cfg)?;
    write_out(opts.get("out"), &model.to_json())?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let held = model.metrics.held_out.as_ref();
    eprintln!(
        "trained on {} rows ({:.1}% churn) with {} features in {:.2} s; held-out AUC {}",
        model.provenance.rows,
        100.0 * model.provenance.churn_rate,
        model.features.len(),
        started.elapsed().as_secs_f64(),
        held.map(|m| format!("{:.3}", m.auc))
            .unwrap_or_else(|| "n/a".into())
    );
    Ok(())
}

fn eval_cmd(opts: &Options) -> Result<()> {
    opts.required("model")?;
    let model = load_model(opts)?;
    let data = opts.required("data")?;
    let label = opts.required("label")?;
    let format = opts.get("format").unwrap_or("text");
    if format != "text" && format != "json" {
        return Err(Error::Usage(format!(
            "--format '{format}' is not one of text, json"
        )));
    }
    let bytes = read(data)?;
    let e = train::evaluate(&bytes, file_name(data), &model, label, opts.as_of()?)?;
    let text = if format == "json" {
        let mut s = serde_json::to_string_pretty(&e).map_err(|e| Error::io("json", e))?;
        s.push('\n');
        s
    } else {
        eval_text(&e)
    };
    write_out(opts.get("out"), &text)
}

/// The evaluation as a short human report.
fn eval_text(e: &train::Evaluation) -> String {
    let opt = |x: Option<f64>| x.map(|v| format!("{v:.4}")).unwrap_or_else(|| "n/a".into());
    let mut out = format!(
        "rows:            {}\nchurn rate:      {}\nAUC:             {:.4}\nPR-AUC:          {}\n\
         Brier score:     {:.4}\nlog loss:        {:.4}\ntop-decile lift: {}\n",
        e.rows,
        opt(e.base_rate),
        e.auc,
        opt(e.pr_auc),
        e.brier,
        e.log_loss,
        opt(e.lift_top_decile)
    );
    if e.skipped_rows > 0 {
        out.push_str(&format!("rows skipped (no label): {}\n", e.skipped_rows));
    }
    if !e.missing_features.is_empty() {
        out.push_str(&format!(
            "features absent from the file (imputed): {}\n",
            e.missing_features.join(", ")
        ));
    }
    out.push_str("\ncalibration      rows  predicted  observed\n");
    for b in &e.calibration {
        out.push_str(&format!(
            "  {:.1}-{:.1}  {:>8}  {:>9.3}  {:>8.3}\n",
            b.lo, b.hi, b.count, b.mean_predicted, b.observed_rate
        ));
    }
    out
}

fn card_cmd(opts: &Options) -> Result<()> {
    let model = load_model(opts)?;
    write_out(
        opts.get("out"),
        &churn_audit::card::model_card(&model).to_markdown(),
    )
}

fn simulate_cmd(opts: &Options) -> Result<()> {
    let cfg = simulate::SimConfig {
        accounts: opts.number("accounts", None)?,
        seed: opts.number("seed", None)?,
        as_of: opts.as_of()?,
    };
    write_out(opts.get("out"), &simulate::simulate(&cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(grouped(1234567.4), "1,234,567");
        assert_eq!(grouped(-999.6), "-1,000");
        assert_eq!(grouped(0.0), "0");
    }

    #[test]
    fn options_reject_unknown_and_missing_values() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(Options::parse(&args(&["--data"]), &["data"]).is_err());
        assert!(Options::parse(&args(&["--nope", "1"]), &["data"]).is_err());
        let o = Options::parse(&args(&["--data=a.csv"]), &["data"]).unwrap();
        assert_eq!(o.get("data"), Some("a.csv"));
    }
}
