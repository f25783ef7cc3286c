//! [`Fields`]: the fields of a point, a small map sorted by key.
//!
//! A stream point usually carries one to ten fields, and a task often keeps
//! only one of them. A sorted vector of `(key, value)` pairs with shared
//! (`Arc<str>`) keys costs one allocation per point where a
//! `BTreeMap<String, _>` cost a ~600-byte node and a string per key; the feed
//! hands the same key `Arc` to every point of a series.

use std::fmt;
use std::sync::Arc;

use crate::model::FieldValue;

/// A field key, shared between the points that carry it.
pub type FieldKey = Arc<str>;

/// Fields of a point, sorted by key, each key once.
#[derive(Clone, Default, PartialEq)]
pub struct Fields {
    entries: Vec<(FieldKey, FieldValue)>,
}

impl Fields {
    /// No fields.
    pub fn new() -> Fields {
        Fields::default()
    }

    /// No fields, room for `n`.
    pub fn with_capacity(n: usize) -> Fields {
        Fields {
            entries: Vec::with_capacity(n),
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| (**k).cmp(key))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&FieldValue> {
        self.position(key).ok().map(|i| &self.entries[i].1)
    }

    /// The value of `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut FieldValue> {
        self.position(key).ok().map(|i| &mut self.entries[i].1)
    }

    /// True when `key` is a field.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    /// Sets `key` to `value`, returning the value it replaced.
    pub fn insert(&mut self, key: FieldKey, value: FieldValue) -> Option<FieldValue> {
        // Points are mostly built in key order: try the end first.
        if self.entries.last().is_none_or(|(k, _)| **k < *key) {
            self.entries.push((key, value));
            return None;
        }
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<FieldValue> {
        self.position(key).ok().map(|i| self.entries.remove(i).1)
    }

    /// Keeps the fields `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&FieldKey, &mut FieldValue) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// The fields in key order.
    pub fn iter(
        &self,
    ) -> impl DoubleEndedIterator<Item = (&FieldKey, &FieldValue)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &FieldKey> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl std::ops::Index<&str> for Fields {
    type Output = FieldValue;

    /// The value of `key`; panics when there is none (as a map's index does).
    fn index(&self, key: &str) -> &FieldValue {
        self.get(key).unwrap_or_else(|| panic!("no field {key:?}"))
    }
}

impl<K: Into<FieldKey>> FromIterator<(K, FieldValue)> for Fields {
    fn from_iter<I: IntoIterator<Item = (K, FieldValue)>>(iter: I) -> Fields {
        let mut fields = Fields::new();
        fields.extend(iter);
        fields
    }
}

impl<K: Into<FieldKey>> Extend<(K, FieldValue)> for Fields {
    fn extend<I: IntoIterator<Item = (K, FieldValue)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k.into(), v);
        }
    }
}

impl<K: Into<FieldKey>, const N: usize> From<[(K, FieldValue); N]> for Fields {
    fn from(pairs: [(K, FieldValue); N]) -> Fields {
        pairs.into_iter().collect()
    }
}

impl IntoIterator for Fields {
    type Item = (FieldKey, FieldValue);
    type IntoIter = std::vec::IntoIter<(FieldKey, FieldValue)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a FieldKey, &'a FieldValue);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (FieldKey, FieldValue)>,
        fn(&'a (FieldKey, FieldValue)) -> (&'a FieldKey, &'a FieldValue),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_keys_sorted_and_unique_whatever_the_insertion_order() {
        let mut f = Fields::new();
        for (k, v) in [("b", 2), ("a", 1), ("c", 3), ("b", 20)] {
            f.insert(k.into(), FieldValue::Int(v));
        }
        let pairs: Vec<(String, FieldValue)> =
            f.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        assert_eq!(
            pairs,
            vec![
                ("a".into(), FieldValue::Int(1)),
                ("b".into(), FieldValue::Int(20)),
                ("c".into(), FieldValue::Int(3)),
            ]
        );
        assert_eq!(f.remove("a"), Some(FieldValue::Int(1)));
        assert_eq!(f.get("a"), None);
        assert!(f.contains_key("c"));
        assert_eq!(f.len(), 2);
    }

    #[test]
    fn insert_returns_the_replaced_value() {
        let mut f = Fields::from([("x", FieldValue::Float(1.0))]);
        assert_eq!(
            f.insert("x".into(), FieldValue::Float(2.0)),
            Some(FieldValue::Float(1.0))
        );
        assert_eq!(f.get("x"), Some(&FieldValue::Float(2.0)));
    }
}
