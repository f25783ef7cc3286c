//! collectd's binary network protocol.
//!
//! A packet is a sequence of parts, each `type: u16 BE, length: u16 BE`
//! (length includes the 4-byte header) then the payload. String parts end
//! with NUL; numeric parts are one u64 BE; a values part is `count: u16 BE`,
//! `count` type bytes (0 counter u64 BE, 1 gauge f64 **LE**, 2 derive i64 BE,
//! 3 absolute u64 BE) and `count` 8-byte values. Each values part emits a
//! value list with the host/plugin/type/time state set by earlier parts.
//!
//! Security: a signature part (0x0200: HMAC-SHA256 of `username ‖ rest of the
//! packet`, key = password) covers everything after it; an encryption part
//! (0x0210: `username length: u16 BE`, username, 16-byte IV, then
//! AES-256-OFB with key SHA-256(password) over `SHA-1(payload) ‖ payload`)
//! carries its own parts. With security level `sign` only signed or
//! encrypted values are accepted, with `encrypt` only encrypted ones.

use std::collections::HashMap;

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::typesdb::TypesDb;
use crate::config::SecurityLevel;

/// Part types.
pub mod part {
    /// Host name (string).
    pub const HOST: u16 = 0x0000;
    /// Time in seconds (numeric).
    pub const TIME: u16 = 0x0001;
    /// Plugin (string).
    pub const PLUGIN: u16 = 0x0002;
    /// Plugin instance (string).
    pub const PLUGIN_INSTANCE: u16 = 0x0003;
    /// Type (string).
    pub const TYPE: u16 = 0x0004;
    /// Type instance (string).
    pub const TYPE_INSTANCE: u16 = 0x0005;
    /// Values.
    pub const VALUES: u16 = 0x0006;
    /// Interval in seconds (numeric).
    pub const INTERVAL: u16 = 0x0007;
    /// Time in 2^-30 seconds (numeric).
    pub const TIME_HR: u16 = 0x0008;
    /// Interval in 2^-30 seconds (numeric).
    pub const INTERVAL_HR: u16 = 0x0009;
    /// Notification message (ignored).
    pub const MESSAGE: u16 = 0x0100;
    /// Notification severity (ignored).
    pub const SEVERITY: u16 = 0x0101;
    /// HMAC-SHA256 signature.
    pub const SIGN_SHA256: u16 = 0x0200;
    /// AES-256-OFB encrypted parts.
    pub const ENCRYPT_AES256: u16 = 0x0210;
}

/// One value as sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// `COUNTER`.
    Counter(u64),
    /// `GAUGE`.
    Gauge(f64),
    /// `DERIVE`.
    Derive(i64),
    /// `ABSOLUTE`.
    Absolute(u64),
}

impl Value {
    /// The value as a float, as InfluxDB stores every collectd value.
    pub fn as_f64(self) -> f64 {
        match self {
            Value::Counter(v) | Value::Absolute(v) => v as f64,
            Value::Gauge(v) => v,
            Value::Derive(v) => v as f64,
        }
    }
}

/// A value list: identifier, time, interval and values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValueList {
    /// Host.
    pub host: String,
    /// Plugin.
    pub plugin: String,
    /// Plugin instance.
    pub plugin_instance: String,
    /// Type (a `types.db` entry).
    pub type_name: String,
    /// Type instance.
    pub type_instance: String,
    /// Time in nanoseconds (0: not sent).
    pub time_ns: i64,
    /// Interval in nanoseconds (0: not sent).
    pub interval_ns: i64,
    /// Values.
    pub values: Vec<Value>,
    /// Data source names from `types.db` (empty when the type is unknown).
    pub ds_names: Vec<String>,
}

impl ValueList {
    /// Name of value `i`: from `types.db`, else `value` for a single value, else the index.
    pub fn ds_name(&self, i: usize) -> String {
        match self.ds_names.get(i) {
            Some(n) => n.clone(),
            None if self.values.len() == 1 => "value".to_string(),
            None => i.to_string(),
        }
    }
}

/// Why a packet was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PacketError {
    /// Truncated or malformed part.
    #[error("collectd packet: {0}")]
    Malformed(String),
    /// Signature did not verify, or unknown user.
    #[error("collectd packet: signature verification failed for user {0:?}")]
    BadSignature(String),
    /// Decryption failed (unknown user or checksum mismatch).
    #[error("collectd packet: decryption failed for user {0:?}")]
    DecryptFailed(String),
    /// Data below the configured security level.
    #[error("collectd packet: {0} data rejected by security level {1}")]
    Insecure(&'static str, &'static str),
}

