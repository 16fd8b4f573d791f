//! [`IdMap`] and [`IdSet`]: small ordered maps and sets keyed by container ID, as sorted `Vec`s.
//!
//! `BTreeMap` is monomorphized per key and value type, and its removal code alone (node merging and
//! stealing) is ~5 KB of WebAssembly per instance; the page had five. These hold at most a few
//! thousand IDs, looked up by binary search; the search over the keys is one non-generic function.
//! Iteration is in ascending ID order, as with `BTreeMap`.

use std::fmt;

/// Where `key` is in the sorted `keys` (`Ok`), or where it would go (`Err`).
fn search(keys: &[String], key: &str) -> Result<usize, usize> {
    keys.binary_search_by(|k| k.as_str().cmp(key))
}

/// A map from ID to `V`, in ascending ID order.
#[derive(Clone, PartialEq, Eq)]
pub struct IdMap<V> {
    keys: Vec<String>,
    values: Vec<V>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            keys: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl<V: fmt::Debug> fmt::Debug for IdMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V> IdMap<V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn contains_key(&self, key: &str) -> bool {
        search(&self.keys, key).is_ok()
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        search(&self.keys, key).ok().map(|i| &self.values[i])
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        search(&self.keys, key).ok().map(|i| &mut self.values[i])
    }

    /// Sets `key`'s value; returns the one it replaces.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        match search(&self.keys, &key) {
            Ok(i) => Some(std::mem::replace(&mut self.values[i], value)),
            Err(i) => {
                self.keys.insert(i, key);
                self.values.insert(i, value);
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        let i = search(&self.keys, key).ok()?;
        self.keys.remove(i);
        Some(self.values.remove(i))
    }

    /// `key`'s value, inserting `V::default()` first if it has none (`entry(key).or_default()`).
    pub fn get_or_default(&mut self, key: &str) -> &mut V
    where
        V: Default,
    {
        let i = match search(&self.keys, key) {
            Ok(i) => i,
            Err(i) => {
                self.keys.insert(i, key.to_string());
                self.values.insert(i, V::default());
                i
            }
        };
        &mut self.values[i]
    }

    /// Keeps the entries for which `keep` says so, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut V) -> bool) {
        let mut kept = 0;
        for i in 0..self.keys.len() {
            if keep(&self.keys[i], &mut self.values[i]) {
                self.keys.swap(kept, i);
                self.values.swap(kept, i);
                kept += 1;
            }
        }
        self.keys.truncate(kept);
        self.values.truncate(kept);
    }

    /// `(&id, &value)` in ascending ID order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> + '_ {
        self.keys.iter().zip(&self.values)
    }

    /// The values in ascending ID order.
    pub fn values(&self) -> std::slice::Iter<'_, V> {
        self.values.iter()
    }
}

/// A set of IDs, in ascending order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IdSet {
    keys: Vec<String>,
}

impl fmt::Debug for IdSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(&self.keys).finish()
    }
}

impl IdSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// The set of one ID.
    pub fn of(id: &str) -> Self {
        IdSet {
            keys: vec![id.to_string()],
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        search(&self.keys, id).is_ok()
    }

    /// Adds `id`; false if it was there.
    pub fn insert(&mut self, id: String) -> bool {
        match search(&self.keys, &id) {
            Ok(_) => false,
            Err(i) => {
                self.keys.insert(i, id);
                true
            }
        }
    }

    /// Removes `id`; false if it was not there.
    pub fn remove(&mut self, id: &str) -> bool {
        match search(&self.keys, id) {
            Ok(i) => {
                self.keys.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.keys.retain(|id| keep(id));
    }

    /// The IDs in ascending order.
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.keys.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn behaves_like_a_btreemap() {
        let mut ours: IdMap<u32> = IdMap::new();
        let mut std: BTreeMap<String, u32> = BTreeMap::new();
        let mut seed = 11_u64;
        for step in 0..2000_u32 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let key = format!("c{}", (seed >> 40) % 50);
            match (seed >> 20) % 5 {
                0 | 1 => assert_eq!(ours.insert(key.clone(), step), std.insert(key, step)),
                2 => assert_eq!(ours.remove(&key), std.remove(&key)),
                3 => {
                    *ours.get_or_default(&key) += 1;
                    *std.entry(key).or_default() += 1;
                }
                _ => {
                    let odd = |v: &u32| v % 3 != 0;
                    ours.retain(|_, v| odd(v));
                    std.retain(|_, v| odd(v));
                }
            }
            assert!(ours.iter().eq(std.iter()));
            assert_eq!(ours.len(), std.len());
            assert_eq!(ours.get("c7"), std.get("c7"));
            assert_eq!(ours.contains_key("c8"), std.contains_key("c8"));
        }
    }

    #[test]
    fn a_set() {
        let mut s = IdSet::of("b");
        assert!(s.insert("a".into()));
        assert!(!s.insert("b".into()));
        assert!(s.contains("a") && s.contains("b") && !s.contains("c"));
        assert!(s.iter().eq(["a", "b"].iter()));
        assert!(s.remove("a") && !s.remove("a"));
        s.retain(|id| id != "b");
        assert!(s.is_empty());
        assert_eq!(format!("{:?}", IdSet::of("x")), r#"{"x"}"#);
    }
}
