//! Turns the JSON results of `compare` and `cardinality` into Markdown
//! tables and SVG bar charts, and replaces the generated sections of
//! `docs/benchmarks.md` (between `<!-- BEGIN generated: NAME -->` and
//! `<!-- END generated: NAME -->`; a missing section is appended).
//!
//! Results are read as plain JSON values, so older result files with fewer
//! fields still render (missing figures show as "–").

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

const MIB: f64 = 1024.0 * 1024.0;
const DASH: &str = "–";

/// Target names in table order.
const TARGETS: [&str; 3] = ["almanac", "influxd", "victoria-metrics"];

fn num(v: &Value, pointer: &str) -> Option<f64> {
    v.pointer(pointer).and_then(Value::as_f64)
}

fn text(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// `1234567.8` → `1,234,568`.
pub fn thousands(x: f64) -> String {
    if !x.is_finite() {
        return DASH.into();
    }
    let n = x.round() as i128;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn fmt_opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.filter(|x| x.is_finite()).map_or_else(|| DASH.into(), f)
}

/// `a ÷ b` as `0.42×`, or "–".
fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 && a.is_finite() => format!("{:.2}×", a / b),
        _ => DASH.into(),
    }
}

fn target<'a>(result: &'a Value, name: &str) -> Option<&'a Value> {
    result
        .get("targets")?
        .as_array()?
        .iter()
        .find(|t| t.get("target").and_then(Value::as_str) == Some(name))
}

fn present_targets(result: &Value) -> Vec<&'static str> {
    TARGETS
        .iter()
        .copied()
        .filter(|n| target(result, n).is_some())
        .collect()
}

/// Per-type median (ms) of a target, None when the type failed or was skipped.
fn median(t: &Value, qtype: &str) -> Option<f64> {
    let types = t.pointer("/queries/types")?.as_array()?;
    let ty = types
        .iter()
        .find(|x| x.get("query_type").and_then(Value::as_str) == Some(qtype))?;
    if ty.get("failed").and_then(Value::as_u64).unwrap_or(0) > 0 {
        return None;
    }
    num(ty, "/latency/p50_ms")
}

fn type_entry<'a>(t: &'a Value, qtype: &str) -> Option<&'a Value> {
    t.pointer("/queries/types")?
        .as_array()?
        .iter()
        .find(|x| x.get("query_type").and_then(Value::as_str) == Some(qtype))
}

