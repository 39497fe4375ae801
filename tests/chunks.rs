//! A file read in chunks is read exactly like the whole file: every committed fixture
//! and hostile-corpus file, and generated files larger than the head
//! (`ingest::HEAD_BYTES`) with late non-ASCII text, CRLF line ends, quoted line breaks
//! and UTF-16, give byte-identical results (or the same error) whatever the chunk sizes.
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use churn_audit::features::Mapping;
use churn_audit::ingest::{parse_iso_date, HEAD_BYTES};
use churn_audit::model::Model;
use churn_audit::score::{
    audit_mapped, part_starts, score_in_parts, write_csv_parts, AuditResult, Part, Scored, Scorer,
};
use churn_audit::simulate::{simulate, SimConfig};

fn as_of() -> i64 {
    parse_iso_date("2026-01-15").unwrap()
}

fn outcome(r: churn_audit::Result<AuditResult>) -> String {
    match r {
        Ok(result) => serde_json::to_string(&result).unwrap(),
        Err(e) => format!("error: {e}"),
    }
}

/// The whole file's result (or error), the reference every other reading must equal.
fn whole_file(bytes: &[u8], model: &Model) -> String {
    outcome(audit_mapped(
        bytes,
        "f.csv",
        model,
        as_of(),
        &Mapping::new(),
    ))
}

fn chunked(bytes: &[u8], model: &Model, sizes: &[usize]) -> String {
    // With the file's size announced, as the page and the command line do.
    let mut scorer = Scorer::new(model.clone(), "f.csv", as_of(), Mapping::new())
        .expect_bytes(bytes.len() as u64);
    let mut at = 0;
    let mut k = 0;
    let run = (|| {
        while at < bytes.len() {
            let n = sizes[k % sizes.len()].max(1);
            let end = (at + n).min(bytes.len());
            scorer.push(&bytes[at..end])?;
            at = end;
            k += 1;
        }
        scorer.finish()
    })();
    outcome(run.map(|s| s.to_result()))
}

/// The file scored on threads, in parts starting at `starts` (see `parallel`): the
/// first part's rows and figures, and the later parts' rows kept apart; the file's
/// SHA-256 with `digest`.
fn scored_in_parts(
    bytes: &[u8],
    model: &Model,
    starts: &[u64],
    digest: bool,
) -> churn_audit::Result<(Scored, Vec<Scored>)> {
    let open = || Ok(std::io::Cursor::new(bytes));
    let size = bytes.len() as u64;
    score_in_parts(
        model,
        "f.csv",
        as_of(),
        &Mapping::new(),
        size,
        starts,
        &open,
        digest,
    )
}

/// The file scored on threads (see `scored_in_parts`), the parts' rows joined.
fn in_parts(bytes: &[u8], model: &Model, starts: &[u64]) -> String {
    let run = scored_in_parts(bytes, model, starts, true).and_then(|(mut first, later)| {
        first.join_later(later)?;
        Ok(first)
    });
    outcome(run.map(|s| s.to_result()))
}

/// The figures (but the file's SHA-256, which the scored CSV does not carry) and the
/// scored CSV of `scored` (the first part's list, with the whole file's figures) and
/// `later` (the later parts' rows), or the error.
fn figures_and_csv(run: churn_audit::Result<(Scored, Vec<Scored>)>, threads: usize) -> String {
    match run {
        Ok((mut first, later)) => {
            first.file_sha256.clear();
            let parts: Vec<&Scored> = std::iter::once(&first).chain(&later).collect();
            let mut csv = Vec::new();
            write_csv_parts(&parts, &mut csv, threads).unwrap();
            let figures = serde_json::to_string(&first.overview(0).result).unwrap();
            format!("{figures}\n{}", String::from_utf8(csv).unwrap())
        }
        Err(e) => format!("error: {e}"),
    }
}

/// The command line's path: the file scored on threads without its SHA-256, the later
/// parts' rows kept apart and the scored CSV written from the lists as they are, on
/// `threads` threads.
fn csv_in_parts(bytes: &[u8], model: &Model, starts: &[u64], threads: usize) -> String {
    let run = scored_in_parts(bytes, model, starts, false);
    if let Ok((first, _)) = &run {
        assert_eq!(
            first.file_sha256, "",
            "a SHA-256 computed without being asked"
        );
    }
    figures_and_csv(run, threads)
}

