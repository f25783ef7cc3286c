//! Running a loaded [`Config`]: input schedules, the processor/aggregator pipeline and
//! per-output buffers with batching, retries and a final flush on stop.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;

use crate::config::{AggregatorEntry, Config, InputEntry, OutputEntry, ProcessorEntry};
use crate::filter::Filter;
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Aggregator, Output, Processor, Shaper};
use crate::stats::{self, OutputStats};

/// A random duration in `[0, max)` (xorshift seeded from the clock; no crypto needed).
pub fn jitter(max: Duration) -> Duration {
    if max.is_zero() {
        return Duration::ZERO;
    }
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed) ^ (now_ns() as u64) ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    Duration::from_nanos(x % (max.as_nanos().min(u64::MAX as u128) as u64).max(1))
}

/// Time until the next multiple of `interval` (wall clock), for `round_interval`.
fn until_aligned(interval: Duration) -> Duration {
    let iv = interval.as_nanos() as i64;
    if iv <= 0 {
        return Duration::ZERO;
    }
    let now = now_ns();
    let next = (now / iv + 1) * iv;
    Duration::from_nanos((next - now) as u64)
}

pub use crate::buffer::Buffer;

struct OutputShared {
    name: String,
    buffer: Mutex<Buffer>,
    notify: Notify,
    batch_size: usize,
    filter: Filter,
    shaper: Shaper,
    stats: OutputStats,
    /// Write-ahead file of the buffer (`buffer_strategy = "disk"`).
    spill: Option<std::path::PathBuf>,
}

impl OutputShared {
    fn offer(&self, m: &Metric) {
        self.offer_batch(vec![m.clone()]);
    }

    /// Filters, renames and buffers a batch under one lock.
    fn offer_batch(&self, ms: Vec<Metric>) {
        let mut kept = Vec::with_capacity(ms.len());
        for m in ms {
            let Some(mut m) = self.filter.apply(m) else {
                continue;
            };
            if let Some(n) = &self.shaper.name_override {
                m.name = n.clone();
            }
            if let Some(p) = &self.shaper.name_prefix {
                m.name.insert_str(0, p);
            }
            if let Some(s) = &self.shaper.name_suffix {
                m.name.push_str(s);
            }
            kept.push(m);
        }
        if kept.is_empty() {
            return;
        }
        let len = {
            let mut b = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
            b.push_batch(kept);
            b.len()
        };
        if len >= self.batch_size {
            self.notify.notify_one();
        }
    }

    fn take(&self) -> Vec<Metric> {
        self.buffer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(self.batch_size)
    }

    fn put_back(&self, batch: Vec<Metric>) {
        self.buffer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .put_back(batch);
    }