fn query_types(result: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in TARGETS {
        if let Some(types) = target(result, name)
            .and_then(|t| t.pointer("/queries/types"))
            .and_then(Value::as_array)
        {
            for ty in types {
                let n = text(ty, "/query_type");
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
    }
    out
}

/// One row per figure; the per-target values, then ratios of Almanac to each peer.
struct Figure {
    label: &'static str,
    pointer: &'static str,
    scale: f64,
    format: fn(f64) -> String,
    better: &'static str,
}

const FIGURES: [Figure; 8] = [
    Figure {
        label: "ingest values/s",
        pointer: "/load/values_per_sec",
        scale: 1.0,
        format: |x| thousands(x),
        better: "higher",
    },
    Figure {
        label: "load wall time (s)",
        pointer: "/load/wall_seconds",
        scale: 1.0,
        format: |x| format!("{x:.2}"),
        better: "lower",
    },
    Figure {
        label: "bytes/value after persistence",
        pointer: "/persisted/bytes_per_value",
        scale: 1.0,
        format: |x| format!("{x:.3}"),
        better: "lower",
    },
    Figure {
        label: "bytes/value after compaction",
        pointer: "/compacted/bytes_per_value",
        scale: 1.0,
        format: |x| format!("{x:.3}"),
        better: "lower",
    },
    Figure {
        label: "peak RSS, ingest + persistence (MiB)",
        pointer: "/ingest_peak_rss_bytes",
        scale: 1.0 / MIB,
        format: |x| format!("{x:.0}"),
        better: "lower",
    },
    Figure {
        label: "peak RSS, queries (MiB)",
        pointer: "/query_peak_rss_bytes",
        scale: 1.0 / MIB,
        format: |x| format!("{x:.0}"),
        better: "lower",
    },
    Figure {
        label: "server CPU during the load (s)",
        pointer: "/load_cpu_seconds",
        scale: 1.0,
        format: |x| format!("{x:.2}"),
        better: "lower",
    },
    Figure {
        label: "server CPU, load + persistence (s)",
        pointer: "/ingest_cpu_seconds",
        scale: 1.0,
        format: |x| format!("{x:.2}"),
        better: "lower",
    },
];

fn figure_value(result: &Value, name: &str, f: &Figure) -> Option<f64> {
    let t = target(result, name)?;
    let v = num(t, f.pointer)? * f.scale;
    // A zero size or RSS means "not measured" (e.g. a target that failed).
    (v > 0.0).then_some(v)
}

/// A plain-text summary of a comparison (printed at the end of `compare`).
pub fn compare_summary(result: &Value) -> String {
    let targets = present_targets(result);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n{:<40}{}",
        "figure",
        targets
            .iter()
            .map(|t| format!("{t:>18}"))
            .collect::<String>()
    );
    for f in &FIGURES {
        let _ = write!(s, "{:<40}", f.label);
        for t in &targets {
            let _ = write!(s, "{:>18}", fmt_opt(figure_value(result, t, f), f.format));
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "\n{:<26}{}",
        "query p50 (ms)",
        targets
            .iter()
            .map(|t| format!("{t:>18}"))
            .collect::<String>()
    );
    for qt in query_types(result) {
        let _ = write!(s, "{qt:<26}");
        for t in &targets {
            let cell = match target(result, t).and_then(|x| type_entry(x, &qt)) {
                Some(e) if !e.get("skipped").is_none_or(Value::is_null) => "skipped".to_string(),
                Some(e) if e.get("failed").and_then(Value::as_u64).unwrap_or(0) > 0 => {
                    format!("{} failed", e["failed"])
                }
                Some(e) => fmt_opt(num(e, "/latency/p50_ms"), |x| format!("{x:.2}")),
                None => DASH.into(),
            };
            let _ = write!(s, "{cell:>18}");
        }
        s.push('\n');
    }
    if let Some(c) = result.get("cross_check").filter(|c| !c.is_null()) {
        let _ = writeln!(
            s,
            "\ncross-check almanac vs influxd: {} answers compared, {} disagree",
            c["compared"], c["mismatches"]
        );
    }
    s
}

/// A plain-text summary of a cardinality run.
pub fn cardinality_summary(result: &Value) -> String {
    let mut s = format!(
        "\n{:<18}{:>10}{:>16}{:>14}{:>14}\n",
        "target", "series", "values/s", "peak MiB", "load MiB"
    );
    for st in result["steps"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "{:<18}{:>10}{:>16}{:>14.0}{:>14.0}{}",
            text(st, "/target"),
            thousands(num(st, "/series").unwrap_or(f64::NAN)),
            thousands(num(st, "/values_per_sec").unwrap_or(f64::NAN)),
            num(st, "/peak_rss_bytes").unwrap_or(0.0) / MIB,
            num(st, "/load_peak_rss_bytes").unwrap_or(0.0) / MIB,
            match st["errors"].as_array() {
                Some(e) if !e.is_empty() => format!("  errors: {}", e.len()),
                _ => String::new(),
            }
        );
    }
    s
}

const COLORS: [&str; 3] = ["#2b6cb0", "#c05621", "#2f855a"];

/// A grouped bar chart as SVG: one group per category, one bar per series.
/// Missing values leave a gap; `log` draws the value axis in log10.
pub fn bar_chart(
    title: &str,
    unit: &str,
    categories: &[String],
    series: &[(String, Vec<Option<f64>>)],
    log: bool,
) -> String {
    let (w, h) = (900.0_f64, 420.0_f64);
    let (left, right, top, bottom) = (80.0, 20.0, 50.0, 110.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let values: Vec<f64> = series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().copied())
        .filter(|x| x.is_finite() && *x > 0.0)
        .collect();
    let max = values.iter().copied().fold(0.0, f64::max);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let (lo, hi) = if log && max > 0.0 {
        (
            min.log10().floor(),
            max.log10().ceil().max(min.log10().floor() + 1.0),
        )
    } else {
        (
            0.0,
            if max > 0.0 {
                nice_ceiling(max * 1.05)
            } else {
                1.0
            },
        )
    };
    let y_of = |v: f64| -> f64 {
        let frac = if log {
            (v.log10() - lo) / (hi - lo)
        } else {
            v / hi
        };
        top + plot_h * (1.0 - frac.clamp(0.0, 1.0))
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"#,
        w / 2.0,
        xml(title)
    );
    // Grid and value axis.
    let ticks: Vec<f64> = if log {
        (lo as i32..=hi as i32).map(|e| 10f64.powi(e)).collect()
    } else {
        (0..=5).map(|i| hi * i as f64 / 5.0).collect()
    };
    for t in ticks {
        let y = y_of(t.max(f64::MIN_POSITIVE));
        let _ = writeln!(
            s,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            w - right,
            left - 6.0,
            y + 4.0,
            short(t)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">{}</text>"#,
        top + plot_h / 2.0,
        top + plot_h / 2.0,
        xml(unit)
    );
    let groups = categories.len().max(1) as f64;
    let group_w = plot_w / groups;
    let bar_w = (group_w * 0.8) / series.len().max(1) as f64;
    for (ci, cat) in categories.iter().enumerate() {
        let gx = left + group_w * ci as f64 + group_w * 0.1;
        for (si, (_, vals)) in series.iter().enumerate() {
            let Some(v) = vals
                .get(ci)
                .copied()
                .flatten()
                .filter(|v| v.is_finite() && *v > 0.0)
            else {
                continue;
            };
            let y = y_of(v);
            if categories.len() * series.len() <= 12 {
                let _ = writeln!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                    gx + bar_w * (si as f64 + 0.5),
                    y - 4.0,
                    short(v)
                );
            }
            let _ = writeln!(
                s,
                r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                gx + bar_w * si as f64,
                bar_w.max(1.0) - 1.0,
                (top + plot_h - y).max(0.0),
                COLORS[si % COLORS.len()],
                xml(cat),
                short(v)
            );
        }
        let lx = left + group_w * (ci as f64 + 0.5);
        let ly = top + plot_h + 12.0;
        let _ = writeln!(
            s,
            r#"<text x="{lx:.1}" y="{ly:.1}" text-anchor="end" transform="rotate(-35 {lx:.1} {ly:.1})">{}</text>"#,
            xml(cat)
        );
    }
    for (si, (name, _)) in series.iter().enumerate() {
        let x = left + 10.0 + 170.0 * si as f64;
        let _ = writeln!(
            s,
            r#"<rect x="{x}" y="32" width="12" height="12" fill="{}"/><text x="{}" y="42">{}</text>"#,
            COLORS[si % COLORS.len()],
            x + 16.0,
            xml(name)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// The smallest of 1, 2, 2.5, 5 or 10 × a power of ten that is ≥ `x` (> 0).
pub fn nice_ceiling(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|c| *c >= x)
        .unwrap_or(10.0 * p)
}

fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.3}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.3}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn machine_line(result: &Value) -> String {
    format!(
        "{} CPUs ({}), {:.1} GiB RAM, Linux {}, {}; load average {} at the start, {} at the end",
        text(result, "/machine/nproc"),
        text(result, "/machine/cpu_model"),
        num(result, "/machine/mem_total_bytes").unwrap_or(0.0) / (MIB * 1024.0),
        text(result, "/machine/kernel"),
        text(result, "/machine/rustc"),
        text(result, "/machine/loadavg_start"),
        text(result, "/machine/loadavg_end"),
    )
}

/// The comparison section and its charts (written to `img_dir`).
pub fn compare_section(
    result: &Value,
    img_dir: &Path,
    img_rel: &str,
) -> anyhow::Result<(String, Vec<PathBuf>)> {
    let targets = present_targets(result);
    let mut md = String::new();
    let _ = writeln!(md, "### Comparison run of {}\n", text(result, "/date"));
    let _ = writeln!(md, "- Command: `{}`", text(result, "/command"));
    let _ = writeln!(md, "- Git revision: `{}`", text(result, "/git_rev"));
    let _ = writeln!(md, "- Machine: {}", machine_line(result));
    for t in &targets {
        if let Some(tv) = target(result, t) {
            let _ = writeln!(md, "- {t}: `{}`", text(tv, "/version"));
        }
    }
    let _ = writeln!(
        md,
        "- Data set: TSBS `{}`, {} hosts, {} lines, {} field values, {:.1} MB of line protocol ({:.1} MB gzip); \
         load: {} workers, {}-line batches, gzip {}",
        text(result, "/dataset/config/use_case"),
        text(result, "/dataset/config/scale"),
        thousands(num(result, "/dataset/lines").unwrap_or(f64::NAN)),
        thousands(num(result, "/dataset/field_values").unwrap_or(f64::NAN)),
        num(result, "/dataset/raw_bytes").unwrap_or(0.0) / 1e6,
        num(result, "/dataset/body_bytes").unwrap_or(0.0) / 1e6,
        text(result, "/load_settings/workers"),
        text(result, "/load_settings/batch_size"),
        text(result, "/load_settings/gzip"),
    );
    let warmup = match (
        num(result, "/query_settings/warmup_per_type"),
        num(result, "/query_settings/warmup_secs"),
    ) {
        (Some(n), Some(t)) if t > 0.0 => {
            format!(" after {n} untimed (repeated for at least {t} s)")
        }
        (Some(n), _) => format!(" after {n} untimed"),
        _ => String::new(),
    };
    let _ = writeln!(
        md,
        "- Queries: {} per type{warmup}, {} concurrent, seed {}\n",
        text(result, "/query_settings/queries_per_type"),
        text(result, "/query_settings/workers"),
        text(result, "/query_settings/seed"),
    );
    // Resource table.
    let peers: Vec<&str> = targets
        .iter()
        .copied()
        .filter(|t| *t != "almanac")
        .collect();
    let _ = write!(md, "| figure |");
    for t in &targets {
        let _ = write!(md, " {t} |");
    }
    for p in &peers {
        let _ = write!(md, " almanac ÷ {p} |");
    }
    let _ = write!(md, "\n| --- |");
    for _ in 0..targets.len() + peers.len() {
        md.push_str(" ---: |");
    }
    md.push('\n');
    for f in &FIGURES {
        let _ = write!(md, "| {} ({} is better) |", f.label, f.better);
        for t in &targets {
            let _ = write!(md, " {} |", fmt_opt(figure_value(result, t, f), f.format));
        }
        for p in &peers {
            let _ = write!(
                md,
                " {} |",
                ratio(
                    figure_value(result, "almanac", f),
                    figure_value(result, p, f)
                )
            );
        }
        md.push('\n');
    }
    // Disk methods.
    md.push_str("\nHow each on-disk figure was taken:\n\n");
    for t in &targets {
        if let Some(tv) = target(result, t) {
            let _ = writeln!(
                md,
                "- {t}: {} ({} data bytes, {} bytes in the whole directory); {}",
                text(tv, "/persisted/method"),
                thousands(num(tv, "/persisted/data_bytes").unwrap_or(f64::NAN)),
                thousands(num(tv, "/persisted/dir_bytes").unwrap_or(f64::NAN)),
                match tv.get("compacted").filter(|c| !c.is_null()) {
                    Some(c) => format!(
                        "{}: {} data bytes",
                        text(c, "/method"),
                        thousands(num(c, "/data_bytes").unwrap_or(f64::NAN))
                    ),
                    None => "no separate compaction step".into(),
                }
            );
        }
    }
    // Queries.
    let types = query_types(result);
    if !types.is_empty() {
        md.push_str("\nQuery latency, median (p95) in ms; a failed type shows its failure count:\n\n| query type |");
        for t in &targets {
            let _ = write!(md, " {t} |");
        }
        let has_influxd = targets.contains(&"influxd");
        if has_influxd {
            md.push_str(" almanac ÷ influxd (median) |");
        }
        md.push_str("\n| --- |");
        for _ in 0..targets.len() + has_influxd as usize {
            md.push_str(" ---: |");
        }
        md.push('\n');
        for qt in &types {
            let _ = write!(md, "| {qt} |");
            for t in &targets {
                let cell = match target(result, t).and_then(|x| type_entry(x, qt)) {
                    Some(e) if !e.get("skipped").is_none_or(Value::is_null) => "not run".into(),
                    Some(e) if e["failed"].as_u64().unwrap_or(0) > 0 => {
                        format!("**{} of {} failed**", e["failed"], e["queries"])
                    }
                    Some(e) => match (num(e, "/latency/p50_ms"), num(e, "/latency/p95_ms")) {
                        (Some(a), Some(b)) => format!("{a:.2} ({b:.2})"),
                        _ => DASH.into(),
                    },
                    None => DASH.into(),
                };
                let _ = write!(md, " {cell} |");
            }
            if has_influxd {
                let a = target(result, "almanac").and_then(|t| median(t, qt));
                let b = target(result, "influxd").and_then(|t| median(t, qt));
                let _ = write!(md, " {} |", ratio(a, b));
            }
            md.push('\n');
        }
        if let Some(c) = result.get("cross_check").filter(|c| !c.is_null()) {
            let _ = writeln!(
                md,
                "\nCross-check: {} answers compared between Almanac and influxd, {} disagree.",
                c["compared"], c["mismatches"]
            );
        }
        let mut notes = Vec::new();
        for t in &targets {
            let Some(tv) = target(result, t) else {
                continue;
            };
            for ty in tv
                .pointer("/queries/types")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for key in ["errors", "mismatches"] {
                    for e in ty[key].as_array().into_iter().flatten().take(2) {
                        notes.push(format!(
                            "{t} {} {key}: {}",
                            text(ty, "/query_type"),
                            e.as_str().unwrap_or("")
                        ));
                    }
                }
            }
            for e in tv["errors"].as_array().into_iter().flatten() {
                notes.push(format!("{t}: {}", e.as_str().unwrap_or("")));
            }
        }
        if !notes.is_empty() {
            md.push_str("\nProblems recorded in this run:\n\n");
            for n in notes {
                let _ = writeln!(md, "- {}", n.replace('|', "\\|"));
            }
        }
    }
    // Charts.
    let mut written = Vec::new();
    std::fs::create_dir_all(img_dir)?;
    let cats: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
    let mut charts = Vec::new();
    for (file, fig, title, unit) in [
        (
            "compare-ingest.svg",
            &FIGURES[0],
            "Ingest rate (higher is better)",
            "field values / s",
        ),
        (
            "compare-disk.svg",
            &FIGURES[2],
            "On-disk bytes per value after persistence (lower is better)",
            "bytes / value",
        ),
        (
            "compare-rss.svg",
            &FIGURES[4],
            "Peak RSS during ingest + persistence (lower is better)",
            "MiB",
        ),
    ] {
        let vals: Vec<Option<f64>> = targets
            .iter()
            .map(|t| figure_value(result, t, fig))
            .collect();
        let svg = bar_chart(
            title,
            unit,
            &["".to_string()],
            &cats
                .iter()
                .zip(&vals)
                .map(|(c, v)| (c.clone(), vec![*v]))
                .collect::<Vec<_>>(),
            false,
        );
        let path = img_dir.join(file);
        std::fs::write(&path, svg)?;
        written.push(path);
        charts.push(file);
    }
    if !types.is_empty() {
        let series: Vec<(String, Vec<Option<f64>>)> = targets
            .iter()
            .map(|t| {
                let tv = target(result, t);
                (
                    t.to_string(),
                    types
                        .iter()
                        .map(|q| tv.and_then(|x| median(x, q)))
                        .collect(),
                )
            })
            .collect();
        let svg = bar_chart(
            "Query median latency by TSBS type (lower is better, log scale)",
            "ms",
            &types,
            &series,
            true,
        );
        let path = img_dir.join("compare-queries.svg");
        std::fs::write(&path, svg)?;
        written.push(path);
        charts.push("compare-queries.svg");
    }
    md.push('\n');
    for c in charts {
        let _ = writeln!(md, "![{c}]({img_rel}/{c})");
    }
    Ok((md, written))
}

