//! Deterministic generator of the TSBS "devops" data sets (`cpu-only` and the
//! full `devops`) as InfluxDB line protocol.
//!
//! The shape follows the Time Series Benchmark Suite's devops use case:
//!
//! * one `cpu` point per host per interval, ordered by time, then by host;
//! * ten tags per host, fixed for the life of the host: `hostname=host_N`,
//!   `region` (9 AWS regions) with a `datacenter` of that region, `rack`
//!   (0–99), `os` (Ubuntu16.10, Ubuntu16.04LTS, Ubuntu15.10), `arch` (x64,
//!   x86), `team` (SF, NYC, LON, CHI), `service` (0–19), `service_version`
//!   (0–1) and `service_environment` (production, staging, test), each picked
//!   uniformly;
//! * ten fields `usage_user` … `usage_guest_nice`, each a random walk that
//!   starts uniformly in [0, 100), moves by a standard normal step after every
//!   point and is clamped to [0, 100]. Like TSBS's `cpu-only` output they are
//!   written as integers (`58i`): the walk's value truncated towards zero;
//! * timestamps in nanoseconds, from `start` (included) to `start + duration`
//!   (excluded).
//!
//! The full `devops` use case writes, after each host's `cpu` line, one line
//! of each of `diskio`, `disk`, `kernel`, `mem`, `net`, `nginx`, `postgresl`
//! (TSBS's spelling) and `redis`, with the host's ten tags followed by the
//! measurement's own (see [`devops`](crate::gen::devops)).
//!
//! Randomness comes from a small SplitMix64 generator. Every host has its own
//! stream derived from the seed and the host number, so host `N`'s series is
//! the same whatever the scale, and the same seed always gives the same bytes.

use std::io::{self, Write};

pub mod devops;

/// Name of the measurement.
pub const MEASUREMENT: &str = "cpu";

/// Tag keys, in the order TSBS writes them.
pub const TAG_KEYS: [&str; 10] = [
    "hostname",
    "region",
    "datacenter",
    "rack",
    "os",
    "arch",
    "team",
    "service",
    "service_version",
    "service_environment",
];