    fn is_empty(&self) -> bool {
        self.buffer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    /// Writes every full or partial batch; stops at the first failure.
    async fn flush(&self, out: &mut dyn Output) -> Result<(), crate::plugin::PluginError> {
        loop {
            let batch = self.take();
            if batch.is_empty() {
                return Ok(());
            }
            let start = Instant::now();
            match out.write(&batch).await {
                Ok(()) => {
                    self.buffer
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .accept(batch.len());
                    self.stats.metrics_written.inc(batch.len() as u64);
                    self.stats
                        .write_time_ns
                        .set(start.elapsed().as_nanos() as i64);
                    tracing::debug!(
                        "[outputs.{}] wrote batch of {} metrics in {:?}",
                        self.name,
                        batch.len(),
                        start.elapsed()
                    );
                }
                Err(e) => {
                    self.stats.errors.inc(1);
                    self.put_back(batch);
                    return Err(e);
                }
            }
        }
    }
}

struct RunningProcessor {
    filter: Filter,
    plugin: Box<dyn Processor>,
}

fn run_processors(procs: &mut [RunningProcessor], mut batch: Vec<Metric>) -> Vec<Metric> {
    for p in procs.iter_mut() {
        if !p.filter.is_active() {
            batch = p.plugin.apply(batch);
            continue;
        }
        let (sel, rest): (Vec<Metric>, Vec<Metric>) =
            batch.into_iter().partition(|m| p.filter.selects(m));
        let mut out = p.plugin.apply(sel);
        out.extend(rest);
        batch = out;
    }
    batch
}

struct RunningAggregator {
    filter: Filter,
    plugin: Box<dyn Aggregator>,
    period: Duration,
    next_push: tokio::time::Instant,
    drop_original: bool,
    shaper: Shaper,
}

fn global_tags(cfg: &Config) -> std::collections::BTreeMap<String, String> {
    let mut g = cfg.global_tags.clone();
    if let Some(h) = cfg.host_tag() {
        g.entry("host".into()).or_insert(h);
    }
    g
}

fn input_shaper(cfg: &Config, e: &InputEntry) -> Shaper {
    let precision = e.common.precision.unwrap_or(cfg.agent.precision);
    Shaper {
        name_override: e.common.name_override.clone(),
        name_prefix: e.common.name_prefix.clone(),
        name_suffix: e.common.name_suffix.clone(),
        tags: e.common.tags.clone(),
        global_tags: global_tags(cfg),
        filter: e.filter.clone(),
        precision_ns: precision.0.as_nanos() as i64,
    }
}

fn take_processors(v: Vec<ProcessorEntry>) -> Vec<RunningProcessor> {
    v.into_iter()
        .map(|p| RunningProcessor {
            filter: p.filter,
            plugin: p.plugin,
        })
        .collect()
}

fn take_aggregators(
    cfg_tags: &std::collections::BTreeMap<String, String>,
    v: Vec<AggregatorEntry>,
) -> Vec<RunningAggregator> {
    v.into_iter()
        .map(|a| {
            let period = a
                .common
                .period
                .map(|d| d.0)
                .unwrap_or(Duration::from_secs(30));
            let period = if period.is_zero() {
                Duration::from_secs(30)
            } else {
                period
            };
            RunningAggregator {
                filter: a.filter,
                plugin: a.plugin,
                period,
                next_push: tokio::time::Instant::now() + period,
                drop_original: a.common.drop_original,
                shaper: Shaper {
                    name_override: a.common.name_override,
                    name_prefix: a.common.name_prefix,
                    name_suffix: a.common.name_suffix,
                    tags: a.common.tags,
                    global_tags: cfg_tags.clone(),
                    ..Default::default()
                },
            }
        })
        .collect()
}

/// A running agent. Dropping it without [`Agent::stop`] aborts without flushing.
pub struct Agent {
    stop_inputs: watch::Sender<bool>,
    input_tasks: Vec<JoinHandle<()>>,
    stop_pipeline: Option<tokio::sync::oneshot::Sender<()>>,
    pipeline: Option<JoinHandle<()>>,
    stop_outputs: watch::Sender<bool>,
    output_tasks: Vec<JoinHandle<()>>,
}

/// An output with its shared buffer, flush interval and jitter.
type PreparedOutput = (Arc<OutputShared>, Box<dyn Output>, Duration, Duration);

/// Everything a config turns into before tasks are spawned.
struct Parts {
    inputs: Vec<(InputEntry, Accumulator, Duration, Duration, Duration)>,
    processors: Vec<RunningProcessor>,
    aggregators: Vec<RunningAggregator>,
    outputs: Vec<PreparedOutput>,
    rx: mpsc::UnboundedReceiver<Metric>,
    round_interval: bool,
    skip_procs_after_aggs: bool,
}

fn prepare(cfg: Config, durable: bool) -> anyhow::Result<Parts> {
    let gtags = global_tags(&cfg);
    let shapers: Vec<Shaper> = cfg
        .inputs
        .iter()
        .map(|e| {
            let mut s = input_shaper(&cfg, e);
            // As in Telegraf, precision is not applied to service inputs.
            if e.plugin.is_service() && e.common.precision.is_none() {
                s.precision_ns = 0;
            }
            s
        })
        .collect();
    let (tx, rx) = mpsc::unbounded_channel();
    let a = cfg.agent.clone();
    let inputs = cfg
        .inputs
        .into_iter()
        .zip(shapers)
        .map(|(e, shaper)| {
            let alias = e.common.alias.clone().unwrap_or_default();
            let st = stats::global().input(&e.name, &alias);
            let acc = Accumulator::new(
                &e.name,
                tx.clone(),
                Arc::new(shaper),
                st.metrics_gathered.clone(),
                st.errors.clone(),
            );
            let interval = e.common.interval.unwrap_or(a.interval).0;
            let interval = if interval.is_zero() {
                Duration::from_secs(10)
            } else {
                interval
            };
            let jit = e.common.collection_jitter.unwrap_or(a.collection_jitter).0;
            let off = e.common.collection_offset.unwrap_or(a.collection_offset).0;
            (e, acc, interval, jit, off)
        })
        .collect();
    let spill_dir = (durable && a.buffer_strategy == "disk")
        .then(|| std::path::PathBuf::from(&a.buffer_directory));
    let mut seen_names: std::collections::HashMap<String, usize> = Default::default();
    let outputs = cfg
        .outputs
        .into_iter()
        .map(|o: OutputEntry| {
            let alias = o.common.alias.clone().unwrap_or_default();
            let nth = {
                let c = seen_names.entry(o.name.clone()).or_insert(0);
                *c += 1;
                *c
            };
            let spill = spill_dir.as_ref().map(|d| {
                let id = if alias.is_empty() {
                    nth.to_string()
                } else {
                    alias.replace(['/', '\\'], "_")
                };
                d.join(format!("{}-{id}.wal", o.name))
            });
            let st = stats::global().output(&o.name, &alias);
            let limit = o
                .common
                .metric_buffer_limit
                .unwrap_or(a.metric_buffer_limit);
            let batch = o
                .common
                .metric_batch_size
                .unwrap_or(a.metric_batch_size)
                .max(1);
            let buffer = match &spill {
                Some(path) => Buffer::open(limit, st.clone(), path)
                    .map_err(|e| anyhow::anyhow!("[outputs.{}] {e}", o.name))?,
                None => Buffer::new(limit, st.clone()),
            };
            let shared = Arc::new(OutputShared {
                name: o.name.clone(),
                buffer: Mutex::new(buffer),
                notify: Notify::new(),
                batch_size: batch,
                filter: o.filter,
                shaper: Shaper {
                    name_override: o.common.name_override.clone(),
                    name_prefix: o.common.name_prefix.clone(),
                    name_suffix: o.common.name_suffix.clone(),
                    ..Default::default()
                },
                stats: st,
                spill,
            });
            let fi = o.common.flush_interval.unwrap_or(a.flush_interval).0;
            let fi = if fi.is_zero() {
                Duration::from_secs(10)
            } else {
                fi
            };
            let fj = o.common.flush_jitter.unwrap_or(a.flush_jitter).0;
            Ok((shared, o.plugin, fi, fj))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Parts {
        inputs,
        processors: take_processors(cfg.processors),
        aggregators: take_aggregators(&gtags, cfg.aggregators),
        outputs,
        rx,
        round_interval: a.round_interval,
        skip_procs_after_aggs: a.skip_processors_after_aggregators,
    })
}

/// Sends metrics through aggregators and on to the outputs.
fn route(batch: Vec<Metric>, aggs: &mut [RunningAggregator], outputs: &[Arc<OutputShared>]) {
    let mut forward = Vec::with_capacity(batch.len());
    for m in batch {
        let mut dropped = false;
        for a in aggs.iter_mut() {
            if let Some(f) = a.filter.apply(m.clone()) {
                a.plugin.add(&f);
                dropped |= a.drop_original;
            }
        }
        if !dropped {
            forward.push(m);
        }
    }
    // the last output takes the batch itself, the others a copy
    if let Some((last, rest)) = outputs.split_last() {
        for o in rest {
            o.offer_batch(forward.clone());
        }
        last.offer_batch(forward);
    }
}

fn push_aggregator(a: &mut RunningAggregator) -> Vec<Metric> {
    let mut out = Vec::new();
    a.plugin.push(now_ns(), &mut out);
    a.plugin.reset();
    out.into_iter().filter_map(|m| a.shaper.shape(m)).collect()
}

async fn pipeline_task(
    mut rx: mpsc::UnboundedReceiver<Metric>,
    mut procs: Vec<RunningProcessor>,
    mut aggs: Vec<RunningAggregator>,
    outputs: Vec<Arc<OutputShared>>,
    skip_after: bool,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let far = || tokio::time::Instant::now() + Duration::from_secs(86400 * 365);
    loop {
        let next = aggs.iter().map(|a| a.next_push).min().unwrap_or_else(far);
        let mut stopping = false;
        tokio::select! {
            m = rx.recv() => {
                match m {
                    Some(first) => {
                        let mut batch = vec![first];
                        while batch.len() < 10_000 {
                            match rx.try_recv() { Ok(m) => batch.push(m), Err(_) => break }
                        }
                        let batch = run_processors(&mut procs, batch);
                        route(batch, &mut aggs, &outputs);
                    }
                    // every input is gone: finish like a stop
                    None => stopping = true,
                }
            }
            _ = tokio::time::sleep_until(next) => {
                let now = tokio::time::Instant::now();
                for a in aggs.iter_mut() {
                    if a.next_push <= now {
                        a.next_push = now + a.period;
                        let out = push_aggregator(a);
                        let out = if skip_after { out } else { run_processors(&mut procs, out) };
                        for m in &out { for o in &outputs { o.offer(m); } }
                    }
                }
            }
            _ = &mut stop => { stopping = true; }
        }
        if stopping {
            let mut batch = Vec::new();
            while let Ok(m) = rx.try_recv() {
                batch.push(m);
            }
            let batch = run_processors(&mut procs, batch);
            route(batch, &mut aggs, &outputs);
            for a in aggs.iter_mut() {
                let out = push_aggregator(a);
                let out = if skip_after {
                    out
                } else {
                    run_processors(&mut procs, out)
                };
                for m in &out {
                    for o in &outputs {
                        o.offer(m);
                    }
                }
            }
            break;
        }
    }
}

async fn output_task(
    shared: Arc<OutputShared>,
    mut plugin: Box<dyn Output>,
    flush_interval: Duration,
    flush_jitter: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let min_backoff = Duration::from_millis(200);
    let max_backoff = flush_interval.max(Duration::from_secs(1));
    let mut backoff = min_backoff;
    let mut connected = false;
    let mut wait = flush_interval + jitter(flush_jitter);
    loop {
        let mut stopping = false;
        if *stop.borrow() {
            stopping = true;
        } else {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shared.notify.notified(), if connected && backoff == min_backoff => {}
                _ = stop.changed() => { stopping = true; }
            }
        }
        if !connected {
            match plugin.connect().await {
                Ok(()) => connected = true,
                Err(e) => {
                    tracing::error!("[outputs.{}] connecting: {e:#}", shared.name);
                    if stopping {
                        break;
                    }
                    wait = backoff;
                    backoff = (backoff * 2).min(max_backoff);
                    continue;
                }
            }
        }
        match shared.flush(plugin.as_mut()).await {
            Ok(()) => {
                backoff = min_backoff;
                wait = flush_interval + jitter(flush_jitter);
            }
            Err(e) => {
                tracing::error!(
                    "[outputs.{}] write failed (will retry in {:?}): {e:#}",
                    shared.name,
                    backoff
                );
                wait = backoff;
                backoff = (backoff * 2).min(max_backoff);
            }
        }
        if stopping {
            break;
        }
    }
    if !shared.is_empty() {
        if let Some(path) = &shared.spill {
            let n = shared.buffer.lock().map(|b| b.len()).unwrap_or(0);
            tracing::info!(
                "[outputs.{}] {n} unwritten metrics kept in {} for the next start",
                shared.name,
                path.display()
            );
        } else {
            let n = shared.buffer.lock().map(|b| b.len()).unwrap_or(0);
            tracing::error!(
                "[outputs.{}] {n} metrics not written at shutdown",
                shared.name
            );
        }
    }
    plugin.close().await;
}

async fn periodic_input(
    mut e: InputEntry,
    acc: Accumulator,
    interval: Duration,
    jit: Duration,
    offset: Duration,
    round: bool,
    mut stop: watch::Receiver<bool>,
) {
    let alias = e.common.alias.clone().unwrap_or_default();
    let st = stats::global().input(&e.name, &alias);
    if e.plugin.is_service() {
        if let Err(err) = e.plugin.start(acc.clone()).await {
            acc.add_error(format!("starting service: {err:#}"));
            return;
        }
    }
    let mut first = true;
    loop {
        let wait = if first && !round {
            Duration::ZERO
        } else if round {
            until_aligned(interval)
        } else {
            interval
        } + jitter(jit)
            + offset;
        first = false;
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => break,
        }
        let start = Instant::now();
        let res = tokio::select! {
            r = e.plugin.gather(&acc) => r,
            _ = stop.changed() => break,
        };
        st.gather_time_ns.set(start.elapsed().as_nanos() as i64);
        if let Err(err) = res {
            acc.add_error(format!("{err:#}"));
        }
        if start.elapsed() > interval {
            tracing::warn!(
                "[inputs.{}] collection took longer than expected; not complete after interval of {:?}",
                e.name,
                interval
            );
        }
    }
    e.plugin.stop().await;
}

