//! The churn-audit command line: a thin adapter over the library.
//!
//! ```text
//! churn-audit score    --data FILE [--sheet NAME|NUMBER] [--model FILE] [--out FILE] [--as-of YYYY-MM-DD]
//!                      [--format csv|json|summary|xlsx|audit]
//! churn-audit train    --data FILE [--sheet NAME|NUMBER] --label COL [--id COL] [--exclude COL,COL]
//!                      [--out FILE] [--seed N] [--as-of YYYY-MM-DD] [--l2 X] [--held-out SHARE]
//!                      [--actionable COL,COL] [--value COL]
//! churn-audit train    --before FILE --after FILE [--lost-column COL [--lost-values V,V]] [same options]
//! churn-audit eval     --model FILE --data FILE [--sheet NAME|NUMBER] --label COL [--as-of YYYY-MM-DD]
//!                      [--format text|json] [--out FILE]
//! churn-audit card     [--model FILE] [--out FILE]
//! churn-audit compare  --before FILE --after FILE [--model FILE] [--as-of-before YYYY-MM-DD]
//!                      [--as-of-after YYYY-MM-DD] [--format csv|json] [--out FILE]
//! churn-audit simulate --accounts N --seed S [--out FILE|FILE.xlsx] [--as-of YYYY-MM-DD]
//!                      [--snapshot-after DAYS --out-after FILE] [--new-share X] [--renamed-share X]
//! ```
//! The commands and their options are declared once, as clap derives ([`Cli`]): clap
//! checks them (required options, numbers, dates, formats), suggests the option meant
//! when one is mistyped, and writes `--help` and `--version`. Checks that need more than
//! the option itself (an L2 strength of at least 0, a held-out share below 0.9) are the
//! library's, so they read the same from every front end. Numeric options take a value
//! that starts with `-` (`allow_negative_numbers`), so `--seed -1` is refused as an
//! invalid value of `--seed` and `--l2 -1` reaches the library's check, as before clap.
//!
//! `--data` takes a text export (CSV, TSV...) or a workbook (`.xlsx`, `.xlsm`, `.xlsb`,
//! `.xls`, `.ods`), whose sheet is read as the same table would be from a CSV export
//! ([`ingest::workbook`]): what was done to read it (the sheet chosen, title rows skipped,
//! error cells) is printed as warnings, and `score --format json` lists it with the file's
//! warnings. Line numbers in messages are then the sheet's row numbers.
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
    /// Simulate a labelled history of B2B accounts (CSV, or an .xlsx workbook).
    ///
    /// The same seed and as-of date give the same bytes. An --out (or --out-after) whose
    /// name ends in .xlsx gets the same accounts as an Excel workbook: typed numbers,
    /// date cells, and the same scores as the CSV.
    Simulate(SimulateArgs),
    /// Compare a previous account list with the current one.
    ///
    /// Both are scored with one model and matched by account id: the accounts new and
    /// gone, the tier-to-tier table, and per account in both its change of probability
    /// with the log-odds change split exactly by input.
    Compare(CompareArgs),
}

/// `compare`'s options.
#[derive(Args)]
struct CompareArgs {
    /// The previous account list, or a saved audit (score --format audit).
    #[arg(long, value_name = "FILE")]
    before: String,
    /// The current account list.
    #[arg(long, value_name = "FILE")]
    after: String,
    /// The model both are scored with (default: the bundled model).
    #[arg(long, value_name = "FILE")]
    model: Option<String>,
    /// The day the previous list's dates are counted to (default: --as-of-after).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = iso_date)]
    as_of_before: Option<i64>,
    /// The day the current list's dates are counted to (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = iso_date)]
    as_of_after: Option<i64>,
    /// What to write.
    #[arg(long, value_enum, default_value_t = CompareFormat::Csv)]
    format: CompareFormat,
    /// Where to write the comparison (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
}

/// What `compare` writes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CompareFormat {
    /// One row per account: both probabilities and the change by input; then the new
    /// and gone accounts.
    Csv,
    /// Everything: new and gone ids, each account's change split by input, the
    /// tier-to-tier table, the portfolio's change.
    Json,
}

/// The `--sheet` option of the commands that read an account file.
#[derive(Args)]
struct SheetArg {
    /// For a workbook: the sheet to read, by name or number from 1 (default: the first
    /// whose header has an account id column).
    #[arg(long, value_name = "NAME|NUMBER")]
    sheet: Option<String>,
}

