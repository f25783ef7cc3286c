//! The eight measurements TSBS's full `devops` use case writes for every host
//! after its `cpu` line, with TSBS's field names, tags and value processes.
//!
//! Every numeric field follows one of three walks, advanced by a normal step
//! after each point:
//!
//! * monotonic: starts at 0, grows by the step's absolute value (counters);
//! * clamped: starts at a given value, moves by the step, stays in [min, max];
//! * free: starts at 0, moves by the step.
//!
//! Values are written as integers (truncated towards zero) except `mem`'s
//! three percentages, which are floats. The measurements and their own tags:
//!
//! | measurement | own tags | fields |
//! | --- | --- | --- |
//! | `diskio` | `serial` (`NNN-NNN-NNN`) | 7 counters |
//! | `disk` | `path` (`/dev/sda0`–`9`), `fstype` (ext3/ext4/btrfs) | 7, from one clamped walk of free bytes on 1 TiB |
//! | `kernel` | – | `boot_time` (constant) and 5 counters |
//! | `mem` | – | 9, from clamped walks of used/cached/buffered bytes on 8, 12 or 16 GiB |
//! | `net` | `interface` (`eth0`–`3`) | 8 counters |
//! | `nginx` | `port`, `server` (`nginx_N`) | 3 counters, 4 clamped gauges |
//! | `postgresl` | – | 16 clamped gauges |
//! | `redis` | `port`, `server` (`redis_N`) | `uptime_in_seconds` and 30 walks |

use super::{push_i64, push_u64, Rng};

/// The measurements, in the order they follow `cpu`.
pub const MEASUREMENTS: [&str; 8] = [
    "diskio",
    "disk",
    "kernel",
    "mem",
    "net",
    "nginx",
    "postgresl",
    "redis",
];

/// Field values of these measurements per host and interval.
pub const FIELDS_PER_HOST: u64 = 7 + 7 + 6 + 9 + 8 + 7 + 16 + 31;

const TIB: f64 = (1u64 << 40) as f64;
const GIB: f64 = (1u64 << 30) as f64;
const INODE_SIZE: i64 = 4096;

/// How one field's value evolves.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Walk {
    /// Grows by |N(mean, sd)|.
    Monotonic { mean: f64, sd: f64 },
    /// Moves by N(mean, sd), clamped to [min, max].
    Clamped {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
        start: f64,
    },
    /// Moves by N(mean, sd).
    Free { mean: f64, sd: f64 },
}

const fn mono(mean: f64) -> Walk {
    Walk::Monotonic { mean, sd: 1.0 }
}

const fn clamped(mean: f64, max: f64, start: f64) -> Walk {
    Walk::Clamped {
        mean,
        sd: 1.0,
        min: 0.0,
        max,
        start,
    }
}

impl Walk {
    fn start(&self) -> f64 {
        match *self {
            Walk::Clamped { start, .. } => start,
            _ => 0.0,
        }
    }

    fn advance(&self, state: f64, rng: &mut Rng) -> f64 {
        match *self {
            Walk::Monotonic { mean, sd } => state + (rng.next_normal() * sd + mean).abs(),
            Walk::Clamped {
                mean, sd, min, max, ..
            } => (state + rng.next_normal() * sd + mean).clamp(min, max),
            Walk::Free { mean, sd } => state + rng.next_normal() * sd + mean,
        }
    }
}

const DISKIO_FIELDS: [(&str, Walk); 7] = [
    ("reads", mono(50.0)),
    ("writes", mono(50.0)),
    ("read_bytes", mono(100.0)),
    ("write_bytes", mono(100.0)),
    ("read_time", mono(5.0)),
    ("write_time", mono(5.0)),
    ("io_time", mono(5.0)),
];

const KERNEL_FIELDS: [(&str, Walk); 5] = [
    ("interrupts", mono(5.0)),
    ("context_switches", mono(5.0)),
    ("processes_forked", mono(5.0)),
    ("disk_pages_in", mono(5.0)),
    ("disk_pages_out", mono(5.0)),
];

