//! `inputs.file`: parses whole files (globs) on every gather.

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::now_ns;
use crate::parsers::Parser;
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "file",
    description: "Parse a complete file each interval",
    sample: SAMPLE_CONFIG,
    data_format: true,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.file]]
  ## Files to parse each interval.  Accept standard unix glob matching rules,
  ## as well as ** to match recursive files and directories.
  files = ["/tmp/metrics.out"]

  ## Name a tag containing the name of the file the data was parsed from.
  # file_tag = ""

  ## Data format to consume.
  data_format = "influx"
"#;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct FileConfig {
    files: Vec<String>,
    file_tag: String,
    character_encoding: String,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: FileConfig = o.parse()?;
    if !matches!(c.character_encoding.as_str(), "" | "utf-8" | "utf8") {
        return Err(o.not_supported(format!("character_encoding {:?}", c.character_encoding)));
    }
    Ok(Box::new(FileInput {
        files: c.files,
        file_tag: c.file_tag,
        parser: o.parser()?,
    }))
}

/// Expands a glob pattern (`*`, `?`, `[]` per path component, `**` for any depth).
pub fn expand_glob(pattern: &str) -> Vec<std::path::PathBuf> {
    if !pattern.contains(['*', '?', '[']) {
        return vec![pattern.into()];
    }
    let abs = pattern.starts_with('/');
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    let mut cur: Vec<std::path::PathBuf> = vec![if abs { "/".into() } else { ".".into() }];
    for (i, part) in parts.iter().enumerate() {
        let last = i == parts.len() - 1;
        let mut next = Vec::new();
        for base in &cur {
            if *part == "**" {
                // zero or more directories
                let mut stack = vec![base.clone()];
                while let Some(d) = stack.pop() {
                    next.push(d.clone());
                    if let Ok(rd) = std::fs::read_dir(&d) {
                        for e in rd.flatten() {
                            if e.path().is_dir() {
                                stack.push(e.path());
                            }
                        }
                    }
                }
            } else if part.contains(['*', '?', '[']) {
                let g = crate::filter::Glob::new(part);
                if let Ok(rd) = std::fs::read_dir(base) {
                    for e in rd.flatten() {
                        if e.file_name().to_str().is_some_and(|n| g.matches(n))
                            && (last || e.path().is_dir())
                        {
                            next.push(e.path());
                        }
                    }
                }
            } else {
                let p = base.join(part);
                if p.exists() {
                    next.push(p);
                }
            }
        }
        cur = next;
    }
    cur.sort();
    cur.dedup();
    cur.into_iter().filter(|p| p.is_file()).collect()
}

/// The file input.
pub struct FileInput {
    files: Vec<String>,
    file_tag: String,
    parser: Box<dyn Parser>,
}

#[async_trait]
impl Input for FileInput {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        for pat in &self.files {
            for path in expand_glob(pat) {
                let data = match std::fs::read(&path) {
                    Ok(d) => d,
                    Err(e) => {
                        acc.add_error(format!("reading {}: {e}", path.display()));
                        continue;
                    }
                };
                match self.parser.parse(&data, now_ns()) {
                    Ok(ms) => {
                        for mut m in ms {
                            if !self.file_tag.is_empty() {
                                let name = path
                                    .file_name()
                                    .and_then(|n| n.to_str())
                                    .unwrap_or_default();
                                m.add_tag(self.file_tag.clone(), name);
                            }
                            acc.add(m);
                        }
                    }
                    Err(e) => acc.add_error(format!("parsing {}: {e}", path.display())),
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[tokio::test]
    async fn reads_globbed_csv() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/x.csv"), "host,v\nh1,1.5\n").unwrap();
        std::fs::write(dir.path().join("a/y.csv"), "host,v\nh2,2\n").unwrap();
        std::fs::write(dir.path().join("a/skip.txt"), "nope").unwrap();
        let toml = format!(
            "files = [\"{}/a/**/*.csv\"]\nfile_tag = \"file\"\ndata_format = \"csv\"\ncsv_header_row_count = 1\ncsv_tag_columns = [\"host\"]",
            dir.path().display()
        );
        let mut i = build(&PluginOptions::from_toml("inputs", "file", &toml).unwrap()).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        i.gather(&acc).await.unwrap();
        let mut ms = crate::plugin::drain(&mut rx);
        ms.sort_by(|a, b| a.tags.cmp(&b.tags));
        assert_eq!(ms.len(), 2, "{ms:?}");
        assert_eq!(ms[0].name, "file");
        assert_eq!(ms[0].tag("host"), Some("h1"));
        assert_eq!(ms[0].tag("file"), Some("x.csv"));
        assert_eq!(ms[1].field("v"), Some(&Value::Int(2)));
    }

    #[tokio::test]
    async fn json_v2_from_toml() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.json");
        std::fs::write(
            &path,
            r#"{"city":"Oslo","readings":[{"t":1.5,"h":80},{"t":2.5,"h":81}]}"#,
        )
        .unwrap();
        let toml = format!(
            "files = [\"{}\"]\ndata_format = \"json_v2\"\n[[inputs.file.json_v2]]\nmeasurement_name = \"weather\"\n[[inputs.file.json_v2.tag]]\npath = \"city\"\n[[inputs.file.json_v2.object]]\npath = \"readings\"\n[inputs.file.json_v2.object.renames]\nt = \"temp\"\n",
            path.display()
        );
        let mut i = build(&PluginOptions::from_toml("inputs", "file", &toml).unwrap()).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        i.gather(&acc).await.unwrap();
        let ms = crate::plugin::drain(&mut rx);
        assert_eq!(ms.len(), 2, "{ms:?}");
        assert_eq!(ms[0].name, "weather");
        assert_eq!(ms[0].tag("city"), Some("Oslo"));
        assert_eq!(ms[1].field("temp"), Some(&Value::Float(2.5)));
        let bad = PluginOptions::from_toml(
            "inputs",
            "file",
            "files = []\ndata_format = \"json_v2\"\n[[inputs.file.json_v2]]\nbogus = 1\n",
        )
        .unwrap();
        let e = build(&bad).err().unwrap().to_string();
        assert!(e.contains("bogus"), "{e}");
    }
}
