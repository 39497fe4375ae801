//! Support code: knows nothing of accounts, models or churn.
//!
//! - [`fixed_sum`]: exact sums of floating-point terms, the same whatever their order;
//! - [`wire`]: a plain byte format for handing columns from one web worker to another;
//! - [`thousands`]: a count as people read it ("12,345").

pub mod fixed_sum;
pub mod wire;

/// `n` with a comma between each group of three digits ("12,345").
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped_by_three() {
        use super::thousands;
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
