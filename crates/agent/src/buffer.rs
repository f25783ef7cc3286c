//! The per-output metric buffer: a bounded FIFO (oldest dropped and counted when full),
//! optionally backed by a write-ahead file (`buffer_strategy = "disk"`) so that metrics
//! survive a crash of the agent, not only a graceful stop.
//!
//! Every metric gets a sequence number when it enters the buffer. With a write-ahead
//! file, each batch entering the buffer is appended to the file and fsynced before
//! [`Buffer::push_batch`] returns; when a batch has been delivered ([`Buffer::accept`]) or
//! metrics are dropped, an acknowledgement record with the new low-water mark (every
//! sequence number below it is delivered or dropped) is appended. The file is truncated
//! once everything is acknowledged and compacted when mostly acknowledged. On open, the
//! records at or above the low-water mark are loaded back, oldest first.
//!
//! File format (text framing, line protocol payloads):
//!
//! ```text
//! ALMANAC-WAL 1 <base>\n    header: sequence number of the first data record
//! D <len>\n<payload>        a metric as line protocol (<len> bytes)
//! A <seq>\n                 everything below <seq> is delivered or dropped
//! ```
//!
//! A torn record at the end (crash during a write) ends the recovered data.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::metric::{now_ns, Metric};
use crate::stats::OutputStats;

const MAGIC: &str = "ALMANAC-WAL 1";

/// Compact when at least this many acknowledged records precede the live ones.
const COMPACT_MIN: u64 = 4096;

/// Errors opening a write-ahead buffer file.
#[derive(Debug, thiserror::Error)]
pub enum BufferError {
    /// I/O on the buffer file or directory.
    #[error("buffer file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Another process holds the file.
    #[error("buffer file {0} is in use by another agent")]
    Locked(PathBuf),
}

/// What a write-ahead file holds after recovery.
#[derive(Debug, Default, PartialEq)]
pub struct Recovered {
    /// Sequence number of the first data record.
    pub base: u64,
    /// Payloads of every data record, in order.
    pub records: Vec<Vec<u8>>,
    /// Low-water mark (highest acknowledgement seen).
    pub acked: u64,
}

impl Recovered {
    /// Payloads not yet delivered (sequence number at or above the low-water mark).
    pub fn undelivered(&self) -> &[Vec<u8>] {
        let skip = self
            .acked
            .saturating_sub(self.base)
            .min(self.records.len() as u64);
        &self.records[skip as usize..]
    }
}

/// Parses a write-ahead file; never panics, stops at the first malformed or torn record.
pub fn parse_wal(data: &[u8]) -> Recovered {
    let mut r = Recovered::default();
    let line = |pos: usize| -> Option<(&[u8], usize)> {
        let nl = data.get(pos..)?.iter().position(|b| *b == b'\n')?;
        Some((&data[pos..pos + nl], pos + nl + 1))
    };
    let Some((head, mut pos)) = line(0) else {
        return r;
    };
    let head = String::from_utf8_lossy(head);
    let Some(base) = head
        .strip_prefix(MAGIC)
        .and_then(|rest| rest.trim().parse::<u64>().ok())
    else {
        return r;
    };
    r.base = base;
    r.acked = base;
    while let Some((l, next)) = line(pos) {
        let Ok(l) = std::str::from_utf8(l) else { break };
        if let Some(n) = l.strip_prefix("D ") {
            let Ok(n) = n.parse::<usize>() else { break };
            let Some(end) = next.checked_add(n).filter(|e| *e <= data.len()) else {
                break;
            };
            r.records.push(data[next..end].to_vec());
            pos = end;
        } else if let Some(s) = l.strip_prefix("A ") {
            let Ok(s) = s.parse::<u64>() else { break };
            r.acked = r.acked.max(s);
            pos = next;
        } else {
            break;
        }
    }
    r
}

