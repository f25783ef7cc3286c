//! `data_format = "csv"`: header rows or explicit column names, typed columns, tag columns.

use super::{ParseError, Parser, ParserConfig};
use crate::metric::{Metric, Value};
use crate::timefmt;

/// CSV parser. Each payload is parsed on its own (header rows are read from every payload).
#[derive(Debug, Clone)]
pub struct CsvParser {
    name: String,
    header_rows: usize,
    column_names: Vec<String>,
    column_types: Vec<String>,
    tag_columns: Vec<String>,
    measurement_column: Option<String>,
    timestamp_column: Option<String>,
    timestamp_format: Option<String>,
    delimiter: char,
    comment: Option<String>,
    skip_rows: usize,
    skip_columns: usize,
    trim: bool,
}

impl CsvParser {
    /// Builds from the parser options.
    pub fn from_config(c: &ParserConfig, name: &str) -> Result<CsvParser, String> {
        if c.csv_header_row_count == 0 && c.csv_column_names.is_empty() {
            return Err("csv needs csv_header_row_count or csv_column_names".into());
        }
        if c.csv_timestamp_column.is_some() && c.csv_timestamp_format.is_none() {
            return Err("csv_timestamp_column requires csv_timestamp_format".into());
        }
        let delim = c.csv_delimiter.as_deref().unwrap_or(",");
        let mut it = delim.chars();
        let delimiter = match (it.next(), it.next()) {
            (Some(d), None) => d,
            _ => {
                return Err(format!(
                    "csv_delimiter must be one character, got {delim:?}"
                ))
            }
        };
        Ok(CsvParser {
            name: if name.is_empty() {
                "csv".into()
            } else {
                name.into()
            },
            header_rows: c.csv_header_row_count,
            column_names: c.csv_column_names.clone(),
            column_types: c.csv_column_types.clone(),
            tag_columns: c.csv_tag_columns.clone(),
            measurement_column: c.csv_measurement_column.clone(),
            timestamp_column: c.csv_timestamp_column.clone(),
            timestamp_format: c.csv_timestamp_format.clone(),
            delimiter,
            comment: c.csv_comment.clone().filter(|s| !s.is_empty()),
            skip_rows: c.csv_skip_rows,
            skip_columns: c.csv_skip_columns,
            trim: c.csv_trim_space,
        })
    }

    fn split(&self, line: &str) -> Result<Vec<String>, ParseError> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if quoted {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        cur.push('"');
                        chars.next();
                    } else {
                        quoted = false;
                    }
                } else {
                    cur.push(c);
                }
            } else if c == '"' && cur.is_empty() {
                quoted = true;
            } else if c == self.delimiter {
                out.push(std::mem::take(&mut cur));
            } else {
                cur.push(c);
            }
        }
        if quoted {
            return Err(ParseError::new("csv: unterminated quote"));
        }
        out.push(cur);
        if self.trim {
            for v in &mut out {
                *v = v.trim().to_string();
            }
        }
        Ok(out.into_iter().skip(self.skip_columns).collect())
    }

    fn typed(&self, idx: usize, raw: &str) -> Result<Value, ParseError> {
        let bad = |t: &str| ParseError::new(format!("csv: cannot convert {raw:?} to {t}"));
        match self.column_types.get(idx).map(String::as_str) {
            Some("int") => raw.parse().map(Value::Int).map_err(|_| bad("int")),
            Some("float") => raw.parse().map(Value::Float).map_err(|_| bad("float")),
            Some("bool") => raw.parse().map(Value::Bool).map_err(|_| bad("bool")),
            Some("string") => Ok(Value::Str(raw.to_string())),
            _ => Ok(raw
                .parse::<i64>()
                .map(Value::Int)
                .or_else(|_| raw.parse::<f64>().map(Value::Float))
                .or_else(|_| raw.parse::<bool>().map(Value::Bool))
                .unwrap_or_else(|_| Value::Str(raw.to_string()))),
        }
    }
}

