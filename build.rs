//! Writes into `OUT_DIR` what the crate compiles in: the bundled model,
//! `models/default.json` without the whitespace between its tokens (a quarter of its
//! bytes, and the page downloads them).

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=models/default.json");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let model = std::fs::read_to_string("models/default.json").expect("models/default.json");
    std::fs::write(Path::new(&out).join("default.json"), compact(&model))
        .expect("OUT_DIR is writable");
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
