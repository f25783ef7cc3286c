//! The plugin registry: every implemented plugin, and Telegraf plugins known to be missing.

use crate::plugin::{Aggregator, Input, Output, PluginSpec, Processor};
use crate::{aggregators, inputs, outputs, processors};

/// Implemented inputs.
pub fn inputs() -> &'static [PluginSpec<dyn Input>] {
    inputs::SPECS
}

/// Implemented outputs.
pub fn outputs() -> &'static [PluginSpec<dyn Output>] {
    outputs::SPECS
}

/// Implemented processors.
pub fn processors() -> &'static [PluginSpec<dyn Processor>] {
    processors::SPECS
}

/// Implemented aggregators.
pub fn aggregators() -> &'static [PluginSpec<dyn Aggregator>] {
    aggregators::SPECS
}

/// Telegraf plugins this agent does not implement (rejected with "not supported yet").
const UNSUPPORTED: &[(&str, &[&str])] = &[
    (
        "inputs",
        &[
            "grok",
            "snmp",
            "snmp_trap",
            "mysql",
            "mongodb",
            "kafka_consumer",
            "mqtt_consumer",
            "nats_consumer",
            "amqp_consumer",
            "kubernetes",
            "kube_inventory",
            "vsphere",
            "win_perf_counters",
            "win_services",
            "win_eventlog",
            "apache",
            "haproxy",
            "elasticsearch",
            "rabbitmq",
            "zookeeper",
            "smart",
            "ipmi_sensor",
            "sensors",
            "nvidia_smi",
            "conntrack",
            "interrupts",
            "linux_sysctl_fs",
            "nstat",
            "zfs",
            "ceph",
            "consul",
            "jolokia2_agent",
            "opcua",
            "modbus",
            "gnmi",
            "cloudwatch",
            "stackdriver",
            "sqlserver",
            "memcached",
            "phpfpm",
            "x509_cert",
            "ntpq",
            "chrony",
            "bond",
            "wireless",
            "ethtool",
            "iptables",
            "nftables",
            "systemd_units",
            "disque",
            "couchdb",
            "influxdb",
            "cgroup",
            "mdstat",
            "hddtemp",
            "lvm",
            "net_response",
            "openldap",
            "powerdns",
            "varnish",
            "fail2ban",
            "filecount",
            "filestat",
            "kapacitor",
            "tengine",
            "uwsgi",
            "nsq",
            "riak",
            "cassandra",
            "logparser",
            "opentelemetry",
            "cloud_pubsub",
            "github",
            "upsd",
            "wireguard",
            "directory_monitor",
            "kernel_vmstat",
            "infiniband",
            "nginx_plus",
            "beat",
            "fluentd",
            "mem_buddyinfo",
            "slab",
            "supervisor",
            "processes_cgroup",
            "radius",
            "vault",
            "ldap",
            "socketstat",
            "sflow",
            "netflow",
            "dovecot",
            "postfix",
            "varnish",
            "ntp",
        ],
    ),
    (
        "outputs",
        &[
            "kafka",
            "mqtt",
            "opentsdb",
            "elasticsearch",
            "cloudwatch",
            "loki",
            "amqp",
            "nats",
            "health",
            "sql",
            "websocket",
            "stackdriver",
            "azure_monitor",
            "datadog",
            "wavefront",
            "opentelemetry",
            "kinesis",
            "postgresql",
            "exec",
            "execd",
            "nsq",
            "remotefile",
            "syslog",
            "timestream",
            "cratedb",
            "librato",
            "newrelic",
            "signalfx",
            "sumologic",
            "warp10",
            "zabbix",
            "iotdb",
            "clarify",
        ],
    ),
    (
        "processors",
        &[
            "starlark",
            "execd",
            "topk",
            "clone",
            "pivot",
            "unpivot",
            "parser",
            "lookup",
            "ifname",
            "reverse_dns",
            "s2geo",
            "port_name",
            "defaults",
            "noise",
            "template",
            "split",
            "scale",
            "filter",
            "timestamp",
            "snmp_lookup",
            "aws_ec2",
        ],
    ),
    ("aggregators", &["starlark"]),
];

/// True when `kind.name` is a real Telegraf plugin we do not implement.
pub fn is_known_unsupported(kind: &str, name: &str) -> bool {
    UNSUPPORTED
        .iter()
        .any(|(k, names)| *k == kind && names.contains(&name))
}

/// Sample-config text for the selected plugins (all when the lists are empty).
pub fn sample_config(
    inputs_sel: &[String],
    outputs_sel: &[String],
    processors_sel: &[String],
    aggregators_sel: &[String],
) -> String {
    let pick = |sel: &[String], name: &str| sel.is_empty() || sel.iter().any(|s| s == name);
    let mut out = String::from(AGENT_SAMPLE);
    out.push_str("\n###############################################################################\n#                            OUTPUT PLUGINS                                   #\n###############################################################################\n\n");
    for s in outputs() {
        if pick(outputs_sel, s.name) {
            out.push_str(&format!("# {}\n{}\n", s.description, s.sample.trim_end()));
            out.push('\n');
        }
    }
    out.push_str("\n###############################################################################\n#                            PROCESSOR PLUGINS                                #\n###############################################################################\n\n");
    for s in processors() {
        if !processors_sel.is_empty() && pick(processors_sel, s.name) {
            out.push_str(&format!("# {}\n{}\n\n", s.description, s.sample.trim_end()));
        }
    }
    out.push_str("\n###############################################################################\n#                            AGGREGATOR PLUGINS                               #\n###############################################################################\n\n");
    for s in aggregators() {
        if !aggregators_sel.is_empty() && pick(aggregators_sel, s.name) {
            out.push_str(&format!("# {}\n{}\n\n", s.description, s.sample.trim_end()));
        }
    }
    out.push_str("\n###############################################################################\n#                            INPUT PLUGINS                                    #\n###############################################################################\n\n");
    let defaults = [
        "cpu",
        "disk",
        "diskio",
        "kernel",
        "mem",
        "processes",
        "swap",
        "system",
    ];
    for s in inputs() {
        let chosen = if inputs_sel.is_empty() {
            defaults.contains(&s.name)
        } else {
            pick(inputs_sel, s.name)
        };
        if chosen {
            out.push_str(&format!("# {}\n{}\n\n", s.description, s.sample.trim_end()));
        }
    }
    out
}

