//! Glob patterns and Telegraf's metric filters (`namepass`, `fieldpass`, `tagpass`, ...).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::metric::Metric;

/// A compiled glob: `*` any run, `?` one char, `[abc]`/`[a-z]`/`[!a]` classes, `\` escapes.
#[derive(Debug, Clone, PartialEq)]
pub struct Glob {
    tokens: Vec<Tok>,
    literal: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Char(char),
    Any,
    Star,
    Class(bool, Vec<(char, char)>),
}

impl Glob {
    /// Compiles a pattern; never fails (a dangling `[` is a literal).
    pub fn new(pattern: &str) -> Glob {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        let mut literal = true;
        while i < chars.len() {
            match chars[i] {
                '*' => {
                    literal = false;
                    if tokens.last() != Some(&Tok::Star) {
                        tokens.push(Tok::Star);
                    }
                }
                '?' => {
                    literal = false;
                    tokens.push(Tok::Any);
                }
                '\\' if i + 1 < chars.len() => {
                    literal = false;
                    i += 1;
                    tokens.push(Tok::Char(chars[i]));
                }
                '[' => {
                    if let Some(end) = chars[i + 1..].iter().position(|c| *c == ']') {
                        literal = false;
                        let body = &chars[i + 1..i + 1 + end];
                        let (neg, body) = match body.first() {
                            Some('!') | Some('^') => (true, &body[1..]),
                            _ => (false, body),
                        };
                        let mut ranges = Vec::new();
                        let mut j = 0;
                        while j < body.len() {
                            if j + 2 < body.len() && body[j + 1] == '-' {
                                ranges.push((body[j], body[j + 2]));
                                j += 3;
                            } else {
                                ranges.push((body[j], body[j]));
                                j += 1;
                            }
                        }
                        tokens.push(Tok::Class(neg, ranges));
                        i += end + 1;
                    } else {
                        tokens.push(Tok::Char('['));
                    }
                }
                c => tokens.push(Tok::Char(c)),
            }
            i += 1;
        }
        Glob {
            literal: literal.then(|| pattern.to_string()),
            tokens,
        }
    }

    /// True when `s` matches the whole pattern.
    pub fn matches(&self, s: &str) -> bool {
        if let Some(l) = &self.literal {
            return l == s;
        }
        let text: Vec<char> = s.chars().collect();
        // Iterative matcher with single backtrack point for the last star.
        let (mut t, mut p) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            if p < self.tokens.len() {
                match &self.tokens[p] {
                    Tok::Star => {
                        star = Some((p, t));
                        p += 1;
                        continue;
                    }
                    tok if tok_matches(tok, text[t]) => {
                        p += 1;
                        t += 1;
                        continue;
                    }
                    _ => {}
                }
            }
            match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            }
        }
        self.tokens[p..].iter().all(|t| *t == Tok::Star)
    }
}

fn tok_matches(tok: &Tok, c: char) -> bool {
    match tok {
        Tok::Char(x) => *x == c,
        Tok::Any => true,
        Tok::Star => true,
        Tok::Class(neg, ranges) => {
            let inside = ranges.iter().any(|(a, b)| *a <= c && c <= *b);
            inside != *neg
        }
    }
}

/// A set of globs; matches when any member matches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GlobSet(Vec<Glob>);

impl GlobSet {
    /// Compiles every pattern.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> GlobSet {
        GlobSet(patterns.iter().map(|p| Glob::new(p.as_ref())).collect())
    }
    /// True when any pattern matches.
    pub fn matches(&self, s: &str) -> bool {
        self.0.iter().any(|g| g.matches(s))
    }
    /// True when there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The filter options every plugin accepts, as written in the config.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    /// Only metrics whose name matches pass.
    #[serde(default)]
    pub namepass: Vec<String>,
    /// Metrics whose name matches are dropped.
    #[serde(default)]
    pub namedrop: Vec<String>,
    /// Only matching fields are kept (old name of `fieldinclude`).
    #[serde(default)]
    pub fieldpass: Vec<String>,
    /// Only matching fields are kept.
    #[serde(default)]
    pub fieldinclude: Vec<String>,
    /// Matching fields are removed (old name of `fieldexclude`).
    #[serde(default)]
    pub fielddrop: Vec<String>,
    /// Matching fields are removed.
    #[serde(default)]
    pub fieldexclude: Vec<String>,
    /// Metric passes when one of its tags matches (tag key → value globs).
    #[serde(default)]
    pub tagpass: BTreeMap<String, Vec<String>>,
    /// Metric dropped when one of its tags matches.
    #[serde(default)]
    pub tagdrop: BTreeMap<String, Vec<String>>,
    /// Only matching tag keys are kept.
    #[serde(default)]
    pub taginclude: Vec<String>,
    /// Matching tag keys are removed.
    #[serde(default)]
    pub tagexclude: Vec<String>,
}

/// Keys of [`FilterConfig`], stripped from a plugin table before its own options are read.
pub const FILTER_KEYS: &[&str] = &[
    "namepass",
    "namedrop",
    "fieldpass",
    "fieldinclude",
    "fielddrop",
    "fieldexclude",
    "tagpass",
    "tagdrop",
    "taginclude",
    "tagexclude",
];

