//! Throughput of a stream task on TSBS-`cpu`-like points (10 tags, 10
//! fields, 100 hosts, one point per host every 10 s), fed in write events of
//! 5,000 lines as the storage write stream delivers them.
//!
//! - `window_mean_alert/points`: already parsed points through
//!   `TaskManager::feed` (the task path alone).
//! - `window_mean_alert/line_protocol`: `TaskManager::feed_accepted_lines`
//!   (parsing the event once, then the task path), as the server's feed loop.
//! - `ingest_bench_script/line_protocol`: the script of
//!   `bench/kapacitor_ingest.py` (1 m windows, warn and crit, state changes
//!   only; without its `.log()` handler).
//!
//! Timestamps keep increasing from one iteration to the next, so windows
//! close and alerts fire as they would on a live stream. Only the feeding is
//! timed; generating (and, for `points`, parsing) an event is not.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use almanac_tasks::alert::service::AlertService;
use almanac_tasks::manager::{parse_points, Dbrp, TaskRequest};
use almanac_tasks::{MemoryStore, Services, TaskManager};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const HOSTS: usize = 100;
/// Timestamps per write event (× `HOSTS` lines).
const STEPS: usize = 50;
const LINES: usize = HOSTS * STEPS;
const INTERVAL: i64 = 10_000_000_000;
const START: i64 = 1_451_606_400_000_000_000;

/// The brief's task: per-host 10 s windows, their mean, a critical level.
const WINDOW_MEAN_ALERT: &str = "dbrp \"benchmark\".\"autogen\"