impl Agent {
    /// Starts every plugin of `cfg`.
    pub async fn start(cfg: Config) -> anyhow::Result<Agent> {
        let parts = prepare(cfg, true)?;
        let (stop_inputs, stop_in_rx) = watch::channel(false);
        let (stop_outputs, stop_out_rx) = watch::channel(false);
        let mut output_tasks = Vec::new();
        let mut shareds = Vec::new();
        for (shared, plugin, fi, fj) in parts.outputs {
            shareds.push(shared.clone());
            output_tasks.push(tokio::spawn(output_task(
                shared,
                plugin,
                fi,
                fj,
                stop_out_rx.clone(),
            )));
        }
        let (stop_p, stop_p_rx) = tokio::sync::oneshot::channel();
        let pipeline = tokio::spawn(pipeline_task(
            parts.rx,
            parts.processors,
            parts.aggregators,
            shareds,
            parts.skip_procs_after_aggs,
            stop_p_rx,
        ));
        let mut input_tasks = Vec::new();
        for (e, acc, iv, jit, off) in parts.inputs {
            let stop = stop_in_rx.clone();
            input_tasks.push(tokio::spawn(periodic_input(
                e,
                acc,
                iv,
                jit,
                off,
                parts.round_interval,
                stop,
            )));
        }
        Ok(Agent {
            stop_inputs,
            input_tasks,
            stop_pipeline: Some(stop_p),
            pipeline: Some(pipeline),
            stop_outputs,
            output_tasks,
        })
    }

