//! `smtp` handler (`.email()` in TICKscript): mails the alert with the
//! message as subject and the details as an HTML body, through the SMTP
//! server of the `[smtp]` section. STARTTLS is used when the server offers
//! it (implicit TLS on port 465); `no-verify` accepts any certificate.
//! Connections are pooled and closed after `idle-timeout`. Options
//! (handler, over the section): `to` (list); section: `host`, `port`,
//! `username`, `password`, `from`, `to`, `no-verify`, `idle-timeout`.

use std::sync::OnceLock;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use parking_lot::Mutex;

use super::opts::Opts;
use crate::alert::AlertEvent;

/// SMTP handler options.
#[derive(Debug, Clone, PartialEq)]
pub struct SmtpOptions {
    /// Server host.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Login (no authentication when empty).
    pub username: String,
    /// Password.
    pub password: String,
    /// Accept any TLS certificate.
    pub no_verify: bool,
    /// Sender address.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Idle time before a pooled connection is closed, ns.
    pub idle_timeout: i64,
}

impl SmtpOptions {
    /// Reads the merged options.
    pub fn parse(o: &Opts) -> Result<SmtpOptions, String> {
        let port = o.int("port", 25)?;
        let port = u16::try_from(port).map_err(|_| format!("smtp handler: invalid port {port}"))?;
        let opts = SmtpOptions {
            host: o.string("host")?,
            port,
            username: o.string("username")?,
            password: o.string("password")?,
            no_verify: o.bool("no-verify")?,
            from: o.string("from")?,
            to: o.strings("to")?,
            idle_timeout: o.duration("idle-timeout", 30_000_000_000)?,
        };
        for a in opts
            .to
            .iter()
            .chain(std::iter::once(&opts.from).filter(|f| !f.is_empty()))
        {
            a.parse::<Mailbox>()
                .map_err(|e| format!("smtp handler: invalid address {a:?}: {e}"))?;
        }
        Ok(opts)
    }
}

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// The pooled transport for the current server settings.
fn transport(opts: &SmtpOptions) -> Result<Transport, String> {
    static CACHE: OnceLock<Mutex<Option<(String, Transport)>>> = OnceLock::new();
    let key = format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
        opts.host, opts.port, opts.username, opts.password, opts.no_verify, opts.idle_timeout
    );
    let mut cache = CACHE.get_or_init(|| Mutex::new(None)).lock();
    if let Some((k, t)) = &*cache {
        if *k == key {
            return Ok(t.clone());
        }
    }
    let params = TlsParameters::builder(opts.host.clone())
        .dangerous_accept_invalid_certs(opts.no_verify)
        .build()
        .map_err(|e| format!("smtp handler: TLS setup: {e}"))?;
    let tls = if opts.port == 465 {
        Tls::Wrapper(params)
    } else {
        Tls::Opportunistic(params)
    };
    let idle = std::time::Duration::from_nanos(opts.idle_timeout.max(1_000_000) as u64);
    let mut b = Transport::builder_dangerous(&opts.host)
        .port(opts.port)
        .tls(tls)
        .timeout(Some(std::time::Duration::from_secs(30)))
        .pool_config(PoolConfig::new().idle_timeout(idle));
    if !opts.username.is_empty() {
        b = b.credentials(Credentials::new(
            opts.username.clone(),
            opts.password.clone(),
        ));
    }
    let t = b.build();
    *cache = Some((key, t.clone()));
    Ok(t)
}

