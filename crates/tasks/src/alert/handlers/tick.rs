//! The TICKscript side of the handlers: alert node methods that add a
//! handler (`.email('a@b')`, `.pagerDuty2()`, `.mqtt('topic')`, ...) and the
//! property methods that set the latest handler's options
//! (`.routingKey('x')`, `.channel('#ops')`, ...), mapped to the same option
//! names as the handler specs of topics.

use serde_json::{Map, Value as Json};

use crate::alert::HandlerSpec;
use crate::tick::pipeline::{Arg, Property, Value};
use crate::tick::TickError;

/// How a handler method reads its arguments.
#[derive(Clone, Copy)]
enum Args {
    /// No arguments.
    None,
    /// One required string into this option.
    One(&'static str),
    /// At most one string into this option.
    Optional(&'static str),
    /// Any number of strings, as a list in this option.
    List(&'static str),
    /// `exec`: program then arguments.
    ProgArgs,
}

/// Handler methods: TICKscript name, handler kind, arguments.
const METHODS: &[(&str, &str, Args)] = &[
    ("log", "log", Args::One("path")),
    ("post", "post", Args::Optional("url")),
    ("tcp", "tcp", Args::One("address")),
    ("exec", "exec", Args::ProgArgs),
    ("email", "smtp", Args::List("to")),
    ("slack", "slack", Args::None),
    ("teams", "teams", Args::None),
    ("pagerDuty2", "pagerduty2", Args::None),
    ("opsGenie2", "opsgenie2", Args::None),
    ("victorOps", "victorops", Args::None),
    ("telegram", "telegram", Args::None),
    ("discord", "discord", Args::None),
    ("pushover", "pushover", Args::None),
    ("sensu", "sensu", Args::None),
    ("alerta", "alerta", Args::None),
    ("mqtt", "mqtt", Args::One("topic")),
    ("kafka", "kafka", Args::None),
];

/// How a property method sets its option.
#[derive(Clone, Copy)]
enum Set {
    /// One string.
    Str,
    /// One integer.
    Int,
    /// One duration (stored as duration text).
    Duration,
    /// No argument (true) or one boolean.
    Flag,
    /// Strings appended to a list.
    List,
    /// Key and value into an object.
    Pair,
    /// `href` and optional `text` appended to a list of links.
    Link,
}

/// Property methods: handler kind, TICKscript name, option, how.
const PROPS: &[(&str, &str, &str, Set)] = &[
    ("log", "mode", "mode", Set::Int),
    ("post", "header", "headers", Set::Pair),
    ("post", "captureResponse", "capture-response", Set::Flag),
    ("post", "timeout", "timeout", Set::Duration),
    ("post", "endpoint", "endpoint", Set::Str),
    (
        "post",
        "skipSSLVerification",
        "skipSSLVerification",
        Set::Flag,
    ),
    ("smtp", "to", "to", Set::List),
    ("slack", "workspace", "workspace", Set::Str),
    ("slack", "channel", "channel", Set::Str),
    ("slack", "username", "username", Set::Str),
    ("slack", "iconEmoji", "icon-emoji", Set::Str),
    ("teams", "channelURL", "channel-url", Set::Str),
    ("pagerduty2", "routingKey", "routing-key", Set::Str),
    ("pagerduty2", "link", "links", Set::Link),
    ("opsgenie2", "teams", "teams-list", Set::List),
    ("opsgenie2", "recipients", "recipients-list", Set::List),
    ("opsgenie2", "recoveryAction", "recovery-action", Set::Str),
    ("victorops", "routingKey", "routing-key", Set::Str),
    ("telegram", "chatId", "chat-id", Set::Str),
    ("telegram", "parseMode", "parse-mode", Set::Str),
    (
        "telegram",
        "disableWebPagePreview",
        "disable-web-page-preview",
        Set::Flag,
    ),
    (
        "telegram",
        "disableNotification",
        "disable-notification",
        Set::Flag,
    ),
    ("discord", "workspace", "workspace", Set::Str),
    ("discord", "timestamp", "timestamp", Set::Flag),
    ("discord", "username", "username", Set::Str),
    ("discord", "avatarURL", "avatar-url", Set::Str),
    ("discord", "avatarUrl", "avatar-url", Set::Str),
    ("discord", "embedTitle", "embed-title", Set::Str),
    ("pushover", "userKey", "user-key", Set::Str),
    ("pushover", "device", "device", Set::Str),
    ("pushover", "title", "title", Set::Str),
    ("pushover", "uRL", "url", Set::Str),
    ("pushover", "uRLTitle", "url-title", Set::Str),
    ("pushover", "sound", "sound", Set::Str),
    ("sensu", "source", "source", Set::Str),
    ("sensu", "handlers", "handlers", Set::List),
    ("sensu", "metadata", "metadata", Set::Pair),
    ("alerta", "token", "token", Set::Str),
    ("alerta", "tokenPrefix", "token-prefix", Set::Str),
    ("alerta", "resource", "resource", Set::Str),
    ("alerta", "event", "event", Set::Str),
    ("alerta", "environment", "environment", Set::Str),
    ("alerta", "group", "group", Set::Str),
    ("alerta", "value", "value", Set::Str),
    ("alerta", "origin", "origin", Set::Str),
    ("alerta", "services", "service", Set::List),
    ("alerta", "correlated", "correlate", Set::List),
    ("alerta", "timeout", "timeout", Set::Duration),
    ("alerta", "renameSeverity", "rename-severities", Set::Pair),
    ("mqtt", "brokerName", "broker-name", Set::Str),
    ("mqtt", "qos", "qos", Set::Int),
    ("mqtt", "retained", "retained", Set::Flag),
    ("kafka", "cluster", "cluster", Set::Str),
    ("kafka", "kafkaTopic", "topic", Set::Str),
    ("kafka", "template", "template", Set::Str),
    (
        "kafka",
        "disablePartitionById",
        "disablePartitionById",
        Set::Flag,
    ),
    (
        "kafka",
        "partitionAlgorithm",
        "partitionAlgorithm",
        Set::Str,
    ),
];

/// Whether `name` is a handler method or a handler property method.
pub fn is_property(name: &str) -> bool {
    METHODS.iter().any(|m| m.0 == name) || PROPS.iter().any(|p| p.1 == name)
}

fn string(a: &Arg, what: &str) -> Result<String, TickError> {
    match &a.value {
        Value::Str(s) => Ok(s.clone()),
        v => Err(TickError::at(
            a.pos,
            format!("{what}: expected string, got {}", v.type_name()),
        )),
    }
}

fn scalar(a: &Arg, what: &str) -> Result<Json, TickError> {
    Ok(match &a.value {
        Value::Str(s) => s.clone().into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => (*f).into(),
        Value::Bool(b) => (*b).into(),
        v => {
            return Err(TickError::at(
                a.pos,
                format!(
                    "{what}: expected a string, number or boolean, got {}",
                    v.type_name()
                ),
            ))
        }
    })
}

fn count(p: &Property, min: usize, max: usize) -> Result<(), TickError> {
    if p.args.len() < min || p.args.len() > max {
        let want = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(TickError::at(
            p.pos,
            format!(
                ".{}() expects {want} argument(s), got {}",
                p.name,
                p.args.len()
            ),
        ));
    }
    Ok(())
}

/// Applies a handler method (adds a handler) or a property method (sets an
/// option of the latest handler, which must be of a kind that has it).
pub fn apply(handlers: &mut Vec<HandlerSpec>, p: &Property) -> Result<(), TickError> {
    // A property of the latest handler wins over a handler method of the
    // same name (opsGenie2's `.teams('ops')` against `.teams()`), as in Kapacitor.
    let of_last = handlers.last().is_some_and(|h| {
        PROPS
            .iter()
            .any(|(k, n, _, _)| *k == h.kind && *n == p.name)
    });
    if let Some((method, kind, args)) = METHODS.iter().find(|m| m.0 == p.name).filter(|_| !of_last)
    {
        let mut options = Map::new();
        match args {
            Args::None => count(p, 0, 0)?,
            Args::One(key) => {
                count(p, 1, 1)?;
                options.insert(key.to_string(), string(&p.args[0], key)?.into());
            }
            Args::Optional(key) => {
                count(p, 0, 1)?;
                if let Some(a) = p.args.first() {
                    options.insert(key.to_string(), string(a, key)?.into());
                }
            }
            Args::List(key) => {
                let l: Vec<Json> = p
                    .args
                    .iter()
                    .map(|a| string(a, key).map(Json::from))
                    .collect::<Result<_, _>>()?;
                if !l.is_empty() {
                    options.insert(key.to_string(), l.into());
                }
            }
            Args::ProgArgs => {
                if p.args.is_empty() {
                    return Err(TickError::at(p.pos, "missing argument: prog"));
                }
                options.insert("prog".into(), string(&p.args[0], "prog")?.into());
                let rest: Vec<Json> = p.args[1..]
                    .iter()
                    .map(|a| string(a, "args").map(Json::from))
                    .collect::<Result<_, _>>()?;
                options.insert("args".into(), rest.into());
            }
        }
        handlers.push(HandlerSpec {
            id: format!("{method}-{}", handlers.len()),
            kind: kind.to_string(),
            options,
            match_expr: String::new(),
        });
        return Ok(());
    }
    let last = handlers
        .last_mut()
        .ok_or_else(|| TickError::at(p.pos, format!(".{}() must follow a handler", p.name)))?;
    let Some((_, _, key, set)) = PROPS
        .iter()
        .find(|(kind, name, _, _)| *kind == last.kind && *name == p.name)
    else {
        return Err(TickError::at(
            p.pos,
            format!(
                "no method or property \"{}\" on {} handler",
                p.name, last.kind
            ),
        ));
    };
    let key = key.to_string();
    match set {
        Set::Str => {
            count(p, 1, 1)?;
            last.options
                .insert(key, string(&p.args[0], &p.name)?.into());
        }
        Set::Int => {
            count(p, 1, 1)?;
            match &p.args[0].value {
                Value::Int(i) => last.options.insert(key, (*i).into()),
                v => {
                    return Err(TickError::at(
                        p.args[0].pos,
                        format!("{}: expected int, got {}", p.name, v.type_name()),
                    ))
                }
            };
        }
        Set::Duration => {
            count(p, 1, 1)?;
            match &p.args[0].value {
                Value::Duration(d) => last
                    .options
                    .insert(key, crate::model::format_duration(*d).into()),
                v => {
                    return Err(TickError::at(
                        p.args[0].pos,
                        format!("{}: expected duration, got {}", p.name, v.type_name()),
                    ))
                }
            };
        }
        Set::Flag => {
            count(p, 0, 1)?;
            let b = match p.args.first().map(|a| &a.value) {
                None => true,
                Some(Value::Bool(b)) => *b,
                Some(v) => {
                    return Err(TickError::at(
                        p.args[0].pos,
                        format!("{}: expected bool, got {}", p.name, v.type_name()),
                    ))
                }
            };
            last.options.insert(key, b.into());
        }
        Set::List => {
            let entry = last
                .options
                .entry(key)
                .or_insert_with(|| Json::Array(vec![]));
            for a in &p.args {
                let s = string(a, &p.name)?;
                if let Json::Array(l) = entry {
                    l.push(s.into());
                }
            }
        }
        Set::Pair => {
            count(p, 2, 2)?;
            let k = string(&p.args[0], &p.name)?;
            let v = if p.name == "metadata" {
                scalar(&p.args[1], &p.name)?
            } else {
                string(&p.args[1], &p.name)?.into()
            };
            let entry = last
                .options
                .entry(key)
                .or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(o) = entry {
                o.insert(k, v);
            }
        }
        Set::Link => {
            count(p, 1, 2)?;
            let href = string(&p.args[0], "href")?;
            let text = match p.args.get(1) {
                Some(a) => string(a, "text")?,
                None => String::new(),
            };
            let entry = last
                .options
                .entry(key)
                .or_insert_with(|| Json::Array(vec![]));
            if let Json::Array(l) = entry {
                l.push(serde_json::json!({"href": href, "text": text}));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{apply, is_property};
    use crate::alert::HandlerSpec;
    use crate::tick::TickError;

    /// The handlers of the script's last node (an alert), as the alert node builds them.
    fn handlers(script: &str) -> Result<Vec<HandlerSpec>, TickError> {
        let p = crate::tick::pipeline::evaluate(&crate::tick::parse(script)?, &Default::default())?;
        let mut hs = Vec::new();
        for prop in &p.nodes.last().unwrap().props {
            if is_property(&prop.name) {
                apply(&mut hs, prop)?;
            }
        }
        for h in &hs {
            super::super::validate(h).map_err(|e| TickError::at(Default::default(), e))?;
        }
        Ok(hs)
    }

    #[test]
    fn handler_methods_and_properties_become_specs() {
        let hs = handlers(
            "stream|from()|alert().crit(lambda: TRUE)\
             .email('a@example.com').to('b@example.com', 'c@example.com')\
             .pagerDuty2().routingKey('rk').link('http://dash', 'Dashboard')\
             .opsGenie2().teams('ops').recipients('bob').recoveryAction('close')\
             .mqtt('alerts').qos(1).retained()\
             .sensu().handlers('mail').metadata('team', 'ops').metadata('n', 2)\
             .alerta().resource('{{ .Name }}').services('web').timeout(1h)\
             .telegram().chatId('42').disableNotification()\
             .pushover().uRL('http://x').uRLTitle('x')\
             .teams().channelURL('http://teams/hook')\
             .discord().embedTitle('T').timestamp(TRUE)\
             .victorOps().routingKey('team')\
             .slack().channel('#ops').iconEmoji(':fire:')\
             .kafka().cluster('default').kafkaTopic('alerts').template('{{ .ID }}')\
                 .disablePartitionById(FALSE).partitionAlgorithm('murmur2')",
        )
        .unwrap();
        let got: Vec<(String, serde_json::Value)> = hs
            .iter()
            .map(|h| (h.kind.clone(), serde_json::Value::Object(h.options.clone())))
            .collect();
        let want = vec![
            (
                "smtp",
                json!({"to": ["a@example.com", "b@example.com", "c@example.com"]}),
            ),
            (
                "pagerduty2",
                json!({"routing-key": "rk", "links": [{"href": "http://dash", "text": "Dashboard"}]}),
            ),
            (
                "opsgenie2",
                json!({"teams-list": ["ops"], "recipients-list": ["bob"], "recovery-action": "close"}),
            ),
            (
                "mqtt",
                json!({"topic": "alerts", "qos": 1, "retained": true}),
            ),
            (
                "sensu",
                json!({"handlers": ["mail"], "metadata": {"team": "ops", "n": 2}}),
            ),
            (
                "alerta",
                json!({"resource": "{{ .Name }}", "service": ["web"], "timeout": "1h0m0s"}),
            ),
            (
                "telegram",
                json!({"chat-id": "42", "disable-notification": true}),
            ),
            ("pushover", json!({"url": "http://x", "url-title": "x"})),
            ("teams", json!({"channel-url": "http://teams/hook"})),
            ("discord", json!({"embed-title": "T", "timestamp": true})),
            ("victorops", json!({"routing-key": "team"})),
            ("slack", json!({"channel": "#ops", "icon-emoji": ":fire:"})),
            (
                "kafka",
                json!({"cluster": "default", "topic": "alerts", "template": "{{ .ID }}",
                       "disablePartitionById": false, "partitionAlgorithm": "murmur2"}),
            ),
        ];
        let want: Vec<(String, serde_json::Value)> =
            want.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        assert_eq!(got, want);
        assert_eq!(hs[1].id, "pagerDuty2-1");
    }

    #[test]
    fn errors_name_the_place() {
        let e = handlers("stream|from()|alert().slack().routingKey('x')").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1 char 31: no method or property \"routingKey\" on slack handler"
        );
        let e = handlers("stream|from()|alert().kafka()").unwrap_err();
        assert!(
            e.to_string()
                .contains("kafka handler: missing option \"topic\" (.kafkaTopic() in TICKscript)"),
            "{e}"
        );
        let e = handlers("stream|from()|alert().kafka().kafkaTopic('t').partitionAlgorithm('md5')")
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("kafka handler: invalid partition algorithm: \"md5\""),
            "{e}"
        );
        let e = handlers("stream|from()|alert().mqtt('t').qos('high')").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1 char 37: qos: expected int, got string"
        );
        let e = handlers("stream|from()|alert().channel('#x')").unwrap_err();
        assert!(
            e.to_string().contains(".channel() must follow a handler"),
            "{e}"
        );
    }
}
