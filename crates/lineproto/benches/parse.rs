//! Parse (and serialize) throughput on TSBS-style `cpu` lines.

use std::hint::black_box;

use almanac_lineproto::{parse_lines, write_line, FieldValue, Precision};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const LINES: usize = 10_000;

/// A small deterministic generator (xorshift64*), so the body is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `LINES` lines shaped like TSBS's devops `cpu` measurement.
fn tsbs_body() -> Vec<u8> {
    const REGIONS: [&str; 4] = ["eu-central-1", "us-west-2", "ap-southeast-1", "sa-east-1"];
    const OS: [&str; 3] = ["Ubuntu15.10", "Ubuntu16.04LTS", "Ubuntu16.10"];
    const ARCH: [&str; 2] = ["x86", "x64"];
    const TEAMS: [&str; 4] = ["SF", "NYC", "LON", "CHI"];
    const ENVS: [&str; 3] = ["test", "staging", "production"];
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
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut body = String::with_capacity(LINES * 420);
    for i in 0..LINES {
        let host = i % 1000;
        let region = REGIONS[host % REGIONS.len()];
        body.push_str(&format!(
            "cpu,hostname=host_{host},region={region},datacenter={region}{zone},rack={rack},os={os},arch={arch},team={team},service={service},service_version={version},service_environment={env} ",
            zone = ["a", "b", "c"][host % 3],
            rack = rng.below(100),
            os = OS[host % OS.len()],
            arch = ARCH[host % ARCH.len()],
            team = TEAMS[host % TEAMS.len()],
            service = rng.below(20),
            version = rng.below(2),
            env = ENVS[host % ENVS.len()],
        ));
        for (j, field) in FIELDS.iter().enumerate() {
            if j > 0 {
                body.push(',');
            }
            body.push_str(&format!("{field}={}i", rng.below(100)));
        }
        body.push_str(&format!(
            " {}\n",
            1_451_606_400_000_000_000u64 + (i as u64 / 1000) * 10_000_000_000
        ));
    }
    body.into_bytes()
}

fn bench_parse(c: &mut Criterion) {
    let body = tsbs_body();
    assert_eq!(parse_lines(&body).filter(|r| r.is_ok()).count(), LINES);

    let mut group = c.benchmark_group("lineproto");
    group.throughput(Throughput::Elements(LINES as u64));
    group.bench_function("parse_tsbs_cpu", |b| {
        b.iter(|| {
            for line in parse_lines(black_box(&body)) {
                black_box(line.ok());
            }
        })
    });
    group.bench_function("parse_tsbs_cpu_with_timestamps", |b| {
        b.iter(|| {
            let mut sum = 0i64;
            for line in parse_lines(black_box(&body)).flatten() {
                sum = sum.wrapping_add(line.timestamp_ns(Precision::Nanosecond, 0).unwrap_or(0));
            }
            black_box(sum)
        })
    });

    let parsed: Vec<_> = parse_lines(&body).map(Result::unwrap).collect();
    group.bench_function("write_tsbs_cpu", |b| {
        let mut out = String::with_capacity(body.len());
        b.iter(|| {
            out.clear();
            for line in &parsed {
                let tags: Vec<(&str, &str)> = line
                    .tags
                    .iter()
                    .map(|(k, v)| (k.as_ref(), v.as_ref()))
                    .collect();
                let fields: Vec<(&str, FieldValue<'_>)> = line
                    .fields
                    .iter()
                    .map(|(k, v)| (k.as_ref(), v.clone()))
                    .collect();
                write_line(&mut out, &line.measurement, &tags, &fields, line.timestamp);
            }
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
