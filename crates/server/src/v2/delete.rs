//! `POST /api/v2/delete`: deletes points of one bucket in a time range that
//! match a predicate, through the storage engine's deletes (tombstones).
//!
//! The predicate language is InfluxDB 2's: comparisons `key = "value"` or
//! `key != "value"` joined by `AND` (parentheses allowed), where the key
//! `_measurement` selects the measurement and any other key is a tag.
//! `OR` is rejected as InfluxDB does; `_field` is not supported (storage
//! deletes whole rows).

use std::collections::HashMap;

use almanac_catalog::Action;
use almanac_storage::{DeletePredicate, TagMatch};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;

use super::errors::{internal, invalid, not_implemented, parse_json};
use super::token_auth::{check_bucket, resolve_bucket};
use crate::error::ApiError;
use crate::AppState;

/// One comparison of a predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// Tag key, or `_measurement` / `_field`.
    pub key: String,
    /// The value compared with.
    pub value: String,
    /// `!=` rather than `=`.
    pub negated: bool,
}

/// Why a predicate was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PredicateError {
    /// Not InfluxDB's predicate syntax.
    #[error("{0}")]
    Syntax(String),
    /// Valid, but not supported by Almanac's deletes.
    #[error("{0}")]
    Unsupported(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Eq,
    Neq,
    And,
    Or,
    Open,
    Close,
}

fn lex(input: &str) -> Result<Vec<(usize, Token)>, PredicateError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                out.push((start, Token::Open));
                i += 1;
            }
            ')' => {
                out.push((start, Token::Close));
                i += 1;
            }
            '=' => {
                out.push((start, Token::Eq));
                i += 1;
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                out.push((start, Token::Neq));
                i += 2;
            }
            '"' | '\'' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(PredicateError::Syntax(format!(
                                "unterminated string at position {start}"
                            )))
                        }
                        Some('\\') if chars.get(i + 1).is_some() => {
                            s.push(chars[i + 1]);
                            i += 2;
                        }
                        Some(&ch) if ch == quote => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                out.push((start, Token::Str(s)));
            }
            c if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' => {
                let mut s = String::new();
                while let Some(&ch) = chars.get(i) {
                    if ch.is_alphanumeric() || ch == '_' || ch == '-' || ch == '.' {
                        s.push(ch);
                        i += 1;
                    } else {
                        break;
                    }
                }
                out.push((
                    start,
                    match s.to_ascii_uppercase().as_str() {
                        "AND" => Token::And,
                        "OR" => Token::Or,
                        _ => Token::Ident(s),
                    },
                ));
            }
            other => {
                return Err(PredicateError::Syntax(format!(
                    "invalid character {other:?} at position {start}"
                )))
            }
        }
    }
    Ok(out)
}

/// Parses a delete predicate into the comparisons it ANDs (empty = all).
pub fn parse_predicate(input: &str) -> Result<Vec<Comparison>, PredicateError> {
    let tokens = lex(input)?;
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let mut expect_term = true;
    while i < tokens.len() {
        let (pos, tok) = &tokens[i];
        match tok {
            Token::Open if expect_term => depth += 1,
            Token::Close if !expect_term && depth > 0 => depth -= 1,
            Token::And if !expect_term => expect_term = true,
            Token::Or => {
                return Err(PredicateError::Syntax(format!(
                    "the logical operator OR is not supported yet at position {pos}"
                )))
            }
            Token::Ident(k) | Token::Str(k) if expect_term => {
                let negated = match tokens.get(i + 1).map(|t| &t.1) {
                    Some(Token::Eq) => false,
                    Some(Token::Neq) => true,
                    _ => {
                        return Err(PredicateError::Syntax(format!(
                            "expected = or != after {k:?} at position {pos}"
                        )))
                    }
                };
                let value = match tokens.get(i + 2).map(|t| &t.1) {
                    Some(Token::Str(v)) => v.clone(),
                    _ => {
                        return Err(PredicateError::Syntax(format!(
                            "expected a quoted value after {k:?} at position {pos}"
                        )))
                    }
                };
                out.push(Comparison {
                    key: k.clone(),
                    value,
                    negated,
                });
                i += 2;
                expect_term = false;
            }
            other => {
                return Err(PredicateError::Syntax(format!(
                    "unexpected {other:?} at position {pos}"
                )))
            }
        }
        i += 1;
    }
    if depth != 0 || (expect_term && !tokens.is_empty()) {
        return Err(PredicateError::Syntax("incomplete predicate".into()));
    }
    Ok(out)
}

/// Turns parsed comparisons into a storage predicate for (`db_id`, `rp`).
/// `Ok(None)` when the comparisons can match nothing (two measurements).
pub fn to_storage(
    comparisons: &[Comparison],
    db_id: u64,
    rp: &str,
    min_time: i64,
    max_time: i64,
) -> Result<Option<DeletePredicate>, PredicateError> {
    let mut measurement: Option<String> = None;
    let mut tags = Vec::new();
    for c in comparisons {
        match c.key.as_str() {
            "_measurement" if c.negated => {
                return Err(PredicateError::Unsupported(
                    "not supported yet: _measurement != in delete predicates".into(),
                ))
            }
            "_measurement" => match &measurement {
                Some(m) if *m != c.value => return Ok(None),
                _ => measurement = Some(c.value.clone()),
            },
            "_field" => {
                return Err(PredicateError::Unsupported(
                    "not supported yet: deleting by _field (deletes remove whole points)".into(),
                ))
            }
            key => tags.push(TagMatch {
                key: key.to_string(),
                value: c.value.clone(),
                negated: c.negated,
            }),
        }
    }
    Ok(Some(DeletePredicate {
        db_id,
        rp: Some(rp.to_string()),
        measurement,
        min_time,
        max_time,
        tags,
    }))
}