const NET_FIELDS: [(&str, Walk); 8] = [
    ("bytes_sent", mono(50.0)),
    ("bytes_recv", mono(50.0)),
    ("packets_sent", mono(50.0)),
    ("packets_recv", mono(50.0)),
    ("err_in", mono(5.0)),
    ("err_out", mono(5.0)),
    ("drop_in", mono(5.0)),
    ("drop_out", mono(5.0)),
];

const NGINX_FIELDS: [(&str, Walk); 7] = [
    ("accepts", mono(5.0)),
    ("active", clamped(5.0, 100.0, 0.0)),
    ("handled", mono(5.0)),
    ("reading", clamped(5.0, 100.0, 0.0)),
    ("requests", mono(5.0)),
    ("waiting", clamped(5.0, 100.0, 0.0)),
    ("writing", clamped(5.0, 100.0, 0.0)),
];

const PG: Walk = clamped(5.0, 1000.0, 0.0);
const POSTGRES_FIELDS: [(&str, Walk); 16] = [
    ("numbackends", PG),
    ("xact_commit", PG),
    ("xact_rollback", PG),
    ("blks_read", PG),
    ("blks_hit", PG),
    ("tup_returned", PG),
    ("tup_fetched", PG),
    ("tup_inserted", PG),
    ("tup_updated", PG),
    ("tup_deleted", PG),
    ("conflicts", PG),
    ("temp_files", PG),
    ("temp_bytes", clamped(1024.0, GIB, 0.0)),
    ("deadlocks", PG),
    ("blk_read_time", PG),
    ("blk_write_time", PG),
];

const RLOW: Walk = clamped(5.0, 1000.0, 0.0);
const RMEM: Walk = clamped(50.0, 16.0 * GIB, 8.0 * GIB);
const RATE: Walk = Walk::Free { mean: 1.0, sd: 1.0 };
const REDIS_FIELDS: [(&str, Walk); 30] = [
    ("total_connections_received", mono(5.0)),
    ("expired_keys", mono(50.0)),
    ("evicted_keys", mono(50.0)),
    ("keyspace_hits", mono(50.0)),
    ("keyspace_misses", mono(50.0)),
    ("instantaneous_ops_per_sec", RATE),
    ("instantaneous_input_kbps", RATE),
    ("instantaneous_output_kbps", RATE),
    ("connected_clients", clamped(50.0, 10000.0, 0.0)),
    ("used_memory", RMEM),
    ("used_memory_rss", RMEM),
    ("used_memory_peak", RMEM),
    ("used_memory_lua", RMEM),
    ("rdb_changes_since_last_save", clamped(50.0, 10000.0, 0.0)),
    ("sync_full", RLOW),
    ("sync_partial_ok", RLOW),
    ("sync_partial_err", RLOW),
    ("pubsub_channels", RLOW),
    ("pubsub_patterns", RLOW),
    ("latest_fork_usec", RLOW),
    ("connected_slaves", RLOW),
    ("master_repl_offset", RLOW),
    ("repl_backlog_active", RLOW),
    ("repl_backlog_size", RLOW),
    ("repl_backlog_histlen", RLOW),
    ("mem_fragmentation_ratio", clamped(5.0, 100.0, 0.0)),
    ("used_cpu_sys", RLOW),
    ("used_cpu_user", RLOW),
    ("used_cpu_sys_children", RLOW),
    ("used_cpu_user_children", RLOW),
];

/// Current values of a list of walks.
#[derive(Debug, Clone)]
struct Walks {
    specs: &'static [(&'static str, Walk)],
    state: Vec<f64>,
}

impl Walks {
    fn new(specs: &'static [(&'static str, Walk)]) -> Walks {
        Walks {
            specs,
            state: specs.iter().map(|(_, w)| w.start()).collect(),
        }
    }

    fn write_fields(&self, out: &mut Vec<u8>, first: bool) {
        for (i, ((name, _), v)) in self.specs.iter().zip(&self.state).enumerate() {
            if i > 0 || !first {
                out.push(b',');
            }
            push_int_field(out, name, *v as i64);
        }
    }

    fn advance(&mut self, rng: &mut Rng) {
        for ((_, w), v) in self.specs.iter().zip(self.state.iter_mut()) {
            *v = w.advance(*v, rng);
        }
    }
}

fn push_int_field(out: &mut Vec<u8>, name: &str, v: i64) {
    out.extend_from_slice(name.as_bytes());
    out.push(b'=');
    push_i64(out, v);
    out.push(b'i');
}

