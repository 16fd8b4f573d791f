//! The top-N rule, once: which containers are "the N busiest". The page's toolbar ("top 10") and
//! anything else that must agree with it (the bridge, told what a page shows) rank with these
//! functions, and the page states the rule in its words ([`RULE`]).
//!
//! The rule: a container's score is the mean of the metric's values over the last
//! [`RANK_WINDOW_MS`] ending at the end of the window shown (its newest samples, live); a container
//! with no value in that time (stopped, silent, or only its first sample) has no score and is not
//! ranked. The highest scores win; equal scores go by key, so the choice is the same on every load.

use crate::sorting::sort_by;

/// How far back from the window's end a container's values count toward its score, ms.
pub const RANK_WINDOW_MS: f64 = 30_000.0;

/// The rule, in the words the page shows next to the choice.
pub const RULE: &str = "running containers ranked by their mean over the last 30 s";

/// The score of one container: the mean of `values` (`(t_ms, value)`, any order) that lie in
/// `(end_ms − RANK_WINDOW_MS, end_ms]`; `None` when none does. Values that are not finite count
/// as nothing.
pub fn score(values: impl IntoIterator<Item = (f64, f64)>, end_ms: f64) -> Option<f64> {
    let from = end_ms - RANK_WINDOW_MS;
    let (mut sum, mut n) = (0.0, 0u32);
    for (t, v) in values {
        if t > from && t <= end_ms && v.is_finite() {
            sum += v;
            n += 1;
        }
    }
    (n > 0).then(|| sum / f64::from(n))
}

/// The keys of the `n` highest scores, highest first (equal scores by key); containers without a
/// score are left out, so fewer than `n` may come back.
pub fn top<K: Ord + Clone>(scored: &[(K, Option<f64>)], n: usize) -> Vec<K> {
    let mut ranked: Vec<(&K, f64)> = scored
        .iter()
        .filter_map(|(k, s)| Some((k, (*s)?)))
        .collect();
    sort_by(&mut ranked, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    ranked.into_iter().take(n).map(|(k, _)| k.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_is_the_mean_of_the_last_30_seconds() {
        let values = [(0.0, 100.0), (50_000.0, 10.0), (60_000.0, 20.0)];
        assert_eq!(score(values, 60_000.0), Some(15.0), "the 100 is too old");
        assert_eq!(score(values, 200_000.0), None, "nothing recent: unranked");
        assert_eq!(score([(1.0, f64::NAN)], 1.0), None);
    }

    #[test]
    fn the_top_leaves_out_the_unranked_and_breaks_ties_by_key() {
        let scored = [
            ("stopped", None),
            ("idle", Some(6.6)),
            ("busy", Some(49.0)),
            ("b", Some(10.0)),
            ("a", Some(10.0)),
        ];
        assert_eq!(top(&scored, 3), ["busy", "a", "b"]);
        assert_eq!(top(&scored, 10), ["busy", "a", "b", "idle"]);
    }
}
