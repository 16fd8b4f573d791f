//! [`KeyedState`]: Spark Streaming's `updateStateByKey`, typed.
//!
//! A stream arrives as micro-batches of `(key, value)` pairs. Per batch, the updater
//! `(new_values, old_state) -> Option<new_state>` is called **once for every key that has new values
//! in the batch or existing state**, in ascending key order:
//! - a key's values reach the updater in arrival order;
//! - a key with state but no values in this batch is called with an empty slice (so updaters can
//!   age, expire or evict);
//! - returning `None` removes the key; a new key whose first call returns `None` leaves no trace;
//! - keys with neither values nor state are never called.
//!
//! This is the whole contract; the derivative engine ([`crate::rates`]) is one updater on top of it.
//! No I/O, no clock: time, if an updater needs it, comes from its values or is passed in by the caller.
//!
//! If an updater panics, the batch's keys not yet visited are lost with it (the state is moved through
//! the updater by value); updaters in this crate do not panic.

use std::borrow::Borrow;
use std::fmt;
use std::mem;

use crate::sorting::sort_by;

/// Per-key state updated by micro-batches with `updateStateByKey` semantics (see the module docs).
///
/// The states are a `Vec` sorted by key (unique keys), looked up by binary search: a batch's
/// merge-join produces the next states already in that order, so nothing is rebuilt, and the
/// WebAssembly build carries no `BTreeMap` code for them.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyedState<K, S> {
    states: Vec<(K, S)>,
}

// As the derive printed it when the states were a `BTreeMap`: `KeyedState { states: {k: s, …} }`.
impl<K: fmt::Debug, S: fmt::Debug> fmt::Debug for KeyedState<K, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct AsMap<'a, K, S>(&'a [(K, S)]);
        impl<K: fmt::Debug, S: fmt::Debug> fmt::Debug for AsMap<'_, K, S> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map().entries(self.0.iter().map(as_pair)).finish()
            }
        }
        f.debug_struct("KeyedState")
            .field("states", &AsMap(&self.states))
            .finish()
    }
}

/// `(&key, &state)` of one entry.
type Pair<'a, K, S> = (&'a K, &'a S);

fn as_pair<K, S>((k, s): &(K, S)) -> Pair<'_, K, S> {
    (k, s)
}

impl<K: Ord + Clone, S> Default for KeyedState<K, S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Ord + Clone, S> KeyedState<K, S> {
    /// An empty state: no keys.
    pub fn new() -> Self {
        KeyedState { states: Vec::new() }
    }

    /// Applies one micro-batch: `updater(new_values, old_state)` for every key with new values or state.
    pub fn update<V, I, F>(&mut self, batch: I, mut updater: F)
    where
        I: IntoIterator<Item = (K, V)>,
        F: FnMut(&[V], Option<S>) -> Option<S>,
    {
        self.update_with_key(batch, |_, values, old| updater(values, old));
    }

    /// [`update`](Self::update), with the key passed to the updater too.
    pub fn update_with_key<V, I, F>(&mut self, batch: I, mut updater: F)
    where
        I: IntoIterator<Item = (K, V)>,
        F: FnMut(&K, &[V], Option<S>) -> Option<S>,
    {
        // The batch grouped by key: sorted by key (stably, so a key's values keep their arrival
        // order), then each key once with the end of its run in `values`.
        let mut batch: Vec<(K, V)> = batch.into_iter().collect();
        sort_by(&mut batch, |a, b| a.0.cmp(&b.0));
        let mut grouped: Vec<(K, usize)> = Vec::new();
        let mut values: Vec<V> = Vec::with_capacity(batch.len());
        for (key, value) in batch {
            values.push(value);
            match grouped.last_mut() {
                Some((last, end)) if K::cmp(last, &key).is_eq() => *end = values.len(),
                _ => grouped.push((key, values.len())),
            }
        }
        let mut start = 0;
        let runs = grouped.into_iter().map(|(key, end)| {
            let run = &values[start..end];
            start = end;
            (key, run)
        });

        // Merge-join the two sorted key sequences, so each key is visited once, in ascending order.
        let mut old = mem::take(&mut self.states).into_iter().peekable();
        let mut new = runs.peekable();
        let mut next: Vec<(K, S)> = Vec::with_capacity(old.len().max(new.len()));
        let mut keep = |key: K, state: Option<S>| {
            if let Some(state) = state {
                next.push((key, state));
            }
        };
        loop {
            let order = match (old.peek(), new.peek()) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some((a, _)), Some((b, _))) => a.cmp(b),
            };
            match order {
                std::cmp::Ordering::Less => {
                    if let Some((key, state)) = old.next() {
                        let s = updater(&key, &[], Some(state));
                        keep(key, s);
                    }
                }
                std::cmp::Ordering::Greater => {
                    if let Some((key, values)) = new.next() {
                        let s = updater(&key, values, None);
                        keep(key, s);
                    }
                }
                std::cmp::Ordering::Equal => {
                    if let (Some((key, state)), Some((_, values))) = (old.next(), new.next()) {
                        let s = updater(&key, values, Some(state));
                        keep(key, s);
                    }
                }
            }
        }
        // `next` is sorted by key, with unique keys: it is the new state as it is.
        self.states = next;
    }

    /// Where `key` is (`Ok`) or would go (`Err`).
    fn search<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.states.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The state of `key`, if it has one.
    pub fn get(&self, key: &K) -> Option<&S> {
        self.get_by(key)
    }

    /// The state of the key that borrows as `key` (a `&str` for a `String` key), if it has one.
    pub fn get_by<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&S>
    where
        K: Borrow<Q>,
    {
        self.search(key).ok().map(|i| &self.states[i].1)
    }

    /// Mutable access to the state of `key`, outside any batch.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut S> {
        let i = self.search(key).ok()?;
        Some(&mut self.states[i].1)
    }

    /// Does `key` have state?
    pub fn contains_key(&self, key: &K) -> bool {
        self.search(key).is_ok()
    }

    /// The number of keys with state.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// No key has state.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// `(&key, &state)` in ascending key order.
    pub fn iter(&self) -> Iter<'_, K, S> {
        self.states.iter().map(as_pair)
    }

    /// The keys with state, ascending.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + '_ {
        self.states.iter().map(|(k, _)| k)
    }

    /// Removes one key now, returning its state.
    pub fn remove(&mut self, key: &K) -> Option<S> {
        let i = self.search(key).ok()?;
        Some(self.states.remove(i).1)
    }

    /// Keeps only the keys for which `keep` says so (eviction outside a batch).
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut S) -> bool) {
        self.states.retain_mut(|(k, s)| keep(k, s));
    }

    /// Sets a key's state directly, returning the old one.
    pub fn insert(&mut self, key: K, state: S) -> Option<S> {
        match self.search(&key) {
            Ok(i) => Some(mem::replace(&mut self.states[i].1, state)),
            Err(i) => {
                self.states.insert(i, (key, state));
                None
            }
        }
    }

    /// Removes every key, returning the states in ascending key order.
    pub fn drain(&mut self) -> std::vec::IntoIter<(K, S)> {
        mem::take(&mut self.states).into_iter()
    }
}