fn push_float_field(out: &mut Vec<u8>, name: &str, v: f64) {
    out.extend_from_slice(name.as_bytes());
    out.push(b'=');
    // Shortest representation that round-trips, never in exponent form.
    out.extend_from_slice(format!("{v}").as_bytes());
}

/// The `devops` measurements of one host.
#[derive(Debug, Clone)]
pub struct HostMeasurements {
    rng: Rng,
    diskio_serial: String,
    diskio: Walks,
    disk_path: String,
    disk_fstype: &'static str,
    disk_free: f64,
    kernel_boot_time: i64,
    kernel: Walks,
    mem_total: f64,
    /// used, cached, buffered.
    mem: [f64; 3],
    net_interface: String,
    net: Walks,
    nginx_port: u64,
    nginx_server: String,
    nginx: Walks,
    postgres: Walks,
    redis_port: u64,
    redis_server: String,
    redis_uptime_s: i64,
    redis: Walks,
    interval_s: i64,
}

impl HostMeasurements {
    /// A host's measurements, their fixed tags and starting states drawn from `rng`.
    pub fn new(mut rng: Rng) -> HostMeasurements {
        let diskio_serial = format!(
            "{:03}-{:03}-{:03}",
            rng.below(1000),
            rng.below(1000),
            rng.below(1000)
        );
        let disk_path = format!("/dev/sda{}", rng.below(10));
        let disk_fstype = ["ext3", "ext4", "btrfs"][rng.below(3) as usize];
        let kernel_boot_time = rng.below(240) as i64;
        let mem_total = [8.0 * GIB, 12.0 * GIB, 16.0 * GIB][rng.below(3) as usize];
        let mem = [
            rng.next_f64() * mem_total,
            rng.next_f64() * mem_total,
            rng.next_f64() * mem_total,
        ];
        let net_interface = format!("eth{}", rng.below(4));
        let nginx_server = format!("nginx_{}", rng.below(100_000));
        let nginx_port = rng.below(20_000) + 1024;
        let redis_server = format!("redis_{}", rng.below(100_000));
        let redis_port = rng.below(20_000) + 1024;
        HostMeasurements {
            rng,
            diskio_serial,
            diskio: Walks::new(&DISKIO_FIELDS),
            disk_path,
            disk_fstype,
            disk_free: TIB / 2.0,
            kernel_boot_time,
            kernel: Walks::new(&KERNEL_FIELDS),
            mem_total,
            mem,
            net_interface,
            net: Walks::new(&NET_FIELDS),
            nginx_port,
            nginx_server,
            nginx: Walks::new(&NGINX_FIELDS),
            postgres: Walks::new(&POSTGRES_FIELDS),
            redis_port,
            redis_server,
            redis_uptime_s: 0,
            redis: Walks::new(&REDIS_FIELDS),
            interval_s: 0,
        }
    }

    /// Sets the interval, for `redis`'s `uptime_in_seconds`.
    pub fn set_interval_ns(&mut self, interval_ns: i64) {
        self.interval_s = interval_ns / 1_000_000_000;
    }

