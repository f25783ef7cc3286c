//! Write-ahead log with group commit.
//!
//! One writer thread owns the open segment. Requests that arrive while it is
//! busy are written together and made durable by one `fdatasync`; each
//! request is then applied (in sequence order) and acknowledged.
//!
//! Segment files are named by the first sequence number they may hold
//! (`00000000000000000001.wal`). A record is
//! `[u32 len][u32 crc32(seq ‖ payload)][u64 seq][payload]` in little endian,
//! where `len` counts `seq ‖ payload`. Replay stops at the first torn or
//! corrupt record of a segment and truncates it there.

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use crate::error::StorageError;

/// Largest accepted record; bigger records are treated as corruption.
const MAX_RECORD: usize = 1 << 30;
/// Bytes gathered into one group commit before it is flushed.
const MAX_GROUP_BYTES: usize = 16 << 20;

/// Called by the writer thread with the sequence number once the record is durable.
pub type Apply = Box<dyn FnOnce(u64) + Send>;

struct Request {
    payload: Vec<u8>,
    apply: Apply,
    done: oneshot::Sender<Result<u64, StorageError>>,
}

enum Command {
    Append(Request),
    Rotate(std::sync::mpsc::Sender<()>),
    Shutdown,
}

/// A closed segment: every record in it has a sequence number ≤ `last_seq`.
#[derive(Debug, Clone)]
pub struct ClosedSegment {
    /// Path of the segment file.
    pub path: PathBuf,
    /// Largest sequence number the segment holds.
    pub last_seq: u64,
}

/// Counters the WAL exposes for `/metrics`.
#[derive(Debug, Default)]
pub struct WalStats {
    /// Number of fsyncs done.
    pub fsyncs: AtomicU64,
    /// Total time spent in fsync, in microseconds.
    pub fsync_micros: AtomicU64,
    /// Records appended.
    pub records: AtomicU64,
    /// Bytes appended.
    pub bytes: AtomicU64,
}

/// Handle to the WAL writer thread.
pub struct Wal {
    tx: mpsc::UnboundedSender<Command>,
    closed: Arc<Mutex<Vec<ClosedSegment>>>,
    last_seq: Arc<AtomicU64>,
    /// Statistics for monitoring.
    pub stats: Arc<WalStats>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// A record read back during replay.
pub struct ReplayRecord {
    /// Sequence number.
    pub seq: u64,
    /// The payload as written.
    pub payload: Vec<u8>,
}

fn segment_name(first_seq: u64) -> String {
    format!("{first_seq:020}.wal")
}

fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, StorageError> {
    let mut segments = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| StorageError::io(dir, e))? {
        let entry = entry.map_err(|e| StorageError::io(dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if let Some(stem) = name.strip_suffix(".wal") {
            if let Ok(first) = stem.parse::<u64>() {
                segments.push((first, entry.path()));
            }
        }
    }
    segments.sort();
    Ok(segments)
}

/// Reads every intact record of every segment in `dir`, oldest first,
/// calling `f` on each. Torn tails are truncated. Returns the closed
/// segments found and the largest sequence number seen.
pub fn replay(
    dir: &Path,
    mut f: impl FnMut(ReplayRecord) -> Result<(), StorageError>,
) -> Result<(Vec<ClosedSegment>, u64), StorageError> {
    fs::create_dir_all(dir).map_err(|e| StorageError::io(dir, e))?;
    let mut closed = Vec::new();
    let mut last_seq = 0;
    for (first, path) in list_segments(dir)? {
        let file = File::open(&path).map_err(|e| StorageError::io(&path, e))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut good_len: u64 = 0;
        let mut segment_last = first.saturating_sub(1);
        // An empty segment still tells which sequence numbers were used
        // before it was created.
        last_seq = last_seq.max(segment_last);
        loop {
            let mut header = [0u8; 8];
            if !read_full(&mut reader, &mut header).map_err(|e| StorageError::io(&path, e))? {
                break;
            }
            let len = u32::from_le_bytes(header[0..4].try_into().expect("4 bytes")) as usize;
            let crc = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes"));
            if !(8..=MAX_RECORD).contains(&len) {
                tracing::warn!(path = %path.display(), offset = good_len, "WAL record with bad length; truncating");
                break;
            }
            let mut body = vec![0u8; len];
            if !read_full(&mut reader, &mut body).map_err(|e| StorageError::io(&path, e))? {
                tracing::warn!(path = %path.display(), offset = good_len, "torn WAL record; truncating");
                break;
            }
            if crc32fast::hash(&body) != crc {
                tracing::warn!(path = %path.display(), offset = good_len, "WAL record checksum mismatch; truncating");
                break;
            }
            let seq = u64::from_le_bytes(body[0..8].try_into().expect("8 bytes"));
            body.drain(0..8);
            f(ReplayRecord { seq, payload: body })?;
            segment_last = segment_last.max(seq);
            last_seq = last_seq.max(seq);
            good_len += 8 + len as u64;
        }
        let actual = fs::metadata(&path)
            .map_err(|e| StorageError::io(&path, e))?
            .len();
        if actual != good_len {
            let file = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| StorageError::io(&path, e))?;
            file.set_len(good_len)
                .map_err(|e| StorageError::io(&path, e))?;
            file.sync_all().map_err(|e| StorageError::io(&path, e))?;
        }
        if good_len == 0 {
            // Nothing in it (its name was accounted for above); the writer
            // may reopen a segment of the same name, so it must not be
            // listed as closed and deleted later.
            fs::remove_file(&path).map_err(|e| StorageError::io(&path, e))?;
            continue;
        }
        closed.push(ClosedSegment {
            path,
            last_seq: segment_last,
        });
    }
    Ok((closed, last_seq))
}

/// Fills `buf` completely; Ok(false) at a clean or partial end of file.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<bool> {
    let mut read = 0;
    while read < buf.len() {
        match reader.read(&mut buf[read..])? {
            0 => return Ok(false),
            n => read += n,
        }
    }
    Ok(true)
}

fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StorageError::io(dir, e))
}

struct Segment {
    path: PathBuf,
    file: File,
    len: u64,
    last_seq: u64,
}

impl Segment {
    fn create(dir: &Path, first_seq: u64) -> Result<Segment, StorageError> {
        let path = dir.join(segment_name(first_seq));
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| StorageError::io(&path, e))?;
        let len = file
            .metadata()
            .map_err(|e| StorageError::io(&path, e))?
            .len();
        sync_dir(dir)?;
        Ok(Segment {
            path,
            file,
            len,
            last_seq: first_seq.saturating_sub(1),
        })
    }
}

impl Wal {
    /// Starts the writer thread; new records get sequence numbers after `last_seq`.
    pub fn start(
        dir: &Path,
        last_seq: u64,
        closed: Vec<ClosedSegment>,
        segment_bytes: u64,
    ) -> Result<Wal, StorageError> {
        let segment = Segment::create(dir, last_seq + 1)?;
        // Never list the open segment as closed: truncation would delete
        // the file the writer appends to.
        let closed: Vec<ClosedSegment> = closed
            .into_iter()
            .filter(|c| c.path != segment.path)
            .collect();
        let (tx, rx) = mpsc::unbounded_channel();
        let closed = Arc::new(Mutex::new(closed));
        let last = Arc::new(AtomicU64::new(last_seq));
        let stats = Arc::new(WalStats::default());
        let writer = Writer {
            dir: dir.to_path_buf(),
            segment,
            segment_bytes,
            next_seq: last_seq + 1,
            closed: closed.clone(),
            last_seq: last.clone(),
            stats: stats.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("almanac-wal".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| StorageError::io(dir, e))?;
        Ok(Wal {
            tx,
            closed,
            last_seq: last,
            stats,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Appends `payload`; once it is durable, `apply` runs on the writer thread
    /// with the record's sequence number, then the returned future resolves.
    pub async fn append(&self, payload: Vec<u8>, apply: Apply) -> Result<u64, StorageError> {
        let (done, rx) = oneshot::channel();
        self.tx
            .send(Command::Append(Request {
                payload,
                apply,
                done,
            }))
            .map_err(|_| StorageError::ShuttingDown)?;
        rx.await.map_err(|_| StorageError::ShuttingDown)?
    }

    /// Closes the open segment (if it holds records) and starts a new one.
    /// Blocks until done; safe to call from any thread.
    pub fn rotate_blocking(&self) {
        let (done, rx) = std::sync::mpsc::channel();
        if self.tx.send(Command::Rotate(done)).is_ok() {
            let _ = rx.recv();
        }
    }

    /// Largest sequence number made durable so far.
    pub fn last_seq(&self) -> u64 {
        self.last_seq.load(Ordering::Acquire)
    }

    /// Deletes closed segments whose records all have seq < `min_needed`.
    /// Returns how many were deleted.
    pub fn truncate_before(&self, min_needed: u64) -> Result<usize, StorageError> {
        let mut closed = self.closed.lock();
        let mut deleted = 0;
        while let Some(first) = closed.first() {
            if first.last_seq >= min_needed {
                break;
            }
            match fs::remove_file(&first.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StorageError::io(&first.path, e)),
            }
            closed.remove(0);
            deleted += 1;
        }
        Ok(deleted)
    }

    /// Number of segment files (closed ones plus the open one).
    pub fn segment_count(&self) -> usize {
        self.closed.lock().len() + 1
    }

    /// Stops the writer thread after it has handled everything queued.
    pub fn shutdown(&self) {
        if let Some(thread) = self.thread.lock().take() {
            let _ = self.tx.send(Command::Shutdown);
            let _ = thread.join();
        }
    }
}

struct Writer {
    dir: PathBuf,
    segment: Segment,
    segment_bytes: u64,
    next_seq: u64,
    closed: Arc<Mutex<Vec<ClosedSegment>>>,
    last_seq: Arc<AtomicU64>,
    stats: Arc<WalStats>,
}

impl Writer {
    fn run(mut self, mut rx: mpsc::UnboundedReceiver<Command>) {
        let mut group: Vec<Request> = Vec::new();
        let mut encoded: Vec<u8> = Vec::new();
        while let Some(first) = rx.blocking_recv() {
            let mut next = Some(first);
            let mut rotate_acks = Vec::new();
            let mut group_bytes = 0;
            let mut stop = false;
            while let Some(cmd) = next.take() {
                match cmd {
                    Command::Append(req) => {
                        group_bytes += req.payload.len();
                        group.push(req);
                    }
                    Command::Rotate(ack) => rotate_acks.push(ack),
                    Command::Shutdown => stop = true,
                }
                if group_bytes < MAX_GROUP_BYTES && rotate_acks.is_empty() && !stop {
                    next = rx.try_recv().ok();
                }
            }
            if !group.is_empty() {
                self.commit(&mut group, &mut encoded);
            }
            if !rotate_acks.is_empty() || self.segment.len >= self.segment_bytes {
                if let Err(e) = self.rotate() {
                    tracing::error!(error = %e, "WAL rotation failed");
                }
            }
            for ack in rotate_acks {
                let _ = ack.send(());
            }
            if stop {
                break;
            }
        }
    }

    fn commit(&mut self, group: &mut Vec<Request>, encoded: &mut Vec<u8>) {
        encoded.clear();
        let first_seq = self.next_seq;
        for (i, req) in group.iter().enumerate() {
            let seq = first_seq + i as u64;
            let len = (8 + req.payload.len()) as u32;
            let mut hasher = crc32fast::Hasher::new();
            hasher.update(&seq.to_le_bytes());
            hasher.update(&req.payload);
            encoded.extend_from_slice(&len.to_le_bytes());
            encoded.extend_from_slice(&hasher.finalize().to_le_bytes());
            encoded.extend_from_slice(&seq.to_le_bytes());
            encoded.extend_from_slice(&req.payload);
        }
        let started = Instant::now();
        let result = self
            .segment
            .file
            .write_all(encoded)
            .and_then(|_| self.segment.file.sync_data());
        let elapsed = started.elapsed();
        self.stats.fsyncs.fetch_add(1, Ordering::Relaxed);
        self.stats
            .fsync_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        let count = group.len() as u64;
        match result {
            Ok(()) => {
                self.segment.len += encoded.len() as u64;
                self.stats
                    .records
                    .fetch_add(group.len() as u64, Ordering::Relaxed);
                self.stats
                    .bytes
                    .fetch_add(encoded.len() as u64, Ordering::Relaxed);
                for (i, req) in group.drain(..).enumerate() {
                    let seq = first_seq + i as u64;
                    (req.apply)(seq);
                    self.segment.last_seq = seq;
                    self.last_seq.store(seq, Ordering::Release);
                    let _ = req.done.send(Ok(seq));
                }
                self.next_seq = first_seq + count;
            }
            Err(e) => {
                tracing::error!(path = %self.segment.path.display(), error = %e, "WAL write failed");
                // Cut off whatever part of the group reached the file so the
                // next group does not follow a torn record.
                let _ = self.segment.file.set_len(self.segment.len);
                let _ = self.segment.file.seek(SeekFrom::End(0));
                let message = e.to_string();
                for req in group.drain(..) {
                    let _ = req.done.send(Err(StorageError::Wal(format!(
                        "{}: {message}",
                        self.segment.path.display()
                    ))));
                }
            }
        }
    }

    fn rotate(&mut self) -> Result<(), StorageError> {
        if self.segment.len == 0 {
            return Ok(());
        }
        let next = Segment::create(&self.dir, self.next_seq)?;
        let old = std::mem::replace(&mut self.segment, next);
        self.closed.lock().push(ClosedSegment {
            path: old.path,
            last_seq: old.last_seq,
        });
        Ok(())
    }
}