/// The cardinality section and its charts.
pub fn cardinality_section(
    result: &Value,
    img_dir: &Path,
    img_rel: &str,
) -> anyhow::Result<(String, Vec<PathBuf>)> {
    let steps: Vec<&Value> = result["steps"].as_array().into_iter().flatten().collect();
    let mut series_counts: Vec<u64> = steps.iter().filter_map(|s| s["series"].as_u64()).collect();
    series_counts.sort_unstable();
    series_counts.dedup();
    let targets: Vec<&str> = TARGETS
        .iter()
        .copied()
        .filter(|t| steps.iter().any(|s| s["target"].as_str() == Some(*t)))
        .collect();
    let find = |t: &str, n: u64| {
        steps
            .iter()
            .find(|s| s["target"].as_str() == Some(t) && s["series"].as_u64() == Some(n))
            .copied()
    };
    let rate = |t: &str, n: u64| {
        find(t, n).and_then(|s| {
            let failed = s["failed_batches"].as_u64().unwrap_or(0) > 0
                || s["errors"].as_array().is_some_and(|e| !e.is_empty());
            (!failed).then(|| num(s, "/values_per_sec")).flatten()
        })
    };
    let rss = |t: &str, n: u64| {
        find(t, n)
            .and_then(|s| num(s, "/peak_rss_bytes"))
            .map(|b| b / MIB)
    };
    let mut md = String::new();
    let _ = writeln!(md, "### Cardinality run of {}\n", text(result, "/date"));
    let _ = writeln!(md, "- Command: `{}`", text(result, "/command"));
    let _ = writeln!(md, "- Git revision: `{}`", text(result, "/git_rev"));
    let _ = writeln!(md, "- Machine: {}", machine_line(result));
    for v in result["versions"].as_array().into_iter().flatten() {
        let _ = writeln!(md, "- {}: `{}`", text(v, "/0"), text(v, "/1"));
    }
    let _ = writeln!(
        md,
        "- Every step loads {} lines ({} workers, {}-line gzip batches) into a fresh server; \
         a step of N series is N hosts with {}/N points each.\n",
        thousands(num(result, "/lines_per_step").unwrap_or(f64::NAN)),
        text(result, "/workers"),
        text(result, "/batch_size"),
        thousands(num(result, "/lines_per_step").unwrap_or(f64::NAN)),
    );
    md.push_str("| series |");
    for t in &targets {
        let _ = write!(md, " {t} values/s | {t} peak RSS (MiB) |");
    }
    if targets.len() > 1 {
        md.push_str(" almanac ÷ influxd (rate) |");
    }
    md.push_str("\n| ---: |");
    for _ in 0..targets.len() * 2 + (targets.len() > 1) as usize {
        md.push_str(" ---: |");
    }
    md.push('\n');
    for &n in &series_counts {
        let _ = write!(md, "| {} |", thousands(n as f64));
        for t in &targets {
            let r = match find(t, n) {
                Some(s) if s["failed_batches"].as_u64().unwrap_or(0) > 0 => {
                    format!("**{} batches failed**", s["failed_batches"])
                }
                Some(s) if s["errors"].as_array().is_some_and(|e| !e.is_empty()) => {
                    "**error**".into()
                }
                _ => fmt_opt(rate(t, n), thousands),
            };
            let _ = write!(md, " {r} | {} |", fmt_opt(rss(t, n), |x| format!("{x:.0}")));
        }
        if targets.len() > 1 {
            let _ = write!(md, " {} |", ratio(rate("almanac", n), rate("influxd", n)));
        }
        md.push('\n');
    }
    if let (Some(&first), Some(&last)) = (series_counts.first(), series_counts.last()) {
        if first != last {
            md.push('\n');
            for t in &targets {
                let _ = writeln!(
                    md,
                    "- {t}: rate at {} series ÷ rate at {} series = {}",
                    thousands(last as f64),
                    thousands(first as f64),
                    ratio(rate(t, last), rate(t, first))
                );
            }
        }
    }
    for s in &steps {
        for e in s["errors"].as_array().into_iter().flatten().take(2) {
            let _ = writeln!(
                md,
                "- {} at {} series: {}",
                text(s, "/target"),
                text(s, "/series"),
                e.as_str().unwrap_or("").replace('|', "\\|")
            );
        }
    }
    std::fs::create_dir_all(img_dir)?;
    let cats: Vec<String> = series_counts
        .iter()
        .map(|n| format!("{} series", thousands(*n as f64)))
        .collect();
    let mut written = Vec::new();
    let rate_series: Vec<(String, Vec<Option<f64>>)> = targets
        .iter()
        .map(|t| {
            (
                t.to_string(),
                series_counts.iter().map(|n| rate(t, *n)).collect(),
            )
        })
        .collect();
    let rss_series: Vec<(String, Vec<Option<f64>>)> = targets
        .iter()
        .map(|t| {
            (
                t.to_string(),
                series_counts.iter().map(|n| rss(t, *n)).collect(),
            )
        })
        .collect();
    for (file, title, unit, data) in [
        (
            "cardinality-rate.svg",
            "Ingest rate as the series count grows (higher is better)",
            "field values / s",
            &rate_series,
        ),
        (
            "cardinality-rss.svg",
            "Peak RSS as the series count grows (lower is better)",
            "MiB",
            &rss_series,
        ),
    ] {
        let path = img_dir.join(file);
        std::fs::write(&path, bar_chart(title, unit, &cats, data, false))?;
        written.push(path);
        let _ = writeln!(md, "\n![{file}]({img_rel}/{file})");
    }
    Ok((md, written))
}

