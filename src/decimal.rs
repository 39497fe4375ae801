//! Decimal text to `f64` and back, with exactly the results of core's `str::parse` and
//! `format!` (`{}`, `{:e}`, `{:.N}`), but without core's conversion tables.
//!
//! The page downloads the scoring engine, and core's correctly rounded conversions
//! bring some 20 KB of tables and code into it (the 128-bit powers of five of
//! `dec2flt`, the Grisu and Dragon formatters). The same exactness comes here from a
//! few lines of big-integer arithmetic: slower on the hard inputs (more than 19
//! significant digits, or 17 with an exponent past 10^22; a fixed number of decimals
//! near a tie), which the page meets in a model file or a model card, not once per row
//! of a usual list. The shortest digits come from `zmij`, which differs from core only
//! in how it breaks a tie. The unit tests hold every function to core's on millions of
//! inputs, hard cases first.

use std::cmp::Ordering;
use std::fmt;

/// Reads `s` as `s.parse::<f64>().ok()` does: the same syntax (an optional sign, then
/// digits with an optional point and an optional exponent, or `inf`, `infinity`, `nan`
/// in any case), and the same value, the nearest `f64` with ties to even.
///
/// ```
/// use churn_audit::decimal::parse_f64;
/// assert_eq!(parse_f64("0.1"), Some(0.1));
/// assert_eq!(parse_f64("-2.5e-3"), Some(-0.0025));
/// assert_eq!(parse_f64("1e400"), Some(f64::INFINITY));
/// assert_eq!(parse_f64("1,5"), None);
/// ```
pub fn parse_f64(s: &str) -> Option<f64> {
    let (negative, body) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        all => (false, all),
    };
    let magnitude = parse_magnitude(body)?;
    Some(if negative { -magnitude } else { magnitude })
}

/// The most significant digits kept: a value halfway between two doubles has at most
/// 767, so the digits past these only matter as "some were not zero".
const MAX_DIGITS: usize = 800;

/// [`parse_f64`] without the sign.
fn parse_magnitude(b: &[u8]) -> Option<f64> {
    let digits_from = |i: usize| {
        b.get(i..)
            .map_or(0, |t| t.iter().take_while(|c| c.is_ascii_digit()).count())
    };
    let int_end = digits_from(0);
    let (frac_start, frac_end) = match b.get(int_end) {
        Some(b'.') => (int_end + 1, int_end + 1 + digits_from(int_end + 1)),
        _ => (int_end, int_end),
    };
    if int_end == 0 && frac_end == frac_start {
        return special(b);
    }
    let mut i = frac_end;
    let mut exponent = 0i64;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let negative = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let n = digits_from(i);
        if n == 0 {
            return None;
        }
        for &d in &b[i..i + n] {
            // core stops reading an exponent's digits once it reaches 65536 (it is
            // infinite or zero by then, unless thousands of digits say otherwise, and
            // then core's value is the one to give).
            if exponent < 0x10000 {
                exponent = 10 * exponent + i64::from(d - b'0');
            }
        }
        i += n;
        if negative {
            exponent = -exponent;
        }
    }
    if i != b.len() {
        return None;
    }
    // value = D · 10^e10, D every digit written, leading zeros skipped.
    let all = || {
        b[..int_end]
            .iter()
            .chain(&b[frac_start..frac_end])
            .map(|d| d - b'0')
    };
    let mut e10 = exponent - (frac_end - frac_start) as i64;
    let significant = || all().skip_while(|&d| d == 0);
    let n = significant().count();
    if n <= 19 {
        let w = significant().fold(0u64, |w, d| w * 10 + u64::from(d));
        return Some(to_f64(w, e10));
    }
    let mut big = Big(Vec::new());
    let (mut chunk, mut width) = (0u32, 0u32);
    for d in significant().take(MAX_DIGITS) {
        chunk = chunk * 10 + u32::from(d);
        width += 1;
        if width == 9 {
            big.mul_add(1_000_000_000, chunk);
            (chunk, width) = (0, 0);
        }
    }
    if width > 0 {
        big.mul_add(10u32.pow(width), chunk);
    }
    let kept = n.min(MAX_DIGITS);
    e10 += (n - kept) as i64;
    let truncated = significant().skip(kept).any(|d| d != 0);
    Some(big_to_f64(big, kept as i64 + e10, e10, truncated))
}