    /// Graceful stop: inputs stop, the pipeline drains (aggregators push), outputs flush.
    pub async fn stop(mut self) {
        let _ = self.stop_inputs.send(true);
        for t in self.input_tasks.drain(..) {
            let _ = t.await;
        }
        if let Some(s) = self.stop_pipeline.take() {
            let _ = s.send(());
        }
        if let Some(p) = self.pipeline.take() {
            let _ = p.await;
        }
        let _ = self.stop_outputs.send(true);
        for t in self.output_tasks.drain(..) {
            let _ = t.await;
        }
    }
}

/// Gathers every polled input once, runs processors, and returns the metrics (`--test`).
pub async fn gather_once(cfg: Config) -> anyhow::Result<Vec<Metric>> {
    let parts = prepare(cfg, false)?;
    let Parts {
        inputs,
        mut processors,
        mut rx,
        ..
    } = parts;
    let mut out = Vec::new();
    for (mut e, acc, _, _, _) in inputs {
        if e.plugin.is_service() {
            continue;
        }
        if let Err(err) = e.plugin.gather(&acc).await {
            acc.add_error(format!("{err:#}"));
        }
        e.plugin.stop().await;
        while let Ok(m) = rx.try_recv() {
            out.push(m);
        }
    }
    Ok(run_processors(&mut processors, out))
}

