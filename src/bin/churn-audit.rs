//! The churn-audit command line: a thin adapter over the library.
//!
//! ```text
//! churn-audit score    --data FILE [--model FILE] [--out FILE] [--as-of YYYY-MM-DD] [--format csv|json|summary]
//! churn-audit train    --data FILE --label COL [--id COL] [--exclude COL,COL] [--out FILE] [--seed N]
//!                      [--as-of YYYY-MM-DD] [--l2 X] [--held-out SHARE]
//! churn-audit eval     --model FILE --data FILE --label COL [--as-of YYYY-MM-DD] [--format text|json] [--out FILE]
//! churn-audit card     [--model FILE] [--out FILE]
//! churn-audit simulate --accounts N --seed S [--out FILE] [--as-of YYYY-MM-DD]
//! ```
//! The commands and their options are declared once, as clap derives ([`Cli`]): clap
//! checks them (required options, numbers, dates, formats), suggests the option meant
//! when one is mistyped, and writes `--help` and `--version`. Checks that need more than
//! the option itself (an L2 strength of at least 0, a held-out share below 0.9) are the
//! library's, so they read the same from every front end. Numeric options take a value
//! that starts with `-` (`allow_negative_numbers`), so `--seed -1` is refused as an
//! invalid value of `--seed` and `--l2 -1` reaches the library's check, as before clap.
//!
//! Exit status: 0 on success, 1 when the input cannot be used (one line on stderr says
//! why), 2 on a usage error (clap's message, naming the option). Every command that
//! writes to `--out` checks that it can before the work starts.

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use churn_audit::error::{Error, Result};
use churn_audit::model::Model;
use churn_audit::score;
use churn_audit::{features, ingest, simulate, train};

/// Churn-risk audit of CRM account lists, on this machine.
#[derive(Parser)]
#[command(
    name = "churn-audit",
    bin_name = "churn-audit",
    version,
    propagate_version = true,
    arg_required_else_help = true,
    after_help = "Dates in the data are counted up to --as-of (default: today, UTC).\n\
                  Nothing is sent anywhere: files are read and written on this machine only.\n\
                  Exit status: 0 on success, 1 when the input cannot be used, 2 on a usage error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The commands; each carries its own options.
#[derive(Subcommand)]
enum Command {
    /// Score an account list for churn risk.
    ///
    /// Writes one row per account (or the JSON result the page receives, or the summary
    /// alone) and the summary on stderr: accounts scored, rows with warnings, expected
    /// churners, revenue at risk by tier.
    Score(ScoreArgs),
    /// Train a model on a labelled account table.
    ///
    /// Writes the model file; the same data and seed give the same file byte for byte.
    Train(TrainArgs),
    /// Evaluate a model on a labelled account table.
    ///
    /// AUC, PR-AUC, Brier score, log loss, top-decile lift and a calibration table.
    Eval(EvalArgs),
    /// Print a model's card (markdown).
    ///
    /// Provenance, metrics, the strongest drivers, every feature, the risk tiers and the
    /// limits.
    Card(CardArgs),
    /// Simulate a labelled history of B2B accounts (CSV).
    ///
    /// The same seed and as-of date give the same bytes.
    Simulate(SimulateArgs),
}

/// `score`'s options.
#[derive(Args)]
struct ScoreArgs {
    /// The account list (CSV or another delimited text export).
    #[arg(long, value_name = "FILE")]
    data: String,
    /// The model file (default: the bundled model).
    #[arg(long, value_name = "FILE")]
    model: Option<String>,
    /// Where to write the result (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
    #[command(flatten)]
    as_of: AsOf,
    /// What to write.
    #[arg(long, value_enum, default_value_t = ScoreFormat::Csv)]
    format: ScoreFormat,
}

/// What `score` writes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ScoreFormat {
    /// One row per account, with reasons and warnings.
    Csv,
    /// The whole result the page receives.
    Json,
    /// The summary alone (no row's text is made).
    Summary,
}

