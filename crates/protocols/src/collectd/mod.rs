//! `[[collectd]]`: collectd's binary network protocol over UDP.
//!
//! Value lists become points as InfluxDB's collectd service makes them:
//!
//! * `split` (default): one point per value, measurement
//!   `<plugin>_<data source name>`, field `value`;
//! * `join`: one point per value list, measurement `<plugin>`, one field per
//!   data source name.
//!
//! Tags: `host`, `instance` (plugin instance), `type`, `type_instance`, each
//! only when not empty. Every value is stored as a float; points with NaN or
//! infinite values are dropped (InfluxDB cannot store them).

pub mod packet;
pub mod typesdb;

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use almanac_lineproto::FieldValue;
use tokio::net::UdpSocket;

pub use packet::{parse_packet, AuthFile, PacketError, ParseOptions, Value, ValueList};
pub use typesdb::{TypesDb, TypesDbError, EMBEDDED_TYPES_DB};

use crate::batch::{BatchTarget, Batcher};
use crate::config::{rp_option, CollectdConfig, ParseMultiValuePlugin, SecurityLevel};
use crate::point::Point;
use crate::stats::ListenerStats;
use crate::{now_ns, ListenerError, SharedSink};

/// Largest datagram read (collectd sends at most 1452 bytes by default).
const MAX_DATAGRAM: usize = 65536;

fn tags_of(vl: &ValueList) -> Vec<(String, String)> {
    let mut tags = Vec::with_capacity(4);
    for (k, v) in [
        ("host", &vl.host),
        ("instance", &vl.plugin_instance),
        ("type", &vl.type_name),
        ("type_instance", &vl.type_instance),
    ] {
        if !v.is_empty() {
            tags.push((k.to_string(), v.clone()));
        }
    }
    tags
}

/// Turns a value list into points (`time_ns == 0` is replaced by `now_ns`).
pub fn value_list_to_points(
    vl: &ValueList,
    mode: ParseMultiValuePlugin,
    now_ns: i64,
) -> Vec<Point> {
    let time_ns = if vl.time_ns == 0 { now_ns } else { vl.time_ns };
    let tags = tags_of(vl);
    match mode {
        ParseMultiValuePlugin::Split => vl
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                Point::float(
                    format!("{}_{}", vl.plugin, vl.ds_name(i)),
                    tags.clone(),
                    "value",
                    v.as_f64(),
                    time_ns,
                )
            })
            .collect(),
        ParseMultiValuePlugin::Join => {
            if vl.values.is_empty() {
                return Vec::new();
            }
            vec![Point {
                measurement: vl.plugin.clone(),
                tags,
                fields: vl
                    .values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (vl.ds_name(i), FieldValue::Float(v.as_f64())))
                    .collect(),
                time_ns,
            }]
        }
    }
}

/// Result of decoding one datagram.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Decoded {
    /// Line protocol with nanosecond timestamps.
    pub lines: Vec<u8>,
    /// Points in `lines`.
    pub points: usize,
    /// Points dropped (NaN, unrepresentable names) with the reason.
    pub dropped: Vec<String>,
}

/// Decodes a datagram into line protocol.
pub fn decode_packet(
    buf: &[u8],
    opts: &ParseOptions,
    mode: ParseMultiValuePlugin,
    now_ns: i64,
) -> Result<Decoded, PacketError> {
    let mut out = Decoded::default();
    let mut text = String::new();
    for vl in parse_packet(buf, opts)? {
        for p in value_list_to_points(&vl, mode, now_ns) {
            match p.to_line() {
                Ok(l) => {
                    text.push_str(&l);
                    out.points += 1;
                }
                Err(e) => out
                    .dropped
                    .push(format!("Dropping point {}: {e}", p.measurement)),
            }
        }
    }
    out.lines = text.into_bytes();
    Ok(out)
}

/// Reads `types.db` and, for `sign`/`encrypt`, the auth file, per the config.
pub fn parse_options(config: &CollectdConfig) -> Result<ParseOptions, ListenerError> {
    let types = TypesDb::load(Path::new(&config.typesdb))
        .map_err(|e| ListenerError::Config(e.to_string()))?;
    let auth = match config.security_level {
        SecurityLevel::None => match std::fs::read_to_string(&config.auth_file) {
            Ok(text) => AuthFile::parse(&text),
            Err(_) => AuthFile::default(),
        },
        _ => {
            let text = std::fs::read_to_string(&config.auth_file).map_err(|e| {
                ListenerError::Config(format!(
                    "unable to read auth file {}: {e}",
                    config.auth_file
                ))
            })?;
            AuthFile::parse(&text)
        }
    };
    Ok(ParseOptions {
        types,
        security: config.security_level,
        auth,
    })
}

/// A bound collectd listener.
#[derive(Debug)]
pub struct CollectdListener {
    socket: UdpSocket,
    config: CollectdConfig,
    opts: ParseOptions,
    stats: Arc<ListenerStats>,
}

impl CollectdListener {
    /// Reads `types.db` (and the auth file) as configured and binds the socket.
    pub async fn bind(config: CollectdConfig) -> Result<Self, ListenerError> {
        let opts = parse_options(&config)?;
        Self::bind_with(config, opts).await
    }