/// `score`'s options.
#[derive(Args)]
struct ScoreArgs {
    /// The account list (CSV or another delimited text export, or a workbook: .xlsx,
    /// .xlsm, .xlsb, .xls, .ods).
    #[arg(long, value_name = "FILE")]
    data: String,
    #[command(flatten)]
    sheet: SheetArg,
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
    /// The scored rows as an Excel workbook, with the report's facts on a second sheet
    /// (needs --out).
    Xlsx,
    /// A saved audit (JSON, models/saved-audit.schema.json): the scored results, the
    /// model, the thresholds, the date and the file's SHA-256, not the file; the page
    /// reopens it, and `compare --before` takes it.
    Audit,
}

/// `train`'s options.
#[derive(Args)]
struct TrainArgs {
    /// The labelled account table (a text export or a workbook).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "before",
        conflicts_with = "before"
    )]
    data: Option<String>,
    #[command(flatten)]
    sheet: SheetArg,
    /// The column that says whether the account churned.
    #[arg(
        long,
        value_name = "COL",
        required_unless_present = "before",
        conflicts_with = "before"
    )]
    label: Option<String>,
    /// Instead of --data and --label: an earlier export of the accounts, labelled by the
    /// later one (--after): the accounts gone from it churned, the others renewed.
    #[arg(long, value_name = "FILE", requires = "after")]
    before: Option<String>,
    /// The later export that labels --before.
    #[arg(long, value_name = "FILE", requires = "before")]
    after: Option<String>,
    /// A status column of --after whose value marks an account lost although it is
    /// still listed.
    #[arg(long, value_name = "COL", requires = "before")]
    lost_column: Option<String>,
    /// The values of --lost-column that mean lost (comma-separated; default: any churn
    /// word such as lost, churned, cancelled).
    #[arg(
        long,
        value_name = "VALUE,VALUE",
        value_delimiter = ',',
        requires = "lost_column"
    )]
    lost_values: Vec<String>,
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
    /// The inputs next-best actions may change, instead of the defaults from each
    /// input's kind and name (comma-separated, or the option repeated; `COL:lower`,
    /// `COL:raise` or `COL:any` gives the realistic direction).
    #[arg(long, value_name = "COL,COL", value_delimiter = ',')]
    actionable: Option<Vec<String>>,
    /// The numeric column holding each account's value, for revenue at risk (default:
    /// the contract value column, if the table has one; otherwise revenue at risk is
    /// not shown for the model).
    #[arg(long, value_name = "COL")]
    value: Option<String>,
}

/// `eval`'s options.
#[derive(Args)]
struct EvalArgs {
    /// The model file.
    #[arg(long, value_name = "FILE")]
    model: String,
    /// The labelled account table (a text export or a workbook).
    #[arg(long, value_name = "FILE")]
    data: String,
    #[command(flatten)]
    sheet: SheetArg,
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
    /// Where to write the history (default: stdout); FILE.xlsx: as an Excel workbook.
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
    #[command(flatten)]
    as_of: AsOf,
    /// Also write the same accounts DAYS later (to --out-after): the churned accounts
    /// gone at their renewal, the others moved on, some new.
    #[arg(long, value_name = "DAYS", requires = "out_after", value_parser = clap::value_parser!(i64).range(1..=3650))]
    snapshot_after: Option<i64>,
    /// Where to write the later snapshot (FILE.xlsx: as an Excel workbook).
    #[arg(long, value_name = "FILE", requires = "snapshot_after")]
    out_after: Option<String>,
    /// New accounts in the later snapshot, as a share of the accounts.
    #[arg(
        long,
        value_name = "SHARE",
        default_value_t = 0.10,
        requires = "snapshot_after"
    )]
    new_share: f64,
    /// The share of the accounts still there whose id changed (merges, migrations).
    #[arg(
        long,
        value_name = "SHARE",
        default_value_t = 0.01,
        requires = "snapshot_after"
    )]
    renamed_share: f64,
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
    if let Command::Score(a) = &cli.command {
        if a.format == ScoreFormat::Xlsx && a.out.is_none() {
            use clap::CommandFactory;
            Cli::command()
                .error(
                    clap::error::ErrorKind::MissingRequiredArgument,
                    "--format xlsx writes a workbook to a file, not to the terminal or a pipe: add --out FILE.xlsx",
                )
                .exit();
        }
    }
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
        Command::Compare(a) => &a.out,
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
        Command::Compare(a) => compare_cmd(a),
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

/// An account file read as a workbook: its sheet's table as text, for the pipeline.
struct WorkbookInput {
    /// The sheet as comma-separated text (line n = row n).
    csv: Vec<u8>,
    /// The name messages and reports use: the file and its sheet.
    name: String,
    /// The workbook file's SHA-256 (the report names the file, not the text made of it).
    sha256: String,
    /// What was done to read it (printed as warnings).
    notes: Vec<String>,
}

