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

/// Sorts `items` by `(rank, key)`, keeping the order of equal ones (a stable sort): when
/// the third field is each item's position, as it is for a table's rows, the order is
/// the one `sort_unstable` gives on the whole tuple.
///
/// A least-significant-digit radix sort, a byte at a time, skipping the bytes every
/// item shares: a million rows sort in a few passes over memory instead of twenty
/// rounds of comparisons (a table view is sorted every time it is shown).
pub(crate) fn radix_sort(items: &mut Vec<(u8, u64, u32)>) {
    let n = items.len();
    if n < 2 {
        return;
    }
    // Byte d of the sort key: the key's bytes from the lowest, then the rank.
    let digit = |item: &(u8, u64, u32), d: usize| -> usize {
        if d < 8 {
            ((item.1 >> (8 * d)) & 0xFF) as usize
        } else {
            usize::from(item.0)
        }
    };
    let mut counts = vec![[0usize; 256]; 9];
    for item in items.iter() {
        for (d, count) in counts.iter_mut().enumerate() {
            if let Some(c) = count.get_mut(digit(item, d)) {
                *c += 1;
            }
        }
    }
    let mut other = vec![(0u8, 0u64, 0u32); n];
    for (d, count) in counts.iter().enumerate() {
        if count.contains(&n) {
            continue; // every item has the same byte here
        }
        let mut next = [0usize; 256];
        let mut at = 0;
        for (slot, &c) in next.iter_mut().zip(count) {
            *slot = at;
            at += c;
        }
        for item in items.iter() {
            if let Some(slot) = next.get_mut(digit(item, d)) {
                if let Some(place) = other.get_mut(*slot) {
                    *place = *item;
                }
                *slot += 1;
            }
        }
        std::mem::swap(items, &mut other);
    }
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

    #[test]
    fn radix_sort_is_sort_unstable_on_rows() {
        let mut seed = 11u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed
        };
        for len in [0usize, 1, 2, 3, 100, 5000, 70_000] {
            for shape in 0..5 {
                let items: Vec<(u8, u64, u32)> = (0..len as u32)
                    .map(|row| {
                        let r = next();
                        let key = match shape {
                            0 => r,       // every byte varies
                            1 => r >> 60, // many ties
                            2 => (0.5f64 * (r >> 11) as f64 / (1u64 << 53) as f64).to_bits(),
                            3 => 42,                      // all equal
                            _ => !(r & 0xFF00_0000_00FF), // a few bytes vary
                        };
                        ((next() >> 62) as u8 * u8::from(shape % 2 == 0), key, row)
                    })
                    .collect();
                let mut ours = items.clone();
                radix_sort(&mut ours);
                let mut std = items.clone();
                std.sort_unstable();
                assert_eq!(ours, std, "length {len}, shape {shape}");
            }
        }
    }
}