/// Scoring in parts gives the whole file's result byte for byte, with the cuts chosen
/// for 2, 3 and 5 threads (none below `score::MIN_PARALLEL_BYTES`) and at `starts`
/// (each just after a line feed); so does the scored CSV written from the parts' rows
/// kept apart.
fn check_parts(name: &str, bytes: &[u8], model: &Model, starts: &[u64]) {
    let whole = whole_file(bytes, model);
    let whole_csv = {
        let mut scorer = Scorer::new(model.clone(), "f.csv", as_of(), Mapping::new());
        let run = scorer.push(bytes).and_then(|()| scorer.finish());
        figures_and_csv(run.map(|scored| (scored, Vec::new())), 1)
    };
    let open = || Ok(std::io::Cursor::new(bytes));
    let mut plans: Vec<Vec<u64>> = [2, 3, 5]
        .iter()
        .map(|&n| part_starts(bytes.len() as u64, n, &open).unwrap())
        .collect();
    plans.push(starts.to_vec());
    for (i, &s) in starts.iter().enumerate() {
        assert_eq!(bytes[s as usize - 1], b'\n', "{name}: start {i}");
    }
    for starts in plans {
        let parts = in_parts(bytes, model, &starts);
        assert!(
            parts == whole,
            "{name}: parts at {starts:?} differ from the whole file\nwhole: {}\nparts: {}",
            &whole[..whole.len().min(400)],
            &parts[..parts.len().min(400)]
        );
        for threads in [1, 3] {
            let csv = csv_in_parts(bytes, model, &starts, threads);
            assert!(
                csv == whole_csv,
                "{name}: the CSV of parts at {starts:?} kept apart ({threads} threads) differs\nwhole: {}\nparts: {}",
                &whole_csv[..whole_csv.len().min(400)],
                &csv[..csv.len().min(400)]
            );
        }
    }
}

/// Whether the scorer of the bytes before `start` ends there at a record's end, and
/// whether the part from `start` then joins it: the paths `check_parts` takes.
fn joins(bytes: &[u8], model: &Model, start: usize) -> (bool, bool) {
    let before = || {
        let mut first = Scorer::new(model.clone(), "f.csv", as_of(), Mapping::new());
        first.push(&bytes[..start]).unwrap();
        first
    };
    let mut first = before();
    let mut part = Scorer::part(
        model.clone(),
        "f.csv",
        as_of(),
        Mapping::new(),
        &bytes[..HEAD_BYTES],
    )
    .unwrap();
    part.push(&bytes[start..]).unwrap();
    // Through the bytes a web worker hands over; damage is an error, never a panic.
    let wire = part.into_part().unwrap().to_bytes().unwrap();
    for cut in [0, 10, wire.len() / 3, wire.len() - 1] {
        assert!(Part::from_bytes(&wire[..cut], model, "f.csv", as_of()).is_err());
    }
    let part = Part::from_bytes(&wire, model, "f.csv", as_of()).unwrap();
    if !first.end_part().unwrap() {
        return (false, false);
    }
    // Damaged bytes are refused and leave the first part as it was.
    for cut in [10, wire.len() / 2, wire.len() - 1] {
        assert!(!first.join_bytes(&wire[..cut]).unwrap());
    }
    // The threads' path (a part in memory) agrees with the page's (bytes read straight
    // into the columns), which is the one compared with the whole file below.
    let mut other = before();
    assert!(other.end_part().unwrap());
    let joined = first.join_bytes(&wire).unwrap();
    assert_eq!(joined, other.join(part).unwrap());
    check_pieces(bytes, model, start, joined);
    if joined {
        let whole = whole_file(bytes, model);
        for (path, scorer) in [("bytes", first), ("memory", other)] {
            let mut scored = scorer.finish().unwrap();
            scored.file_sha256 = churn_audit::score::sha256_hex(bytes);
            assert!(
                outcome(Ok(scored.to_result())) == whole,
                "joined through {path}"
            );
        }
    }
    (true, joined)
}