/// Compiled metric filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    namepass: GlobSet,
    namedrop: GlobSet,
    fieldinclude: GlobSet,
    fieldexclude: GlobSet,
    tagpass: Vec<(String, GlobSet)>,
    tagdrop: Vec<(String, GlobSet)>,
    taginclude: GlobSet,
    tagexclude: GlobSet,
    active: bool,
}

impl Filter {
    /// Compiles the filter options.
    pub fn new(c: &FilterConfig) -> Filter {
        let mut fi = c.fieldpass.clone();
        fi.extend(c.fieldinclude.iter().cloned());
        let mut fe = c.fielddrop.clone();
        fe.extend(c.fieldexclude.iter().cloned());
        let f = Filter {
            namepass: GlobSet::new(&c.namepass),
            namedrop: GlobSet::new(&c.namedrop),
            fieldinclude: GlobSet::new(&fi),
            fieldexclude: GlobSet::new(&fe),
            tagpass: c
                .tagpass
                .iter()
                .map(|(k, v)| (k.clone(), GlobSet::new(v)))
                .collect(),
            tagdrop: c
                .tagdrop
                .iter()
                .map(|(k, v)| (k.clone(), GlobSet::new(v)))
                .collect(),
            taginclude: GlobSet::new(&c.taginclude),
            tagexclude: GlobSet::new(&c.tagexclude),
            active: c != &FilterConfig::default(),
        };
        f
    }

    /// True when the filter does something.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Whether the metric is selected by name and tag filters (fields and tags untouched).
    pub fn selects(&self, m: &Metric) -> bool {
        if !self.namepass.is_empty() && !self.namepass.matches(&m.name) {
            return false;
        }
        if !self.namedrop.is_empty() && self.namedrop.matches(&m.name) {
            return false;
        }
        if !self.tagpass.is_empty() && !self.tag_match(&self.tagpass, m) {
            return false;
        }
        if !self.tagdrop.is_empty() && self.tag_match(&self.tagdrop, m) {
            return false;
        }
        true
    }

    fn tag_match(&self, set: &[(String, GlobSet)], m: &Metric) -> bool {
        set.iter()
            .any(|(k, g)| m.tags.get(k).is_some_and(|v| g.matches(v)))
    }

    /// Applies field and tag include/exclude in place; false when no field is left.
    pub fn modify(&self, m: &mut Metric) -> bool {
        if !self.fieldinclude.is_empty() {
            m.fields.retain(|k, _| self.fieldinclude.matches(k));
        }
        if !self.fieldexclude.is_empty() {
            m.fields.retain(|k, _| !self.fieldexclude.matches(k));
        }
        if !self.taginclude.is_empty() {
            m.tags.retain(|k, _| self.taginclude.matches(k));
        }
        if !self.tagexclude.is_empty() {
            m.tags.retain(|k, _| !self.tagexclude.matches(k));
        }
        !m.fields.is_empty()
    }

    /// `selects` then `modify`; returns None when the metric is filtered out.
    pub fn apply(&self, mut m: Metric) -> Option<Metric> {
        if !self.active {
            return Some(m);
        }
        if !self.selects(&m) {
            return None;
        }
        self.modify(&mut m).then_some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn globs() {
        assert!(Glob::new("cpu*").matches("cpu0"));
        assert!(Glob::new("cpu*").matches("cpu"));
        assert!(!Glob::new("cpu*").matches("xcpu"));
        assert!(Glob::new("*_percent").matches("used_percent"));
        assert!(Glob::new("a?c").matches("abc"));
        assert!(!Glob::new("a?c").matches("ac"));
        assert!(Glob::new("sd[a-c]").matches("sdb"));
        assert!(!Glob::new("sd[!a-c]").matches("sdb"));
        assert!(Glob::new("*a*b*").matches("xxaxxbxx"));
        assert!(!Glob::new("*a*b").matches("xxaxxbxx"));
        assert!(Glob::new("exact").matches("exact"));
        assert!(Glob::new("[").matches("["));
    }

    #[test]
    fn filter_semantics() {
        let cfg = FilterConfig {
            namepass: vec!["cpu".into(), "mem".into()],
            fielddrop: vec!["usage_guest*".into()],
            tagpass: [("cpu".to_string(), vec!["cpu-total".to_string()])].into(),
            tagexclude: vec!["host".into()],
            ..Default::default()
        };
        let f = Filter::new(&cfg);
        let m = Metric::new("cpu", 0)
            .with_tag("cpu", "cpu-total")
            .with_tag("host", "h")
            .with_field("usage_user", 1.0)
            .with_field("usage_guest", 0.0);
        let out = f.apply(m.clone()).expect("passes");
        assert!(!out.tags.contains_key("host"));
        assert!(!out.fields.contains_key("usage_guest"));
        assert!(f.apply(m.clone().with_tag("cpu", "cpu0")).is_none());
        let mut other = m.clone();
        other.name = "disk".into();
        assert!(f.apply(other).is_none());
        // all fields filtered → dropped
        let f2 = Filter::new(&FilterConfig {
            fieldpass: vec!["nope".into()],
            ..Default::default()
        });
        assert!(f2.apply(m).is_none());
    }

    proptest! {
        #[test]
        fn glob_never_panics(p in ".{0,12}", s in ".{0,20}") {
            let _ = Glob::new(&p).matches(&s);
        }
        #[test]
        fn star_matches_everything(s in ".{0,20}") {
            prop_assert!(Glob::new("*").matches(&s));
        }
    }
}