/// `inf`, `infinity` and `nan` in any case, as core reads them; anything else is not a
/// number.
fn special(b: &[u8]) -> Option<f64> {
    if b.eq_ignore_ascii_case(b"inf") || b.eq_ignore_ascii_case(b"infinity") {
        Some(f64::INFINITY)
    } else if b.eq_ignore_ascii_case(b"nan") {
        Some(f64::NAN)
    } else {
        None
    }
}

/// 10^0 … 10^22, every one an exact double.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The nearest double to `w` · 10^`e10` (ties to even).
fn to_f64(w: u64, e10: i64) -> f64 {
    if w == 0 {
        return 0.0;
    }
    // Clinger's fast path: the integer and the power of ten are exact doubles, so one
    // correctly rounded operation gives the correctly rounded result.
    if w < 1 << 53 {
        let x = w as f64;
        match e10 {
            0..=22 => return x * POW10[e10 as usize],
            -22..=-1 => return x / POW10[-e10 as usize],
            // 12e30 is 12e8 · 1e22 with 12e8 still exact.
            23..=37 => {
                if let Some(v) = w.checked_mul(10u64.pow((e10 - 22) as u32)) {
                    if v < 1 << 53 {
                        return v as f64 * POW10[22];
                    }
                }
            }
            _ => {}
        }
    }
    let n = i64::from(w.ilog10()) + 1;
    big_to_f64(Big::from_u64(w), n + e10, e10, false)
}

/// The nearest double to `d` · 10^`e10` (ties to even), plus a little more when
/// `truncated` (digits that were dropped, not all zero). `top` is the number of digits
/// of `d` plus `e10`: the value is below 10^`top` and at least 10^(`top` - 1).
fn big_to_f64(d: Big, top: i64, e10: i64, truncated: bool) -> f64 {
    if top > 310 {
        return f64::INFINITY;
    }
    if top < -325 {
        return 0.0;
    }
    // value = (q + ε) · 2^k with 2^63 <= q < 2^64, 0 <= ε < 1, ε > 0 exactly when `sticky`.
    let (q, k, sticky) = if e10 >= 0 {
        let mut x = d;
        x.mul_pow5(e10 as u32);
        let bits = x.bits();
        let (q, below) = x.top64(bits);
        (q, bits as i64 - 64 + e10, below || truncated)
    } else {
        let f = -e10;
        let mut den = Big::from_u64(1);
        den.mul_pow5(f as u32);
        // value = d / (den · 2^f). Scaled by 2^s, d / den lies in [2^62, 2^64).
        let s = 63 + den.bits() as i64 - d.bits() as i64;
        let mut num = d;
        if s >= 0 {
            num.shl(s as usize);
        } else {
            den.shl(-s as usize);
        }
        // Long division, one bit at a time, on until the quotient has 64 bits: the
        // remainder is doubled where the divisor would be halved, so nothing is lost.
        den.shl(63);
        let (mut q, mut steps) = (0u64, 0i64);
        while steps < 64 || q < 1 << 63 {
            q <<= 1;
            if num.cmp(&den) != Ordering::Less {
                num.sub(&den);
                q |= 1;
            }
            num.shl(1);
            steps += 1;
        }
        (q, -s - f - (steps - 64), !num.0.is_empty() || truncated)
    };
    round(q, k, sticky)
}