/// The part from `start` scored as a partner web worker does: a piece of its rows taken
/// before any byte and after every `every` bytes pushed, then the part's own bytes.
fn pieces_of(bytes: &[u8], model: &Model, start: usize, every: usize) -> (Vec<Vec<u8>>, Vec<u8>) {
    let head = &bytes[..HEAD_BYTES];
    let mut part = Scorer::part(model.clone(), "f.csv", as_of(), Mapping::new(), head).unwrap();
    let mut pieces = vec![part.take_piece().unwrap()];
    let mut rows = 0;
    for chunk in bytes[start..].chunks(every) {
        part.push(chunk).unwrap();
        assert!(part.rows() >= rows, "rows handed on still count");
        rows = part.rows();
        pieces.push(part.take_piece().unwrap());
    }
    (pieces, part.into_part().unwrap().to_bytes().unwrap())
}

/// The part from `start` handed over in pieces (the page's path) joins exactly when it
/// joins whole (`joined`); a lost or damaged piece gets the whole part refused with every
/// piece taken back out, so the first scorer reading on gives the whole file's result.
fn check_pieces(bytes: &[u8], model: &Model, start: usize, joined: bool) {
    let whole = whole_file(bytes, model);
    let (pieces, last) = pieces_of(bytes, model, start, 256 << 10);
    assert!(pieces.len() > 3);
    let first = || {
        let mut first = Scorer::new(model.clone(), "f.csv", as_of(), Mapping::new());
        first.push(&bytes[..start]).unwrap();
        assert!(first.end_part().unwrap());
        first
    };
    let result = |scorer: Scorer| {
        let mut scored = scorer.finish().unwrap();
        scored.file_sha256 = churn_audit::score::sha256_hex(bytes);
        outcome(Ok(scored.to_result()))
    };
    let read_on = |mut scorer: Scorer| {
        scorer.reopen();
        scorer.push(&bytes[start..]).unwrap();
        result(scorer)
    };
    // What the page shows before it joins the rows: exactly the figures joining gives.
    let preview = first().preview(&[&last], 500);
    assert_eq!(
        preview.is_some(),
        joined,
        "a preview of a part that does not join"
    );
    let mut all = first();
    assert!(pieces.iter().all(|p| all.join_piece(p)));
    // The same with the pieces joined already (the page joins them as they come).
    let later = all.preview(&[&last], 500);
    assert_eq!(
        later.as_ref().map(|o| &o.result),
        preview.as_ref().map(|o| &o.result)
    );
    assert_eq!(all.join_bytes(&last).unwrap(), joined);
    if let Some(preview) = preview {
        let mut scored = all.finish().unwrap();
        scored.file_sha256.clear();
        assert!(
            preview.result == scored.overview(500).result,
            "the preview's figures"
        );
        all = first();
        assert!(pieces.iter().all(|p| all.join_piece(p)));
        assert!(all.join_bytes(&last).unwrap());
    }
    let all = if joined { result(all) } else { read_on(all) };
    assert!(all == whole, "joined in pieces");

    let mut lost = first();
    for (i, p) in pieces.iter().enumerate() {
        assert!(i == 2 || lost.join_piece(p));
    }
    assert!(!lost.join_bytes(&last).unwrap());
    assert!(read_on(lost) == whole, "a lost piece");

    let mut damaged = first();
    assert!(damaged.join_piece(&pieces[1]));
    assert!(!damaged.join_piece(&pieces[2][..pieces[2].len() - 1]));
    assert!(!damaged.join_piece(&pieces[3]));
    assert!(!damaged.join_bytes(&last).unwrap());
    assert!(read_on(damaged) == whole, "a damaged piece");
}

/// The bytes a partner hands over for the part `from..to` (a later part ends at a
/// record's end, as the page's middle parts do).
fn part_bytes(bytes: &[u8], model: &Model, from: usize, to: usize) -> Vec<u8> {
    let head = &bytes[..HEAD_BYTES];
    let mut part = Scorer::part(model.clone(), "f.csv", as_of(), Mapping::new(), head).unwrap();
    part.push(&bytes[from..to]).unwrap();
    if to < bytes.len() {
        assert!(part.end_part().unwrap());
    }
    part.into_part().unwrap().to_bytes().unwrap()
}