/// Usage (sample config) of one plugin, looked up across all kinds.
pub fn usage(name: &str) -> Option<String> {
    let (kind, n) = match name.split_once('.') {
        Some((k, n)) => (Some(k), n),
        None => (None, name),
    };
    let hit = |k: &str| kind.is_none_or(|x| x == k);
    if hit("inputs") {
        if let Some(s) = inputs().iter().find(|s| s.name == n) {
            return Some(format!("# {}\n{}", s.description, s.sample));
        }
    }
    if hit("outputs") {
        if let Some(s) = outputs().iter().find(|s| s.name == n) {
            return Some(format!("# {}\n{}", s.description, s.sample));
        }
    }
    if hit("processors") {
        if let Some(s) = processors().iter().find(|s| s.name == n) {
            return Some(format!("# {}\n{}", s.description, s.sample));
        }
    }
    if hit("aggregators") {
        if let Some(s) = aggregators().iter().find(|s| s.name == n) {
            return Some(format!("# {}\n{}", s.description, s.sample));
        }
    }
    None
}

const AGENT_SAMPLE: &str = r#"# Telegraf-compatible configuration for `almanac agent`.
#
# Environment variables can be used anywhere in this config file, simply surround
# them with ${}. For strings the variable must be within quotes (ie, "${STR_VAR}"),
# for numbers and booleans they should be plain (ie, ${INT_VAR}, ${BOOL_VAR})

# Global tags can be specified here in key="value" format.
[global_tags]
  # dc = "us-east-1" # will tag all metrics with dc=us-east-1

# Configuration for the agent
[agent]
  ## Default data collection interval for all inputs
  interval = "10s"
  ## Rounds collection interval to 'interval'
  round_interval = true

  ## Outputs write metrics in batches of at most metric_batch_size metrics.
  metric_batch_size = 1000

  ## Maximum number of unwritten metrics per output; the oldest are dropped first.
  metric_buffer_limit = 10000

  ## Collection jitter is used to jitter the collection by a random amount.
  collection_jitter = "0s"

  ## Default flushing interval for all outputs.
  flush_interval = "10s"
  ## Jitter the flush interval by a random amount.
  flush_jitter = "0s"

  ## Collected metrics are rounded to the precision specified ("" = ns).
  precision = "0s"

  ## Log at debug level.
  # debug = false
  ## Log only error level messages.
  # quiet = false

  ## Override default hostname, if empty use os.Hostname()
  hostname = ""
  ## If set to true, do no set the "host" tag in the telegraf agent.
  omit_hostname = false
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_unique_and_samples_parse() {
        let mut seen = std::collections::HashSet::new();
        for s in inputs() {
            assert!(seen.insert(format!("i.{}", s.name)), "dup {}", s.name);
            assert!(!is_known_unsupported("inputs", s.name), "{} both", s.name);
        }
        for s in outputs() {
            assert!(seen.insert(format!("o.{}", s.name)));
            assert!(!is_known_unsupported("outputs", s.name), "{} both", s.name);
        }
        for s in processors() {
            assert!(seen.insert(format!("p.{}", s.name)));
            assert!(
                !is_known_unsupported("processors", s.name),
                "{} both",
                s.name
            );
        }
        for s in aggregators() {
            assert!(seen.insert(format!("a.{}", s.name)));
            assert!(
                !is_known_unsupported("aggregators", s.name),
                "{} both",
                s.name
            );
        }
    }

    /// Every plugin's sample config loads (and builds the plugin) as-is.
    #[test]
    fn every_sample_loads() {
        let check = |kind: &str, name: &str, sample: &str| {
            assert!(
                sample.contains(&format!("[[{kind}.{name}]]")),
                "{kind}.{name} sample header"
            );
            let mut c = crate::config::Config::default();
            c.add_text(&format!("{kind}.{name}"), sample, &Default::default())
                .unwrap_or_else(|e| panic!("{kind}.{name}: {e}"));
        };
        for s in inputs() {
            check("inputs", s.name, s.sample);
        }
        for s in outputs() {
            check("outputs", s.name, s.sample);
        }
        for s in processors() {
            check("processors", s.name, s.sample);
        }
        for s in aggregators() {
            check("aggregators", s.name, s.sample);
        }
        let all = sample_config(&[], &[], &[], &[]);
        let mut c = crate::config::Config::default();
        c.add_text("all", &all, &Default::default())
            .expect("full sample loads");
        assert!(usage("cpu").is_some() && usage("outputs.discard").is_some());
        assert!(usage("nope").is_none());
    }
}