/// The double nearest (q + ε) · 2^k, 2^63 <= q < 2^64, 0 <= ε < 1 and ε > 0 exactly when
/// `sticky`: 53 bits kept, fewer below 2^-1022 where the last bit is worth 2^-1074.
fn round(q: u64, k: i64, sticky: bool) -> f64 {
    let drop = (-1074 - k).max(11);
    if drop > 64 {
        return 0.0;
    }
    let (mantissa, rest, half) = if drop == 64 {
        (0, q, 1 << 63)
    } else {
        (q >> drop, q & ((1 << drop) - 1), 1u64 << (drop - 1))
    };
    let up = rest > half || (rest == half && (sticky || mantissa & 1 == 1));
    let mantissa = mantissa + u64::from(up);
    let e = k + drop;
    if e > 971 {
        return f64::INFINITY;
    }
    // Both factors are exact and so is their product, unless it overflows, which is
    // then what rounding the value gives too.
    mantissa as f64 * pow2(e)
}

/// 2^e for -1074 <= e <= 1023.
fn pow2(e: i64) -> f64 {
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1 << (e + 1074))
    }
}

/// A non-negative integer of any size: 32-bit limbs, least significant first, never
/// a zero limb on top (zero has none).
struct Big(Vec<u32>);

impl Big {
    fn from_u64(n: u64) -> Big {
        let mut b = Big(vec![n as u32, (n >> 32) as u32]);
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// self = self · m + add.
    fn mul_add(&mut self, m: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let t = u64::from(*limb) * u64::from(m) + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    /// self = self · 5^n.
    fn mul_pow5(&mut self, mut n: u32) {
        while n > 0 {
            // 5^13 is the largest power of five in 32 bits.
            let step = n.min(13);
            self.mul_add(5u32.pow(step), 0);
            n -= step;
        }
    }

    /// self = self · 2^n.
    fn shl(&mut self, n: usize) {
        if self.0.is_empty() {
            return;
        }
        let bits = (n % 32) as u32;
        if bits > 0 {
            let mut carry = 0;
            for limb in &mut self.0 {
                let next = *limb >> (32 - bits);
                *limb = (*limb << bits) | carry;
                carry = next;
            }
            if carry > 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, std::iter::repeat(0).take(n / 32));
    }

    /// self = self / 2^n, rounded down.
    fn shr(&mut self, n: usize) {
        self.0.drain(..(n / 32).min(self.0.len()));
        let bits = (n % 32) as u32;
        if bits > 0 {
            let mut carry = 0;
            for limb in self.0.iter_mut().rev() {
                let next = *limb << (32 - bits);
                *limb = (*limb >> bits) | carry;
                carry = next;
            }
            self.trim();
        }
    }

    /// The number of bits up to the highest one.
    fn bits(&self) -> usize {
        self.0
            .last()
            .map_or(0, |top| self.0.len() * 32 - top.leading_zeros() as usize)
    }

    /// Bit `i`.
    fn bit(&self, i: usize) -> bool {
        self.0
            .get(i / 32)
            .is_some_and(|limb| limb >> (i % 32) & 1 == 1)
    }

    /// Whether any bit below bit `i` is set.
    fn any_below(&self, i: usize) -> bool {
        let whole = (i / 32).min(self.0.len());
        self.0[..whole].iter().any(|&l| l != 0)
            || self
                .0
                .get(i / 32)
                .is_some_and(|l| l & ((1 << (i % 32)) - 1) != 0)
    }

    /// The 64 bits below bit `top` (the highest set bit is `top` - 1), zeros filling in
    /// below bit 0, and whether any bit under those 64 is set.
    fn top64(&self, top: usize) -> (u64, bool) {
        let mut q = 0u64;
        for i in (top as i64 - 64..top as i64).rev() {
            q = q << 1 | u64::from(i >= 0 && self.bit(i as usize));
        }
        let below = top > 64 && self.any_below(top - 64);
        (q, below)
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// self = self - other, for other <= self.
    fn sub(&mut self, other: &Big) {
        let mut borrow = 0u64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let t = u64::from(*limb)
                .wrapping_sub(u64::from(other.0.get(i).copied().unwrap_or(0)))
                .wrapping_sub(borrow);
            *limb = t as u32;
            borrow = t >> 63;
        }
        self.trim();
    }

    /// self = self / d, returning the remainder.
    fn div_rem(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let t = rem << 32 | u64::from(*limb);
            *limb = (t / u64::from(d)) as u32;
            rem = t % u64::from(d);
        }
        self.trim();
        rem as u32
    }

    /// Appends the decimal digits ("0" for zero).
    fn push_decimal(mut self, out: &mut String) {
        let mut chunks = Vec::new();
        while !self.0.is_empty() {
            chunks.push(self.div_rem(1_000_000_000));
        }
        let mut first = true;
        for &chunk in chunks.iter().rev() {
            let mut digits = [b'0'; 9];
            let mut rest = chunk;
            for slot in digits.iter_mut().rev() {
                *slot = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            let skip = if first {
                digits.iter().take(8).take_while(|&&d| d == b'0').count()
            } else {
                0
            };
            first = false;
            digits[skip..].iter().for_each(|&d| out.push(char::from(d)));
        }
        if chunks.is_empty() {
            out.push('0');
        }
    }
}

/// `x` = `m` · 2^`e` exactly, `m` < 2^53 (`x` finite and not negative).
fn decode(x: f64) -> (u64, i64) {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1 << 52) - 1);
    match biased {
        0 => (fraction, -1074),
        _ => (fraction | 1 << 52, biased - 1075),
    }
}