#[test]
fn a_preview_of_two_parts_has_the_whole_files_figures() {
    let model = churn_audit::default_model().unwrap();
    let csv = big_list(70_000);
    let b = csv.as_bytes();
    let (c1, c2) = (
        after_newline(b, 5_000_000) as usize,
        after_newline(b, 6_000_000) as usize,
    );
    let first = || {
        let mut first = Scorer::new(model.clone(), "f.csv", as_of(), Mapping::new());
        first.push(&b[..c1]).unwrap();
        assert!(first.end_part().unwrap());
        first
    };
    let (p1, p2) = (
        part_bytes(b, &model, c1, c2),
        part_bytes(b, &model, c2, b.len()),
    );
    let preview = first().preview(&[&p1, &p2], 500).unwrap();
    let mut whole = Scorer::new(model.clone(), "f.csv", as_of(), Mapping::new());
    whole.push(b).unwrap();
    let mut whole = whole.finish().unwrap();
    whole.file_sha256.clear();
    let expected = whole.overview(500);
    assert!(
        preview.result == expected.result,
        "the figures differ from the whole file's"
    );
    // Its warnings are the first part's, which here holds at least 500.
    assert_eq!(preview.row_warnings, expected.row_warnings);
    // Once the first part is joined, the second alone gives the same figures.
    let mut joined = first();
    assert!(joined.join_bytes(&p1).unwrap());
    let rest = joined.preview(&[&p2], 500).unwrap();
    assert!(
        rest.result == expected.result,
        "after joining the first part"
    );
    // Parts out of order, a part missing, or damaged: no preview.
    assert!(first().preview(&[&p2, &p1], 500).is_none());
    assert!(first().preview(&[&p1], 500).is_none());
    assert!(first().preview(&[&p1, &p2[..p2.len() - 1]], 500).is_none());
    assert!(first().preview(&[], 500).is_none());
}

/// Just after the first line feed at or after byte `at`.
fn after_newline(bytes: &[u8], at: usize) -> u64 {
    (at + bytes[at..].iter().position(|&b| b == b'\n').unwrap() + 1) as u64
}

fn check(name: &str, bytes: &[u8], model: &Model, plans: &[&[usize]]) {
    let whole = whole_file(bytes, model);
    for sizes in plans {
        let parts = chunked(bytes, model, sizes);
        assert!(
            parts == whole,
            "{name}: chunks of {sizes:?} differ from the whole file\nwhole: {}\nparts: {}",
            &whole[..whole.len().min(400)],
            &parts[..parts.len().min(400)]
        );
    }
}

fn models() -> Vec<Model> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let hostile = std::fs::read_to_string(dir.join("tests/fixtures/hostile/model.json")).unwrap();
    vec![
        churn_audit::default_model().unwrap(),
        Model::from_json(&hostile, "model.json").unwrap(),
    ]
}

#[test]
fn every_fixture_reads_the_same_in_any_chunks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    for sub in ["", "hostile"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "csv" | "txt" | "bin" | "xls") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 60, "{} fixture files", files.len());
    for model in models() {
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            let name = path.display().to_string();
            check(&name, &bytes, &model, &[&[1], &[2, 3, 5], &[64], &[4096]]);
        }
    }
}

/// A simulated list bigger than the head, with the twists a real export has.
fn big_list(accounts: usize) -> String {
    let csv = simulate(&SimConfig {
        accounts,
        seed: 7,
        as_of: as_of(),
    });
    assert!(
        csv.len() > HEAD_BYTES + HEAD_BYTES / 2,
        "{} bytes",
        csv.len()
    );
    csv
}

