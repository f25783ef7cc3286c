//! Real collectd (Debian's `collectd-core`) sending to the collectd listener
//! with its network plugin, encrypted and signed. Skipped when
//! `/usr/sbin/collectd` is not installed.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use almanac_protocols::collectd::{AuthFile, CollectdListener, ParseOptions, TypesDb};
use almanac_protocols::config::{CollectdConfig, ParseMultiValuePlugin, SecurityLevel};
use almanac_protocols::{PointSink, SharedSink, SinkError};
use async_trait::async_trait;
use tokio::sync::oneshot;

const COLLECTD: &str = "/usr/sbin/collectd";
const TYPES_DB: &str = "/usr/share/collectd/types.db";

#[derive(Default)]
struct MemSink(Mutex<Vec<String>>);

#[async_trait]
impl PointSink for MemSink {
    async fn write(&self, _db: &str, _rp: Option<&str>, lines: Vec<u8>) -> Result<(), SinkError> {
        let text = String::from_utf8(lines).map_err(|e| SinkError::Other(e.to_string()))?;
        self.0
            .lock()
            .unwrap()
            .extend(text.lines().map(str::to_string));
        Ok(())
    }
}

async fn listener(
    level: SecurityLevel,
    mode: ParseMultiValuePlugin,
) -> (
    u16,
    Arc<MemSink>,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let cfg = CollectdConfig {
        bind_address: "127.0.0.1:0".into(),
        batch_timeout: Duration::from_millis(50),
        security_level: level,
        parse_multivalue_plugin: mode,
        ..CollectdConfig::default()
    };
    let opts = ParseOptions {
        types: TypesDb::load(Path::new(TYPES_DB)).unwrap(),
        security: level,
        auth: AuthFile::parse("alice: s3cret\n"),
    };
    let l = CollectdListener::bind_with(cfg, opts).await.unwrap();
    let port = l.local_addr().unwrap().port();
    let sink = Arc::new(MemSink::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let s = sink.clone() as SharedSink;
    let task = tokio::spawn(async move {
        l.run(s, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (port, sink, stop, task)
}

#[tokio::test]
async fn real_collectd_network_plugin() {
    if !Path::new(COLLECTD).exists() || !Path::new(TYPES_DB).exists() {
        eprintln!("skipped: {COLLECTD} (Debian package collectd-core) not installed");
        return;
    }
    let (enc_port, enc_sink, enc_stop, enc_task) =
        listener(SecurityLevel::Encrypt, ParseMultiValuePlugin::Split).await;
    let (sig_port, sig_sink, sig_stop, sig_task) =
        listener(SecurityLevel::Sign, ParseMultiValuePlugin::Join).await;

    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("collectd.conf");
    std::fs::write(
        &conf,
        format!(
            r#"Hostname "almanac-test"
FQDNLookup false
Interval 1
BaseDir "{base}"
PIDFile "{base}/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "{TYPES_DB}"
LoadPlugin logfile
<Plugin logfile>
  LogLevel "warning"
  File "{base}/collectd.log"
</Plugin>
LoadPlugin load
LoadPlugin memory
LoadPlugin network
<Plugin network>
  <Server "127.0.0.1" "{enc_port}">
    SecurityLevel Encrypt
    Username "alice"
    Password "s3cret"
  </Server>
  <Server "127.0.0.1" "{sig_port}">
    SecurityLevel Sign
    Username "alice"
    Password "s3cret"
  </Server>
</Plugin>
"#,
            base = dir.path().display()
        ),
    )
    .unwrap();
    let mut child = tokio::process::Command::new(COLLECTD)
        .arg("-f")
        .arg("-C")
        .arg(&conf)
        .kill_on_drop(true)
        .spawn()
        .expect("start collectd");

    let has =
        |sink: &MemSink, prefix: &str| sink.0.lock().unwrap().iter().any(|l| l.starts_with(prefix));
    let mut ok = false;
    for _ in 0..150 {
        if has(&enc_sink, "load_shortterm,")
            && has(&enc_sink, "memory_value,")
            && has(&sig_sink, "load,")
        {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    let log = std::fs::read_to_string(dir.path().join("collectd.log")).unwrap_or_default();
    let enc_lines = enc_sink.0.lock().unwrap().clone();
    let sig_lines = sig_sink.0.lock().unwrap().clone();
    assert!(
        ok,
        "collectd data not received\nencrypted: {enc_lines:?}\nsigned: {sig_lines:?}\nlog: {log}"
    );

    // Split (encrypted listener): one point per data source.
    let load = enc_lines
        .iter()
        .find(|l| l.starts_with("load_shortterm,"))
        .unwrap();
    assert!(
        load.starts_with("load_shortterm,host=almanac-test,type=load value="),
        "{load}"
    );
    let mem = enc_lines
        .iter()
        .find(|l| l.starts_with("memory_value,"))
        .unwrap();
    assert!(
        mem.starts_with("memory_value,host=almanac-test,type=memory,type_instance="),
        "{mem}"
    );
    // Timestamps are recent, in ns.
    let ts: i64 = load.rsplit(' ').next().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    assert!((now - ts).abs() < 120_000_000_000, "{ts} vs {now}");

    // Join (signed listener): one point per value list.
    let joined = sig_lines.iter().find(|l| l.starts_with("load,")).unwrap();
    assert!(
        joined.starts_with("load,host=almanac-test,type=load shortterm="),
        "{joined}"
    );
    assert!(
        joined.contains(",midterm=") && joined.contains(",longterm="),
        "{joined}"
    );

    enc_stop.send(()).unwrap();
    sig_stop.send(()).unwrap();
    enc_task.await.unwrap();
    sig_task.await.unwrap();
}