/// `train`'s options.
#[derive(Args)]
struct TrainArgs {
    /// The labelled account table.
    #[arg(long, value_name = "FILE")]
    data: String,
    /// The column that says whether the account churned.
    #[arg(long, value_name = "COL")]
    label: String,
    /// The account id column (default: found by its name).
    #[arg(long, value_name = "COL")]
    id: Option<String>,
    /// Columns to leave out of the model (comma-separated, or the option repeated).
    #[arg(long, value_name = "COL,COL", value_delimiter = ',')]
    exclude: Vec<String>,
    /// Where to write the model file (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
    /// The seed of the held-out split and the cross-validation folds.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 42,
        allow_negative_numbers = true
    )]
    seed: u64,
    #[command(flatten)]
    as_of: AsOf,
    /// The L2 strength (default: chosen by cross-validation).
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    l2: Option<f64>,
    /// The share of rows held out to measure the model (0 fits on every row).
    #[arg(
        long,
        value_name = "SHARE",
        default_value_t = train::HELD_OUT_SHARE,
        allow_negative_numbers = true
    )]
    held_out: f64,
}

/// `eval`'s options.
#[derive(Args)]
struct EvalArgs {
    /// The model file.
    #[arg(long, value_name = "FILE")]
    model: String,
    /// The labelled account table.
    #[arg(long, value_name = "FILE")]
    data: String,
    /// The column that says whether the account churned.
    #[arg(long, value_name = "COL")]
    label: String,
    #[command(flatten)]
    as_of: AsOf,
    /// What to write.
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    format: EvalFormat,
    /// Where to write the evaluation (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
}

/// What `eval` writes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EvalFormat {
    /// A short report for people.
    Text,
    /// Every figure, as JSON.
    Json,
}

/// `card`'s options.
#[derive(Args)]
struct CardArgs {
    /// The model file (default: the bundled model).
    #[arg(long, value_name = "FILE")]
    model: Option<String>,
    /// Where to write the card (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
}

/// `simulate`'s options.
#[derive(Args)]
struct SimulateArgs {
    /// How many accounts (rows).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    accounts: usize,
    /// The random seed.
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    seed: u64,
    /// Where to write the history (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
    #[command(flatten)]
    as_of: AsOf,
}

/// The `--as-of` option, shared by the commands that read or write dates.
#[derive(Args)]
struct AsOf {
    /// The day dates in the data are counted up to (default: today, UTC).
    #[arg(long = "as-of", value_name = "YYYY-MM-DD", value_parser = iso_date)]
    days: Option<i64>,
}

impl AsOf {
    /// The as-of date in days since 1970-01-01; today (UTC) without `--as-of`.
    fn days(&self) -> i64 {
        self.days.unwrap_or_else(|| {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            (secs / 86_400) as i64
        })
    }
}

/// `--as-of`'s value parser: the library's strict `YYYY-MM-DD` (days since 1970-01-01).
fn iso_date(s: &str) -> std::result::Result<i64, String> {
    ingest::parse_iso_date(s).ok_or_else(|| "not a date of the form YYYY-MM-DD".to_string())
}