/// Appends `x` as `format!("{x:.decimals$}")` writes it: the exact binary value rounded
/// to `decimals` places, a tie to the even digit, and the sign of a negative `x` kept
/// even when the digits are all zero (`-0.00`).
pub fn push_fixed(out: &mut String, x: f64, decimals: usize) {
    if push_start(out, x) {
        return;
    }
    let (m, e) = decode(x.abs());
    // |x| · 10^decimals = m · 5^decimals · 2^(e + decimals), rounded to a whole number.
    let mut n = Big::from_u64(m);
    n.mul_pow5(decimals as u32);
    let e = e + decimals as i64;
    if e >= 0 {
        n.shl(e as usize);
    } else {
        let k = (-e) as usize;
        let (half, rest) = (n.bit(k - 1), n.any_below(k - 1));
        n.shr(k);
        if half && (rest || n.bit(0)) {
            n.mul_add(1, 1);
        }
    }
    let start = out.len();
    n.push_decimal(out);
    let len = out.len() - start;
    if decimals > 0 {
        if len <= decimals {
            let zeros = "0".repeat(decimals + 1 - len);
            out.insert_str(start, &zeros);
        }
        let point = out.len() - decimals;
        out.insert(point, '.');
    }
}

/// Writes what core's every format of `x` starts with: its whole text for a NaN or an
/// infinity (`NaN`, `inf`, `-inf`; true: nothing follows), else `-` when `x` is negative
/// (-0.0 too).
fn push_start(out: &mut String, x: f64) -> bool {
    if x.is_nan() {
        out.push_str("NaN");
        return true;
    }
    if x.is_sign_negative() {
        out.push('-');
    }
    if x.is_infinite() {
        out.push_str("inf");
        return true;
    }
    false
}

/// The shortest digits that read back as `x`, the closest to `x` of those: digits
/// d1 … dn (no trailing zero) with `x` ≈ 0.d1…dn · 10^point. `x` finite and above 0.
struct Shortest {
    digits: [u8; 20],
    len: usize,
    point: i64,
}

impl Shortest {
    fn of(x: f64) -> Shortest {
        Shortest::read(zmij::Buffer::new().format_finite(x), exact_short(x))
    }

