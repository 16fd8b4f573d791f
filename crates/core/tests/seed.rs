//! The blog post's two PySpark unit tests, ported with their intended meaning.

use statscope_core::seed::{append, derivative, Derivative};
use statscope_core::KeyedState;

/// `[[('k', i)] for i in 0..5]` through the appending updater: `[0]`, `[0, 1]`, …, `[0, 1, 2, 3, 4]`.
#[test]
fn appending_updater_accumulates_every_value() {
    let mut st: KeyedState<&str, Vec<i64>> = KeyedState::new();
    let mut seen = Vec::new();
    for i in 0..5 {
        st.update([("k", i)], append);
        seen.push(st.get(&"k").cloned().unwrap_or_default());
    }
    let expected: Vec<Vec<i64>> = (0..5).map(|n| (0..=n).collect()).collect();
    assert_eq!(seen, expected);
    assert_eq!(st.len(), 1);
}

/// `(x, y)` = `(2, 1)`, `(3, 2)`, `(5, 3)` → `{d: [], lv: (2,1)}`, `{d: [1.0], lv: (3,2)}`,
/// `{d: [1.0, 0.5], lv: (5,3)}`.
#[test]
fn derivative_updater_keeps_recent_slopes_and_last_value() {
    let mut st: KeyedState<&str, Derivative> = KeyedState::new();
    let mut seen = Vec::new();
    for v in [(2.0, 1.0), (3.0, 2.0), (5.0, 3.0)] {
        st.update([("k", v)], derivative);
        seen.push(st.get(&"k").cloned());
    }
    let expected = [
        (vec![], (2.0, 1.0)),
        (vec![1.0], (3.0, 2.0)),
        (vec![1.0, 0.5], (5.0, 3.0)),
    ]
    .map(|(d, lv)| Some(Derivative { d, lv }));
    assert_eq!(seen, expected);
}

/// The intended meaning, beyond the three-step test: the slope from the previous batch's last point
/// to this batch's first is kept (the `_input = vs` bug lost it), and `d` is cut to the last
/// `len([lv] + values)` slopes (the `d[-n]` bug kept one element).
#[test]
fn derivative_updater_bridges_batches_and_bounds_d() {
    let mut st: KeyedState<&str, Derivative> = KeyedState::new();
    st.update([("k", (0.0, 0.0)), ("k", (1.0, 1.0))], derivative);
    st.update([("k", (2.0, 3.0)), ("k", (4.0, 3.0))], derivative);
    // points [ (1,1), (2,3), (4,3) ] → slopes 2.0 (bridging), 0.0; d = [1.0, 2.0, 0.0], last 3 kept.
    assert_eq!(
        st.get(&"k"),
        Some(&Derivative {
            d: vec![1.0, 2.0, 0.0],
            lv: (4.0, 3.0)
        })
    );
    st.update([("k", (5.0, 4.0))], derivative);
    // points [ (4,3), (5,4) ] → d = last 2 of [1.0, 2.0, 0.0, 1.0].
    assert_eq!(st.get(&"k").map(|s| s.d.clone()), Some(vec![0.0, 1.0]));
    // A batch without values: the same rule, with `[lv]` alone (n = 1): lv stays, d keeps its
    // last slope.
    st.update(std::iter::empty::<(&str, (f64, f64))>(), derivative);
    assert_eq!(
        st.get(&"k"),
        Some(&Derivative {
            d: vec![1.0],
            lv: (5.0, 4.0)
        })
    );
}
