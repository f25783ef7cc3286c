//! Input plugins. Host inputs read Linux `/proc` and `/sys` (overridable with Telegraf's
//! `HOST_PROC`, `HOST_SYS`, `HOST_MOUNT_PREFIX` variables) and use Telegraf's names and units.

use std::path::PathBuf;

use crate::plugin::{Input, PluginSpec};

pub mod cpu;
pub mod disk;
pub mod diskio;
pub mod dns_query;
pub mod docker;
pub mod exec;
pub mod execd;
pub mod file;
pub mod http;
pub mod http_listener_v2;
pub mod http_response;
pub mod influxdb_listener;
pub mod internal;
pub mod kernel;
pub mod mem;
pub mod net;
pub mod netstat;
pub mod nginx;
pub mod ping;
pub mod postgresql;
pub mod processes;
pub mod procstat;
pub mod prometheus;
pub mod redis;
pub mod socket_listener;
pub mod statsd;
pub mod swap;
pub mod syslog;
pub mod system;
pub mod tail;
pub mod temp;

/// Every implemented input.
pub static SPECS: &[PluginSpec<dyn Input>] = &[
    cpu::SPEC,
    disk::SPEC,
    diskio::SPEC,
    dns_query::SPEC,
    docker::SPEC,
    exec::SPEC,
    execd::SPEC,
    file::SPEC,
    http::SPEC,
    http_listener_v2::SPEC,
    http_response::SPEC,
    influxdb_listener::SPEC,
    internal::SPEC,
    kernel::SPEC,
    mem::SPEC,
    net::SPEC,
    netstat::SPEC,
    nginx::SPEC,
    ping::SPEC,
    postgresql::SPEC,
    processes::SPEC,
    procstat::SPEC,
    prometheus::SPEC,
    redis::SPEC,
    socket_listener::SPEC,
    statsd::SPEC,
    swap::SPEC,
    syslog::SPEC,
    system::SPEC,
    tail::SPEC,
    temp::SPEC,
];

/// Root of the proc filesystem (`HOST_PROC` or `/proc`).
pub fn host_proc() -> PathBuf {
    std::env::var_os("HOST_PROC")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/proc"))
}

/// Root of sysfs (`HOST_SYS` or `/sys`).
pub fn host_sys() -> PathBuf {
    std::env::var_os("HOST_SYS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/sys"))
}

/// Parses `Key:   value kB` files (`/proc/meminfo`, `/proc/self/status`) into (key, value×unit).
pub fn parse_kv_kb(text: &str) -> std::collections::HashMap<String, u64> {
    let mut out = std::collections::HashMap::new();
    for line in text.lines() {
        let Some((k, rest)) = line.split_once(':') else {
            continue;
        };
        let mut w = rest.split_whitespace();
        let Some(v) = w.next().and_then(|v| v.parse::<u64>().ok()) else {
            continue;
        };
        let mult = if w.next() == Some("kB") { 1024 } else { 1 };
        out.insert(k.trim().to_string(), v.saturating_mul(mult));
    }
    out
}
