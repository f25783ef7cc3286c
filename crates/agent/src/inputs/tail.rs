//! `inputs.tail`: follows files (like `tail -F`) and parses each new line.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::task::JoinHandle;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::now_ns;
use crate::parsers::Parser;
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "tail",
    description: "Parse the new lines appended to a file",
    sample: SAMPLE_CONFIG,
    data_format: true,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.tail]]
  ## File names or a pattern to tail.
  files = ["/var/mymetrics.out"]

  ## Read file from beginning.
  # from_beginning = false

  ## Whether file is a named pipe (not supported yet)
  # pipe = false

  ## Method used to watch for file updates: "poll" (inotify is treated as poll).
  # watch_method = "inotify"

  ## Data format to consume.
  data_format = "influx"
"#;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TailConfig {
    files: Vec<String>,
    from_beginning: bool,
    pipe: bool,
    watch_method: Option<String>,
    max_undelivered_lines: Option<usize>,
    character_encoding: Option<String>,
    path_tag: Option<String>,
    initial_read_offset: Option<String>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: TailConfig = o.parse()?;
    if c.pipe {
        return Err(o.not_supported("pipe = true"));
    }
    if c.character_encoding
        .as_deref()
        .is_some_and(|e| !matches!(e, "" | "utf-8" | "utf8"))
    {
        return Err(o.not_supported("character_encoding"));
    }
    let from_beginning = c.from_beginning || c.initial_read_offset.as_deref() == Some("beginning");
    Ok(Box::new(Tail {
        files: c.files,
        from_beginning,
        path_tag: c.path_tag.unwrap_or_else(|| "path".into()),
        parser: Arc::from(o.parser()?),
        task: None,
        poll: Duration::from_millis(250),
    }))
}

/// The tail input.
pub struct Tail {
    files: Vec<String>,
    from_beginning: bool,
    path_tag: String,
    parser: Arc<dyn Parser>,
    task: Option<JoinHandle<()>>,
    poll: Duration,
}

struct Follow {
    offset: u64,
    partial: Vec<u8>,
}

fn poll_file(path: &PathBuf, st: &mut Follow, parser: &dyn Parser, acc: &Accumulator, tag: &str) {
    let Ok(mut f) = std::fs::File::open(path) else {
        return;
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len < st.offset {
        // truncated or rotated: start over
        st.offset = 0;
        st.partial.clear();
    }
    if len == st.offset || f.seek(SeekFrom::Start(st.offset)).is_err() {
        return;
    }
    let mut buf = Vec::new();
    if f.take(len - st.offset).read_to_end(&mut buf).is_err() {
        return;
    }
    st.offset += buf.len() as u64;
    st.partial.extend_from_slice(&buf);
    let Some(last_nl) = st.partial.iter().rposition(|b| *b == b'\n') else {
        return;
    };
    let complete: Vec<u8> = st.partial.drain(..=last_nl).collect();
    for line in String::from_utf8_lossy(&complete).lines() {
        if line.trim().is_empty() {
            continue;
        }
        match parser.parse_line(line, now_ns()) {
            Ok(ms) => {
                for mut m in ms {
                    if !tag.is_empty() {
                        m.add_tag(tag, path.display().to_string());
                    }
                    acc.add(m);
                }
            }
            Err(e) => acc.add_error(format!("malformed line in {}: {e}", path.display())),
        }
    }
}

#[async_trait]
impl Input for Tail {
    async fn gather(&mut self, _acc: &Accumulator) -> Result<(), PluginError> {
        Ok(())
    }

    fn is_service(&self) -> bool {
        true
    }

    async fn start(&mut self, acc: Accumulator) -> Result<(), PluginError> {
        let patterns = self.files.clone();
        let parser = self.parser.clone();
        let from_beginning = self.from_beginning;
        let tag = self.path_tag.clone();
        let poll = self.poll;
        let mut state: HashMap<PathBuf, Follow> = HashMap::new();
        // files existing at start begin at their end unless from_beginning
        for p in patterns.iter().flat_map(|p| super::file::expand_glob(p)) {
            let off = if from_beginning {
                0
            } else {
                std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0)
            };
            state.insert(
                p,
                Follow {
                    offset: off,
                    partial: Vec::new(),
                },
            );
        }
        self.task = Some(tokio::spawn(async move {
            loop {
                for p in patterns.iter().flat_map(|p| super::file::expand_glob(p)) {
                    let st = state.entry(p.clone()).or_insert(Follow {
                        offset: 0,
                        partial: Vec::new(),
                    });
                    poll_file(&p, st, parser.as_ref(), &acc, &tag);
                }
                tokio::time::sleep(poll).await;
            }
        }));
        Ok(())
    }

    async fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[tokio::test]
    async fn follows_appends_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.log");
        std::fs::write(&path, "old v=1 1\n").unwrap();
        let toml = format!("files = [\"{}\"]\ndata_format = \"influx\"", path.display());
        let o = PluginOptions::from_toml("inputs", "tail", &toml).unwrap();
        let mut t = build(&o).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        t.start(acc).await.unwrap();
        {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            f.write_all(b"new v=2 2\npart").unwrap();
        }
        let m = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.name, "new", "existing content skipped");
        assert_eq!(m.tag("path"), Some(path.display().to_string().as_str()));
        {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            f.write_all(b"ial v=3 3\n").unwrap();
        }
        let m = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.name, "partial");
        std::fs::write(&path, "rot v=4 4\n").unwrap();
        let m = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.name, "rot");
        t.stop().await;
    }
}
