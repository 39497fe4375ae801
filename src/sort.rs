//! One stable sort for the whole crate, so the page's engine carries one copy of it.
//!
//! Each `sort_by` call site instantiates the standard library's stable sort for its own
//! element type and comparator: about 5 KB of wasm each, and the scoring engine had a
//! dozen. These helpers sort `u32` indices through a `dyn` comparator instead (one
//! instantiation), then move the items into that order. A stable sort by a total order
//! (every comparator here is one: `cmp`, `total_cmp`) has exactly one result, so the
//! order is the one `sort_by` gives.

use std::cmp::Ordering;

/// Sorts `v` stably by `compare`: the same order as `v.sort_by(compare)`.
pub(crate) fn sort_by<T>(v: &mut Vec<T>, compare: impl Fn(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    // A scored file has fewer than 2^32 rows (the scorer refuses more), so every list
    // sorted here does too; past that the list is left as it is rather than panicking.
    let Ok(n) = u32::try_from(v.len()) else {
        return;
    };
    let mut order: Vec<u32> = (0..n).collect();
    sort_indices(&mut order, &|a, b| compare(&v[a as usize], &v[b as usize]));
    let mut items: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(order.iter().filter_map(|&i| items[i as usize].take()));
}

/// Sorts the indices `order` stably by `compare`.
pub(crate) fn sort_indices(order: &mut [u32], compare: &dyn Fn(u32, u32) -> Ordering) {
    order.sort_by(|&a, &b| compare(a, b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_of_std_stable_sort_ties_included() {
        // Pairs with many equal keys: stability decides the order of the second field.
        let mut seed = 7u64;
        for len in [0usize, 1, 2, 3, 17, 20, 21, 64, 500, 4096] {
            let items: Vec<(u8, u32)> = (0..len as u32)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 60) as u8, i)
                })
                .collect();
            let mut ours = items.clone();
            sort_by(&mut ours, |a, b| b.0.cmp(&a.0));
            let mut std = items.clone();
            std.sort_by_key(|p| std::cmp::Reverse(p.0));
            assert_eq!(ours, std, "length {len}");
        }
    }

    #[test]
    fn indices_sort_stably() {
        let key = [3, 1, 3, 0, 1, 3];
        let mut order: Vec<u32> = (0..key.len() as u32).collect();
        sort_indices(&mut order, &|a, b| key[a as usize].cmp(&key[b as usize]));
        assert_eq!(order, [3, 1, 4, 0, 2, 5]);
    }
}
