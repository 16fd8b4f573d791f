//! The name filter, once: which containers a filter text selects, for the page (which applies it
//! to what it has) and the bridge (which sends a page only what it shows). The top-N rule is
//! [`crate::rank`]'s. Pure.
//!
//! [`matches`]: the text, ASCII case-insensitive, inside the container's name, or at the start of
//! its ID, or inside its host's key or name. Docker names and IDs are ASCII
//! (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`, hex), so ASCII case folding is the whole of it (and keeps
//! Unicode's case tables out of the WebAssembly build). An empty filter matches everything.

use crate::model::Sample;

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
}
