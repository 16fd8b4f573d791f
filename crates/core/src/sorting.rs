//! One small stable sort for the whole crate, to keep the WebAssembly binary small.
//!
//! The standard library's `sort_by` is monomorphized for every element type and comparator: each
//! call site adds its own copy of driftsort (quicksort, merges, small-sort networks), 4–8 KB of
//! Wasm each, ~75 KB over the crate. Here the sort itself ([`order`]) is not generic: it sorts
//! indices through a `dyn` comparator, so the binary holds it once; a call site adds only its
//! comparator and a swap loop ([`sort_by`]). The sorts it serves are off the ingest hot path (the
//! legend, tooltip, export, marks) or tiny (a sample's network interfaces).

use std::cmp::Ordering;

/// The indices `0..n` in the order `cmp(i, j)` gives, stable (equal elements keep index order).
/// A bottom-up merge sort; an already sorted input costs `n − 1` comparisons.
pub fn order(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    if n < 2 {
        return idx;
    }
    // Runs of `RUN` by insertion sort (stable: an element moves left past strictly greater ones
    // only), then merged in passes of doubling width.
    const RUN: usize = 8;
    for run in idx.chunks_mut(RUN) {
        for k in 1..run.len() {
            let mut j = k;
            while j > 0 && cmp(run[j], run[j - 1]) == Ordering::Less {
                run.swap(j, j - 1);
                j -= 1;
            }
        }
    }
    let mut buf = vec![0; n];
    let mut width = RUN;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            if mid == end || cmp(idx[mid], idx[mid - 1]) != Ordering::Less {
                // One run, or two already in order.
                buf[start..end].copy_from_slice(&idx[start..end]);
            } else {
                let (mut i, mut j) = (start, mid);
                for slot in &mut buf[start..end] {
                    // Take from the right run only when strictly less: stability.
                    if i < mid && (j >= end || cmp(idx[j], idx[i]) != Ordering::Less) {
                        *slot = idx[i];
                        i += 1;
                    } else {
                        *slot = idx[j];
                        j += 1;
                    }
                }
            }
            start = end;
        }
        std::mem::swap(&mut idx, &mut buf);
        width *= 2;
    }
    idx
}

/// Reorders by a permutation: afterwards position `i` holds what was at `perm[i]`. Swaps along
/// each cycle; `perm` is consumed as the mark of what is done.
fn permute(mut perm: Vec<usize>, swap: &mut dyn FnMut(usize, usize)) {
    for start in 0..perm.len() {
        let mut at = start;
        while perm[at] != at {
            let from = perm[at];
            perm[at] = at;
            if from == start {
                break;
            }
            swap(at, from);
            at = from;
        }
    }
}

/// `v.sort_by(cmp)`: the same stable order, through the one shared [`order`].
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let perm = order(v.len(), &mut |a, b| cmp(&v[a], &v[b]));
    permute(perm, &mut |a, b| v.swap(a, b));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (no `rand` here).
    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        *seed >> 33
    }

    #[test]
    fn same_order_as_std_stable_sort() {
        let mut seed = 7;
        for n in 0..200 {
            for range in [1, 3, 10, 1000] {
                let v: Vec<(u64, usize)> = (0..n).map(|i| (lcg(&mut seed) % range, i)).collect();
                let mut want = v.clone();
                want.sort_by_key(|a| a.0);
                let mut got = v.clone();
                sort_by(&mut got, |a, b| a.0.cmp(&b.0));
                assert_eq!(got, want, "n={n} range={range}");
            }
        }
    }

    #[test]
    fn sorted_and_reversed_inputs() {
        for n in [0, 1, 2, 5, 64, 65, 1000] {
            let mut up: Vec<usize> = (0..n).collect();
            sort_by(&mut up, usize::cmp);
            assert!(up.iter().copied().eq(0..n));
            let mut down: Vec<usize> = (0..n).rev().collect();
            sort_by(&mut down, usize::cmp);
            assert!(down.iter().copied().eq(0..n));
        }
    }

    #[test]
    fn floats_by_total_cmp() {
        let mut v = vec![3.0, -0.0, f64::NAN, 0.0, -1.5, f64::INFINITY, 2.0];
        let mut want = v.clone();
        want.sort_by(f64::total_cmp);
        sort_by(&mut v, f64::total_cmp);
        assert_eq!(format!("{v:?}"), format!("{want:?}"));
    }
}