    /// Appends the eight lines at `ts`; `host_tags` is `,hostname=…,…` (the
    /// host's tags with their leading comma). Then advances every walk.
    pub fn write_lines(&mut self, host_tags: &[u8], ts: i64, out: &mut Vec<u8>) {
        let start = |out: &mut Vec<u8>, name: &str| {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(host_tags);
        };
        let end = |out: &mut Vec<u8>| {
            out.push(b' ');
            push_i64(out, ts);
            out.push(b'\n');
        };

        start(out, "diskio");
        out.extend_from_slice(b",serial=");
        out.extend_from_slice(self.diskio_serial.as_bytes());
        out.push(b' ');
        self.diskio.write_fields(out, true);
        end(out);

        start(out, "disk");
        out.extend_from_slice(b",path=");
        out.extend_from_slice(self.disk_path.as_bytes());
        out.extend_from_slice(b",fstype=");
        out.extend_from_slice(self.disk_fstype.as_bytes());
        out.push(b' ');
        let total = 1i64 << 40;
        let free = self.disk_free as i64;
        let used = total - free;
        push_int_field(out, "total", total);
        out.push(b',');
        push_int_field(out, "free", free);
        out.push(b',');
        push_int_field(out, "used", used);
        out.push(b',');
        push_int_field(
            out,
            "used_percent",
            (100.0 * (used as f64 / total as f64)) as i64,
        );
        out.push(b',');
        push_int_field(out, "inodes_total", total / INODE_SIZE);
        out.push(b',');
        push_int_field(out, "inodes_free", free / INODE_SIZE);
        out.push(b',');
        push_int_field(out, "inodes_used", total / INODE_SIZE - free / INODE_SIZE);
        end(out);

        start(out, "kernel");
        out.push(b' ');
        push_int_field(out, "boot_time", self.kernel_boot_time);
        self.kernel.write_fields(out, false);
        end(out);

        start(out, "mem");
        out.push(b' ');
        let total = self.mem_total as i64;
        let [used, cached, buffered] = self.mem.map(|v| v as i64);
        let available = total - used;
        for (i, (name, v)) in [
            ("total", total),
            ("available", available),
            ("used", used),
            ("free", available),
            ("cached", cached),
            ("buffered", buffered),
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                out.push(b',');
            }
            push_int_field(out, name, v);
        }
        let t = total as f64;
        for (name, v) in [
            ("used_percent", 100.0 * (used as f64 / t)),
            ("available_percent", 100.0 * (available as f64 / t)),
            ("buffered_percent", 100.0 * buffered as f64 / t),
        ] {
            out.push(b',');
            push_float_field(out, name, v);
        }
        end(out);

        start(out, "net");
        out.extend_from_slice(b",interface=");
        out.extend_from_slice(self.net_interface.as_bytes());
        out.push(b' ');
        self.net.write_fields(out, true);
        end(out);

        start(out, "nginx");
        out.extend_from_slice(b",port=");
        push_u64(out, self.nginx_port);
        out.extend_from_slice(b",server=");
        out.extend_from_slice(self.nginx_server.as_bytes());
        out.push(b' ');
        self.nginx.write_fields(out, true);
        end(out);

        start(out, "postgresl");
        out.push(b' ');
        self.postgres.write_fields(out, true);
        end(out);

        start(out, "redis");
        out.extend_from_slice(b",port=");
        push_u64(out, self.redis_port);
        out.extend_from_slice(b",server=");
        out.extend_from_slice(self.redis_server.as_bytes());
        out.push(b' ');
        push_int_field(out, "uptime_in_seconds", self.redis_uptime_s);
        self.redis.write_fields(out, false);
        end(out);

        self.advance();
    }

    fn advance(&mut self) {
        let rng = &mut self.rng;
        self.diskio.advance(rng);
        self.disk_free = (self.disk_free + rng.next_normal() + 50.0).clamp(0.0, TIB);
        self.kernel.advance(rng);
        let sd = self.mem_total / 64.0;
        for v in &mut self.mem {
            *v = (*v + rng.next_normal() * sd).clamp(0.0, self.mem_total);
        }
        self.net.advance(rng);
        self.nginx.advance(rng);
        self.postgres.advance(rng);
        self.redis.advance(rng);
        self.redis_uptime_s += self.interval_s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_counts_add_up() {
        let total = DISKIO_FIELDS.len()
            + 7
            + 1
            + KERNEL_FIELDS.len()
            + 9
            + NET_FIELDS.len()
            + NGINX_FIELDS.len()
            + POSTGRES_FIELDS.len()
            + 1
            + REDIS_FIELDS.len();
        assert_eq!(total as u64, FIELDS_PER_HOST);
        assert_eq!(FIELDS_PER_HOST + 10, 101);
    }

    #[test]
    fn walks_respect_their_kind() {
        let mut rng = Rng::new(3);
        let m = mono(5.0);
        let c = clamped(5.0, 100.0, 0.0);
        let (mut a, mut b) = (m.start(), c.start());
        for _ in 0..1000 {
            let na = m.advance(a, &mut rng);
            assert!(na >= a);
            a = na;
            b = c.advance(b, &mut rng);
            assert!((0.0..=100.0).contains(&b));
        }
        assert!(a > 4000.0, "{a}");
        assert_eq!(b, 100.0);
    }
}