fn main() -> ExitCode {
    // Usage errors end here, with clap's message and exit status 2; --help and
    // --version with 0.
    let cli = Cli::parse();
    match run(&cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Runs `command`, once its `--out` (if any) is known to be writable.
fn run(command: &Command) -> Result<()> {
    let out = match command {
        Command::Score(a) => &a.out,
        Command::Train(a) => &a.out,
        Command::Eval(a) => &a.out,
        Command::Card(a) => &a.out,
        Command::Simulate(a) => &a.out,
    };
    if let Some(out) = out {
        check_writable(out)?;
    }
    match command {
        Command::Score(a) => score(a),
        Command::Train(a) => train_cmd(a),
        Command::Eval(a) => eval_cmd(a),
        Command::Card(a) => card_cmd(a),
        Command::Simulate(a) => simulate_cmd(a),
    }
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
fn load_model(path: Option<&str>) -> Result<Model> {
    match path {
        Some(path) => {
            let bytes = read(path)?;
            let text = String::from_utf8(bytes)
                .map_err(|_| Error::model(path, "the file is not UTF-8 text"))?;
            Model::from_json(&text, path)
        }
        None => churn_audit::default_model(),
    }
}

fn score(args: &ScoreArgs) -> Result<()> {
    let data = args.data.as_str();
    let model = load_model(args.model.as_deref())?;
    let format = args.format;
    // The file streams through one scorer per core (cut at line feeds, joined in order
    // into exactly the one-scorer result) and the CSV streams out: memory holds the
    // scored columns, never the whole file or every row's text.
    let open = || std::fs::File::open(data);
    let meta = open()
        .and_then(|f| f.metadata())
        .map_err(|e| Error::io(data, e))?;
    let (name, as_of) = (file_name(data), args.as_of.days());
    // The file's SHA-256 is reported in the JSON only (the scored CSV and the summary do
    // not carry it), so only the JSON pays for it.
    let json = format == ScoreFormat::Json;
    // The CSV is written from the parts' rows as they are (the first part's list holds
    // the whole file's figures): joining them would only copy the later rows once more.
    let (scored, later) = if meta.is_file() {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let starts =
            score::part_starts(meta.len(), threads, &open).map_err(|e| Error::io(data, e))?;
        let (mapping, size) = (Default::default(), meta.len());
        let (mut scored, later) =
            score::score_in_parts(&model, name, as_of, &mapping, size, &starts, &open, json)?;
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
        let mut scorer = score::Scorer::new(model, name, as_of, Default::default());
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
    let out_name = args.out.as_deref().unwrap_or("stdout");
    let summary = summary_text(&scored.overview(0));
    let write = |w: &mut dyn Write| -> std::io::Result<()> {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, w);
        // Formatting the rows is most of the work: every core takes a share.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        if format == ScoreFormat::Summary {
            // The figures alone, where the rows are not wanted (a first look at a big
            // export): no row's text is made.
            w.write_all(summary.as_bytes())?;
        } else if json {
            // Written as it is made: a million rows never sit in memory as objects.
            scored.write_json_threaded(&mut w, threads)?;
            w.write_all(b"\n")?;
        } else {
            let parts: Vec<&score::Scored> = std::iter::once(&scored).chain(&later).collect();
            score::write_csv_parts(&parts, &mut w, threads)?;
        }
        w.flush()
    };
    match &args.out {
        Some(path) => {
            let mut f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
            write(&mut f)
        }
        None => write(&mut std::io::stdout().lock()),
    }
    .map_err(|e| Error::io(out_name, e))?;
    if format != ScoreFormat::Summary {
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
fn summary_text(overview: &score::Overview) -> String {
    let r = &overview.result;
    let s = &r.summary;
    let share = if s.accounts_scored > 0 {
        100.0 * s.expected_churners / s.accounts_scored as f64
    } else {
        0.0
    };
    let mut out = format!(
        "scored {} accounts from {} ({}, delimiter '{}', as of {}) with model '{}'\n\
         {}\
         rows with warnings: {}\n\
         expected churners: {:.1} ({:.1}%)\n\
         revenue at risk: {}\n",
        grouped(s.accounts_scored as f64),
        r.file,
        r.encoding,
        r.delimiter,
        r.as_of,
        r.model,
        coverage_text(&r.coverage),
        grouped(s.rows_with_warnings as f64),
        s.expected_churners,
        share,
        with_currency(&grouped(s.revenue_at_risk), r.currency.as_deref())
    );
    for t in &s.tiers {
        out.push_str(&format!(
            "  {:<8} {:>7} accounts  {:>15} at risk\n",
            t.name,
            grouped(t.accounts as f64),
            grouped(t.revenue_at_risk)
        ));
    }
    if r.demonstration_model {
        out.push_str(DEMONSTRATION);
    }
    for w in &r.file_warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    // Row warnings by kind, as the page's Issues list them; every one is in the rows.
    for g in &overview.warning_groups {
        out.push_str(&format!("rows: {}\n", g.text));
    }
    out
}

/// Said under every summary made with the bundled model.
const DEMONSTRATION: &str = "note: these scores come from the demonstration model, trained on simulated accounts, not on this client's history; to audit this client, train a model on their own labelled history (churn-audit train) and score with --model\n";

/// The coverage line(s) of a summary: how much of the model's power the file supplies
/// and, below the threshold, that the scores are not an audit and what to do.
fn coverage_text(c: &features::Coverage) -> String {
    let pct = (c.share * 100.0).round();
    let how = if c.measured {
        "of the model's power"
    } else {
        "of the model's inputs (the model file does not record their weights)"
    };
    if c.sufficient {
        return format!("coverage: {pct}% {how} is in the file's columns\n");
    }
    format!(
        "coverage: {pct}% {how} is in the file's columns: NOT ENOUGH for an audit (at least {}% is needed)\n  \
         not in the file: {}\n  \
         these scores rank accounts on the few inputs present only; map the columns that hold the missing inputs, or train a model on this client's own history (churn-audit train)\n",
        (features::SUFFICIENT_SHARE * 100.0).round(),
        if c.missing.is_empty() { "(none)".to_string() } else { c.missing.join(", ") }
    )
}

/// A whole number with thousands separators, for the summary.
/// An amount with the file's currency: a code after a space ("EUR 1,200"), a mark
/// before it ("$1,200"), nothing when the file does not say.
fn with_currency(amount: &str, currency: Option<&str>) -> String {
    match currency {
        Some(code) if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) => {
            format!("{code} {amount}")
        }
        Some(mark) => format!("{mark}{amount}"),
        None => amount.to_string(),
    }
}

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

fn train_cmd(args: &TrainArgs) -> Result<()> {
    let data = args.data.as_str();
    let cfg = train::TrainConfig {
        label: args.label.clone(),
        seed: args.seed,
        as_of: args.as_of.days(),
        l2: args.l2,
        id: args.id.clone(),
        held_out_share: args.held_out,
        // `--exclude "a, b"` and a trailing comma mean what they say.
        exclude: args
            .exclude
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    };
    let bytes = read(data)?;
    let started = std::time::Instant::now();
    let train::Trained { model, warnings } =
        train::train_with_report(&bytes, file_name(data), &cfg)?;
    write_out(args.out.as_deref(), &model.to_json())?;
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

fn eval_cmd(args: &EvalArgs) -> Result<()> {
    let model = load_model(Some(&args.model))?;
    let data = args.data.as_str();
    let bytes = read(data)?;
    let as_of = args.as_of.days();
    let e = train::evaluate(&bytes, file_name(data), &model, &args.label, as_of)?;
    let text = if args.format == EvalFormat::Json {
        let mut s = serde_json::to_string_pretty(&e).map_err(|e| Error::io("json", e))?;
        s.push('\n');
        s
    } else {
        eval_text(&e)
    };
    write_out(args.out.as_deref(), &text)
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
    out.push_str(&coverage_text(&e.coverage));
    out.push_str("\ncalibration      rows  predicted  observed\n");
    for b in &e.calibration {
        out.push_str(&format!(
            "  {:.1}-{:.1}  {:>8}  {:>9.3}  {:>8.3}\n",
            b.lo, b.hi, b.count, b.mean_predicted, b.observed_rate
        ));
    }
    out
}

fn card_cmd(args: &CardArgs) -> Result<()> {
    let model = load_model(args.model.as_deref())?;
    write_out(
        args.out.as_deref(),
        &churn_audit::card::model_card(&model).to_markdown(),
    )
}

fn simulate_cmd(args: &SimulateArgs) -> Result<()> {
    let cfg = simulate::SimConfig {
        accounts: args.accounts,
        seed: args.seed,
        as_of: args.as_of.days(),
    };
    write_out(args.out.as_deref(), &simulate::simulate(&cfg))
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

    /// clap's own consistency checks of the declared commands and options.
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn options_parse_to_typed_values() {
        let cli = Cli::try_parse_from([
            "churn-audit",
            "train",
            "--data=a.csv",
            "--label",
            "churned",
            "--exclude",
            "x, y,",
            "--as-of",
            "1970-01-02",
            "--l2",
            "-1",
        ])
        .unwrap();
        let Command::Train(t) = cli.command else {
            panic!("not train")
        };
        assert_eq!(t.data, "a.csv");
        assert_eq!(t.exclude, ["x", " y", ""]);
        assert_eq!((t.as_of.days(), t.seed, t.l2), (1, 42, Some(-1.0)));
        assert_eq!(t.held_out, train::HELD_OUT_SHARE);
        for bad in [
            &["score"][..],
            &["score", "--data", "a", "--format", "xml"],
            &["score", "--data", "a", "--data", "b"],
            &["score", "--data", "a", "--as-of", "2026-02-30"],
            &["simulate", "--accounts", "-1", "--seed", "1"],
        ] {
            let args = std::iter::once("churn-audit").chain(bad.iter().copied());
            assert!(Cli::try_parse_from(args).is_err(), "{bad:?}");
        }
    }
}