/// The mail for an event.
pub fn message(opts: &SmtpOptions, event: &AlertEvent) -> Result<Message, String> {
    if opts.from.is_empty() {
        return Err("smtp handler: missing option \"from\" (in the [smtp] section)".into());
    }
    if opts.to.is_empty() {
        return Err(
            "smtp handler: no recipients (give \"to\" in the handler or the [smtp] section)".into(),
        );
    }
    let mut b = Message::builder()
        .from(
            opts.from
                .parse::<Mailbox>()
                .map_err(|e| format!("smtp handler: from: {e}"))?,
        )
        .subject(event.state.message.clone())
        .header(ContentType::TEXT_HTML);
    for to in &opts.to {
        b = b.to(to
            .parse::<Mailbox>()
            .map_err(|e| format!("smtp handler: to {to:?}: {e}"))?);
    }
    b.body(event.state.details.clone())
        .map_err(|e| format!("smtp handler: {e}"))
}

/// Sends the event.
pub async fn deliver(opts: &SmtpOptions, event: &AlertEvent) -> Result<(), String> {
    if opts.host.is_empty() {
        return Err("smtp handler: missing option \"host\" (in the [smtp] section)".into());
    }
    let m = message(opts, event)?;
    transport(opts)?
        .send(m)
        .await
        .map(|_| ())
        .map_err(|e| format!("smtp handler {}:{}: {e}", opts.host, opts.port))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{event, spec};
    use crate::alert::Level;
    use serde_json::json;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    /// A minimal SMTP sink: records the envelope and the message data.
    async fn sink(l: tokio::net::TcpListener) -> (Vec<String>, String) {
        let (s, _) = l.accept().await.unwrap();
        let (r, mut w) = s.into_split();
        let mut r = BufReader::new(r);
        w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
        let mut commands = Vec::new();
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await.unwrap() == 0 {
                panic!("client left before DATA");
            }
            let cmd = line.trim_end().to_string();
            let verb = cmd.split(' ').next().unwrap_or("").to_ascii_uppercase();
            commands.push(cmd);
            match verb.as_str() {
                "EHLO" => w.write_all(b"250-sink\r\n250 8BITMIME\r\n").await.unwrap(),
                "DATA" => {
                    w.write_all(b"354 go ahead\r\n").await.unwrap();
                    let mut data = String::new();
                    loop {
                        let mut l = String::new();
                        r.read_line(&mut l).await.unwrap();
                        if l == ".\r\n" {
                            break;
                        }
                        data.push_str(&l);
                    }
                    w.write_all(b"250 queued\r\n").await.unwrap();
                    return (commands, data);
                }
                _ => w.write_all(b"250 ok\r\n").await.unwrap(),
            }
        }
    }

    #[tokio::test]
    async fn mails_message_as_subject_and_details_as_body() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let server = tokio::spawn(sink(l));
        let s = spec(
            "smtp",
            json!({"host": "127.0.0.1", "port": port, "from": "kapacitor@example.com",
                   "to": ["ops@example.com", "Bob <bob@example.com>"]}),
        );
        super::super::deliver(&reqwest::Client::new(), &s, &event(Level::Critical))
            .await
            .unwrap();
        let (commands, data) = server.await.unwrap();
        assert!(commands[0].starts_with("EHLO "), "{commands:?}");
        assert_eq!(
            &commands[1..],
            [
                "MAIL FROM:<kapacitor@example.com>",
                "RCPT TO:<ops@example.com>",
                "RCPT TO:<bob@example.com>",
                "DATA"
            ]
        );
        assert!(data.contains("From: kapacitor@example.com\r\n"), "{data}");
        assert!(
            data.contains("To: ops@example.com, Bob <bob@example.com>\r\n"),
            "{data}"
        );
        assert!(data.contains("Subject: cpu is high\r\n"), "{data}");
        assert!(
            data.contains("Content-Type: text/html; charset=utf-8\r\n"),
            "{data}"
        );
        assert!(data.ends_with("\r\n\r\n<b>details</b>\r\n"), "{data}");
    }

    #[test]
    fn rejects_bad_addresses() {
        let e =
            super::super::validate(&spec("smtp", json!({"to": ["not an address"]}))).unwrap_err();
        assert!(e.contains("invalid address \"not an address\""), "{e}");
    }
}