/// `--once`: gather once, process, aggregate, write to every output, exit.
pub async fn run_once(cfg: Config) -> anyhow::Result<()> {
    let Parts {
        inputs,
        mut processors,
        mut aggregators,
        outputs,
        mut rx,
        skip_procs_after_aggs,
        ..
    } = prepare(cfg, true)?;
    let mut batch = Vec::new();
    for (mut e, acc, _, _, _) in inputs {
        if e.plugin.is_service() {
            continue;
        }
        if let Err(err) = e.plugin.gather(&acc).await {
            acc.add_error(format!("{err:#}"));
        }
        e.plugin.stop().await;
    }
    while let Ok(m) = rx.try_recv() {
        batch.push(m);
    }
    let shareds: Vec<Arc<OutputShared>> = outputs.iter().map(|o| o.0.clone()).collect();
    let batch = run_processors(&mut processors, batch);
    route(batch, &mut aggregators, &shareds);
    for a in aggregators.iter_mut() {
        let out = push_aggregator(a);
        let out = if skip_procs_after_aggs {
            out
        } else {
            run_processors(&mut processors, out)
        };
        for m in &out {
            for o in &shareds {
                o.offer(m);
            }
        }
    }
    let mut first_err = None;
    for (shared, mut plugin, _, _) in outputs {
        let r = async {
            plugin.connect().await?;
            shared.flush(plugin.as_mut()).await
        }
        .await;
        plugin.close().await;
        if let Err(e) = r {
            tracing::error!("[outputs.{}] {e:#}", shared.name);
            first_err.get_or_insert(e);
        }
    }
    first_err.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_bounds() {
        for _ in 0..100 {
            assert!(jitter(Duration::from_millis(5)) < Duration::from_millis(5));
        }
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
        let d = until_aligned(Duration::from_secs(10));
        assert!(d <= Duration::from_secs(10));
    }
}
