//! Writes into `OUT_DIR` what the crate compiles in:
//! - the bundled model, `models/default.json` without the whitespace between its
//!   tokens (a quarter of its bytes, and the page downloads them);
//! - the lower-casing tables of `src/case.rs`, read off the standard library this crate
//!   is compiled with, so that the crate's own lower-casing gives what
//!   `str::to_lowercase` and `char::to_lowercase` give, whatever Unicode version that is
//!   (the unit tests of `src/case.rs` check every character).

use std::fmt::Write;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=models/default.json");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let model = std::fs::read_to_string("models/default.json").expect("models/default.json");
    std::fs::write(Path::new(&out).join("default.json"), compact(&model))
        .expect("OUT_DIR is writable");
    std::fs::write(Path::new(&out).join("case_tables.rs"), tables()).expect("OUT_DIR is writable");
}

/// `json` without the whitespace outside its strings.
fn compact(json: &str) -> String {
    let (mut out, mut in_string, mut escaped) = (String::with_capacity(json.len()), false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            (in_string, escaped) = match (escaped, c) {
                (false, '\\') => (true, true),
                (false, '"') => (false, false),
                _ => (true, false),
            };
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
            in_string = c == '"';
        }
    }
    out
}

fn chars() -> impl Iterator<Item = char> {
    (0..=char::MAX as u32).filter_map(char::from_u32)
}

fn tables() -> String {
    // Every character that lower-cases to one other character, as runs: the same shift
    // for every character, or for every second one (Latin Extended-A alternates upper
    // and lower case). U+0130 (to "i\u{307}") is the only one that becomes two, and
    // src/case.rs handles it by name.
    let mut maps: Vec<(u32, i64)> = Vec::new();
    for c in chars() {
        let mut lower = c.to_lowercase();
        if let (Some(l), None) = (lower.next(), lower.next()) {
            if l != c {
                maps.push((c as u32, i64::from(l as u32) - i64::from(c as u32)));
            }
        } else {
            assert_eq!(c, '\u{130}', "a new two-character lower case");
        }
    }
    let mut runs = Vec::new();
    let mut i = 0;
    while i < maps.len() {
        let (first, shift) = maps[i];
        let mut best = (1, 1);
        for stride in [1, 2] {
            let mut n = 1;
            while n < 256 && maps.get(i + n) == Some(&(first + stride * n as u32, shift)) {
                n += 1;
            }
            if n > best.0 {
                best = (n, stride);
            }
        }
        runs.push((first, best.0, best.1, shift));
        i += best.0;
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "/// Runs of characters that lower-case by one shift: first | (count - 1) << 21 |\n\
         /// (stride 2) << 29, by first character.\nconst LOWER_RUNS: [u32; {}] = {:?};",
        runs.len(),
        runs.iter()
            .map(|&(first, n, stride, _)| first
                | ((n as u32 - 1) << 21)
                | (u32::from(stride == 2) << 29))
            .collect::<Vec<_>>()
    );
    let _ = writeln!(
        out,
        "/// The shift of each of [`LOWER_RUNS`].\nconst LOWER_SHIFTS: [i32; {}] = {:?};",
        runs.len(),
        runs.iter().map(|r| r.3 as i32).collect::<Vec<_>>()
    );

    // What the final-sigma rule needs to know of a character, read off the rule itself:
    // 'Σ' after "A{c}" ends a word when c is case-ignorable (skipped) or cased, and
    // after "{c}" alone when c is cased and not case-ignorable.
    let mut classes = Vec::new();
    let (mut last, mut at) = (u8::MAX, 0u32);
    let mut probe = String::new();
    for c in chars() {
        let final_after = |p: &mut String, s: &str| {
            p.clear();
            p.push_str(s);
            p.push(c);
            p.push('Σ');
            p.to_lowercase().ends_with('ς')
        };
        let class = if final_after(&mut probe, "") {
            2
        } else if final_after(&mut probe, "A") {
            1
        } else {
            0
        };
        if class != last {
            // LEB128 of (distance from the previous change) << 2 | class.
            let mut v = ((c as u32 - at) << 2) | u32::from(class);
            loop {
                let byte = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    classes.push(byte);
                    break;
                }
                classes.push(byte | 0x80);
            }
            (last, at) = (class, c as u32);
        }
    }
    let _ = writeln!(
        out,
        "/// Where the final-sigma class changes: LEB128 of (distance from the previous change)\n\
         /// << 2 | class (0 other, 1 case-ignorable, 2 cased and not case-ignorable).\n\
         const SIGMA_CLASSES: [u8; {}] = {:?};",
        classes.len(),
        classes
    );
    out
}
