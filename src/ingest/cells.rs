//! Cell text: trimming, the tokens that mean "no value", and booleans.
//!
//! ## Missing values
//!
//! These cells mean "no value", in any letter case and with surrounding spaces:
//! empty, `n/a`, `na`, `-`, `--`, `null`, `nan`, `none`, `unknown`, `#n/a`,
//! `(blank)`, `?`.
//!
//! ## Booleans
//!
//! True: `yes y true t 1 1.0 x ja oui sí si checked on`.
//! False: `no n false f 0 0.0 nein non unchecked off`.
//! Any letter case, surrounding spaces ignored; missing tokens give no value.

/// `str::trim`, with a shortcut for the usual cell that has nothing to trim.
///
/// A cell that is empty, or starts and ends with a visible ASCII character, cannot
/// start or end with whitespace (a non-ASCII space would start and end with bytes
/// above 0x7F): it is returned as it is.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    let plain = |b: &u8| (0x21..0x7F).contains(b);
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (None, _) => s,
        (Some(first), Some(last)) if plain(first) && plain(last) => s,
        _ => s.trim(),
    }
}

/// Case-insensitive ASCII `strip_prefix`.
pub(super) fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// True for the tokens that mean "no value": "", n/a, N/A, na, NA, -, --, null, NULL,
/// nan, NaN, none, None, unknown, #N/A, (blank), ? — case-insensitive, after trimming.
pub fn is_missing(cell: &str) -> bool {
    const TOKENS: [&str; 12] = [
        "", "n/a", "na", "-", "--", "null", "nan", "none", "unknown", "#n/a", "(blank)", "?",
    ];
    let t = trim(cell);
    // Every token starts with one of these (or is empty): most cells are ruled out by
    // their first byte alone.
    let may_be_token = match t.as_bytes().first() {
        None => true,
        Some(b) => matches!(
            b.to_ascii_lowercase(),
            b'n' | b'-' | b'u' | b'#' | b'(' | b'?'
        ),
    };
    may_be_token && t.len() <= 7 && TOKENS.iter().any(|m| t.eq_ignore_ascii_case(m))
}

