//! The two `updateStateByKey` updaters of the blog post that seeded statscope, in Rust.
//!
//! The post computed Docker CPU % as "a derivative on a stream" with PySpark and warned that its
//! naive state grows without bound. These are kept as small, tested examples of [`KeyedState`]
//! updaters; the production engine is [`crate::rates`], which keeps a bounded ring instead.
//!
//! [`KeyedState`]: crate::KeyedState

/// The appending updater: the state is every value seen so far, in arrival order.
/// (Unbounded by design: this is the "state grows without bound" the post warned about.)
pub fn append<V: Clone>(new_values: &[V], old: Option<Vec<V>>) -> Option<Vec<V>> {
    let mut all = old.unwrap_or_default();
    all.extend_from_slice(new_values);
    Some(all)
}

/// The derivative updater's state: `d`, the recent slopes, and `lv`, the last `(x, y)` point seen.
#[derive(Clone, Debug, PartialEq)]
pub struct Derivative {
    /// Slopes Δy/Δx, oldest first.
    pub d: Vec<f64>,
    /// The last value seen, `(x, y)`.
    pub lv: (f64, f64),
}

/// The derivative updater: slopes Δy/Δx over consecutive pairs of `[lv] + new_values`.
///
/// `d` keeps only its last `len([lv] + new_values)` entries, which bounds it by the batch size.
///
/// This is the post's *intended* meaning. Its Python has two bugs, not reproduced here:
/// `_input = vs` overwrote the line before it (which had prepended `lv`), so the slope from the
/// previous batch's last point to this batch's first was lost; and `d[-n]` (one element) was
/// written where the slice `d[-n:]` (the last `n`) was meant.
///
/// Spark calls the updater every batch for every key with state, also with no new values; the rule
/// is the same then: `[lv]` alone makes no pair, `lv` stays, and `d` keeps its last
/// `len([lv]) = 1` slope. A pair with Δx = 0 is skipped (no slope exists).
pub fn derivative(new_values: &[(f64, f64)], old: Option<Derivative>) -> Option<Derivative> {
    let (mut d, mut points) = match old {
        Some(Derivative { d, lv }) => (d, vec![lv]),
        None if new_values.is_empty() => return None,
        None => (Vec::new(), Vec::new()),
    };
    points.extend_from_slice(new_values);
    for pair in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if x1 != x0 {
            d.push((y1 - y0) / (x1 - x0));
        }
    }
    let keep = points.len();
    if d.len() > keep {
        d.drain(..d.len() - keep);
    }
    let lv = *points.last()?;
    Some(Derivative { d, lv })
}
