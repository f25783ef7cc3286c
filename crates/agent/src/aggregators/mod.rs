//! Aggregator plugins. Each keeps per-series state for one period.

use std::collections::{BTreeMap, HashMap};

use crate::metric::Metric;
use crate::plugin::{Aggregator, PluginSpec};

pub mod basicstats;
pub mod derivative;
pub mod final_;
pub mod histogram;
pub mod merge;
pub mod minmax;
pub mod quantile;
pub mod valuecounter;

/// Every implemented aggregator.
pub static SPECS: &[PluginSpec<dyn Aggregator>] = &[
    basicstats::SPEC,
    derivative::SPEC,
    final_::SPEC,
    histogram::SPEC,
    merge::SPEC,
    minmax::SPEC,
    quantile::SPEC,
    valuecounter::SPEC,
];

/// Tags of a series.
pub type Tags = BTreeMap<String, String>;
/// Name, tags and state of one series.
type Entry<S> = (String, Tags, S);

/// State per series (name + tags), remembering the identity for output.
#[derive(Debug, Default)]
pub struct SeriesMap<S> {
    map: HashMap<String, Entry<S>>,
}

impl<S: Default> SeriesMap<S> {
    /// State of the metric's series (created on first use).
    pub fn entry(&mut self, m: &Metric) -> &mut S {
        &mut self
            .map
            .entry(m.series_key())
            .or_insert_with(|| (m.name.clone(), m.tags.clone(), S::default()))
            .2
    }
    /// Iterates (name, tags, state), sorted by series key for stable output.
    pub fn iter(&self) -> Vec<(&String, &Tags, &S)> {
        let mut v: Vec<(&String, &Entry<S>)> = self.map.iter().collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v.into_iter().map(|(_, (n, t, s))| (n, t, s)).collect()
    }
    /// Forgets everything.
    pub fn clear(&mut self) {
        self.map.clear();
    }
}

/// Builds an output metric for a series.
pub fn out_metric(name: &str, tags: &BTreeMap<String, String>, time: i64) -> Metric {
    let mut m = Metric::new(name, time);
    m.tags = tags.clone();
    m
}
