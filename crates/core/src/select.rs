//! Which containers a view shows: the name filter and the top-N rank, in one place for the page
//! (which applies them to what it has) and the bridge (which sends a page only what it shows, ranked
//! over every host it follows). Pure.
//!
//! - **Filter** ([`matches`]): the text, ASCII case-insensitive, inside the container's name, or at
//!   the start of its ID, or inside its host's key or name. Docker names and IDs are ASCII
//!   (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`, hex), so ASCII case folding is the whole of it (and keeps
//!   Unicode's case tables out of the WebAssembly build). An empty filter matches everything.
//! - **Rank** ([`rank`]): the mean of a container's last [`RANK_POINTS`] values of the metric shown
//!   (a stopped container's points have none); a container without any ranks below every other
//!   ([`NO_RANK`]). The top N are the N highest; ties go to the smaller key.

use std::collections::VecDeque;

use crate::model::Sample;
use crate::rates::{Flag, Point};

/// How many of a container's newest values its rank averages.
pub const RANK_POINTS: usize = 10;

/// The rank of a container with no value: below any real one (values are never negative).
pub const NO_RANK: f64 = -1.0;

/// Whether the container `key` (`ID` or `ID@HOST`) named `name`, on the host whose name people know
/// is `host_name`, matches `filter` (see the module docs).
pub fn matches(filter: &str, key: &str, name: &str, host_name: &str) -> bool {
    let filter = filter.trim().as_bytes();
    if filter.is_empty() {
        return true;
    }
    let contains = |text: &str| {
        text.as_bytes()
            .windows(filter.len())
            .any(|w| w.eq_ignore_ascii_case(filter))
    };
    let (id, host) = Sample::split_key(key);
    contains(name)
        || id
            .as_bytes()
            .get(..filter.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(filter))
        || (!host.is_empty() && (contains(host) || contains(host_name)))
}

/// The newest value and the rank (see the module docs) of a container's `points`, each point's value
/// given by `value` (the metric shown, on the scale shown).
pub fn newest_and_rank(
    points: &VecDeque<Point>,
    value: impl Fn(&Point) -> Option<f64>,
) -> (Option<f64>, f64) {
    let mut newest = None;
    let (mut sum, mut n) = (0.0, 0);
    for p in points.iter().rev() {
        if p.flag == Flag::Stopped {
            continue;
        }
        if let Some(v) = value(p) {
            newest.get_or_insert(v);
            sum += v;
            n += 1;
            if n == RANK_POINTS {
                break;
            }
        }
    }
    (newest, if n > 0 { sum / n as f64 } else { NO_RANK })
}

/// The rank of a container's `points` (see the module docs).
pub fn rank(points: &VecDeque<Point>, value: impl Fn(&Point) -> Option<f64>) -> f64 {
    newest_and_rank(points, value).1
}

/// Orders `(key, rank)` pairs busiest first, ties by key: the order the top N is taken in.
pub fn by_rank<K: AsRef<str>>(a: &(K, f64), b: &(K, f64)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1)
        .then_with(|| a.0.as_ref().cmp(b.0.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_reads_names_id_prefixes_and_hosts_ignoring_ascii_case() {
        let key = "3f9a00@edge-1";
        assert!(matches("", key, "web", "Edge One"));
        assert!(matches("  ", key, "web", "Edge One"));
        assert!(matches("WE", key, "web", "Edge One"));
        assert!(matches("3F9", key, "web", "Edge One"));
        assert!(
            !matches("9a0", key, "web", "Edge One"),
            "an ID matches by its start"
        );
        assert!(matches("edge-1", key, "web", "Edge One"));
        assert!(matches("one", key, "web", "Edge One"));
        assert!(!matches("db", key, "web", "Edge One"));
        assert!(
            !matches("edge", "3f9a00", "web", ""),
            "no host: nothing to match"
        );
    }

    #[test]
    fn the_rank_is_the_mean_of_the_last_ten_values() {
        // A point's value here is its time; the one at 5 has none.
        let mut points: VecDeque<Point> = (0..20).map(|t| Point::empty(t, Flag::None)).collect();
        let cpu = |p: &Point| (p.t_unix_ns != 5).then_some(p.t_unix_ns as f64);
        // The last ten: 10..=19, mean 14.5; newest 19.
        assert_eq!(newest_and_rank(&points, cpu), (Some(19.0), 14.5));
        points.push_back(Point::empty(30, Flag::Stopped));
        assert_eq!(rank(&points, cpu), 14.5, "a stopped point has no value");
        let few: VecDeque<Point> = (3..8).map(|t| Point::empty(t, Flag::None)).collect();
        assert_eq!(
            rank(&few, cpu),
            5.0,
            "the values there are, not counting the one without"
        );
        assert_eq!(rank(&VecDeque::new(), cpu), NO_RANK);
        let mut ranked = vec![("b", 1.0), ("a", 1.0), ("c", 5.0), ("d", NO_RANK)];
        ranked.sort_by(by_rank);
        assert_eq!(ranked, [("c", 5.0), ("a", 1.0), ("b", 1.0), ("d", NO_RANK)]);
    }
}
