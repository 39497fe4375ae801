//! The independent scorer (`tests/reference/score_reference.py`, plain Python) run on a
//! file, for the tests that check our probabilities against it.

use std::path::Path;
use std::process::Command;

/// The reference scorer's account ids and churn probabilities for `data`, scored with
/// the model file `model` and dates counted up to `as_of` (YYYY-MM-DD), in file order.
pub fn reference_scores(model: &Path, data: &Path, as_of: &str) -> Vec<(String, f64)> {
    let reference = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/score_reference.py"))
        .args([model.to_str().unwrap(), data.to_str().unwrap(), as_of])
        .output()
        .expect("python3 runs");
    assert!(
        reference.status.success(),
        "{}",
        String::from_utf8_lossy(&reference.stderr)
    );
    String::from_utf8(reference.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (id, p) = l.rsplit_once(',').unwrap();
            (id.to_string(), p.parse().unwrap())
        })
        .collect()
}