    /// Binds with explicit parse options (for an embedded `types.db`).
    pub async fn bind_with(
        config: CollectdConfig,
        opts: ParseOptions,
    ) -> Result<Self, ListenerError> {
        if config.database.is_empty() {
            return Err(ListenerError::Config("database name is blank".into()));
        }
        let socket = crate::udp::bind_udp(&config.bind_address, config.read_buffer).await?;
        Ok(CollectdListener {
            socket,
            config,
            opts,
            stats: Arc::new(ListenerStats::default()),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> Result<SocketAddr, ListenerError> {
        self.socket
            .local_addr()
            .map_err(|e| ListenerError::io("local address", e))
    }

    /// The listener's counters.
    pub fn stats(&self) -> Arc<ListenerStats> {
        self.stats.clone()
    }

    /// Serves until `shutdown` completes, then writes what is batched.
    pub async fn run(
        self,
        sink: SharedSink,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), ListenerError> {
        let batcher = Batcher::start(
            BatchTarget {
                sink,
                database: self.config.database.clone(),
                retention_policy: rp_option(&self.config.retention_policy),
                batch_size: self.config.batch_size,
                batch_pending: self.config.batch_pending,
                batch_timeout: self.config.batch_timeout,
            },
            self.stats.clone(),
        );
        let sender = batcher.sender();
        let mut buf = vec![0u8; MAX_DATAGRAM];
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                r = self.socket.recv_from(&mut buf) => match r {
                    Ok((n, from)) => {
                        ListenerStats::add(&self.stats.bytes_received, n as u64);
                        match decode_packet(&buf[..n], &self.opts, self.config.parse_multivalue_plugin, now_ns()) {
                            Ok(d) => {
                                if !d.dropped.is_empty() {
                                    ListenerStats::add(&self.stats.points_parse_fail, d.dropped.len() as u64);
                                    for e in &d.dropped {
                                        tracing::info!(error = %e, "collectd: dropping point");
                                    }
                                }
                                if !sender.send(d.lines, d.points).await {
                                    break;
                                }
                            }
                            Err(e) => {
                                ListenerStats::add(&self.stats.points_parse_fail, 1);
                                tracing::info!(error = %e, %from, "collectd parse error");
                            }
                        }
                    }
                    Err(e) => {
                        ListenerStats::add(&self.stats.read_errors, 1);
                        tracing::info!(error = %e, "collectd ReadFromUDP error");
                    }
                },
            }
        }
        drop(sender);
        batcher.close().await;
        Ok(())
    }
}

/// Binds and serves a `[[collectd]]` listener until `shutdown`.
pub async fn run_collectd(
    config: CollectdConfig,
    sink: SharedSink,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ListenerError> {
    CollectdListener::bind(config)
        .await?
        .run(sink, shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::packet::encode::*;
    use super::packet::part;
    use super::*;

    fn packet() -> Vec<u8> {
        let mut p = Vec::new();
        string(&mut p, part::HOST, "server01");
        numeric(&mut p, part::TIME, 1_414_080_767);
        string(&mut p, part::PLUGIN, "load");
        string(&mut p, part::TYPE, "load");
        values(
            &mut p,
            &[Value::Gauge(0.5), Value::Gauge(0.25), Value::Gauge(0.0)],
        );
        string(&mut p, part::PLUGIN, "cpu");
        string(&mut p, part::PLUGIN_INSTANCE, "0");
        string(&mut p, part::TYPE, "cpu");
        string(&mut p, part::TYPE_INSTANCE, "idle");
        values(&mut p, &[Value::Derive(12345)]);
        p
    }

    fn opts() -> ParseOptions {
        ParseOptions {
            types: TypesDb::embedded(),
            ..ParseOptions::default()
        }
    }

    #[test]
    fn split_names_measurements_plugin_dsname() {
        let d = decode_packet(&packet(), &opts(), ParseMultiValuePlugin::Split, 0).unwrap();
        assert_eq!(
            String::from_utf8(d.lines).unwrap(),
            "load_shortterm,host=server01,type=load value=0.5 1414080767000000000\n\
             load_midterm,host=server01,type=load value=0.25 1414080767000000000\n\
             load_longterm,host=server01,type=load value=0.0 1414080767000000000\n\
             cpu_value,host=server01,instance=0,type=cpu,type_instance=idle value=12345.0 1414080767000000000\n"
        );
        assert_eq!(d.points, 4);
    }

    #[test]
    fn join_makes_one_point_per_value_list() {
        let d = decode_packet(&packet(), &opts(), ParseMultiValuePlugin::Join, 0).unwrap();
        assert_eq!(
            String::from_utf8(d.lines).unwrap(),
            "load,host=server01,type=load shortterm=0.5,midterm=0.25,longterm=0.0 1414080767000000000\n\
             cpu,host=server01,instance=0,type=cpu,type_instance=idle value=12345.0 1414080767000000000\n"
        );
    }

    #[test]
    fn nan_values_are_dropped() {
        let mut p = Vec::new();
        string(&mut p, part::PLUGIN, "g");
        string(&mut p, part::TYPE, "gauge");
        values(&mut p, &[Value::Gauge(f64::NAN)]);
        values(&mut p, &[Value::Gauge(2.0)]);
        let d = decode_packet(&p, &opts(), ParseMultiValuePlugin::Split, 99).unwrap();
        assert_eq!(
            String::from_utf8(d.lines).unwrap(),
            "g_value,type=gauge value=2.0 99\n"
        );
        assert_eq!(d.dropped.len(), 1);
    }
}
