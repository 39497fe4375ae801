//! Exact sums of floating-point terms whose result does not depend on the order they
//! are added in ([`FixedSum`]), so that a list scored in one piece or in parts, merged in
//! any order, gives the same bits.

/// A sum of floating-point terms that does not depend on their order: each term is
/// rounded once to a fixed-point grid (2^-`bits`) and the grid values are added as
/// integers, which is associative. A file scored in one piece or in parts, merged in any
/// order, gives the same bits, and faster than a compensated sum.
///
/// [`FixedSum::fine`] (grid 2^-80, totals up to 1.4e14) is for probabilities and log-odds
/// contributions, [`FixedSum::money`] (grid 2^-24, about 6e-8, totals up to 1e31) for
/// revenue. A total beyond the range, or an infinite or NaN term, makes the sum ±∞ or NaN.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedSum {
    units: i128,
    /// 2^bits, and its inverse.
    scale: f64,
    unscale: f64,
    /// ±∞ or NaN once the sum left the grid's range, else 0.
    special: f64,
}

/// 2^k as an f64, exactly (|k| < 1023).
fn pow2(k: i32) -> f64 {
    f64::from_bits(((1023 + k) as u64) << 52)
}

/// `x as i128` for a finite `|x| < 2^125`: the same truncation toward zero, inline
/// rather than a call to the compiler's generic `__fixdfti`. `|x|` is split into
/// `high · 2^64 + low` in floating point, both exactly (scaling by a power of two and
/// taking away whole multiples of 2^64 lose no bits), and each half is one conversion to
/// a 64-bit integer: no 128-bit shift, which wasm32 (no 128-bit integers) makes a call,
/// and no branch on the exponent. The high half is truncated by its conversion, not by
/// `f64::trunc`, a call into libm in the command line's x86-64 build.
#[inline]
fn truncate(x: f64) -> i128 {
    let m = x.abs();
    // Below 2^61, so the conversion is an exact truncation, and back to f64 exactly.
    let high = (m * pow2(-64)) as u64;
    // 0 <= `low` < 2^64: its conversion is an exact truncation too.
    let low = m - high as f64 * pow2(64);
    let magnitude = (i128::from(high) << 64) | i128::from(low as u64);
    if x.is_sign_negative() {
        -magnitude
    } else {
        magnitude
    }
}

impl FixedSum {
    fn with_bits(bits: i32) -> FixedSum {
        FixedSum {
            units: 0,
            scale: pow2(bits),
            unscale: pow2(-bits),
            special: 0.0,
        }
    }

    /// For probabilities and log-odds contributions: grid 2^-80.
    pub fn fine() -> FixedSum {
        FixedSum::with_bits(80)
    }

    /// For money: grid 2^-24.
    pub fn money() -> FixedSum {
        FixedSum::with_bits(24)
    }

    /// Adds one term.
    #[inline]
    pub fn add(&mut self, x: f64) {
        let scaled = x * self.scale;
        // Beyond 2^125 grid units a few terms could overflow i128: treat as out of range.
        if scaled.is_finite() && scaled.abs() < pow2(125) {
            // Truncated toward zero: the same grid value whatever came before.
            if let Some(units) = self.units.checked_add(truncate(scaled)) {
                self.units = units;
                return;
            }
        }
        self.special += if x.is_nan() {
            x
        } else {
            x.signum() * f64::INFINITY
        };
    }

    /// Adds `x` `n` times: exactly what `n` calls of [`FixedSum::add`] give, in one
    /// multiplication when the total stays on the grid.
    pub fn add_times(&mut self, x: f64, n: u32) {
        let scaled = x * self.scale;
        if scaled.is_finite() && scaled.abs() < pow2(125) {
            let total = truncate(scaled)
                .checked_mul(i128::from(n))
                .and_then(|t| self.units.checked_add(t));
            if let Some(units) = total {
                self.units = units;
                return;
            }
        }
        for _ in 0..n {
            self.add(x);
        }
    }

    /// Adds everything `other` holds (which must use the same grid).
    pub fn merge(&mut self, other: &FixedSum) {
        match self.units.checked_add(other.units) {
            Some(units) => self.units = units,
            None => self.special += other.units.signum() as f64 * f64::INFINITY,
        }
        self.special += other.special;
    }

    /// Writes the sum exactly ([`super::wire`]).
    pub fn write(&self, w: &mut super::wire::Writer) {
        w.i128(self.units);
        w.f64(self.scale);
        w.f64(self.unscale);
        w.f64(self.special);
    }