/// Parses yes/no, true/false, y/n, 1/0, t/f, x (checked) and a few other languages'
/// words. `Ok(None)` = missing.
pub fn parse_bool(cell: &str) -> std::result::Result<Option<bool>, &'static str> {
    const NOT_BOOL: &str = "is not yes/no";
    let t = trim(cell);
    // An ASCII cell (nearly all) is lowered on the stack: `to_lowercase` allocates, once
    // per yes/no cell of every row. For ASCII text both give the same letters. No word
    // below is a missing token, so a word is taken before looking for one.
    let mut lowered = [0u8; 12];
    if let Some(ascii) = lowered.get_mut(..t.len()).filter(|_| t.is_ascii()) {
        ascii.copy_from_slice(t.as_bytes());
        ascii.make_ascii_lowercase();
        return match &*ascii {
            b"yes" | b"y" | b"true" | b"t" | b"1" | b"1.0" | b"x" | b"ja" | b"oui" | b"si"
            | b"checked" | b"on" => Ok(Some(true)),
            b"no" | b"n" | b"false" | b"f" | b"0" | b"0.0" | b"nein" | b"non" | b"unchecked"
            | b"off" => Ok(Some(false)),
            _ if is_missing(t) => Ok(None),
            _ => Err(NOT_BOOL),
        };
    }
    if is_missing(t) {
        return Ok(None);
    }
    if t.len() > 12 {
        return Err(NOT_BOOL);
    }
    match t.to_lowercase().as_str() {
        "yes" | "y" | "true" | "t" | "1" | "1.0" | "x" | "ja" | "oui" | "sí" | "si" | "checked"
        | "on" => Ok(Some(true)),
        "no" | "n" | "false" | "f" | "0" | "0.0" | "nein" | "non" | "unchecked" | "off" => {
            Ok(Some(false))
        }
        _ => Err(NOT_BOOL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::tests::draw;

    #[test]
    fn the_trim_shortcut_matches_str_trim() {
        let alphabet = [
            "a", "1", " ", "\t", "\n", "\r", "\u{a0}", "\u{2009}", "\u{3000}", "é", "~", "\u{7f}",
            "\u{0}", "\u{1f}", "!", "\u{85}",
        ];
        let mut x: u64 = 0xBF58_476D_1CE4_E5B9;
        for _ in 0..100_000 {
            let cell = draw(&mut x, &alphabet, 6);
            assert_eq!(trim(&cell), cell.trim(), "{cell:?}");
        }
    }

    #[test]
    fn missing_tokens_match_the_plain_definition() {
        const TOKENS: [&str; 12] = [
            "", "n/a", "na", "-", "--", "null", "nan", "none", "unknown", "#n/a", "(blank)", "?",
        ];
        let alphabet = [
            "n", "N", "a", "A", "/", "-", "u", "l", "#", "(", "?", " ", "1", "é", "k",
        ];
        let mut x: u64 = 0xD1B5_4A32_D192_ED03;
        let mut cells: Vec<String> = TOKENS
            .iter()
            .map(|t| format!(" {} ", t.to_uppercase()))
            .collect();
        cells.extend((0..200_000).map(|_| draw(&mut x, &alphabet, 9)));
        for cell in &cells {
            let t = cell.trim();
            let expected = TOKENS.iter().any(|m| t.to_lowercase() == *m);
            assert_eq!(is_missing(cell), expected, "{cell:?}");
        }
    }

    #[test]
    fn missing_tokens() {
        for m in [
            "", " ", "n/a", "N/A", "na", "NA", "-", "--", "null", "NULL", "nan", "NaN", "none",
            "None", "unknown", "UNKNOWN", "#N/A", "(blank)", "?", "  n/a  ",
        ] {
            assert!(is_missing(m), "{m:?}");
        }
        for m in ["0", "no", "nil", "---", "n/a/", "nana", "x"] {
            assert!(!is_missing(m), "{m:?}");
        }
    }

    #[test]
    fn booleans() {
        for t in [
            "yes", "Y", "TRUE", "t", "1", "1.0", "x", "X", "ja", "Oui", "sí", "SÍ", "si",
            "checked", "ON", " yes ",
        ] {
            assert_eq!(parse_bool(t), Ok(Some(true)), "{t:?}");
        }
        for f in [
            "no",
            "N",
            "False",
            "f",
            "0",
            "0.0",
            "nein",
            "NON",
            "unchecked",
            "off",
        ] {
            assert_eq!(parse_bool(f), Ok(Some(false)), "{f:?}");
        }
        for m in ["", "n/a", "-", "None"] {
            assert_eq!(parse_bool(m), Ok(None), "{m:?}");
        }
        assert_eq!(parse_bool("maybe"), Err("is not yes/no"));
        assert_eq!(parse_bool("2"), Err("is not yes/no"));
        assert_eq!(parse_bool(&"y".repeat(1000)), Err("is not yes/no"));
    }

    #[test]
    fn booleans_read_as_the_lowercasing_reference_reads_them() {
        // The reader as it was before its ASCII path: every cell through to_lowercase.
        fn reference(cell: &str) -> std::result::Result<Option<bool>, &'static str> {
            let t = cell.trim();
            if is_missing(t) {
                return Ok(None);
            }
            if t.len() > 12 {
                return Err("is not yes/no");
            }
            match t.to_lowercase().as_str() {
                "yes" | "y" | "true" | "t" | "1" | "1.0" | "x" | "ja" | "oui" | "sí" | "si"
                | "checked" | "on" => Ok(Some(true)),
                "no" | "n" | "false" | "f" | "0" | "0.0" | "nein" | "non" | "unchecked" | "off" => {
                    Ok(Some(false))
                }
                _ => Err("is not yes/no"),
            }
        }
        let pieces = [
            "y", "E", "s", "N", "o", "T", "rue", "F", "alse", "1", ".", "0", "x", "J", "a", "OU",
            "i", "S", "Í", "í", "\u{212a}", "İ", "CHECKED", "un", "O", "n", "ff", " ", "-", "/",
        ];
        let mut rng = crate::model::tests::Rng::new(0x5eed_0012);
        for _ in 0..100_000 {
            let cell: String = (0..rng.next() % 5)
                .map(|_| pieces[(rng.next() % pieces.len() as u64) as usize])
                .collect();
            assert_eq!(parse_bool(&cell), reference(&cell), "{cell:?}");
        }
    }
}