/// [`KeyedState::iter`]: `(&key, &state)` in ascending key order.
pub type Iter<'a, K, S> =
    std::iter::Map<std::slice::Iter<'a, (K, S)>, fn(&'a (K, S)) -> Pair<'a, K, S>>;

impl<'a, K: Ord + Clone, S> IntoIterator for &'a KeyedState<K, S> {
    type Item = (&'a K, &'a S);
    type IntoIter = Iter<'a, K, S>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K, S> IntoIterator for KeyedState<K, S> {
    type Item = (K, S);
    type IntoIter = std::vec::IntoIter<(K, S)>;
    fn into_iter(self) -> Self::IntoIter {
        self.states.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_every_key_with_values_or_state_once_in_key_order() {
        let mut st: KeyedState<&str, u32> = KeyedState::new();
        st.update([("b", 1), ("a", 2)], |v, old: Option<u32>| {
            Some(old.unwrap_or(0) + v.iter().sum::<u32>())
        });
        let mut calls = Vec::new();
        st.update_with_key([("c", 5), ("a", 1), ("c", 6)], |k, v, old| {
            calls.push((*k, v.to_vec(), old));
            old.or(Some(0))
        });
        assert_eq!(
            calls,
            vec![
                ("a", vec![1], Some(2)),
                ("b", vec![], Some(1)),
                ("c", vec![5, 6], None),
            ]
        );
        assert_eq!(st.keys().copied().collect::<Vec<_>>(), ["a", "b", "c"]);
    }

    #[test]
    fn none_removes_and_a_new_key_returning_none_leaves_no_trace() {
        let mut st: KeyedState<u8, ()> = KeyedState::new();
        st.update([(1, ()), (2, ())], |_, _| Some(()));
        st.update([(3, ())], |v, old| if v.is_empty() { None } else { old });
        assert!(st.is_empty());
        let mut called = 0;
        st.update(std::iter::empty::<(u8, ())>(), |_: &[()], _| {
            called += 1;
            Some(())
        });
        assert_eq!(
            called, 0,
            "keys with neither values nor state are not called"
        );
    }

    #[test]
    fn helpers_behave_like_a_map() {
        let mut st: KeyedState<String, i32> = KeyedState::default();
        assert_eq!(st.insert("x".into(), 1), None);
        assert_eq!(st.insert("x".into(), 2), Some(1));
        st.insert("y".into(), 3);
        *st.get_mut(&"y".into()).unwrap() += 1;
        st.retain(|_, s| *s > 2);
        assert_eq!(st.iter().collect::<Vec<_>>(), [(&"y".to_string(), &4)]);
        assert_eq!(format!("{st:?}"), r#"KeyedState { states: {"y": 4} }"#);
        assert_eq!(st.get_by("y"), Some(&4));
        assert_eq!(st.drain().collect::<Vec<_>>(), [("y".to_string(), 4)]);
        assert_eq!(st.len(), 0);
    }
}