fn lock_exclusive(f: &File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a valid descriptor owned by `f`.
    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// The write-ahead file of one output.
#[derive(Debug)]
struct Wal {
    path: PathBuf,
    file: File,
    /// Sequence number of the first data record in the file.
    base: u64,
    /// Data records in the file.
    records: u64,
    /// Last low-water mark written.
    acked: u64,
    /// Set after an I/O error was logged (to log once).
    failed: bool,
}

impl Wal {
    /// Writes `payloads` as a fresh file (header `base`) through a temporary file.
    fn rewrite(path: &Path, base: u64, payloads: &[Vec<u8>]) -> std::io::Result<File> {
        let tmp = path.with_extension("wal.tmp");
        let mut out = Vec::new();
        out.extend_from_slice(format!("{MAGIC} {base}\n").as_bytes());
        for p in payloads {
            out.extend_from_slice(format!("D {}\n", p.len()).as_bytes());
            out.extend_from_slice(p);
        }
        {
            let mut f = File::create(&tmp)?;
            f.write_all(&out)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        sync_dir(path);
        OpenOptions::new().append(true).open(path)
    }

    fn write(&mut self, bytes: &[u8]) {
        let res = self
            .file
            .write_all(bytes)
            .and_then(|_| self.file.sync_data());
        match res {
            Ok(()) => self.failed = false,
            Err(e) if !self.failed => {
                self.failed = true;
                tracing::error!(
                    "buffer file {}: {e} (metrics stay buffered in memory)",
                    self.path.display()
                );
            }
            Err(_) => {}
        }
    }

    /// Empties the file once every record is acknowledged.
    fn truncate(&mut self, next: u64) {
        let res = self.file.set_len(0).and_then(|_| {
            self.file
                .write_all(format!("{MAGIC} {next}\n").as_bytes())?;
            self.file.sync_data()
        });
        if let Err(e) = res {
            tracing::error!("buffer file {}: truncating: {e}", self.path.display());
            return;
        }
        self.base = next;
        self.records = 0;
        self.acked = next;
    }

    /// Drops the acknowledged prefix by rewriting the live records.
    fn compact(&mut self, low: u64) {
        let res = std::fs::read(&self.path).and_then(|data| {
            let r = parse_wal(&data);
            let live = r.undelivered().to_vec();
            let f = Wal::rewrite(&self.path, r.acked.max(r.base), &live)?;
            Ok((f, r.acked.max(r.base), live.len() as u64))
        });
        match res {
            Ok((f, base, n)) => {
                let _ = lock_exclusive(&f);
                self.file = f;
                self.base = base;
                self.records = n;
                self.acked = base.max(low);
            }
            Err(e) => tracing::error!("buffer file {}: compacting: {e}", self.path.display()),
        }
    }
}

/// Bounded FIFO of an output: the oldest metrics are dropped (and counted) when full.
#[derive(Debug)]
pub struct Buffer {
    q: VecDeque<(u64, Metric)>,
    limit: usize,
    stats: OutputStats,
    next_seq: u64,
    /// Sequence numbers of metrics taken and not yet accepted or put back, oldest first.
    inflight: VecDeque<u64>,
    wal: Option<Wal>,
}

impl Buffer {
    /// An in-memory buffer holding at most `limit` metrics.
    pub fn new(limit: usize, stats: OutputStats) -> Buffer {
        stats.buffer_limit.set(limit as i64);
        Buffer {
            q: VecDeque::new(),
            limit: limit.max(1),
            stats,
            next_seq: 0,
            inflight: VecDeque::new(),
            wal: None,
        }
    }

    /// A buffer backed by the write-ahead file `path` (created if missing); metrics a
    /// previous run did not deliver are loaded first (at most `limit`, the newest).
    pub fn open(limit: usize, stats: OutputStats, path: &Path) -> Result<Buffer, BufferError> {
        let io = |source| BufferError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        // lock first (on the existing file, or a new empty one) so two agents never share
        let probe = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        if !lock_exclusive(&probe) {
            return Err(BufferError::Locked(path.to_path_buf()));
        }
        let data = std::fs::read(path).map_err(io)?;
        let rec = parse_wal(&data);
        let parser = crate::parsers::InfluxParser::new(1);
        let mut restored = Vec::new();
        for p in rec.undelivered() {
            match crate::parsers::Parser::parse(&parser, p, now_ns()) {
                Ok(ms) => restored.extend(ms),
                Err(e) => {
                    tracing::warn!("buffer file {}: skipping bad record: {e}", path.display())
                }
            }
        }
        let mut b = Buffer::new(limit, stats);
        if restored.len() > b.limit {
            let extra = restored.len() - b.limit;
            restored.drain(..extra);
            b.stats.metrics_dropped.inc(extra as u64);
        }
        let payloads: Vec<Vec<u8>> = restored
            .iter()
            .map(|m| {
                let mut s = String::new();
                m.write_line_protocol(&mut s, 1);
                s.into_bytes()
            })
            .collect();
        let file = Wal::rewrite(path, 0, &payloads).map_err(io)?;
        // the rename replaced the locked inode: lock the new one (the probe lock
        // is released when `probe` is dropped)
        if !lock_exclusive(&file) {
            return Err(BufferError::Locked(path.to_path_buf()));
        }
        drop(probe);
        if !restored.is_empty() {
            tracing::info!(
                "restored {} undelivered metrics from {}",
                restored.len(),
                path.display()
            );
        }
        b.wal = Some(Wal {
            path: path.to_path_buf(),
            file,
            base: 0,
            records: restored.len() as u64,
            acked: 0,
            failed: false,
        });
        for m in restored {
            b.q.push_back((b.next_seq, m));
            b.next_seq += 1;
            b.stats.metrics_added.inc(1);
        }
        b.stats.buffer_size.set(b.q.len() as i64);
        Ok(b)
    }

    /// True when backed by a write-ahead file.
    pub fn is_durable(&self) -> bool {
        self.wal.is_some()
    }

    /// Appends one metric, dropping the oldest when over the limit.
    pub fn push(&mut self, m: Metric) {
        self.push_batch(vec![m]);
    }

    /// Appends a batch (one write and fsync of the write-ahead file), dropping the oldest
    /// metrics when over the limit.
    pub fn push_batch(&mut self, ms: Vec<Metric>) {
        if ms.is_empty() {
            return;
        }
        let mut bytes = Vec::new();
        for m in ms {
            if let Some(w) = &mut self.wal {
                let mut s = String::new();
                m.write_line_protocol(&mut s, 1);
                bytes.extend_from_slice(format!("D {}\n", s.len()).as_bytes());
                bytes.extend_from_slice(s.as_bytes());
                w.records += 1;
            }
            self.q.push_back((self.next_seq, m));
            self.next_seq += 1;
            self.stats.metrics_added.inc(1);
        }
        self.trim();
        self.persist(bytes, false);
    }

    fn trim(&mut self) {
        while self.q.len() > self.limit {
            self.q.pop_front();
            self.stats.metrics_dropped.inc(1);
        }
        self.stats.buffer_size.set(self.q.len() as i64);
    }

    /// Every sequence number below this is delivered or dropped.
    fn low_water(&self) -> u64 {
        let mut low = self.next_seq;
        if let Some(s) = self.inflight.front() {
            low = low.min(*s);
        }
        if let Some((s, _)) = self.q.front() {
            low = low.min(*s);
        }
        low
    }

    /// Writes `bytes` plus an acknowledgement when the low-water mark moved; truncates
    /// or compacts the file when `maintain`.
    fn persist(&mut self, mut bytes: Vec<u8>, maintain: bool) {
        let low = self.low_water();
        let next = self.next_seq;
        let Some(w) = &mut self.wal else { return };
        if low > w.acked {
            bytes.extend_from_slice(format!("A {low}\n").as_bytes());
            w.acked = low;
        }
        if !bytes.is_empty() {
            w.write(&bytes);
        }
        if maintain {
            if low == next && w.records > 0 {
                w.truncate(next);
            } else {
                let done = low.saturating_sub(w.base);
                if done >= COMPACT_MIN && done * 2 >= w.records {
                    w.compact(low);
                }
            }
        }
    }

    /// Takes up to `n` of the oldest metrics (in flight until [`Buffer::accept`] or
    /// [`Buffer::put_back`]).
    pub fn take(&mut self, n: usize) -> Vec<Metric> {
        let n = n.min(self.q.len());
        let out: Vec<Metric> = self
            .q
            .drain(..n)
            .map(|(s, m)| {
                self.inflight.push_back(s);
                m
            })
            .collect();
        self.stats.buffer_size.set(self.q.len() as i64);
        out
    }

    /// The oldest `n` metrics in flight were delivered.
    pub fn accept(&mut self, n: usize) {
        let n = n.min(self.inflight.len());
        self.inflight.drain(..n);
        self.persist(Vec::new(), true);
    }

    /// Puts a failed batch (the last one taken) back in front, oldest first, then
    /// enforces the limit.
    pub fn put_back(&mut self, batch: Vec<Metric>) {
        let k = batch.len().min(self.inflight.len());
        let mut seqs: Vec<u64> = self.inflight.drain(self.inflight.len() - k..).collect();
        // metrics that were never taken get a number below every live one
        while seqs.len() < batch.len() {
            seqs.insert(0, 0);
        }
        for (s, m) in seqs.into_iter().zip(batch).rev() {
            self.q.push_front((s, m));
        }
        self.trim();
        self.persist(Vec::new(), false);
    }

    /// Number of buffered metrics (not counting those in flight).
    pub fn len(&self) -> usize {
        self.q.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(i: i64) -> Metric {
        Metric::new("m", i)
            .with_tag("t", "a b")
            .with_field("v", i)
            .with_field("s", "line1\nline2 \"q\"")
    }

    #[test]
    fn memory_buffer_drops_oldest_and_counts() {
        let st = OutputStats::default();
        let mut b = Buffer::new(3, st.clone());
        for i in 0..5 {
            b.push(Metric::new("m", i).with_field("v", i));
        }
        assert_eq!(b.len(), 3);
        assert_eq!(st.metrics_dropped.get(), 2);
        let batch = b.take(2);
        assert_eq!(batch[0].time, 2);
        b.push(Metric::new("m", 5).with_field("v", 5i64));
        b.push(Metric::new("m", 6).with_field("v", 6i64));
        // failed batch goes back in front; overflow drops the oldest (time 2)
        b.put_back(batch);
        assert_eq!(b.len(), 3);
        assert_eq!(
            b.take(10).iter().map(|m| m.time).collect::<Vec<_>>(),
            vec![4, 5, 6]
        );
        assert_eq!(st.metrics_dropped.get(), 4);
    }

    #[test]
    fn crash_without_flush_keeps_undelivered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("out.wal");
        {
            let mut b = Buffer::open(100, OutputStats::default(), &path).unwrap();
            b.push_batch((0..10).map(m).collect());
            let batch = b.take(4);
            assert_eq!(batch.len(), 4);
            b.accept(4); // 0..4 delivered
            let _inflight = b.take(3); // 4..7 in flight when the "crash" happens
            b.push_batch((10..12).map(m).collect());
            // dropped without any flush or stop: like kill -9
        }
        let mut b = Buffer::open(100, OutputStats::default(), &path).unwrap();
        let got = b.take(100);
        assert_eq!(
            got.iter().map(|m| m.time).collect::<Vec<_>>(),
            (4..12).collect::<Vec<_>>()
        );
        assert_eq!(got[0], m(4), "string with newline and quotes survives");
        // nothing accepted: reopening again yields the same
        drop(b);
        let mut b = Buffer::open(100, OutputStats::default(), &path).unwrap();
        assert_eq!(b.len(), 8);
        let got = b.take(8);
        b.accept(got.len());
        drop(b);
        let b = Buffer::open(100, OutputStats::default(), &path).unwrap();
        assert!(b.is_empty());
        // the file was truncated to its header
        assert!(std::fs::metadata(&path).unwrap().len() < 32);
    }

    #[test]
    fn second_open_is_refused_while_locked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.wal");
        let _b = Buffer::open(10, OutputStats::default(), &path).unwrap();
        assert!(matches!(
            Buffer::open(10, OutputStats::default(), &path),
            Err(BufferError::Locked(_))
        ));
    }

    #[test]
    fn overflow_and_restore_respect_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.wal");
        {
            let mut b = Buffer::open(5, OutputStats::default(), &path).unwrap();
            for i in 0..20 {
                b.push(m(i));
            }
            assert_eq!(b.len(), 5);
        }
        let st = OutputStats::default();
        let mut b = Buffer::open(3, st.clone(), &path).unwrap();
        assert_eq!(
            b.take(10).iter().map(|m| m.time).collect::<Vec<_>>(),
            vec![17, 18, 19]
        );
        assert_eq!(st.metrics_dropped.get(), 2);
    }

    #[test]
    fn compaction_bounds_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.wal");
        let mut b = Buffer::open(100_000, OutputStats::default(), &path).unwrap();
        // always keep 10 undelivered, deliver the rest in batches
        for round in 0..30 {
            b.push_batch((round * 1000..(round + 1) * 1000).map(m).collect());
            let n = b.len() - 10;
            let batch = b.take(n);
            b.accept(batch.len());
        }
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size < 600_000, "file not compacted: {size} bytes");
        drop(b);
        let mut b = Buffer::open(100_000, OutputStats::default(), &path).unwrap();
        assert_eq!(
            b.take(100).iter().map(|m| m.time).collect::<Vec<_>>(),
            (29_990..30_000).collect::<Vec<_>>()
        );
    }

    #[test]
    fn torn_tail_and_garbage_never_panic() {
        let good = format!("{MAGIC} 5\nD 6\nm v=1 A 6\nD 6\nm v=2 D 99\nm v=");
        let r = parse_wal(good.as_bytes());
        assert_eq!(r.base, 5);
        assert_eq!(r.acked, 6);
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.undelivered(), &[b"m v=2 ".to_vec()]);
        assert_eq!(parse_wal(b"junk\nD 1\nx"), Recovered::default());
    }

    proptest::proptest! {
        #[test]
        fn parse_wal_never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let mut with_header = format!("{MAGIC} 3\n").into_bytes();
            with_header.extend_from_slice(&data);
            let r = parse_wal(&with_header);
            let _ = r.undelivered();
            let _ = parse_wal(&data);
        }
    }
}