    /// Reads a sum written by [`FixedSum::write`].
    pub fn read(r: &mut super::wire::Reader<'_>) -> Result<FixedSum, &'static str> {
        Ok(FixedSum {
            units: r.i128()?,
            scale: r.f64()?,
            unscale: r.f64()?,
            special: r.f64()?,
        })
    }

    /// The sum.
    pub fn value(&self) -> f64 {
        if self.special != 0.0 || self.special.is_nan() {
            return self.special;
        }
        self.units as f64 * self.unscale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_zero_changes_nothing() {
        // The portfolio adds non-positive contributions as 0 rather than branching.
        for terms in [
            &[][..],
            &[0.3, -1e-30, 7.5e10],
            &[f64::INFINITY],
            &[f64::NAN, 1.0],
        ] {
            for mut sum in [FixedSum::fine(), FixedSum::money()] {
                terms.iter().for_each(|&t| sum.add(t));
                let before = sum.clone();
                sum.add(0.0);
                assert_eq!(format!("{sum:?}"), format!("{before:?}"));
            }
        }
    }

    #[test]
    fn truncation_from_the_bits_matches_the_as_cast() {
        let mut xs = vec![
            0.0,
            f64::MIN_POSITIVE,
            f64::from_bits(1),
            0.5,
            f64::from_bits(1.0f64.to_bits() - 1),
            1.0,
            1.5,
            2.5,
            4_503_599_627_370_495.5,
            9_007_199_254_740_992.0,
            9_223_372_036_854_775_808.0,
            9_223_372_036_854_774_784.0,
            1.8e19,
            f64::from_bits(pow2(125).to_bits() - 1),
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..400_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Any significand, any exponent from 2^-80 to just under 2^125.
            let exponent = 1023 - 80 + (state >> 52) % 205;
            xs.push(f64::from_bits((exponent << 52) | (state & ((1 << 52) - 1))));
        }
        for x in xs {
            assert!(x.abs() < pow2(125));
            assert_eq!(truncate(x), x as i128, "{x:e}");
            assert_eq!(truncate(-x), -x as i128, "{:e}", -x);
        }
    }

    #[test]
    fn adding_a_term_n_times_is_n_additions() {
        // 1e29 on the money grid: a thousand of them leave the range of `i128`.
        let terms = [
            0.0,
            -0.0,
            0.1,
            -2.5,
            1e-30,
            3.7e9,
            1e20,
            -1e29,
            f64::NAN,
            f64::INFINITY,
        ];
        for (bits, x) in [80, 24]
            .iter()
            .flat_map(|&b| terms.iter().map(move |&x| (b, x)))
        {
            for n in [0, 1, 2, 7, 1000] {
                for start in [0.0, 1e12, -3.0] {
                    let mut once = FixedSum::with_bits(bits);
                    let mut each = FixedSum::with_bits(bits);
                    once.add(start);
                    each.add(start);
                    once.add_times(x, n);
                    (0..n).for_each(|_| each.add(x));
                    let same = format!("{once:?}") == format!("{each:?}");
                    assert!(same, "{x:e} × {n} from {start:e}, grid 2^-{bits}");
                }
            }
        }
    }

    #[test]
    fn fixed_sums_do_not_depend_on_order_and_keep_small_terms() {
        let terms = [1e9, 0.1, 0.2, 0.3, -1e9, 1e-12, 0.75];
        let mut a = FixedSum::fine();
        terms.iter().for_each(|&x| a.add(x));
        let mut b = FixedSum::fine();
        terms.iter().rev().for_each(|&x| b.add(x));
        assert_eq!(a.value(), b.value());
        // By hand: 0.1 + 0.2 + 0.3 + 1e-12 + 0.75 = 1.350000000001 (left to right in f64
        // the 1e9 swallows the small terms' last digits).
        assert!((a.value() - 1.350000000001).abs() < 1e-15, "{}", a.value());
        let (mut left, mut right) = (FixedSum::fine(), FixedSum::fine());
        terms[..3].iter().for_each(|&x| left.add(x));
        terms[3..].iter().for_each(|&x| right.add(x));
        right.merge(&left);
        assert_eq!(right.value(), a.value());
        let mut money = FixedSum::money();
        money.add(1e300);
        assert_eq!(money.value(), f64::INFINITY);
        money.add(f64::NAN);
        assert!(money.value().is_nan());
        assert_eq!(FixedSum::fine().value(), 0.0);
        assert_eq!(FixedSum::money().value(), 0.0);
    }
}
