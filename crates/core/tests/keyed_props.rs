//! Property tests: `KeyedState` against a naive model of Spark's `updateStateByKey`.
//!
//! The model keeps a `Vec` of `(key, state)` and, per batch, collects every key with values or state,
//! sorts them, and calls the updater once each with the key's values in arrival order.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use statscope_core::KeyedState;

/// The state records every call: the values it got, so any change in order or grouping shows.
type St = Vec<Vec<u16>>;

/// A deterministic updater that appends, evicts on some inputs, and refuses to create some keys.
fn updater(key: u8, values: &[u16], old: Option<St>) -> Option<St> {
    let evict = values.iter().any(|v| v % 7 == 0) || (values.is_empty() && key % 3 == 0);
    if evict {
        return None;
    }
    if old.is_none() && values.first().is_some_and(|v| v % 5 == 0) {
        return None; // a new key whose first call returns None leaves no trace
    }
    let mut s = old.unwrap_or_default();
    s.push(values.to_vec());
    if s.len() > 4 {
        s.remove(0); // bounded
    }
    Some(s)
}

fn model_update(
    model: &mut Vec<(u8, St)>,
    batch: &[(u8, u16)],
    calls: &mut Vec<(u8, Vec<u16>, bool)>,
) {
    let mut keys: Vec<u8> = model.iter().map(|(k, _)| *k).collect();
    keys.extend(batch.iter().map(|(k, _)| *k));
    keys.sort_unstable();
    keys.dedup();
    let mut next = Vec::new();
    for k in keys {
        let values: Vec<u16> = batch
            .iter()
            .filter(|(bk, _)| *bk == k)
            .map(|(_, v)| *v)
            .collect();
        let old = model
            .iter()
            .position(|(mk, _)| *mk == k)
            .map(|i| model[i].1.clone());
        calls.push((k, values.clone(), old.is_some()));
        if let Some(s) = updater(k, &values, old) {
            next.push((k, s));
        }
    }
    *model = next;
}

proptest! {
    #[test]
    fn matches_the_naive_model(batches in prop::collection::vec(
        prop::collection::vec((0u8..12, 0u16..100), 0..10), 1..25)) {
        let mut st: KeyedState<u8, St> = KeyedState::new();
        let mut model: Vec<(u8, St)> = Vec::new();
        for batch in &batches {
            let mut calls = Vec::new();
            st.update_with_key(batch.iter().copied(), |k, v, old| {
                calls.push((*k, v.to_vec(), old.is_some()));
                updater(*k, v, old)
            });
            let mut model_calls = Vec::new();
            model_update(&mut model, batch, &mut model_calls);
            prop_assert_eq!(calls, model_calls);
            let got: Vec<(u8, St)> = st.iter().map(|(k, s)| (*k, s.clone())).collect();
            prop_assert_eq!(&got, &model);
            prop_assert_eq!(st.len(), model.len());
            prop_assert_eq!(st.is_empty(), model.is_empty());
        }
    }

    #[test]
    fn update_without_key_sees_the_same_calls(batch in prop::collection::vec((0u8..6, 0u16..50), 0..20)) {
        let mut a: KeyedState<u8, Vec<u16>> = KeyedState::new();
        let mut b: KeyedState<u8, Vec<u16>> = KeyedState::new();
        let f = |v: &[u16], old: Option<Vec<u16>>| {
            let mut s = old.unwrap_or_default();
            s.extend_from_slice(v);
            Some(s)
        };
        a.update(batch.iter().copied(), f);
        b.update_with_key(batch.iter().copied(), |_, v, old| f(v, old));
        prop_assert_eq!(a, b);
    }
}