#[test]
fn files_bigger_than_the_head_read_the_same_in_any_chunks() {
    let model = churn_audit::default_model().unwrap();
    let plans: &[&[usize]] = &[&[4093], &[65_543, 1_000_003], &[(1 << 20) - 1]];
    let csv = big_list(70_000);
    let lines: Vec<&str> = csv.lines().collect();
    let tail = |from: usize| lines[from..].join("\n");

    // Plain, then with CRLF line ends (a CR at a chunk end must wait for its LF).
    check("plain", csv.as_bytes(), &model, plans);
    let b = csv.as_bytes();
    // Right after the head, and two cuts a record apart.
    let cuts = [after_newline(b, HEAD_BYTES), after_newline(b, 5_000_000)];
    let next = after_newline(b, cuts[1] as usize);
    check_parts("plain", b, &model, &[cuts[0], cuts[1], next]);
    assert_eq!(joins(b, &model, cuts[1] as usize), (true, true));
    let crlf = csv.replace('\n', "\r\n");
    check("crlf", crlf.as_bytes(), &model, &[&[4093], &[2 * 4096 + 1]]);
    check_parts(
        "crlf",
        crlf.as_bytes(),
        &model,
        &[after_newline(crlf.as_bytes(), 5_000_000)],
    );

    // A first part of blank lines alone: the rows are all the later part's.
    let blank_head = format!(
        "{}\n{}{}",
        lines[0],
        "\n".repeat(HEAD_BYTES + 1000),
        lines[1..20_000].join("\n")
    );
    let bh = blank_head.as_bytes();
    check_parts(
        "blank head",
        bh,
        &model,
        &[after_newline(bh, HEAD_BYTES + 500)],
    );

    // Quoted line breaks and doubled quotes in the name column after the head.
    let mut quoted = lines[..45_000].join("\n");
    quoted.push('\n');
    for (i, line) in lines[45_000..].iter().enumerate() {
        if i % 7 == 0 {
            let (id, rest) = line.split_once(',').unwrap();
            let (_, rest) = rest.split_once(',').unwrap();
            quoted.push_str(&format!(
                "{id},\"Acme \"\"{i}\"\"\nLtd, line two\",{rest}\n"
            ));
        } else {
            quoted.push_str(line);
            quoted.push('\n');
        }
    }
    check("quoted", quoted.as_bytes(), &model, plans);
    // Cuts inside a quoted name (its line feed is not a record's end): those parts are
    // read again by the part before them.
    let q = quoted.as_bytes();
    let inside = |from: usize| after_newline(q, from + quoted[from..].find("\"\"\n").unwrap());
    let (a, b2) = (inside(HEAD_BYTES + 100_000), inside(6_000_000));
    check_parts("quoted", q, &model, &[a]);
    assert_eq!(joins(q, &model, a as usize), (false, false));
    assert_eq!(joins(q, &model, b2 as usize), (false, false));
    check_parts("quoted", q, &model, &[after_newline(q, 5_000_000), b2]);
    check_parts("quoted", q, &model, &[a, after_newline(q, 6_500_000)]);

    // A head of pure ASCII, then UTF-8 accents: still UTF-8, split characters rejoined.
    let late_utf8 = format!(
        "{}\n{}",
        lines[..45_000].join("\n"),
        tail(45_000).replace("Energy", "Zoë Café")
    );
    check(
        "late utf-8",
        late_utf8.as_bytes(),
        &model,
        &[&[4093], &[4095], &[1 << 20]],
    );
    check_parts(
        "late utf-8",
        late_utf8.as_bytes(),
        &model,
        &[after_newline(late_utf8.as_bytes(), 6_000_000)],
    );
    // Still all ASCII where the part starts: the part's first accent decides.
    let u = late_utf8.as_bytes();
    let early = after_newline(u, HEAD_BYTES + 1000);
    check_parts("late utf-8", u, &model, &[early]);
    assert_eq!(joins(u, &model, early as usize), (true, true));
    let r = audit_mapped(
        late_utf8.as_bytes(),
        "f.csv",
        &model,
        as_of(),
        &Mapping::new(),
    )
    .unwrap();
    assert_eq!(r.encoding, "UTF-8");

    // A head of pure ASCII, then Windows-1252 accents: read as Windows-1252.
    let mut latin1 = format!("{}\n", lines[..45_000].join("\n")).into_bytes();
    latin1.extend(
        tail(45_000)
            .replace("Energy", "M\u{fc}ller")
            .chars()
            .map(|c| c as u32 as u8),
    );
    check("late latin-1", &latin1, &model, plans);
    check_parts(
        "late latin-1",
        &latin1,
        &model,
        &[after_newline(&latin1, 6_000_000)],
    );
    // Windows-1252 first, valid UTF-8 in a later part: the whole file is Windows-1252,
    // so the part that took its accents for UTF-8 is read again.
    let cut = after_newline(&latin1, 6_000_000) as usize;
    let mut mixed = latin1[..cut].to_vec();
    mixed.extend(
        String::from_utf8_lossy(&latin1[cut..])
            .replace('\u{fffd}', "ü")
            .bytes(),
    );
    let r = audit_mapped(&mixed, "f.csv", &model, as_of(), &Mapping::new()).unwrap();
    assert_eq!(r.encoding, "Latin-1 (Windows-1252)");
    check_parts("mixed", &mixed, &model, &[cut as u64]);
    // A part that joins, then one that does not: the first reader reads on after the
    // joined part's rows (on the command line, rows kept apart stay before it).
    let before = after_newline(&mixed, 5_000_000);
    assert_eq!(joins(&mixed, &model, before as usize), (true, true));
    check_parts("mixed", &mixed, &model, &[before, cut as u64]);
    assert_eq!(joins(&mixed, &model, cut), (true, false));
    assert_eq!(joins(&latin1, &model, cut), (true, true));
    let r = audit_mapped(&latin1, "f.csv", &model, as_of(), &Mapping::new()).unwrap();
    assert_eq!(r.encoding, "Latin-1 (Windows-1252)");
    assert!(r.rows.iter().any(|row| row.account_name.contains("Müller")));

    // UTF-16LE with a byte-order mark (Excel's "Unicode text"), odd chunk sizes.
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in late_utf8.encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    check("utf-16", &utf16, &model, &[&[4093], &[(1 << 20) + 1]]);
    check_parts(
        "utf-16",
        &utf16,
        &model,
        &[after_newline(&utf16, 9_000_000)],
    );
}