/// Reads `path` as a workbook when it is one (a zip or OLE file, or markup with a
/// workbook's name); `None` for a text table, which the caller reads as before. Only the
/// file's first bytes are read to decide, so a big CSV export is not read twice.
fn workbook_input(path: &str, sheet: &SheetArg) -> Result<Option<WorkbookInput>> {
    use churn_audit::ingest::workbook;
    let name = file_name(path);
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    let mut head = Vec::with_capacity(4096);
    if meta.is_file() {
        (&mut file)
            .take(4096)
            .read_to_end(&mut head)
            .map_err(|e| Error::io(path, e))?;
    }
    if !workbook::is_workbook(&head, name) {
        return match &sheet.sheet {
            Some(_) => Err(Error::unusable(
                name,
                "--sheet names a sheet of a workbook (.xlsx, .xlsm, .xlsb, .xls, .ods), and this file is a text table",
            )),
            None => Ok(None),
        };
    }
    if meta.len() > workbook::MAX_FILE_BYTES {
        return Err(Error::unusable(
            name,
            format!(
                "the workbook is {} MB, over the {} MB this tool reads; save the sheet as CSV",
                meta.len() >> 20,
                workbook::MAX_FILE_BYTES >> 20
            ),
        ));
    }
    let bytes = read(path)?;
    let choice = match &sheet.sheet {
        Some(s) => workbook::SheetChoice::Named(s.clone()),
        None => workbook::SheetChoice::Auto,
    };
    let table = workbook::read_workbook(&bytes, name, &choice)?;
    Ok(Some(WorkbookInput {
        csv: table.csv,
        name: table.label,
        sha256: score::sha256_hex(&bytes),
        notes: table.notes,
    }))
}