/// Replaces the generated section `name` of `doc` with `body`, or appends it.
pub fn replace_section(doc: &str, name: &str, body: &str) -> String {
    let begin = format!("<!-- BEGIN generated: {name} -->");
    let end = format!("<!-- END generated: {name} -->");
    let block = format!("{begin}\n{}\n{end}", body.trim_end());
    match (doc.find(&begin), doc.find(&end)) {
        (Some(b), Some(e)) if e > b => {
            format!("{}{}{}", &doc[..b], block, &doc[e + end.len()..])
        }
        _ => format!("{}\n\n{block}\n", doc.trim_end()),
    }
}

/// The newest `<prefix>-*.json` in `dir` (names sort by date).
pub fn newest(dir: &Path, prefix: &str) -> Option<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{prefix}-")) && n.ends_with(".json"))
        })
        .collect();
    files.sort();
    files.pop()
}

fn relative_img_path(doc: &Path, img_dir: &Path) -> String {
    if img_dir.is_absolute() {
        return img_dir.to_string_lossy().trim_end_matches('/').to_string();
    }
    // docs/benchmarks.md → ../bench/results when both are under the repository root.
    let doc_dir = doc.parent().unwrap_or(Path::new("."));
    let depth = doc_dir
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .count();
    let mut rel = "../".repeat(depth);
    rel.push_str(&img_dir.to_string_lossy());
    rel.trim_end_matches('/').to_string()
}

