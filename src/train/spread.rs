//! The covariance of the inputs' contributions over the training accounts, recorded in
//! the model file for coverage ([`crate::features::coverage`]).

/// The covariance of the features' contributions over the training accounts, gathered
/// row by row (sums of products about a first row's values, so that contributions
/// centred near 0 lose no digits).
pub(super) struct Spread {
    rows: usize,
    shift: Vec<f64>,
    sums: Vec<f64>,
    products: Vec<f64>,
}

impl Spread {
    pub(super) fn new(p: usize) -> Spread {
        Spread {
            rows: 0,
            shift: Vec::new(),
            sums: vec![0.0; p],
            products: vec![0.0; p * p],
        }
    }

    pub(super) fn add(&mut self, contributions: &[f64]) {
        let p = self.sums.len();
        if self.shift.is_empty() {
            self.shift = contributions.to_vec();
        }
        self.rows += 1;
        let d: Vec<f64> = contributions
            .iter()
            .zip(&self.shift)
            .map(|(c, s)| c - s)
            .collect();
        for i in 0..p {
            self.sums[i] += d[i];
            for j in 0..=i {
                self.products[i * p + j] += d[i] * d[j];
            }
        }
    }

    /// The population covariance (divided by the rows), symmetric; empty without rows.
    pub(super) fn covariance(&self) -> Vec<Vec<f64>> {
        let p = self.sums.len();
        if self.rows == 0 {
            return Vec::new();
        }
        let n = self.rows as f64;
        let at = |i: usize, j: usize| {
            let (i, j) = (i.max(j), i.min(j));
            let c = self.products[i * p + j] / n - (self.sums[i] / n) * (self.sums[j] / n);
            // A variance is never negative; rounding can make a constant's -1e-18.
            let c = if i == j { c.max(0.0) } else { c };
            round_to_digits(c)
        };
        (0..p).map(|i| (0..p).map(|j| at(i, j)).collect()).collect()
    }
}

/// `x` to 4 significant digits: coverage needs no more, and the bundled model (with its
/// p × p numbers) travels inside the page's scoring engine, whose size is budgeted.
fn round_to_digits(x: f64) -> f64 {
    format!("{x:.3e}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_covariance_of_a_few_rows_by_hand() {
        // Rows (1, 2), (3, 2), (5, 8): means 3 and 4; variances (4 + 0 + 4) / 3 and
        // (4 + 4 + 16) / 3; covariance ((-2)(-2) + 0 + 2·4) / 3 = 4.
        let mut s = Spread::new(2);
        for row in [[1.0, 2.0], [3.0, 2.0], [5.0, 8.0]] {
            s.add(&row);
        }
        let c = s.covariance();
        // 8/3 to 4 significant digits.
        assert_eq!(c[0][0], 2.667);
        assert!((c[1][1] - 8.0).abs() < 1e-12);
        assert!((c[0][1] - 4.0).abs() < 1e-12 && c[0][1] == c[1][0]);
        assert!(Spread::new(3).covariance().is_empty());
        assert_eq!(round_to_digits(0.002122211437), 0.002122);
        assert_eq!(round_to_digits(-5.066063791827041e-7), -5.066e-7);
    }
}