fn score(args: &ScoreArgs) -> Result<()> {
    let data = args.data.as_str();
    let model = load_model(args.model.as_deref())?;
    let format = args.format;
    let book = workbook_input(data, &args.sheet)?;
    // The file streams through one scorer per core (cut at line feeds, joined in order
    // into exactly the one-scorer result) and the CSV streams out: memory holds the
    // scored columns, never the whole file or every row's text.
    let open = || std::fs::File::open(data);
    let meta = open()
        .and_then(|f| f.metadata())
        .map_err(|e| Error::io(data, e))?;
    let (name, as_of) = (file_name(data), args.as_of.days());
    // The file's SHA-256 is reported in the JSON, the saved audit and the workbook only
    // (the scored CSV and the summary do not carry it), so only they pay for it.
    let json = matches!(format, ScoreFormat::Json | ScoreFormat::Audit);
    let xlsx = format == ScoreFormat::Xlsx;
    // The CSV is written from the parts' rows as they are (the first part's list holds
    // the whole file's figures): joining them would only copy the later rows once more.
    let (scored, later) = if let Some(book) = &book {
        // A workbook's sheet, already text in memory: one scorer reads it.
        let mut scorer = score::Scorer::new(model.clone(), &book.name, as_of, Default::default());
        scorer.push(&book.csv)?;
        let mut scored = scorer.finish()?;
        scored.file_sha256 = book.sha256.clone();
        let mut warnings = book.notes.clone();
        warnings.append(&mut scored.file_warnings);
        scored.file_warnings = warnings;
        (scored, Vec::new())
    } else if meta.is_file() {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let starts =
            score::part_starts(meta.len(), threads, &open).map_err(|e| Error::io(data, e))?;
        let (mapping, size) = (Default::default(), meta.len());
        let (mut scored, later) = score::score_in_parts(
            &model,
            name,
            as_of,
            &mapping,
            size,
            &starts,
            &open,
            json || xlsx,
        )?;
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
        let mut scorer = score::Scorer::new(model.clone(), name, as_of, Default::default());
        if !json && !xlsx {
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
        } else if format == ScoreFormat::Audit {
            let saved = churn_audit::audit_file::SavedAudit::from_scored(&scored, &model);
            w.write_all(saved.to_json().as_bytes())?;
        } else if json {
            // Written as it is made: a million rows never sit in memory as objects.
            scored.write_json_threaded(&mut w, threads)?;
            w.write_all(b"\n")?;
        } else if xlsx {
            // The workbook is made from the scored CSV, as the page makes it.
            let parts: Vec<&score::Scored> = std::iter::once(&scored).chain(&later).collect();
            let mut csv = Vec::new();
            score::write_csv_parts(&parts, &mut csv, threads)?;
            let r = &scored.overview(0).result;
            let facts = score::ReportFacts {
                file: r.file.clone(),
                file_sha256: r.file_sha256.clone(),
                model: r.model.clone(),
                as_of: r.as_of.clone(),
                accounts: r.summary.accounts_scored,
            };
            let book = score::scored_csv_to_xlsx(&csv, &facts).map_err(std::io::Error::other)?;
            w.write_all(&book)?;
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
         expected churners: {:.1} ({:.1}%)\n",
        s.accounts_scored,
        r.file,
        r.encoding,
        r.delimiter,
        r.as_of,
        r.model,
        coverage_text(&r.coverage),
        s.rows_with_warnings,
        s.expected_churners,
        share,
    );
    // Without a value column there is no revenue at risk: no figure rather than a 0.
    let revenue = r.value_input.is_some();
    if revenue {
        out.push_str(&format!(
            "revenue at risk: {}\n",
            grouped(s.revenue_at_risk)
        ));
    }
    for t in &s.tiers {
        out.push_str(&format!("  {:<8} {:>7} accounts", t.name, t.accounts));
        if revenue {
            out.push_str(&format!("  {:>15} at risk", grouped(t.revenue_at_risk)));
        }
        out.push('\n');
    }
    if r.demonstration_model {
        out.push_str(DEMONSTRATION);
    }
    for w in &r.file_warnings {
        out.push_str(&format!("warning: {w}\n"));
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
fn grouped(x: f64) -> String {
    let n = x.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
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

/// An account file's bytes as the pipeline reads them, and its name for messages: a text
/// table as it is, a workbook's sheet as text (what was done to read it is printed).
fn account_file(path: &str, sheet: &SheetArg) -> Result<(Vec<u8>, String)> {
    match workbook_input(path, sheet)? {
        Some(book) => {
            for note in &book.notes {
                eprintln!("warning: {note}");
            }
            Ok((book.csv, book.name))
        }
        None => Ok((read(path)?, file_name(path).to_string())),
    }
}

fn train_cmd(args: &TrainArgs) -> Result<()> {
    let cfg = train::TrainConfig {
        label: args.label.clone().unwrap_or_default(),
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
        actionable: args.actionable.clone(),
        value: args.value.clone(),
    };
    let started = std::time::Instant::now();
    let train::Trained { model, warnings } = match (&args.before, &args.after, &args.data) {
        (Some(before), Some(after), _) => {
            let opts = train::SnapshotOptions {
                id: args.id.clone(),
                lost_column: args.lost_column.clone(),
                lost_values: args
                    .lost_values
                    .iter()
                    .map(|v| v.trim().to_string())
                    .collect(),
            };
            let (b, a) = (read(before)?, read(after)?);
            let (trained, labels) = train::train_from_snapshots(
                &b,
                file_name(before),
                &a,
                file_name(after),
                &opts,
                &cfg,
                &mut |_| {},
            )?;
            eprintln!(
                "labels from two snapshots: {} churned ({} gone, {} marked lost), {} renewed; {} new accounts left out",
                labels.churned, labels.gone, labels.marked_lost, labels.renewed, labels.new_accounts
            );
            for c in &labels.cautions {
                eprintln!("caution: {c}");
            }
            trained
        }
        (_, _, Some(data)) => {
            let (bytes, name) = account_file(data, &args.sheet)?;
            train::train_with_report(&bytes, &name, &cfg)?
        }
        // clap requires --data or --before with --after.
        _ => {
            return Err(Error::unusable(
                "train",
                "give --data and --label, or --before and --after",
            ))
        }
    };
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
    let (bytes, name) = account_file(args.data.as_str(), &args.sheet)?;
    let as_of = args.as_of.days();
    let e = train::evaluate(&bytes, &name, &model, &args.label, as_of)?;
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
    let (Some(days), Some(after)) = (args.snapshot_after, &args.out_after) else {
        return write_history(args.out.as_deref(), &simulate::simulate(&cfg));
    };
    check_writable(after)?;
    for (name, share) in [
        ("--new-share", args.new_share),
        ("--renamed-share", args.renamed_share),
    ] {
        if !(0.0..=1.0).contains(&share) {
            return Err(Error::unusable(
                name,
                format!("{share} is not a share between 0 and 1"),
            ));
        }
    }
    let snap = simulate::SnapshotConfig {
        days,
        new_share: args.new_share,
        renamed_share: args.renamed_share,
    };
    let two = simulate::simulate_snapshots(&cfg, &snap);
    write_history(args.out.as_deref(), &two.before)?;
    write_history(Some(after), &two.after)?;
    eprintln!(
        "{} accounts; {} days later: {} churned and gone, {} with a changed id, {} new",
        cfg.accounts,
        days,
        two.churned_ids.len(),
        two.renamed.len(),
        (cfg.accounts as f64 * snap.new_share).round()
    );
    Ok(())
}

/// Writes a simulated history: to a path ending in `.xlsx` (any letter case) as an Excel
/// workbook of the same accounts ([`simulate::to_xlsx`]), else as the CSV text.
fn write_history(out: Option<&str>, csv: &str) -> Result<()> {
    match out {
        Some(path) if is_xlsx_path(path) => {
            let bytes = simulate::to_xlsx(csv).map_err(|e| match e {
                Error::Unusable { reason, .. } => Error::unusable(path, reason),
                e => e,
            })?;
            std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
        }
        _ => write_out(out, csv),
    }
}

fn is_xlsx_path(path: &str) -> bool {
    path.len() > 5
        && path.is_char_boundary(path.len() - 5)
        && path[path.len() - 5..].eq_ignore_ascii_case(".xlsx")
}

/// Scores a whole file with one scorer.
fn score_file(path: &str, model: &Model, as_of: i64) -> Result<score::Scored> {
    let bytes = read(path)?;
    let mut scorer = score::Scorer::new(model.clone(), file_name(path), as_of, Default::default());
    scorer.push(&bytes)?;
    scorer.finish()
}

/// The earlier side of a comparison: a saved audit (`score --format audit`), scored
/// again on `model` from its saved inputs, or an account list scored as of `as_of`.
fn before_side(path: &str, model: &Model, as_of: i64) -> Result<(score::Scored, Vec<String>)> {
    let bytes = read(path)?;
    if bytes.trim_ascii_start().starts_with(b"{") {
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::unusable(path, "the file is not UTF-8 text"))?;
        let saved = churn_audit::audit_file::SavedAudit::from_json(&text, file_name(path))?;
        let r = saved.reopen(Some(model), file_name(path))?;
        return Ok((r.scored, r.notes));
    }
    let mut scorer = score::Scorer::new(model.clone(), file_name(path), as_of, Default::default());
    scorer.push(&bytes)?;
    Ok((scorer.finish()?, Vec::new()))
}

fn compare_cmd(args: &CompareArgs) -> Result<()> {
    let model = load_model(args.model.as_deref())?;
    let after_day = args
        .as_of_after
        .unwrap_or_else(|| AsOf { days: None }.days());
    let before_day = args.as_of_before.unwrap_or(after_day);
    let (before, notes) = before_side(&args.before, &model, before_day)?;
    let after = score_file(&args.after, &model, after_day)?;
    let mut c = churn_audit::compare::compare(&before, &after);
    c.notes.splice(0..0, notes);
    let text = match args.format {
        CompareFormat::Csv => c.to_csv(),
        CompareFormat::Json => {
            let mut s = serde_json::to_string_pretty(&c).map_err(|e| Error::io("json", e))?;
            s.push('\n');
            s
        }
    };
    write_out(args.out.as_deref(), &text)?;
    eprint!("{}", compare_summary(&c));
    Ok(())
}

/// The human summary of a comparison, printed on stderr.
fn compare_summary(c: &churn_audit::compare::Comparison) -> String {
    let p = &c.portfolio;
    let mut out = format!(
        "compared {} ({} accounts, as of {}) with {} ({} accounts, as of {})\n\
         in both: {}; new: {}; gone: {}\n\
         expected churners: {:.1} -> {:.1}\n\
         revenue at risk: {} -> {}\n",
        c.before.file,
        c.before.accounts,
        c.before.as_of,
        c.after.file,
        c.after.accounts,
        c.after.as_of,
        c.accounts.len(),
        c.new_accounts.len(),
        c.gone_accounts.len(),
        p.expected_churners_before,
        p.expected_churners_after,
        grouped(p.revenue_at_risk_before),
        grouped(p.revenue_at_risk_after),
    );
    for t in &p.tiers {
        out.push_str(&format!(
            "  {:<8} {:>7} -> {:>7} accounts\n",
            t.name, t.accounts_before, t.accounts_after
        ));
    }
    for d in p.drivers.iter().take(3) {
        out.push_str(&format!(
            "  driver: {} {:+.2} log-odds over the accounts in both\n",
            d.label, d.log_odds_change
        ));
    }
    for n in &c.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    for w in &c.problems {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
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
        assert_eq!(t.data.as_deref(), Some("a.csv"));
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