#[derive(Deserialize)]
struct DeleteBody {
    start: Option<String>,
    stop: Option<String>,
    #[serde(default)]
    predicate: String,
}

fn parse_time(field: &str, value: Option<&str>) -> Result<i64, ApiError> {
    let value = value.ok_or_else(|| invalid(format!("invalid request; {field} is required")))?;
    let t = chrono::DateTime::parse_from_rfc3339(value).map_err(|_| {
        invalid(format!(
            "invalid RFC3339Nano for field {field}, please double check your rfc3339 format"
        ))
    })?;
    t.timestamp_nanos_opt()
        .ok_or_else(|| invalid(format!("{field} is out of range")))
}

/// `POST /api/v2/delete?org=&orgID=&bucket=&bucketID=`: 204.
pub async fn delete(
    State(state): State<AppState>,
    axum::extract::Extension(principal): axum::extract::Extension<super::Principal>,
    Query(params): Query<HashMap<String, String>>,
    _headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let get = |k: &str| params.get(k).map(String::as_str).filter(|s| !s.is_empty());
    let bucket = get("bucketID")
        .or(get("bucket"))
        .ok_or_else(|| invalid("Please provide either bucketID or bucket"))?;
    let (db, rp) = resolve_bucket(&state, get("org"), get("orgID"), bucket)?;
    check_bucket(&state, &principal, (&db, &rp), Action::Write)?;
    let req: DeleteBody = parse_json(&body)?;
    let start = parse_time("start", req.start.as_deref())?;
    let stop = parse_time("stop", req.stop.as_deref())?;
    if stop < start {
        return Err(invalid("invalid request; start must not be after stop"));
    }
    let comparisons = parse_predicate(&req.predicate).map_err(|e| match e {
        PredicateError::Syntax(m) => invalid(m),
        PredicateError::Unsupported(m) => {
            not_implemented(m.trim_start_matches("not supported yet: "))
        }
    })?;
    let db_id = state
        .storage
        .catalog()
        .database(&db)
        .map(|d| d.id)
        .ok_or_else(|| super::errors::not_found(format!("bucket \"{bucket}\" not found")))?;
    let predicate = to_storage(&comparisons, db_id, &rp, start, stop).map_err(|e| match e {
        PredicateError::Syntax(m) => invalid(m),
        PredicateError::Unsupported(m) => {
            not_implemented(m.trim_start_matches("not supported yet: "))
        }
    })?;
    if let Some(predicate) = predicate {
        state
            .storage
            .delete(predicate, false)
            .await
            .map_err(|e| internal(e.to_string()))?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(key: &str, value: &str, negated: bool) -> Comparison {
        Comparison {
            key: key.into(),
            value: value.into(),
            negated,
        }
    }

    #[test]
    fn parses_influxdb_predicates() {
        assert_eq!(parse_predicate("").unwrap(), vec![]);
        assert_eq!(
            parse_predicate(r#"_measurement="cpu" AND host="a""#).unwrap(),
            vec![cmp("_measurement", "cpu", false), cmp("host", "a", false)]
        );
        assert_eq!(
            parse_predicate(r#"(region != "us west") and "my tag"='x\"y'"#).unwrap(),
            vec![cmp("region", "us west", true), cmp("my tag", "x\"y", false)]
        );
        for bad in [
            r#"host="a" AND"#,
            r#"host=a"#,
            r#"host"#,
            r#"(host="a""#,
            r#"host="a" host="b""#,
            r#"host > "a""#,
        ] {
            assert!(
                matches!(parse_predicate(bad), Err(PredicateError::Syntax(_))),
                "{bad}"
            );
        }
        let or = parse_predicate(r#"a="1" OR b="2""#).unwrap_err();
        assert_eq!(
            or.to_string(),
            "the logical operator OR is not supported yet at position 6"
        );
    }

    #[test]
    fn maps_to_storage_deletes() {
        let p = to_storage(
            &parse_predicate(r#"_measurement="cpu" AND host!="a""#).unwrap(),
            7,
            "autogen",
            1,
            2,
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.measurement.as_deref(), Some("cpu"));
        assert_eq!(p.rp.as_deref(), Some("autogen"));
        assert_eq!((p.db_id, p.min_time, p.max_time), (7, 1, 2));
        assert_eq!(
            p.tags,
            vec![TagMatch {
                key: "host".into(),
                value: "a".into(),
                negated: true
            }]
        );
        let two = parse_predicate(r#"_measurement="a" AND _measurement="b""#).unwrap();
        assert_eq!(to_storage(&two, 1, "r", 0, 1).unwrap(), None);
        let field = parse_predicate(r#"_field="v""#).unwrap();
        assert!(matches!(
            to_storage(&field, 1, "r", 0, 1),
            Err(PredicateError::Unsupported(_))
        ));
    }
}