/// Field keys of the `cpu` measurement.
pub const FIELD_KEYS: [&str; 10] = [
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

/// Regions and their datacenters (TSBS's devops value sets).
pub const REGIONS: [(&str, &[&str]); 9] = [
    (
        "us-east-1",
        &["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1e"],
    ),
    ("us-west-1", &["us-west-1a", "us-west-1b"]),
    ("us-west-2", &["us-west-2a", "us-west-2b", "us-west-2c"]),
    ("eu-west-1", &["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ("eu-central-1", &["eu-central-1a", "eu-central-1b"]),
    ("ap-southeast-1", &["ap-southeast-1a", "ap-southeast-1b"]),
    ("ap-southeast-2", &["ap-southeast-2a", "ap-southeast-2b"]),
    ("ap-northeast-1", &["ap-northeast-1a", "ap-northeast-1c"]),
    ("sa-east-1", &["sa-east-1a", "sa-east-1b", "sa-east-1c"]),
];

/// Operating systems.
pub const OS_CHOICES: [&str; 3] = ["Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"];
/// Architectures.
pub const ARCH_CHOICES: [&str; 2] = ["x64", "x86"];
/// Teams.
pub const TEAM_CHOICES: [&str; 4] = ["SF", "NYC", "LON", "CHI"];
/// Service environments.
pub const ENVIRONMENT_CHOICES: [&str; 3] = ["production", "staging", "test"];
/// Racks per datacenter (`rack` is 0..RACKS).
pub const RACKS: u64 = 100;
/// Services (`service` is 0..SERVICES).
pub const SERVICES: u64 = 20;
/// Service versions (`service_version` is 0..SERVICE_VERSIONS).
pub const SERVICE_VERSIONS: u64 = 2;

/// SplitMix64: a tiny, fast, statistically solid 64-bit PRNG.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
    /// Second value of the last Box–Muller pair, not yet used.
    spare_normal: Option<f64>,
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng {
            state: seed,
            spare_normal: None,
        }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n) (multiply-shift; the bias is below 2^-50 for small n).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Standard normal (Box–Muller; the pair's second value is kept for the next call).
    pub fn next_normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        // 1 - u is in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = std::f64::consts::TAU * u2;
        self.spare_normal = Some(r * theta.sin());
        r * theta.cos()
    }

    fn choose<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Use cases the generator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UseCase {
    /// TSBS devops `cpu` measurement only: 10 tags, 10 integer fields.
    CpuOnly,
    /// TSBS devops: `cpu` plus eight more measurements per host (101 fields).
    Devops,
}

impl UseCase {
    /// Lines per host per interval.
    pub fn lines_per_host(&self) -> u64 {
        match self {
            UseCase::CpuOnly => 1,
            UseCase::Devops => 1 + devops::MEASUREMENTS.len() as u64,
        }
    }

    /// Field values per host per interval.
    pub fn values_per_host(&self) -> u64 {
        match self {
            UseCase::CpuOnly => FIELD_KEYS.len() as u64,
            UseCase::Devops => FIELD_KEYS.len() as u64 + devops::FIELDS_PER_HOST,
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GenConfig {
    /// Use case.
    pub use_case: UseCase,
    /// Number of hosts.
    pub scale: u64,
    /// PRNG seed.
    pub seed: u64,
    /// Time between two points of a host, in ns (> 0).
    pub interval_ns: i64,
    /// First timestamp, in ns since the Unix epoch.
    pub start_ns: i64,
    /// Length of the simulated period, in ns.
    pub duration_ns: i64,
}

impl GenConfig {
    /// Timestamps per host: the points in [start, start + duration).
    pub fn steps(&self) -> u64 {
        if self.interval_ns <= 0 || self.duration_ns <= 0 {
            return 0;
        }
        (self.duration_ns as u64).div_ceil(self.interval_ns as u64)
    }

    /// Lines the generator writes.
    pub fn lines(&self) -> u64 {
        self.steps() * self.scale * self.use_case.lines_per_host()
    }

    /// Field values the generator writes.
    pub fn field_values(&self) -> u64 {
        self.steps() * self.scale * self.use_case.values_per_host()
    }
}

/// One simulated host.
#[derive(Debug, Clone)]
struct Host {
    /// `cpu,hostname=…,…,service_environment=… ` (with the trailing space).
    prefix: Vec<u8>,
    /// Random-walk state of each field.
    usage: [f64; 10],
    rng: Rng,
    /// The other measurements of the `devops` use case.
    devops: Option<Box<devops::HostMeasurements>>,
}

impl Host {
    fn new(id: u64, seed: u64, use_case: UseCase) -> Host {
        // Mix the seed and the host number through one SplitMix64 step so
        // nearby seeds and hosts give unrelated streams.
        let mut seeder = Rng::new(seed ^ id.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        let mut rng = Rng::new(seeder.next_u64());
        let (region, datacenters) = REGIONS[rng.below(REGIONS.len() as u64) as usize];
        let datacenter = rng.choose(datacenters);
        let rack = rng.below(RACKS);
        let arch = rng.choose(&ARCH_CHOICES);
        let os = rng.choose(&OS_CHOICES);
        let service = rng.below(SERVICES);
        let service_version = rng.below(SERVICE_VERSIONS);
        let environment = rng.choose(&ENVIRONMENT_CHOICES);
        let team = rng.choose(&TEAM_CHOICES);
        let prefix = format!(
            "{MEASUREMENT},hostname=host_{id},region={region},datacenter={datacenter},\
             rack={rack},os={os},arch={arch},team={team},service={service},\
             service_version={service_version},service_environment={environment} "
        )
        .into_bytes();
        let mut usage = [0.0; 10];
        for u in &mut usage {
            *u = rng.next_f64() * 100.0;
        }
        // The other measurements draw from their own stream, so a host's
        // `cpu` series is the same in both use cases.
        let devops = (use_case == UseCase::Devops).then(|| {
            Box::new(devops::HostMeasurements::new(Rng::new(
                seeder.next_u64() ^ 0xA076_1D64_78BD_642F,
            )))
        });
        Host {
            prefix,
            usage,
            rng,
            devops,
        }
    }

    /// Appends this host's lines at `ts` (`cpu`, then the devops ones), then
    /// advances the walks.
    fn write_lines(&mut self, ts: i64, out: &mut Vec<u8>) {
        self.write_cpu_line(ts, out);
        if let Some(d) = self.devops.as_mut() {
            // The host's tags without the measurement name.
            let tags = &self.prefix[MEASUREMENT.len()..self.prefix.len() - 1];
            d.write_lines(tags, ts, out);
        }
    }

    fn write_cpu_line(&mut self, ts: i64, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.prefix);
        for (i, key) in FIELD_KEYS.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key.as_bytes());
            out.push(b'=');
            // Truncation towards zero, as TSBS's int64 conversion.
            push_u64(out, self.usage[i] as u64);
            out.push(b'i');
        }
        out.push(b' ');
        push_i64(out, ts);
        out.push(b'\n');
        for u in &mut self.usage {
            *u = (*u + self.rng.next_normal()).clamp(0.0, 100.0);
        }
    }
}

pub(crate) fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

pub(crate) fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Streams the data set line by line.
#[derive(Debug, Clone)]
pub struct Generator {
    config: GenConfig,
    hosts: Vec<Host>,
    step: u64,
    steps: u64,
    host: usize,
}

impl Generator {
    /// A generator for `config`.
    pub fn new(config: GenConfig) -> Generator {
        let hosts = (0..config.scale)
            .map(|id| {
                let mut host = Host::new(id, config.seed, config.use_case);
                if let Some(d) = host.devops.as_mut() {
                    d.set_interval_ns(config.interval_ns);
                }
                host
            })
            .collect();
        Generator {
            steps: config.steps(),
            config,
            hosts,
            step: 0,
            host: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &GenConfig {
        &self.config
    }

    /// Appends the next host's lines for the current interval (one line for
    /// `cpu-only`, nine for `devops`, each ending with `\n`) to `out`; false
    /// when done.
    pub fn next_line(&mut self, out: &mut Vec<u8>) -> bool {
        if self.step >= self.steps || self.hosts.is_empty() {
            return false;
        }
        let ts = self
            .config
            .start_ns
            .saturating_add((self.step as i64).saturating_mul(self.config.interval_ns));
        self.hosts[self.host].write_lines(ts, out);
        self.host += 1;
        if self.host == self.hosts.len() {
            self.host = 0;
            self.step += 1;
        }
        true
    }

    /// Writes every remaining line to `w`; returns the number of lines.
    pub fn write_all<W: Write>(&mut self, w: &mut W) -> io::Result<u64> {
        let mut buf = Vec::with_capacity(1 << 20);
        let mut lines = 0;
        let per_call = self.config.use_case.lines_per_host();
        while self.next_line(&mut buf) {
            lines += per_call;
            if buf.len() >= 1 << 20 {
                w.write_all(&buf)?;
                buf.clear();
            }
        }
        w.write_all(&buf)?;
        Ok(lines)
    }

    /// The whole data set in memory.
    pub fn generate(config: GenConfig) -> Vec<u8> {
        let per_line = match config.use_case {
            UseCase::CpuOnly => 340,
            UseCase::Devops => 330,
        };
        let mut out = Vec::with_capacity((config.lines() as usize).saturating_mul(per_line));
        let mut g = Generator::new(config);
        while g.next_line(&mut out) {}
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use almanac_lineproto::{parse_lines, FieldValue, Precision};
    use std::collections::HashMap;

    fn config(scale: u64, seed: u64, duration_s: i64) -> GenConfig {
        GenConfig {
            use_case: UseCase::CpuOnly,
            scale,
            seed,
            interval_ns: 10_000_000_000,
            start_ns: 1_451_606_400_000_000_000, // 2016-01-01T00:00:00Z
            duration_ns: duration_s * 1_000_000_000,
        }
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let a = Generator::generate(config(20, 123, 3600));
        let b = Generator::generate(config(20, 123, 3600));
        let c = Generator::generate(config(20, 124, 3600));
        assert!(!a.is_empty());
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn streaming_matches_in_memory() {
        let mut streamed = Vec::new();
        let n = Generator::new(config(7, 5, 600))
            .write_all(&mut streamed)
            .unwrap();
        assert_eq!(n, 7 * 60);
        assert_eq!(streamed, Generator::generate(config(7, 5, 600)));
    }

    #[test]
    fn host_series_do_not_depend_on_scale() {
        let small = Generator::generate(config(3, 9, 100));
        let big = Generator::generate(config(10, 9, 100));
        let host1 = |data: &[u8]| -> Vec<String> {
            String::from_utf8(data.to_vec())
                .unwrap()
                .lines()
                .filter(|l| l.contains("hostname=host_1,"))
                .map(String::from)
                .collect()
        };
        assert_eq!(host1(&small).len(), 10);
        assert_eq!(host1(&small), host1(&big));
    }

    #[test]
    fn counts_match_the_tsbs_12h_figure() {
        let c = config(100, 123, 12 * 3600);
        assert_eq!(c.steps(), 4320);
        assert_eq!(c.lines(), 432_000);
        assert_eq!(c.field_values(), 4_320_000);
        // A duration that is not a multiple of the interval rounds up.
        let mut odd = config(1, 1, 0);
        odd.duration_ns = 25_000_000_000;
        assert_eq!(odd.steps(), 3);
    }

    #[test]
    fn every_line_parses_with_ten_tags_and_ten_integer_fields() {
        let c = config(50, 123, 2 * 3600);
        let data = Generator::generate(c.clone());
        let mut count = 0u64;
        let mut last_ts: HashMap<String, i64> = HashMap::new();
        let mut last_usage: HashMap<String, Vec<i64>> = HashMap::new();
        for line in parse_lines(&data) {
            let line = line.expect("generated line parses");
            count += 1;
            assert_eq!(line.measurement, "cpu");
            assert_eq!(line.tags.len(), 10);
            for key in TAG_KEYS {
                assert!(line.tag(key).is_some(), "missing tag {key}");
            }
            let region = line.tag("region").unwrap();
            let (_, dcs) = REGIONS.iter().find(|(r, _)| *r == region).unwrap();
            assert!(dcs.contains(&line.tag("datacenter").unwrap()));
            assert!(OS_CHOICES.contains(&line.tag("os").unwrap()));
            assert!(ARCH_CHOICES.contains(&line.tag("arch").unwrap()));
            assert!(TEAM_CHOICES.contains(&line.tag("team").unwrap()));
            assert!(ENVIRONMENT_CHOICES.contains(&line.tag("service_environment").unwrap()));
            assert!(line.tag("rack").unwrap().parse::<u64>().unwrap() < RACKS);
            assert!(line.tag("service").unwrap().parse::<u64>().unwrap() < SERVICES);
            assert!(
                line.tag("service_version").unwrap().parse::<u64>().unwrap() < SERVICE_VERSIONS
            );
            assert_eq!(line.fields.len(), 10);
            let mut usage = Vec::new();
            for (i, (k, v)) in line.fields.iter().enumerate() {
                assert_eq!(k, FIELD_KEYS[i]);
                match v {
                    FieldValue::Integer(n) => {
                        assert!((0..=100).contains(n), "{n}");
                        usage.push(*n);
                    }
                    other => panic!("not an integer: {other:?}"),
                }
            }
            let ts = line.timestamp_ns(Precision::Nanosecond, -1).unwrap();
            assert!(line.timestamp.is_some());
            assert!(ts >= c.start_ns && ts < c.start_ns + c.duration_ns);
            let host = line.tag("hostname").unwrap().to_string();
            if let Some(prev) = last_ts.insert(host.clone(), ts) {
                assert_eq!(ts - prev, c.interval_ns);
            }
            // A normal step moves a value by more than 10 with probability ~1e-23.
            if let Some(prev) = last_usage.insert(host, usage.clone()) {
                for (a, b) in prev.iter().zip(&usage) {
                    assert!((a - b).abs() <= 10, "{a} -> {b}");
                }
            }
        }
        assert_eq!(count, c.lines());
        assert_eq!(last_ts.len(), 50);
    }

    fn devops_config(scale: u64, duration_s: i64) -> GenConfig {
        GenConfig {
            use_case: UseCase::Devops,
            ..config(scale, 77, duration_s)
        }
    }

    #[test]
    fn devops_writes_nine_measurements_per_host_and_interval() {
        let c = devops_config(5, 600);
        assert_eq!(c.lines(), 5 * 60 * 9);
        assert_eq!(c.field_values(), 5 * 60 * 101);
        let data = Generator::generate(c.clone());
        let mut streamed = Vec::new();
        let n = Generator::new(c.clone()).write_all(&mut streamed).unwrap();
        assert_eq!(n, c.lines());
        assert_eq!(streamed, data);
        let mut lines = 0u64;
        let mut values = 0u64;
        let mut per_measurement: HashMap<String, (usize, usize)> = HashMap::new();
        let mut order = Vec::new();
        let mut uptimes: HashMap<String, Vec<i64>> = HashMap::new();
        for line in parse_lines(&data) {
            let line = line.expect("generated devops line parses");
            lines += 1;
            values += line.fields.len() as u64;
            let m = line.measurement.to_string();
            if order.len() < 9 {
                order.push(m.clone());
            }
            for key in TAG_KEYS {
                assert!(line.tag(key).is_some(), "{m}: missing host tag {key}");
            }
            let shape = (line.tags.len(), line.fields.len());
            assert_eq!(
                *per_measurement.entry(m.clone()).or_insert(shape),
                shape,
                "{m}"
            );
            if m == "redis" {
                let host = line.tag("hostname").unwrap().to_string();
                if let Some((_, FieldValue::Integer(u))) =
                    line.fields.iter().find(|(k, _)| *k == "uptime_in_seconds")
                {
                    uptimes.entry(host).or_default().push(*u);
                }
            }
            if m == "disk" {
                for (k, v) in &line.fields {
                    assert!(matches!(v, FieldValue::Integer(n) if *n >= 0), "disk {k}");
                }
            }
            if m == "mem" {
                let pct = line
                    .fields
                    .iter()
                    .find(|(k, _)| *k == "used_percent")
                    .unwrap();
                assert!(matches!(pct.1, FieldValue::Float(f) if (0.0..=100.0).contains(&f)));
            }
        }
        assert_eq!(lines, c.lines());
        assert_eq!(values, c.field_values());
        assert_eq!(
            order,
            [
                "cpu",
                "diskio",
                "disk",
                "kernel",
                "mem",
                "net",
                "nginx",
                "postgresl",
                "redis"
            ]
        );
        let shapes: HashMap<&str, (usize, usize)> = [
            ("cpu", (10, 10)),
            ("diskio", (11, 7)),
            ("disk", (12, 7)),
            ("kernel", (10, 6)),
            ("mem", (10, 9)),
            ("net", (11, 8)),
            ("nginx", (12, 7)),
            ("postgresl", (10, 16)),
            ("redis", (12, 31)),
        ]
        .into_iter()
        .collect();
        for (m, shape) in &per_measurement {
            assert_eq!(shapes[m.as_str()], *shape, "{m}");
        }
        for u in uptimes.values() {
            assert_eq!(u.len(), 60);
            assert!(u.windows(2).all(|w| w[1] - w[0] == 10));
        }
    }

    #[test]
    fn cpu_series_are_the_same_in_both_use_cases() {
        let cpu_only = Generator::generate(config(4, 77, 300));
        let devops = Generator::generate(devops_config(4, 300));
        let cpu_lines = |data: &[u8]| -> Vec<String> {
            String::from_utf8(data.to_vec())
                .unwrap()
                .lines()
                .filter(|l| l.starts_with("cpu,"))
                .map(String::from)
                .collect()
        };
        assert_eq!(cpu_lines(&cpu_only), cpu_lines(&devops));
        assert_eq!(cpu_lines(&devops).len(), 4 * 30);
    }

    #[test]
    fn tag_values_cover_their_sets() {
        let data = Generator::generate(config(400, 1, 10));
        let text = String::from_utf8(data).unwrap();
        for value in REGIONS
            .iter()
            .map(|(r, _)| *r)
            .chain(OS_CHOICES)
            .chain(ARCH_CHOICES)
            .chain(TEAM_CHOICES)
            .chain(ENVIRONMENT_CHOICES)
        {
            assert!(
                text.contains(&format!("={value},")) || text.contains(&format!("={value} ")),
                "{value} never chosen"
            );
        }
    }

    #[test]
    fn normal_steps_have_unit_variance() {
        let mut rng = Rng::new(42);
        let n = 200_000;
        let (mut sum, mut sq) = (0.0, 0.0);
        for _ in 0..n {
            let z = rng.next_normal();
            sum += z;
            sq += z * z;
        }
        let mean = sum / n as f64;
        let var = sq / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.02, "{var}");
    }

    #[test]
    fn integers_format_like_display() {
        for v in [
            0i64,
            7,
            10,
            99,
            100,
            1_451_606_400_000_000_000,
            -42,
            i64::MIN,
        ] {
            let mut out = Vec::new();
            push_i64(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap(), v.to_string());
        }
    }
}