/// Regenerates the sections of `doc` from the newest (or given) results;
/// returns the files written.
pub fn regenerate(
    results_dir: &Path,
    doc: &Path,
    compare: Option<&Path>,
    cardinality: Option<&Path>,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut text_doc = std::fs::read_to_string(doc).unwrap_or_else(|_| "# Benchmarks\n".into());
    let img_rel = relative_img_path(doc, results_dir);
    let mut written = Vec::new();
    let read = |p: &Path| -> anyhow::Result<Value> {
        let s = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        serde_json::from_str(&s).with_context(|| format!("parsing {}", p.display()))
    };
    let compare = compare
        .map(Path::to_path_buf)
        .or_else(|| newest(results_dir, "compare"));
    if let Some(p) = compare {
        let (md, files) = compare_section(&read(&p)?, results_dir, &img_rel)?;
        let md = format!("{md}\nSource: `{}`.", p.display());
        text_doc = replace_section(&text_doc, "compare", &md);
        written.extend(files);
    }
    let cardinality = cardinality
        .map(Path::to_path_buf)
        .or_else(|| newest(results_dir, "cardinality"));
    if let Some(p) = cardinality {
        let (md, files) = cardinality_section(&read(&p)?, results_dir, &img_rel)?;
        let md = format!("{md}\nSource: `{}`.", p.display());
        text_doc = replace_section(&text_doc, "cardinality", &md);
        written.extend(files);
    }
    std::fs::write(doc, text_doc).with_context(|| format!("writing {}", doc.display()))?;
    written.push(doc.to_path_buf());
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "date": "2026-11-25T22:00:00Z", "command": "almanac-bench compare", "git_rev": "abc",
            "machine": {"nproc": 2, "cpu_model": "EPYC", "mem_total_bytes": 1073741824u64, "kernel": "6", "rustc": "rustc", "loadavg_start": "1 1 1", "loadavg_end": "2 2 2"},
            "dataset": {"config": {"use_case": "cpu-only", "scale": 100}, "lines": 1000, "field_values": 10000, "raw_bytes": 1e6, "body_bytes": 1e5},
            "load_settings": {"workers": 4, "batch_size": 5000, "gzip": true},
            "query_settings": {"queries_per_type": 2, "workers": 1, "seed": 1},
            "targets": [
                {"target": "almanac", "version": "almanac 0.1", "load": {"values_per_sec": 2.0e6, "wall_seconds": 1.0},
                 "persisted": {"method": "Parquet", "bytes_per_value": 0.5, "data_bytes": 5000, "dir_bytes": 9000}, "compacted": null,
                 "ingest_peak_rss_bytes": 104857600u64, "query_peak_rss_bytes": 52428800u64, "load_cpu_seconds": 1.0, "ingest_cpu_seconds": 2.0,
                 "queries": {"types": [
                    {"query_type": "lastpoint", "queries": 2, "failed": 0, "latency": {"p50_ms": 2.0, "p95_ms": 3.0}, "errors": [], "mismatches": []},
                    {"query_type": "high-cpu-1", "queries": 2, "failed": 2, "latency": null, "errors": ["query 0: HTTP 500: boom"], "mismatches": []}
                 ]}, "errors": []},
                {"target": "influxd", "version": "InfluxDB v1.6.7", "load": {"values_per_sec": 5.0e5, "wall_seconds": 4.0},
                 "persisted": {"method": "TSM", "bytes_per_value": 2.0, "data_bytes": 20000, "dir_bytes": 30000},
                 "compacted": {"method": "full", "bytes_per_value": 1.5, "data_bytes": 15000},
                 "ingest_peak_rss_bytes": 209715200u64, "query_peak_rss_bytes": 209715200u64, "load_cpu_seconds": 3.0, "ingest_cpu_seconds": 4.0,
                 "queries": {"types": [
                    {"query_type": "lastpoint", "queries": 2, "failed": 0, "latency": {"p50_ms": 8.0, "p95_ms": 9.0}, "errors": [], "mismatches": []},
                    {"query_type": "high-cpu-1", "queries": 2, "failed": 0, "latency": {"p50_ms": 4.0, "p95_ms": 5.0}, "errors": [], "mismatches": []}
                 ]}, "errors": []}
            ],
            "cross_check": {"compared": 4, "mismatches": 0}
        })
    }

    #[test]
    fn compare_section_has_ratios_failures_and_charts() {
        let dir = tempfile::tempdir().unwrap();
        let (md, files) = compare_section(&sample(), dir.path(), "../bench/results").unwrap();
        assert!(
            md.contains("| ingest values/s (higher is better) | 2,000,000 | 500,000 | 4.00× |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| bytes/value after persistence (lower is better) | 0.500 | 2.000 | 0.25× |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| lastpoint | 2.00 (3.00) | 8.00 (9.00) | 0.25× |"),
            "{md}"
        );
        assert!(
            md.contains("| high-cpu-1 | **2 of 2 failed** | 4.00 (5.00) | – |"),
            "{md}"
        );
        assert!(md.contains("almanac high-cpu-1 errors: query 0: HTTP 500: boom"));
        assert!(md.contains("4 answers compared"));
        assert_eq!(files.len(), 4);
        for f in files {
            let svg = std::fs::read_to_string(f).unwrap();
            assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        }
        let summary = compare_summary(&sample());
        assert!(summary.contains("2 failed"), "{summary}");
    }

    #[test]
    fn cardinality_section_rates_and_ratios() {
        let r = json!({"date": "d", "command": "c", "git_rev": "g", "machine": {}, "versions": [["almanac", "v"]],
            "lines_per_step": 1000, "workers": 4, "batch_size": 5000, "steps": [
            {"target": "almanac", "series": 10, "values_per_sec": 100.0, "peak_rss_bytes": 1048576.0, "failed_batches": 0, "errors": []},
            {"target": "influxd", "series": 10, "values_per_sec": 50.0, "peak_rss_bytes": 2097152.0, "failed_batches": 0, "errors": []},
            {"target": "almanac", "series": 1000, "values_per_sec": 80.0, "peak_rss_bytes": 1048576.0, "failed_batches": 0, "errors": []},
            {"target": "influxd", "series": 1000, "values_per_sec": 10.0, "peak_rss_bytes": 4194304.0, "failed_batches": 3, "errors": ["x"]}
        ]});
        let dir = tempfile::tempdir().unwrap();
        let (md, files) = cardinality_section(&r, dir.path(), "img").unwrap();
        assert!(md.contains("| 10 | 100 | 1 | 50 | 2 | 2.00× |"), "{md}");
        assert!(
            md.contains("| 1,000 | 80 | 1 | **3 batches failed** | 4 | – |"),
            "{md}"
        );
        assert!(
            md.contains("almanac: rate at 1,000 series ÷ rate at 10 series = 0.80×"),
            "{md}"
        );
        assert_eq!(files.len(), 2);
        assert!(cardinality_summary(&r).contains("errors: 1"));
    }

    #[test]
    fn sections_are_replaced_or_appended() {
        let doc = "# B\n\nintro\n";
        let once = replace_section(doc, "x", "one");
        assert!(once.ends_with("<!-- BEGIN generated: x -->\none\n<!-- END generated: x -->\n"));
        let twice = replace_section(&once, "x", "two");
        assert!(twice.contains("two") && !twice.contains("one"));
        assert_eq!(twice.matches("BEGIN generated: x").count(), 1);
        assert!(twice.starts_with("# B\n\nintro"));
    }

    #[test]
    fn helpers() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(12.0), "12");
        assert_eq!(thousands(-1000.0), "-1,000");
        assert_eq!(ratio(Some(1.0), Some(4.0)), "0.25×");
        assert_eq!(ratio(Some(1.0), None), DASH);
        assert_eq!(nice_ceiling(101.2), 200.0);
        assert_eq!(nice_ceiling(2.3e6), 2.5e6);
        assert_eq!(nice_ceiling(0.8), 1.0);
        assert_eq!(
            relative_img_path(Path::new("x/doc.md"), Path::new("/abs/r/")),
            "/abs/r"
        );
        assert_eq!(
            relative_img_path(Path::new("docs/benchmarks.md"), Path::new("bench/results")),
            "../bench/results"
        );
        let svg = bar_chart(
            "t <&>",
            "u",
            &["a".into()],
            &[("s".into(), vec![None])],
            true,
        );
        assert!(svg.contains("t &lt;&amp;&gt;"));
    }

    #[test]
    fn newest_result_by_name() {
        let d = tempfile::tempdir().unwrap();
        for n in [
            "compare-2026-01-01.json",
            "compare-2026-02-01.json",
            "cardinality-2027-01-01.json",
            "compare-x.txt",
        ] {
            std::fs::write(d.path().join(n), "{}").unwrap();
        }
        assert_eq!(
            newest(d.path(), "compare").unwrap().file_name().unwrap(),
            "compare-2026-02-01.json"
        );
        assert!(newest(&d.path().join("none"), "compare").is_none());
    }
}