/// `user: password` pairs (collectd's `AuthFile`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthFile {
    users: HashMap<String, String>,
}

impl AuthFile {
    /// Parses `user: password` lines (blank lines and `#` comments ignored).
    pub fn parse(text: &str) -> Self {
        let users = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let (u, p) = l.split_once(':')?;
                Some((u.trim().to_string(), p.trim().to_string()))
            })
            .collect();
        AuthFile { users }
    }

    /// One user.
    pub fn single(user: &str, password: &str) -> Self {
        let mut users = HashMap::new();
        users.insert(user.to_string(), password.to_string());
        AuthFile { users }
    }

    /// The password of `user`.
    pub fn password(&self, user: &str) -> Option<&str> {
        self.users.get(user).map(String::as_str)
    }
}

/// How a packet is read: types, security level and credentials.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Data source names.
    pub types: TypesDb,
    /// Required security.
    pub security: SecurityLevel,
    /// Credentials for signed/encrypted data.
    pub auth: AuthFile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Trust {
    Plain,
    Signed,
    Encrypted,
}

#[derive(Default, Clone)]
struct State {
    vl: ValueList,
}

const MAX_NESTING: usize = 4;

/// Parses one datagram into value lists. A malformed or insecure packet is
/// rejected whole, as InfluxDB does.
pub fn parse_packet(buf: &[u8], opts: &ParseOptions) -> Result<Vec<ValueList>, PacketError> {
    let mut out = Vec::new();
    let mut state = State::default();
    parse_parts(buf, opts, Trust::Plain, &mut state, &mut out, 0)?;
    Ok(out)
}

fn malformed(msg: impl Into<String>) -> PacketError {
    PacketError::Malformed(msg.into())
}

fn read_string(payload: &[u8]) -> Result<String, PacketError> {
    match payload.split_last() {
        Some((0, body)) => String::from_utf8(body.to_vec())
            .map_err(|_| malformed("string part is not valid UTF-8")),
        _ => Err(malformed("string part not terminated by NUL")),
    }
}

fn read_u64(payload: &[u8]) -> Result<u64, PacketError> {
    let bytes: [u8; 8] = payload
        .try_into()
        .map_err(|_| malformed("numeric part must be 8 bytes"))?;
    Ok(u64::from_be_bytes(bytes))
}

/// Seconds since the epoch → ns (saturating).
fn secs_to_ns(s: u64) -> i64 {
    (s as i128 * 1_000_000_000).min(i64::MAX as i128) as i64
}

/// collectd high-resolution time (2^-30 s units) → ns, rounded.
pub fn hr_to_ns(v: u64) -> i64 {
    let secs = (v >> 30) as i128;
    let frac = (v & 0x3fff_ffff) as i128;
    let ns = (frac * 1_000_000_000 + (1 << 29)) >> 30;
    (secs * 1_000_000_000 + ns).min(i64::MAX as i128) as i64
}

fn read_values(payload: &[u8]) -> Result<Vec<Value>, PacketError> {
    if payload.len() < 2 {
        return Err(malformed("values part too short"));
    }
    let count = u16::from_be_bytes([payload[0], payload[1]]) as usize;
    if payload.len() != 2 + count * 9 {
        return Err(malformed(format!(
            "values part of {} bytes cannot hold {count} values",
            payload.len() + 4
        )));
    }
    let types = &payload[2..2 + count];
    let data = &payload[2 + count..];
    let mut values = Vec::with_capacity(count);
    for (i, t) in types.iter().enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(&data[i * 8..i * 8 + 8]);
        values.push(match t {
            0 => Value::Counter(u64::from_be_bytes(b)),
            1 => Value::Gauge(f64::from_le_bytes(b)),
            2 => Value::Derive(i64::from_be_bytes(b)),
            3 => Value::Absolute(u64::from_be_bytes(b)),
            other => return Err(malformed(format!("unknown value type {other}"))),
        });
    }
    Ok(values)
}

fn level_name(l: SecurityLevel) -> &'static str {
    match l {
        SecurityLevel::None => "none",
        SecurityLevel::Sign => "sign",
        SecurityLevel::Encrypt => "encrypt",
    }
}