    /// The digits of zmij's `text` for `x`, with its tie broken as core breaks it;
    /// `exact` is [`exact_short`] of `x`.
    fn read(text: &str, exact: Option<(u64, i64)>) -> Shortest {
        let mut s = Shortest {
            digits: [0; 20],
            len: 0,
            point: 0,
        };
        let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
        let exponent = exponent.bytes().fold((0i64, 1i64), |(n, sign), c| match c {
            b'-' => (n, -1),
            b'0'..=b'9' => (n * 10 + i64::from(c - b'0'), sign),
            _ => (n, sign),
        });
        let (whole, _) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        s.point = whole.len() as i64 + exponent.0 * exponent.1;
        for d in mantissa.bytes().filter(u8::is_ascii_digit) {
            if s.len == 0 && d == b'0' {
                s.point -= 1;
            } else if s.len < s.digits.len() {
                s.digits[s.len] = d;
                s.len += 1;
            }
        }
        s.trim();
        // zmij breaks a tie between the two closest candidates to the even one, core to
        // the one above: the two differ only when `x` is exactly halfway, so its exact
        // expansion has one digit more than theirs, a final 5. The one above then reads
        // back as `x` too: it is as close as the one below, and the doubles that round
        // to `x` reach at least as far above it as below.
        if let Some((k, t)) = exact {
            let (n, lower) = (s.len as i64, s.value());
            if i64::from(k.ilog10()) + 1 == n + 1 && k % 10 == 5 && lower == k / 10 {
                s.set(k / 10 + 1, t + 1);
            }
        }
        s
    }

    /// The digits as an integer.
    fn value(&self) -> u64 {
        self.digits[..self.len]
            .iter()
            .fold(0, |v, &d| v * 10 + u64::from(d - b'0'))
    }

    /// Sets the digits to those of `w` · 10^`e10`.
    fn set(&mut self, mut w: u64, e10: i64) {
        let n = w.ilog10() as usize + 1;
        self.len = n;
        self.point = n as i64 + e10;
        for slot in self.digits[..n].iter_mut().rev() {
            *slot = b'0' + (w % 10) as u8;
            w /= 10;
        }
        self.trim();
    }

    fn trim(&mut self) {
        while self.len > 1 && self.digits[self.len - 1] == b'0' {
            self.len -= 1;
        }
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.digits[..self.len]).unwrap_or("0")
    }
}

/// `x` = k · 10^t exactly with k < 10^18 and no trailing zero, when `x`'s exact decimal
/// expansion is that short (`x` finite and above 0).
fn exact_short(x: f64) -> Option<(u64, i64)> {
    const LIMIT: u64 = 1_000_000_000_000_000_000;
    let (m, e) = decode(x);
    let zeros = m.trailing_zeros();
    let (mut m, e) = (m >> zeros, e + i64::from(zeros));
    if e < 0 {
        // m / 2^-e = m · 5^-e / 10^-e, and m · 5^-e (odd) ends in no zero.
        let mut k = m;
        for _ in 0..-e {
            k = k.checked_mul(5).filter(|&k| k < LIMIT)?;
        }
        Some((k, e))
    } else {
        let mut t = 0;
        while t < e && m % 5 == 0 {
            m /= 5;
            t += 1;
        }
        let shift = u32::try_from(e - t).ok().filter(|&s| s < 64)?;
        let k = m << shift;
        (k >> shift == m && k < LIMIT).then_some((k, t))
    }
}

/// Appends `x` as `x.to_string()` (`{}`) writes it: the shortest digits that read back
/// as `x`, never an exponent (`1e-7` is `0.0000001`), `1` for `1.0`, `NaN`, `inf`.
pub fn push_shortest(out: &mut String, x: f64) {
    if push_start(out, x) {
        return;
    }
    if x == 0.0 {
        out.push('0');
        return;
    }
    let mut buffer = zmij::Buffer::new();
    let text = buffer.format_finite(x.abs());
    let exact = exact_short(x.abs());
    // zmij lays out a plain decimal as core does but for a final ".0": the scored CSV's
    // numbers (a million rows of them) take this way.
    if exact.is_none() && !text.contains('e') {
        out.push_str(text.strip_suffix(".0").unwrap_or(text));
        return;
    }
    let s = Shortest::read(text, exact);
    let (digits, n, point) = (s.text(), s.len as i64, s.point);
    if point <= 0 {
        out.push_str("0.");
        (0..-point).for_each(|_| out.push('0'));
        out.push_str(digits);
    } else if point >= n {
        out.push_str(digits);
        (0..point - n).for_each(|_| out.push('0'));
    } else {
        let (a, b) = digits
            .split_at_checked(point as usize)
            .unwrap_or((digits, ""));
        out.push_str(a);
        out.push('.');
        out.push_str(b);
    }
}

