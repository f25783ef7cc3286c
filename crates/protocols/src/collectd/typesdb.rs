//! collectd's `types.db`: the data source names of each value type.
//!
//! ```text
//! # comment
//! load    shortterm:GAUGE:0:5000, midterm:GAUGE:0:5000, longterm:GAUGE:0:5000
//! ```

use std::collections::HashMap;
use std::path::Path;

/// A small `types.db` with common types, for tests and for hosts without collectd.
pub const EMBEDDED_TYPES_DB: &str = "\
absolute                value:ABSOLUTE:0:U
counter                 value:COUNTER:U:U
cpu                     value:DERIVE:0:U
derive                  value:DERIVE:0:U
df_complex              value:GAUGE:0:U
disk_octets             read:DERIVE:0:U, write:DERIVE:0:U
disk_ops                read:DERIVE:0:U, write:DERIVE:0:U
gauge                   value:GAUGE:U:U
if_errors               rx:DERIVE:0:U, tx:DERIVE:0:U
if_octets               rx:DERIVE:0:U, tx:DERIVE:0:U
if_packets              rx:DERIVE:0:U, tx:DERIVE:0:U
load                    shortterm:GAUGE:0:5000, midterm:GAUGE:0:5000, longterm:GAUGE:0:5000
memory                  value:GAUGE:0:281474976710656
percent                 value:GAUGE:0:100.1
uptime                  value:GAUGE:0:U
";

/// Kind of a data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DsType {
    /// `GAUGE`.
    Gauge,
    /// `COUNTER`.
    Counter,
    /// `DERIVE`.
    Derive,
    /// `ABSOLUTE`.
    Absolute,
}

/// One data source of a type.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    /// Name (`rx`, `shortterm`, `value`…).
    pub name: String,
    /// Kind.
    pub kind: DsType,
}

/// Error reading a `types.db`.
#[derive(Debug, thiserror::Error)]
pub enum TypesDbError {
    /// A line does not follow the format.
    #[error("types.db line {line}: {message}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file or directory cannot be read.
    #[error("Open(): {path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// Error.
        #[source]
        source: std::io::Error,
    },
}

/// Type name → data sources.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypesDb {
    types: HashMap<String, Vec<DataSource>>,
}

impl TypesDb {
    /// Parses the text of a `types.db`.
    pub fn parse(text: &str) -> Result<Self, TypesDbError> {
        let mut db = TypesDb::default();
        db.merge_text(text)?;
        Ok(db)
    }

    /// The embedded default ([`EMBEDDED_TYPES_DB`]).
    pub fn embedded() -> Self {
        TypesDb::parse(EMBEDDED_TYPES_DB).unwrap_or_default()
    }

    /// Reads a file, or every file of a directory (sorted by name).
    pub fn load(path: &Path) -> Result<Self, TypesDbError> {
        let io = |source| TypesDbError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut db = TypesDb::default();
        if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)
                .map_err(io)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            for f in files {
                let text = std::fs::read_to_string(&f).map_err(|source| TypesDbError::Io {
                    path: f.display().to_string(),
                    source,
                })?;
                db.merge_text(&text)?;
            }
        } else {
            let text = std::fs::read_to_string(path).map_err(io)?;
            db.merge_text(&text)?;
        }
        Ok(db)
    }

    fn merge_text(&mut self, text: &str) -> Result<(), TypesDbError> {
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let syntax = |message: &str| TypesDbError::Syntax {
                line: i + 1,
                message: message.to_string(),
            };
            // collectd splits on blanks and commas alike.
            let mut words = line
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|w| !w.is_empty());
            let name = words.next().unwrap_or_default();
            let mut sources = Vec::new();
            for ds in words {
                let parts: Vec<&str> = ds.split(':').collect();
                if parts.len() != 4 || parts[0].is_empty() {
                    return Err(syntax(&format!("invalid data source {ds:?}")));
                }
                let kind = match parts[1].to_ascii_uppercase().as_str() {
                    "GAUGE" => DsType::Gauge,
                    "COUNTER" => DsType::Counter,
                    "DERIVE" => DsType::Derive,
                    "ABSOLUTE" => DsType::Absolute,
                    other => return Err(syntax(&format!("unknown data source type {other:?}"))),
                };
                sources.push(DataSource {
                    name: parts[0].to_string(),
                    kind,
                });
            }
            if sources.is_empty() {
                return Err(syntax("missing data sources"));
            }
            self.types.insert(name.to_string(), sources);
        }
        Ok(())
    }

    /// The data sources of `type_name`.
    pub fn get(&self, type_name: &str) -> Option<&[DataSource]> {
        self.types.get(type_name).map(Vec::as_slice)
    }

    /// Number of types.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// True when no type is known.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_embedded_and_errors() {
        let db = TypesDb::embedded();
        let load = db.get("load").unwrap();
        assert_eq!(load.len(), 3);
        assert_eq!(load[1].name, "midterm");
        assert_eq!(db.get("cpu").unwrap()[0].kind, DsType::Derive);
        assert!(TypesDb::parse("foo bar").is_err());
        assert!(TypesDb::parse("foo value:WEIRD:0:U").is_err());
        assert!(TypesDb::parse("foo").is_err());
    }

    #[test]
    fn loads_debian_types_db_when_present() {
        let path = Path::new("/usr/share/collectd/types.db");
        if !path.exists() {
            eprintln!("skipped: {} not installed", path.display());
            return;
        }
        let db = TypesDb::load(path).unwrap();
        assert!(db.len() > 100);
        assert_eq!(db.get("if_octets").unwrap()[0].name, "rx");
    }
}