fn parse_parts(
    mut buf: &[u8],
    opts: &ParseOptions,
    trust: Trust,
    state: &mut State,
    out: &mut Vec<ValueList>,
    depth: usize,
) -> Result<(), PacketError> {
    if depth > MAX_NESTING {
        return Err(malformed("too many nested security parts"));
    }
    while !buf.is_empty() {
        if buf.len() < 4 {
            return Err(malformed("truncated part header"));
        }
        let kind = u16::from_be_bytes([buf[0], buf[1]]);
        let len = u16::from_be_bytes([buf[2], buf[3]]) as usize;
        if len < 4 || len > buf.len() {
            return Err(malformed(format!("invalid part length {len}")));
        }
        let payload = &buf[4..len];
        let rest = &buf[len..];
        match kind {
            part::HOST => state.vl.host = read_string(payload)?,
            part::PLUGIN => state.vl.plugin = read_string(payload)?,
            part::PLUGIN_INSTANCE => state.vl.plugin_instance = read_string(payload)?,
            part::TYPE => state.vl.type_name = read_string(payload)?,
            part::TYPE_INSTANCE => state.vl.type_instance = read_string(payload)?,
            part::TIME => state.vl.time_ns = secs_to_ns(read_u64(payload)?),
            part::TIME_HR => state.vl.time_ns = hr_to_ns(read_u64(payload)?),
            part::INTERVAL => state.vl.interval_ns = secs_to_ns(read_u64(payload)?),
            part::INTERVAL_HR => state.vl.interval_ns = hr_to_ns(read_u64(payload)?),
            part::VALUES => {
                let values = read_values(payload)?;
                let required = match opts.security {
                    SecurityLevel::None => Trust::Plain,
                    SecurityLevel::Sign => Trust::Signed,
                    SecurityLevel::Encrypt => Trust::Encrypted,
                };
                if trust < required {
                    let what = if trust == Trust::Plain {
                        "unsigned"
                    } else {
                        "unencrypted"
                    };
                    return Err(PacketError::Insecure(what, level_name(opts.security)));
                }
                let mut vl = state.vl.clone();
                vl.values = values;
                if let Some(ds) = opts.types.get(&vl.type_name) {
                    if ds.len() != vl.values.len() {
                        return Err(malformed(format!(
                            "type {:?} has {} data sources but {} values were sent",
                            vl.type_name,
                            ds.len(),
                            vl.values.len()
                        )));
                    }
                    vl.ds_names = ds.iter().map(|d| d.name.clone()).collect();
                }
                out.push(vl);
            }
            part::SIGN_SHA256 => {
                if payload.len() < 32 {
                    return Err(malformed("signature part too short"));
                }
                let (mac, user) = payload.split_at(32);
                let user = String::from_utf8_lossy(user).to_string();
                if opts.security == SecurityLevel::None {
                    // Not checked at level none; the signed data is read as plain data.
                    buf = rest;
                    continue;
                }
                let password = opts
                    .auth
                    .password(&user)
                    .ok_or_else(|| PacketError::BadSignature(user.clone()))?;
                let mut h = <Hmac<Sha256> as Mac>::new_from_slice(password.as_bytes())
                    .map_err(|_| PacketError::BadSignature(user.clone()))?;
                h.update(user.as_bytes());
                h.update(rest);
                h.verify_slice(mac)
                    .map_err(|_| PacketError::BadSignature(user.clone()))?;
                let inner = trust.max(Trust::Signed);
                return parse_parts(rest, opts, inner, state, out, depth + 1);
            }
            part::ENCRYPT_AES256 => {
                if payload.len() < 2 {
                    return Err(malformed("encryption part too short"));
                }
                let user_len = u16::from_be_bytes([payload[0], payload[1]]) as usize;
                if payload.len() < 2 + user_len + 16 + 20 {
                    return Err(malformed("encryption part too short"));
                }
                let user = String::from_utf8_lossy(&payload[2..2 + user_len]).to_string();
                let iv = &payload[2 + user_len..2 + user_len + 16];
                let password = opts
                    .auth
                    .password(&user)
                    .ok_or_else(|| PacketError::DecryptFailed(user.clone()))?;
                let key = Sha256::digest(password.as_bytes());
                let mut data = payload[2 + user_len + 16..].to_vec();
                let mut cipher = ofb::Ofb::<aes::Aes256>::new_from_slices(&key, iv)
                    .map_err(|_| PacketError::DecryptFailed(user.clone()))?;
                cipher.apply_keystream(&mut data);
                let (hash, inner) = data.split_at(20);
                if Sha1::digest(inner).as_slice() != hash {
                    return Err(PacketError::DecryptFailed(user));
                }
                parse_parts(inner, opts, Trust::Encrypted, state, out, depth + 1)?;
            }
            // Notifications and unknown parts are skipped.
            _ => {}
        }
        buf = rest;
    }
    Ok(())
}

/// Builds collectd packets (tests, and tools that send to a collectd listener).
pub mod encode {
    use super::*;

    /// Appends a string part.
    pub fn string(out: &mut Vec<u8>, kind: u16, s: &str) {
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&((s.len() + 5) as u16).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }

    /// Appends a numeric part.
    pub fn numeric(out: &mut Vec<u8>, kind: u16, v: u64) {
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&12u16.to_be_bytes());
        out.extend_from_slice(&v.to_be_bytes());
    }

    /// Appends a values part.
    pub fn values(out: &mut Vec<u8>, values: &[Value]) {
        out.extend_from_slice(&part::VALUES.to_be_bytes());
        out.extend_from_slice(&((6 + values.len() * 9) as u16).to_be_bytes());
        out.extend_from_slice(&(values.len() as u16).to_be_bytes());
        for v in values {
            out.push(match v {
                Value::Counter(_) => 0,
                Value::Gauge(_) => 1,
                Value::Derive(_) => 2,
                Value::Absolute(_) => 3,
            });
        }
        for v in values {
            match v {
                Value::Counter(x) | Value::Absolute(x) => out.extend_from_slice(&x.to_be_bytes()),
                Value::Gauge(x) => out.extend_from_slice(&x.to_le_bytes()),
                Value::Derive(x) => out.extend_from_slice(&x.to_be_bytes()),
            }
        }
    }

    /// Wraps `inner` in a signature part (HMAC-SHA256 over user ‖ inner).
    pub fn sign(inner: &[u8], user: &str, password: &str) -> Vec<u8> {
        let mut h = <Hmac<Sha256> as Mac>::new_from_slice(password.as_bytes())
            .expect("HMAC accepts any key length");
        h.update(user.as_bytes());
        h.update(inner);
        let mac = h.finalize().into_bytes();
        let mut out = Vec::new();
        out.extend_from_slice(&part::SIGN_SHA256.to_be_bytes());
        out.extend_from_slice(&((4 + 32 + user.len()) as u16).to_be_bytes());
        out.extend_from_slice(&mac);
        out.extend_from_slice(user.as_bytes());
        out.extend_from_slice(inner);
        out
    }

    /// Wraps `inner` in an encryption part (AES-256-OFB, SHA-1 checksum).
    pub fn encrypt(inner: &[u8], user: &str, password: &str, iv: [u8; 16]) -> Vec<u8> {
        let key = Sha256::digest(password.as_bytes());
        let mut data = Sha1::digest(inner).to_vec();
        data.extend_from_slice(inner);
        let mut cipher = ofb::Ofb::<aes::Aes256>::new_from_slices(&key, &iv)
            .expect("key and IV sizes are fixed");
        cipher.apply_keystream(&mut data);
        let mut out = Vec::new();
        out.extend_from_slice(&part::ENCRYPT_AES256.to_be_bytes());
        out.extend_from_slice(&((4 + 2 + user.len() + 16 + data.len()) as u16).to_be_bytes());
        out.extend_from_slice(&(user.len() as u16).to_be_bytes());
        out.extend_from_slice(user.as_bytes());
        out.extend_from_slice(&iv);
        out.extend_from_slice(&data);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::encode::*;
    use super::*;

    fn sample() -> Vec<u8> {
        let mut p = Vec::new();
        string(&mut p, part::HOST, "web01");
        numeric(&mut p, part::TIME_HR, (1_700_000_000u64 << 30) | (1 << 29));
        numeric(&mut p, part::INTERVAL_HR, 10 << 30);
        string(&mut p, part::PLUGIN, "load");
        string(&mut p, part::PLUGIN_INSTANCE, "");
        string(&mut p, part::TYPE, "load");
        string(&mut p, part::TYPE_INSTANCE, "");
        values(
            &mut p,
            &[Value::Gauge(0.5), Value::Gauge(0.25), Value::Gauge(0.125)],
        );
        string(&mut p, part::PLUGIN, "interface");
        string(&mut p, part::PLUGIN_INSTANCE, "eth0");
        string(&mut p, part::TYPE, "if_octets");
        values(&mut p, &[Value::Derive(-5), Value::Counter(7)]);
        p
    }

    fn opts(level: SecurityLevel) -> ParseOptions {
        ParseOptions {
            types: TypesDb::embedded(),
            security: level,
            auth: AuthFile::single("alice", "secret"),
        }
    }

    #[test]
    fn parses_plain_packet() {
        let vls = parse_packet(&sample(), &opts(SecurityLevel::None)).unwrap();
        assert_eq!(vls.len(), 2);
        assert_eq!(vls[0].host, "web01");
        assert_eq!(vls[0].time_ns, 1_700_000_000_500_000_000);
        assert_eq!(vls[0].interval_ns, 10_000_000_000);
        assert_eq!(vls[0].ds_names, vec!["shortterm", "midterm", "longterm"]);
        assert_eq!(vls[0].values[2], Value::Gauge(0.125));
        // State carries over: host and time from the first list.
        assert_eq!(vls[1].host, "web01");
        assert_eq!(vls[1].plugin_instance, "eth0");
        assert_eq!(vls[1].values, vec![Value::Derive(-5), Value::Counter(7)]);
        assert_eq!(vls[1].ds_name(1), "tx");
    }

    #[test]
    fn unknown_types_get_default_names() {
        let mut p = Vec::new();
        string(&mut p, part::PLUGIN, "x");
        string(&mut p, part::TYPE, "mystery");
        values(&mut p, &[Value::Gauge(1.0)]);
        values(&mut p, &[Value::Gauge(1.0), Value::Gauge(2.0)]);
        let vls = parse_packet(&p, &opts(SecurityLevel::None)).unwrap();
        assert_eq!(vls[0].ds_name(0), "value");
        assert_eq!(vls[1].ds_name(1), "1");
    }

    #[test]
    fn malformed_packets_are_rejected() {
        let o = opts(SecurityLevel::None);
        assert!(parse_packet(&[0, 0, 0], &o).is_err());
        assert!(parse_packet(&[0, 0, 0, 2], &o).is_err());
        assert!(parse_packet(&[0, 0, 0, 9, b'a'], &o).is_err());
        assert!(parse_packet(&[0, 0, 0, 5, b'a'], &o).is_err()); // no NUL
        assert!(parse_packet(&[0, 1, 0, 8, 0, 0, 0, 0], &o).is_err()); // short numeric
        let mut p = Vec::new();
        string(&mut p, part::TYPE, "load");
        values(&mut p, &[Value::Gauge(1.0)]); // load wants 3
        assert!(parse_packet(&p, &o).is_err());
        let mut bad_type = Vec::new();
        values(&mut bad_type, &[Value::Gauge(1.0)]);
        bad_type[6] = 9;
        assert!(parse_packet(&bad_type, &o).is_err());
    }

    #[test]
    fn signed_packets() {
        let signed = sign(&sample(), "alice", "secret");
        for level in [SecurityLevel::None, SecurityLevel::Sign] {
            assert_eq!(parse_packet(&signed, &opts(level)).unwrap().len(), 2);
        }
        assert_eq!(
            parse_packet(&signed, &opts(SecurityLevel::Encrypt)),
            Err(PacketError::Insecure("unencrypted", "encrypt"))
        );
        assert_eq!(
            parse_packet(&sample(), &opts(SecurityLevel::Sign)),
            Err(PacketError::Insecure("unsigned", "sign"))
        );
        let wrong = sign(&sample(), "alice", "nope");
        assert_eq!(
            parse_packet(&wrong, &opts(SecurityLevel::Sign)),
            Err(PacketError::BadSignature("alice".into()))
        );
        let mut tampered = signed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(parse_packet(&tampered, &opts(SecurityLevel::Sign)).is_err());
        let unknown = sign(&sample(), "bob", "secret");
        assert!(parse_packet(&unknown, &opts(SecurityLevel::Sign)).is_err());
    }

    #[test]
    fn encrypted_packets() {
        let enc = encrypt(&sample(), "alice", "secret", [7u8; 16]);
        for level in [
            SecurityLevel::None,
            SecurityLevel::Sign,
            SecurityLevel::Encrypt,
        ] {
            let vls = parse_packet(&enc, &opts(level)).unwrap();
            assert_eq!(vls.len(), 2);
            assert_eq!(vls[1].type_name, "if_octets");
        }
        let wrong = encrypt(&sample(), "alice", "other", [7u8; 16]);
        assert_eq!(
            parse_packet(&wrong, &opts(SecurityLevel::Encrypt)),
            Err(PacketError::DecryptFailed("alice".into()))
        );
        assert_eq!(
            parse_packet(&sample(), &opts(SecurityLevel::Encrypt)),
            Err(PacketError::Insecure("unsigned", "encrypt"))
        );
    }

    #[test]
    fn auth_file_format() {
        let a = AuthFile::parse("# users\nalice: secret\n bob:pw with space \n\nbroken\n");
        assert_eq!(a.password("alice"), Some("secret"));
        assert_eq!(a.password("bob"), Some("pw with space"));
        assert_eq!(a.password("broken"), None);
    }

    #[test]
    fn hr_time_rounds_to_nanoseconds() {
        assert_eq!(hr_to_ns(1 << 30), 1_000_000_000);
        assert_eq!(hr_to_ns((3 << 30) | (1 << 28)), 3_250_000_000);
    }
}