/// Appends `x` as `format!("{x:e}")` writes it: the shortest digits that read back as
/// `x`, one before the point, then `e` and the exponent (`1.5e-7`, `1e300`, `0e0`).
pub fn push_exp(out: &mut String, x: f64) {
    if push_start(out, x) {
        return;
    }
    if x == 0.0 {
        out.push_str("0e0");
        return;
    }
    let s = Shortest::of(x.abs());
    let (first, rest) = s.text().split_at_checked(1).unwrap_or(("0", ""));
    out.push_str(first);
    if !rest.is_empty() {
        out.push('.');
        out.push_str(rest);
    }
    out.push('e');
    let e = s.point - 1;
    if e < 0 {
        out.push('-');
    }
    crate::model::push_uint(out, e.unsigned_abs());
}

/// `{}` of an `f64` through [`push_shortest`], for `format!`: `Shown(x)` writes what `x`
/// would.
pub struct Shown(pub f64);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        push_shortest(&mut s, self.0);
        f.write_str(&s)
    }
}

/// `{:e}` of an `f64` through [`push_exp`]: `Exp(x)` writes what `{x:e}` would.
pub struct Exp(pub f64);

impl fmt::Display for Exp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        push_exp(&mut s, self.0);
        f.write_str(&s)
    }
}

