//! Unicode lower case, exactly as `str::to_lowercase` and `char::to_lowercase` give it,
//! from small tables.
//!
//! core's own tables are a lookup table of every cased character (about 12 KB) plus
//! those of the case-ignorable and cased properties, all in the page's engine for a
//! search box and a few header and yes/no comparisons. The tables here are runs of
//! characters that shift by the same amount, and the changes of the one property the
//! final-sigma rule needs; `build.rs` reads both off the standard library the crate is
//! built with, and the tests compare every character.

include!(concat!(env!("OUT_DIR"), "/case_tables.rs"));

/// The lower case of `c` when it is one character (all but U+0130).
fn lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let code = c as u32;
    let i = LOWER_RUNS.partition_point(|&run| run & 0x1f_ffff <= code);
    let Some(i) = i.checked_sub(1) else {
        return c;
    };
    let run = LOWER_RUNS[i];
    let (offset, count, stride) = (
        code - (run & 0x1f_ffff),
        (run >> 21 & 0xff) + 1,
        1 + (run >> 29),
    );
    if offset % stride == 0 && offset / stride < count {
        char::from_u32(code.wrapping_add_signed(LOWER_SHIFTS[i])).unwrap_or(c)
    } else {
        c
    }
}

/// Appends what `c.to_lowercase()` yields.
pub(crate) fn push_lower(out: &mut String, c: char) {
    if c == '\u{130}' {
        out.push_str("i\u{307}");
    } else {
        out.push(lower(c));
    }
}

/// `s.to_lowercase()`: each character's lower case, and 'Σ' as 'ς' where it ends a word.
pub(crate) fn lowercase(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        if c == 'Σ' {
            // `get` for indexing: an index's failure message would bring core's tables
            // for printing characters along.
            let before = s.get(..i).unwrap_or("");
            let after = s.get(i + 'Σ'.len_utf8()..).unwrap_or("");
            let ends_word =
                ignorable_then_cased(before.chars().rev()) && !ignorable_then_cased(after.chars());
            out.push(if ends_word { 'ς' } else { 'σ' });
        } else {
            push_lower(&mut out, c);
        }
    }
    out
}

/// Whether the first character that is not case-ignorable is cased (the final-sigma
/// rule's test on each side of a 'Σ').
fn ignorable_then_cased(chars: impl Iterator<Item = char>) -> bool {
    chars.map(sigma_class).find(|&class| class != 1) == Some(2)
}

/// 0 for other characters, 1 for case-ignorable ones, 2 for cased ones that are not
/// case-ignorable (see [`SIGMA_CLASSES`]).
fn sigma_class(c: char) -> u8 {
    let (mut at, mut class, mut v, mut shift) = (0u32, 0u8, 0u32, 0);
    for &byte in &SIGMA_CLASSES {
        v |= u32::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 != 0 {
            continue;
        }
        at += v >> 2;
        if at > c as u32 {
            break;
        }
        class = (v & 3) as u8;
        (v, shift) = (0, 0);
    }
    class
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars() -> impl Iterator<Item = char> {
        (0..=char::MAX as u32).filter_map(char::from_u32)
    }

    #[test]
    fn every_character_lower_cases_as_std_does() {
        let mut out = String::new();
        for c in chars() {
            out.clear();
            push_lower(&mut out, c);
            assert!(out.chars().eq(c.to_lowercase()), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn every_character_plays_its_part_in_the_final_sigma_rule_as_in_std() {
        for c in chars() {
            for s in [
                format!("A{c}Σ"),
                format!("{c}Σ"),
                format!("AΣ{c}"),
                format!("AΣ{c}A"),
                format!("Σ{c}"),
                format!("{c}"),
            ] {
                assert_eq!(
                    lowercase(&s),
                    s.to_lowercase(),
                    "U+{:04X} in {s:?}",
                    c as u32
                );
            }
        }
    }

    #[test]
    fn strings_lower_case_as_std_does() {
        // Sigmas among letters, case-ignorable marks and apostrophes, digits, spaces,
        // other scripts and U+0130.
        const POOL: &[char] = &[
            'Σ',
            'Σ',
            'σ',
            'ς',
            'A',
            'a',
            'É',
            'é',
            'İ',
            'ǅ',
            'Ω',
            'Д',
            'ß',
            'ẞ',
            'Ⅻ',
            'Ꭰ',
            '\u{301}',
            '\u{345}',
            '\'',
            '’',
            '.',
            ':',
            '·',
            ' ',
            '-',
            '1',
            '٣',
            '漢',
            'ㄱ',
            '\u{10400}',
            '\u{1E900}',
            '\u{200D}',
            '\u{E0001}',
        ];
        let mut state = 0x5eed_ca5e_u64;
        let mut next = move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        for _ in 0..300_000 {
            let n = (next() % 9) as usize;
            let s: String = (0..n)
                .map(|_| POOL[(next() % POOL.len() as u64) as usize])
                .collect();
            assert_eq!(lowercase(&s), s.to_lowercase(), "{s:?}");
        }
        for s in [
            "ΟΔΟΣ",
            "ΟΔΟΣ ΑΣ",
            "Σ",
            "ΑΣ'",
            "ΑΣ'Α",
            "ÉCOLE",
            "İSTANBUL",
            "",
        ] {
            assert_eq!(lowercase(s), s.to_lowercase(), "{s:?}");
        }
    }
}