/// A file inspected from its head and then scored on the same scorer
/// (`Scorer::inspect_head`, the page's first worker on a big file): the same result as
/// the whole file, and the inspection of the head's complete records.
#[test]
fn a_file_inspected_from_its_head_then_scored_reads_as_the_whole_file() {
    let model = churn_audit::default_model().unwrap();
    let csv = big_list(70_000);
    let crlf = csv.replace('\n', "\r\n");
    for (name, b) in [("plain", csv.as_bytes()), ("crlf", crlf.as_bytes())] {
        let mut scorer = Scorer::new(model.clone(), "f.csv", as_of(), Mapping::new())
            .expect_bytes(b.len() as u64);
        let inspection = scorer.inspect_head(&b[..HEAD_BYTES]).unwrap().unwrap();
        // What `inspect` says of the records that end within the head.
        let complete = b[..HEAD_BYTES].iter().rposition(|&c| c == b'\n').unwrap() + 1;
        let expected =
            churn_audit::score::inspect(&b[..complete], "f.csv", &model, &Mapping::new());
        assert_eq!(
            serde_json::to_string(&inspection).unwrap(),
            serde_json::to_string(&expected.unwrap()).unwrap(),
            "{name}"
        );
        let lines = b[..complete].iter().filter(|&&c| c == b'\n').count();
        assert_eq!(inspection.rows, lines - 1, "{name}");
        let run = (|| {
            for chunk in b[HEAD_BYTES..].chunks(1 << 20) {
                scorer.push(chunk)?;
            }
            scorer.finish()
        })();
        assert_eq!(
            outcome(run.map(|s| s.to_result())),
            whole_file(b, &model),
            "{name}"
        );
    }
    // A head that is the whole file, or bytes already pushed: nothing to inspect here.
    let mut small = Scorer::new(model.clone(), "f.csv", as_of(), Mapping::new());
    assert!(small
        .inspect_head(&csv.as_bytes()[..1000])
        .unwrap()
        .is_none());
    let mut pushed = Scorer::new(model, "f.csv", as_of(), Mapping::new());
    pushed.push(&csv.as_bytes()[..HEAD_BYTES]).unwrap();
    assert!(pushed
        .inspect_head(&csv.as_bytes()[..HEAD_BYTES])
        .unwrap()
        .is_none());
}