/// `{:.N}` of an `f64` through [`push_fixed`]: `Fixed(x, 2)` writes what `{x:.2}` would.
pub struct Fixed(pub f64, pub usize);

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        push_fixed(&mut s, self.0, self.1);
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: cheap, and the same inputs on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn digits(&mut self, n: usize) -> String {
            (0..n)
                .map(|_| char::from(b'0' + self.below(10) as u8))
                .collect()
        }

        /// A double from every corner: any bit pattern, near powers of two and ten,
        /// small dyadic fractions (ties in decimal), big whole numbers, subnormals.
        fn double(&mut self) -> f64 {
            match self.below(8) {
                0 => f64::from_bits(self.next()),
                1 => f64::from_bits(self.below(1 << 53)),
                2 => (self.next() >> self.below(64)) as f64 / 2f64.powi(self.below(30) as i32),
                3 => (self.next() >> 11) as f64 * 2f64.powi(self.below(200) as i32),
                4 => {
                    10f64.powi(self.below(620) as i32 - 310)
                        * (1.0 + self.below(5) as f64 * f64::EPSILON)
                }
                5 => (self.below(100_000) as f64 + self.below(8) as f64 / 8.0) / 100.0,
                6 => 2f64.powi(self.below(2098) as i32 - 1074),
                _ => (self.next() >> 11) as f64 / (1u64 << 53) as f64,
            }
        }
    }

    fn same(s: &str) {
        let want = s.parse::<f64>().ok().map(f64::to_bits);
        let got = parse_f64(s).map(f64::to_bits);
        assert_eq!(got, want, "{s:?}");
    }

    /// The exact decimal expansion of a finite double, `{:.1100}`: every digit there is.
    fn exact(x: f64) -> String {
        format!("{:.1100}", x.abs())
    }

    /// (a + b) / 2 of two exact expansions with the same number of decimals, exactly.
    fn midpoint(a: &str, b: &str) -> String {
        let (ai, af) = a.split_once('.').unwrap();
        let (bi, bf) = b.split_once('.').unwrap();
        let width = ai.len().max(bi.len()) + 1;
        let pad = |i: &str, f: &str| format!("{}{i}{f}", "0".repeat(width - i.len()));
        let (x, y) = (pad(ai, af).into_bytes(), pad(bi, bf).into_bytes());
        let mut sum = vec![0u8; x.len()];
        let mut carry = 0;
        for i in (0..x.len()).rev() {
            let t = (x[i] - b'0') + (y[i] - b'0') + carry;
            sum[i] = t % 10;
            carry = t / 10;
        }
        // Halving: one more decimal (a 5) when the sum is odd.
        let mut half = Vec::with_capacity(sum.len() + 1);
        let mut rem = 0;
        for &d in sum.iter().chain(&[0]) {
            let t = rem * 10 + d;
            half.push(b'0' + t / 2);
            rem = t % 2;
        }
        let digits = String::from_utf8(half).unwrap();
        let (i, f) = digits.split_at(width);
        format!("{}.{f}", i.trim_start_matches('0'))
    }

    #[test]
    fn parse_reads_what_core_reads() {
        for s in [
            "",
            "+",
            "-",
            ".",
            "e",
            "e1",
            "1e",
            "1e+",
            "1e-",
            ".e1",
            "1.e1",
            ".5",
            "5.",
            "-.5e-3",
            "+5",
            "++5",
            "--5",
            "5..",
            "1.2.3",
            "1e1.5",
            "1e1e1",
            " 1",
            "1 ",
            "0x10",
            "1_000",
            "inf",
            "INF",
            "-inf",
            "+Infinity",
            "infinity",
            "infinit",
            "infx",
            "nan",
            "NaN",
            "-nan",
            "+NAN",
            "nan1",
            "0",
            "-0",
            "+0",
            "0.0e0",
            "-0e-999999",
            "00000.00000",
            "1e99999999999999999999",
            "1e-99999999999999999999",
            "0e99999999999",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "2.2250738585072011e-308",
            "2.2250738585072014e-308",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "2.47032822920623272e-324",
            "9007199254740993",
            "9007199254740992.5",
            "9007199254740993.0000000000000001",
            "18014398509481993",
            "1e23",
            "8.589973e9",
            "123456789012345678901234567890",
            "0.1",
            "0.2",
            "0.3",
            "1e22",
            "1e-22",
            "12e30",
            "65536e-5",
        ] {
            same(s);
        }
        // Exponents saturate where core's do: thousands of zeros then an exponent past
        // 65536.
        let zeros = "0".repeat(70_000);
        for s in [
            format!("0.{zeros}1e70001"),
            format!("0.{zeros}1e700010"),
            format!("1{zeros}e-70000"),
            format!("1{zeros}e-700000"),
            format!("{zeros}1.5"),
            format!("1.{zeros}1"),
            format!("1.{zeros}"),
            format!("0.{zeros}"),
        ] {
            same(&s);
        }
    }

    #[test]
    fn parse_gives_core_bits_for_hard_and_random_decimals() {
        let mut rng = Rng(0x5eed_d0c1);
        for _ in 0..150_000 {
            let x = rng.double();
            if !x.is_finite() {
                continue;
            }
            // Core's own texts of x, and x to 17 to 40 significant digits.
            same(&x.to_string());
            same(&format!("{x:e}"));
            same(&format!("{x:?}"));
            same(&format!("{x:.16e}"));
            same(&format!("{:.*e}", 17 + rng.below(24) as usize, x));
            // Halfway between x and the next double: a tie, then a hair above it and
            // below it; and the same cut to 17 to 40 digits.
            let y = x.abs().next_up();
            if !y.is_finite() {
                continue;
            }
            let mid = midpoint(&exact(x), &exact(y));
            let mid = mid.trim_end_matches('0');
            same(mid);
            same(&format!("-{mid}"));
            same(&format!("{mid}{}1", "0".repeat(rng.below(40) as usize)));
            let lead = mid.len() - mid.trim_start_matches(['0', '.']).len();
            let cut = (lead + 17 + rng.below(24) as usize).min(mid.len());
            same(&mid[..cut]);
            same(&format!("{}e-3", &mid[..cut]));
        }
        for _ in 0..1_000_000 {
            // Random digits: 1 to 40 of them, a point anywhere, any exponent.
            let n = 1 + rng.below(40) as usize;
            let mut s = rng.digits(n);
            if rng.below(3) == 0 {
                s.insert_str(0, &"0".repeat(rng.below(5) as usize));
            }
            if rng.below(2) == 0 {
                let at = rng.below(s.len() as u64 + 1) as usize;
                s.insert(at, '.');
            }
            if rng.below(4) > 0 {
                s.push(if rng.below(2) == 0 { 'e' } else { 'E' });
                s.push_str(["", "+", "-"][rng.below(3) as usize]);
                s.push_str(&(rng.below(700) as i64 - 20).to_string());
            }
            if rng.below(2) == 0 {
                s.insert(0, '-');
            }
            same(&s);
        }
        for _ in 0..400_000 {
            // Short strings over the syntax's own letters.
            const ALPHABET: &[u8] = b"0123456789.eE+-infatyNAI";
            let n = rng.below(8) as usize;
            let s: String = (0..n)
                .map(|_| char::from(ALPHABET[rng.below(ALPHABET.len() as u64) as usize]))
                .collect();
            same(&s);
        }
        for _ in 0..3_000 {
            // Hundreds of digits, past the 800 kept, with the rest zero or not.
            let n = 700 + rng.below(300) as usize;
            let mut s = rng.digits(n);
            if rng.below(2) == 0 {
                s.push_str(&"0".repeat(rng.below(200) as usize));
                if rng.below(2) == 0 {
                    s.push('1');
                }
            }
            s.insert(rng.below(s.len() as u64) as usize, '.');
            s.push_str(&format!("e{}", rng.below(1400) as i64 - 1100));
            same(&s);
        }
    }

    fn check_format(x: f64, decimals: usize) {
        let mut out = String::new();
        push_shortest(&mut out, x);
        assert_eq!(out, x.to_string(), "{{}} of bits {:#x}", x.to_bits());
        out.clear();
        push_exp(&mut out, x);
        assert_eq!(out, format!("{x:e}"), "{{:e}} of bits {:#x}", x.to_bits());
        out.clear();
        push_fixed(&mut out, x, decimals);
        assert_eq!(
            out,
            format!("{x:.decimals$}"),
            "{{:.{decimals}}} of bits {:#x}",
            x.to_bits()
        );
    }

    #[test]
    fn formatting_writes_what_core_writes() {
        let mut rng = Rng(0x5eed_f0e7);
        for x in [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            -2.5,
            0.125,
            0.375,
            1e300,
            1e-300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1079843649364.7812,
            1950381894.1132812,
            9007199254740993.0,
            1e15,
            1e16,
            1e17,
            123456.0,
        ] {
            for decimals in 0..=20 {
                check_format(x, decimals);
                check_format(-x, decimals);
            }
        }
        for _ in 0..2_000_000 {
            let x = rng.double();
            let decimals = match rng.below(4) {
                0 => rng.below(4) as usize,
                1 => rng.below(21) as usize,
                _ => 1 + rng.below(3) as usize,
            };
            check_format(x, decimals);
            check_format(-x, decimals);
        }
        // Ties at the rounding digit, which go to the even digit.
        for _ in 0..300_000 {
            let decimals = rng.below(6) as usize;
            let x = (rng.below(1 << 40) as f64 + 0.5) / 10f64.powi(decimals as i32);
            check_format(x, decimals);
            let x = rng.below(1 << 50) as f64 / 2f64.powi(1 + rng.below(24) as i32);
            check_format(x, decimals);
        }
        for decimals in [30, 100, 400, 1100] {
            for _ in 0..300 {
                check_format(rng.double(), decimals);
            }
        }
    }
}
