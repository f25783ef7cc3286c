//! `mqtt` handler: publishes the alert message to an MQTT topic (MQTT
//! 3.1.1 over plain TCP). Options (handler, over the `[mqtt]` section):
//! `topic` (required), `qos` (0, 1 or 2; default 0), `retained`,
//! `broker-name` (must name the configured broker when given); section:
//! `name`, `url` (`tcp://host:1883`), `client-id`, `username`, `password`.
//! Each event opens a connection, publishes, waits for the broker's
//! acknowledgement (QoS 1 and 2) and disconnects.

use rumqttc::{AsyncClient, Event, MqttOptions as ClientOptions, Outgoing, Packet, QoS};

use super::opts::Opts;
use crate::alert::AlertEvent;

/// MQTT handler options.
#[derive(Debug, Clone)]
pub struct MqttOptions {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// Client id (generated when empty).
    pub client_id: String,
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Topic to publish to.
    pub topic: String,
    /// Quality of service, 0..=2.
    pub qos: u8,
    /// Retain the message.
    pub retained: bool,
}

/// Splits `tcp://host:port` (or `host:port`; port 1883 when absent).
fn broker_addr(url: &str) -> Result<(String, u16), String> {
    let rest = match url.split_once("://") {
        Some(("tcp" | "mqtt", r)) => r,
        Some((scheme, _)) => {
            return Err(format!(
                "not supported yet: mqtt broker scheme {scheme:?} (only tcp://)"
            ))
        }
        None => url,
    };
    let rest = rest.trim_end_matches('/');
    match rest.rsplit_once(':') {
        Some((h, p)) => Ok((
            h.to_string(),
            p.parse()
                .map_err(|_| format!("mqtt handler: invalid broker port in {url:?}"))?,
        )),
        None => Ok((rest.to_string(), 1883)),
    }
}

impl MqttOptions {
    /// Reads the merged options.
    pub fn parse(o: &Opts) -> Result<MqttOptions, String> {
        let broker = o.string("broker-name")?;
        let name = o.string("name")?;
        if !broker.is_empty() && broker != name {
            return Err(format!(
                "mqtt handler: unknown broker-name {broker:?} (the [mqtt] section is broker {name:?})"
            ));
        }
        let qos = o.int("qos", 0)?;
        if !(0..=2).contains(&qos) {
            return Err(format!("mqtt handler: qos must be 0, 1 or 2, got {qos}"));
        }
        let url = o.string("url")?;
        let (host, port) = if url.is_empty() {
            (String::new(), 0)
        } else {
            broker_addr(&url)?
        };
        Ok(MqttOptions {
            host,
            port,
            client_id: o.string("client-id")?,
            username: o.string("username")?,
            password: o.string("password")?,
            topic: o.string("topic")?,
            qos: qos as u8,
            retained: o.bool("retained")?,
        })
    }
}

/// Publishes the event's message.
pub async fn deliver(opts: &MqttOptions, event: &AlertEvent) -> Result<(), String> {
    if opts.host.is_empty() {
        return Err(
            "mqtt handler: missing option \"url\" (the broker, in the [mqtt] section)".into(),
        );
    }
    if opts.topic.is_empty() {
        return Err("mqtt handler: missing option \"topic\"".into());
    }
    let id = if opts.client_id.is_empty() {
        format!(
            "almanac-{}",
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        )
    } else {
        opts.client_id.clone()
    };
    let mut co = ClientOptions::new(id, opts.host.clone(), opts.port);
    co.set_keep_alive(std::time::Duration::from_secs(30));
    if !opts.username.is_empty() {
        co.set_credentials(opts.username.clone(), opts.password.clone());
    }
    let qos = match opts.qos {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    };
    let (client, mut events) = AsyncClient::new(co, 10);
    client
        .publish(
            opts.topic.clone(),
            qos,
            opts.retained,
            event.state.message.clone().into_bytes(),
        )
        .await
        .map_err(|e| format!("mqtt handler: {e}"))?;
    let run = async {
        let mut disconnecting = false;
        loop {
            let ev = events
                .poll()
                .await
                .map_err(|e| format!("mqtt handler {}:{}: {e}", opts.host, opts.port))?;
            let done = match &ev {
                Event::Outgoing(Outgoing::Publish(_)) => qos == QoS::AtMostOnce,
                Event::Incoming(Packet::PubAck(_)) => qos == QoS::AtLeastOnce,
                Event::Incoming(Packet::PubComp(_)) => true,
                Event::Outgoing(Outgoing::Disconnect) => return Ok(()),
                _ => false,
            };
            if done && !disconnecting {
                disconnecting = true;
                client
                    .disconnect()
                    .await
                    .map_err(|e| format!("mqtt handler: {e}"))?;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), run)
        .await
        .map_err(|_| format!("mqtt handler {}:{}: timed out", opts.host, opts.port))?
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{event, spec};
    use crate::alert::Level;
    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Reads one MQTT packet: (first byte, body).
    async fn packet(s: &mut tokio::net::TcpStream) -> (u8, Vec<u8>) {
        let first = s.read_u8().await.unwrap();
        let (mut len, mut mult) = (0usize, 1usize);
        loop {
            let b = s.read_u8().await.unwrap();
            len += (b & 127) as usize * mult;
            mult *= 128;
            if b & 128 == 0 {
                break;
            }
        }
        let mut body = vec![0; len];
        s.read_exact(&mut body).await.unwrap();
        (first, body)
    }

    #[tokio::test]
    async fn publishes_to_a_broker_and_waits_for_puback() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let broker = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let (connect, body) = packet(&mut s).await;
            assert_eq!(connect, 0x10);
            assert_eq!(&body[2..6], b"MQTT");
            s.write_all(&[0x20, 2, 0, 0]).await.unwrap();
            let (first, body) = packet(&mut s).await;
            let tlen = u16::from_be_bytes([body[0], body[1]]) as usize;
            let topic = String::from_utf8(body[2..2 + tlen].to_vec()).unwrap();
            let pkid = [body[2 + tlen], body[3 + tlen]];
            let payload = String::from_utf8(body[4 + tlen..].to_vec()).unwrap();
            s.write_all(&[0x40, 2, pkid[0], pkid[1]]).await.unwrap();
            let (disconnect, _) = packet(&mut s).await;
            (first, topic, payload, disconnect)
        });
        let s = spec(
            "mqtt",
            json!({"url": format!("tcp://127.0.0.1:{port}"), "topic": "alerts/cpu",
                   "qos": 1, "retained": true}),
        );
        super::super::deliver(&reqwest::Client::new(), &s, &event(Level::Critical))
            .await
            .unwrap();
        let (first, topic, payload, disconnect) = broker.await.unwrap();
        // PUBLISH, QoS 1, retain.
        assert_eq!(first, 0x30 | 0b0010 | 1);
        assert_eq!(topic, "alerts/cpu");
        assert_eq!(payload, "cpu is high");
        assert_eq!(disconnect, 0xE0);
    }

    #[test]
    fn broker_url_forms() {
        assert_eq!(
            super::broker_addr("tcp://h:1884").unwrap(),
            ("h".into(), 1884)
        );
        assert_eq!(super::broker_addr("h").unwrap(), ("h".into(), 1883));
        assert!(super::broker_addr("ssl://h:8883")
            .unwrap_err()
            .starts_with("not supported yet"));
    }
}