stream
    |from()
        .measurement('cpu')
        .groupBy('hostname')
    |window()
        .period(10s)
        .every(10s)
    |mean('usage_user')
        .as('mean')
    |alert()
        .crit(lambda: \"mean\" > 90)
";

/// `bench/kapacitor_ingest.py`'s task without its log file.
const INGEST_BENCH: &str = "dbrp \"benchmark\".\"autogen\"

stream
    |from()
        .measurement('cpu')
        .groupBy('hostname')
    |window()
        .period(1m)
        .every(1m)
    |mean('usage_user')
        .as('mean')
    |alert()
        .warn(lambda: \"mean\" > 70)
        .crit(lambda: \"mean\" > 90)
        .stateChangesOnly()
";

const FIELDS: [&str; 10] = [
    "usage_user",
    "usage_system",
    "usage_idle",
    "usage_nice",
    "usage_iowait",
    "usage_irq",
    "usage_softirq",
    "usage_steal",
    "usage_guest",
    "usage_guest_nice",
];

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [-1, 1).
    fn step(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// TSBS-like hosts: fixed tags, and a random walk in [0, 100] per field.
struct Generator {
    rng: Rng,
    series: Vec<String>,
    values: Vec<[f64; 10]>,
    next_time: i64,
}

impl Generator {
    fn new() -> Generator {
        const REGIONS: [&str; 4] = ["eu-central-1", "us-west-2", "ap-southeast-1", "sa-east-1"];
        const OS: [&str; 3] = ["Ubuntu15.10", "Ubuntu16.04LTS", "Ubuntu16.10"];
        const ARCH: [&str; 2] = ["x86", "x64"];
        const TEAMS: [&str; 4] = ["SF", "NYC", "LON", "CHI"];
        const ENVS: [&str; 3] = ["test", "staging", "production"];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut series = Vec::new();
        let mut values = Vec::new();
        for host in 0..HOSTS {
            let region = REGIONS[host % REGIONS.len()];
            series.push(format!(
                "cpu,arch={arch},datacenter={region}{zone},hostname=host_{host},os={os},rack={rack},region={region},service={service},service_environment={env},service_version={version},team={team}",
                arch = ARCH[host % ARCH.len()],
                zone = ["a", "b", "c"][host % 3],
                os = OS[host % OS.len()],
                rack = rng.next() % 100,
                service = rng.next() % 20,
                env = ENVS[host % ENVS.len()],
                version = rng.next() % 2,
                team = TEAMS[host % TEAMS.len()],
            ));
            let mut v = [0.0; 10];
            for x in &mut v {
                *x = (rng.next() % 100) as f64;
            }
            values.push(v);
        }
        Generator {
            rng,
            series,
            values,
            next_time: START,
        }
    }

    /// The next write event: `STEPS` timestamps of every host, in time order.
    fn event(&mut self) -> Vec<u8> {
        use std::fmt::Write;
        let mut body = String::with_capacity(LINES * 400);
        for _ in 0..STEPS {
            let t = self.next_time;
            self.next_time += INTERVAL;
            for host in 0..HOSTS {
                body.push_str(&self.series[host]);
                body.push(' ');
                for (j, field) in FIELDS.iter().enumerate() {
                    let v = &mut self.values[host][j];
                    *v = (*v + self.rng.step() * 5.0).clamp(0.0, 100.0);
                    if j > 0 {
                        body.push(',');
                    }
                    let _ = write!(body, "{field}={v:.2}");
                }
                let _ = writeln!(body, " {t}");
            }
        }
        body.into_bytes()
    }
}

fn manager(script: &str) -> TaskManager {
    let store = Arc::new(MemoryStore::default());
    let alerts = Arc::new(AlertService::new(store.clone()).expect("alert service"));
    let services = Arc::new(Services::new(
        Arc::new(almanac_tasks::engine::NoWriter),
        alerts,
    ));
    let m = TaskManager::new(services, store).expect("manager");
    m.create(TaskRequest {
        id: Some("bench".into()),
        task_type: Some("stream".into()),
        dbrps: Some(vec![Dbrp {
            db: "benchmark".into(),
            rp: "autogen".into(),
        }]),
        script: Some(script.into()),
        status: Some("enabled".into()),
        ..Default::default()
    })
    .expect("task");
    m
}

/// Checks that windows closed and alerts were evaluated (and says how many fired).
fn check(m: &TaskManager, what: &str) {
    let info = m.get("bench").expect("task");
    let stat = |prefix: &str| {
        info.node_stats
            .iter()
            .find(|(n, _, _)| n.starts_with(prefix))
            .map(|(_, s, c)| (s.collected, c.clone()))
            .expect("node")
    };
    let (windows, _) = stat("mean");
    let (alerts, counters) = stat("alert");
    assert!(
        windows > 0 && alerts > 0,
        "{what}: no window reached the alert"
    );
    let triggered = counters
        .iter()
        .find(|(k, _)| *k == "alerts_triggered")
        .map_or(0, |(_, v)| *v);
    eprintln!(
        "{what}: {windows} windows, {alerts} evaluated by the alert, {triggered} alerts sent"
    );
}

fn bench_stream_task(c: &mut Criterion) {
    let mut group = c.benchmark_group("stream_task");
    group.throughput(Throughput::Elements(LINES as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));

    group.bench_function("window_mean_alert/points", |b| {
        let m = manager(WINDOW_MEAN_ALERT);
        let mut gen = Generator::new();
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let body = gen.event();
                let points = parse_points("benchmark", "autogen", &body, 1, 0).expect("parses");
                assert_eq!(points.len(), LINES);
                let start = Instant::now();
                m.feed("benchmark", "autogen", black_box(&points));
                total += start.elapsed();
            }
            total
        });
        check(&m, "window_mean_alert/points");
    });

    for (name, script) in [
        ("window_mean_alert/line_protocol", WINDOW_MEAN_ALERT),
        ("ingest_bench_script/line_protocol", INGEST_BENCH),
    ] {
        group.bench_function(name, |b| {
            let m = manager(script);
            let mut gen = Generator::new();
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let body = gen.event();
                    let start = Instant::now();
                    let n = m
                        .feed_accepted_lines("benchmark", "autogen", black_box(&body), 1, 0)
                        .expect("parses");
                    total += start.elapsed();
                    assert_eq!(n, LINES);
                }
                total
            });
            check(&m, name);
        });
    }
    // As the server feeds its writes: rows the storage engine already
    // parsed (here parsed outside the timed section).
    group.bench_function("ingest_bench_script/parsed_rows", |b| {
        let m = manager(INGEST_BENCH);
        let mut gen = Generator::new();
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let body = gen.event();
                let (rows, slots) = almanac_tasks::rows::parse_rows(
                    &body,
                    almanac_lineproto::Precision::Nanosecond,
                    0,
                )
                .expect("parses");
                let start = Instant::now();
                let n = m.feed_rows("benchmark", "autogen", black_box(rows.iter()), slots);
                total += start.elapsed();
                assert_eq!(n, LINES);
            }
            total
        });
        check(&m, "ingest_bench_script/parsed_rows");
    });
    group.finish();
}

criterion_group!(benches, bench_stream_task);
criterion_main!(benches);