impl Parser for CsvParser {
    fn parse(&self, data: &[u8], now: i64) -> Result<Vec<Metric>, ParseError> {
        let text = String::from_utf8_lossy(data);
        let mut lines = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter(|l| {
                self.comment
                    .as_ref()
                    .is_none_or(|c| !l.starts_with(c.as_str()))
            })
            .skip(self.skip_rows);
        let mut names = self.column_names.clone();
        if self.header_rows > 0 {
            let mut header: Vec<String> = Vec::new();
            for _ in 0..self.header_rows {
                let Some(l) = lines.next() else {
                    return Ok(Vec::new());
                };
                for (i, v) in self.split(l)?.into_iter().enumerate() {
                    match header.get_mut(i) {
                        Some(h) => h.push_str(&v),
                        None => header.push(v),
                    }
                }
            }
            if names.is_empty() {
                names = header;
            }
        }
        let mut out = Vec::new();
        for line in lines {
            let vals = self.split(line)?;
            let mut m = Metric::new(&self.name, now);
            for (i, raw) in vals.iter().enumerate() {
                let col = names.get(i).cloned().unwrap_or_else(|| i.to_string());
                if Some(&col) == self.measurement_column.as_ref() {
                    m.name = raw.clone();
                } else if Some(&col) == self.timestamp_column.as_ref() {
                    let fmt = self.timestamp_format.as_deref().unwrap_or("unix");
                    m.time = timefmt::parse_time(&Value::Str(raw.clone()), fmt)
                        .map_err(ParseError::new)?;
                } else if self.tag_columns.contains(&col) {
                    m.tags.insert(col, raw.clone());
                } else if !raw.is_empty() {
                    m.fields.insert(col, self.typed(i, raw)?);
                }
            }
            out.push(m);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn header_types_tags_time() {
        let c = ParserConfig {
            csv_header_row_count: 1,
            csv_tag_columns: vec!["host".into()],
            csv_timestamp_column: Some("time".into()),
            csv_timestamp_format: Some("unix".into()),
            csv_measurement_column: Some("name".into()),
            ..Default::default()
        };
        let p = CsvParser::from_config(&c, "").unwrap();
        let ms = p
            .parse(
                b"name,host,time,v,s,ok\ncpu,a,10,1.5,\"x,y\",true\nmem,b,20,3,z,false\n",
                0,
            )
            .unwrap();
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].name, "cpu");
        assert_eq!(ms[0].tag("host"), Some("a"));
        assert_eq!(ms[0].time, 10_000_000_000);
        assert_eq!(ms[0].field("v"), Some(&Value::Float(1.5)));
        assert_eq!(ms[0].field("s"), Some(&Value::Str("x,y".into())));
        assert_eq!(ms[1].field("v"), Some(&Value::Int(3)));
        assert_eq!(ms[1].field("ok"), Some(&Value::Bool(false)));
    }

    #[test]
    fn explicit_columns_and_types() {
        let c = ParserConfig {
            csv_column_names: vec!["a".into(), "b".into()],
            csv_column_types: vec!["string".into(), "float".into()],
            csv_delimiter: Some(";".into()),
            ..Default::default()
        };
        let p = CsvParser::from_config(&c, "m").unwrap();
        let ms = p.parse(b"1;2\n", 0).unwrap();
        assert_eq!(ms[0].field("a"), Some(&Value::Str("1".into())));
        assert_eq!(ms[0].field("b"), Some(&Value::Float(2.0)));
        assert!(p.parse(b"1;x\n", 0).is_err());
        assert!(CsvParser::from_config(&ParserConfig::default(), "m").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,80}") {
            let c = ParserConfig { csv_header_row_count: 1, csv_skip_columns: 1, ..Default::default() };
            let _ = CsvParser::from_config(&c, "m").unwrap().parse(s.as_bytes(), 0);
        }
    }
}
