//! A readable summary of rtpengine's `statistics` reply, read through the library's
//! [`Statistics`] accessors.
//!
//! The reply is a loosely typed tree whose keys grow with every release, and whose values mix
//! integers and decimal strings (`"uptime": "109"`, `"used_pct": "1.99"`); the accessors read
//! both and return `None` for what the daemon did not send, which the summary leaves out (or
//! shows as `-`), never an error.

use std::fmt::Write as _;

use rtpengine_client::message::command_long_name;
use rtpengine_client::{InterfaceStats, Layer, Statistics};

/// `value` or `-`.
fn or_dash(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// Seconds as `1d 2h 3m 4s` (leading zero units left out).
pub(crate) fn format_duration(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let mut out = String::new();
    for (n, unit) in [(d, "d"), (h, "h"), (m, "m")] {
        if n > 0 || !out.is_empty() {
            let _ = write!(out, "{n}{unit} ");
        }
    }
    let _ = write!(out, "{s}s");
    out
}

/// The summary of a `statistics` reply.
pub(crate) fn statistics_summary(stats: &Statistics) -> String {
    let mut out = String::new();
    if stats.tree().is_none() {
        out.push_str("(the reply has no statistics)\n");
        return out;
    }

    if stats.get(&["currentstatistics"]).is_some() {
        let _ = write!(
            out,
            "sessions: own {}, foreign {}, total {}",
            or_dash(stats.sessions_own()),
            or_dash(stats.sessions_foreign()),
            or_dash(stats.sessions_total()),
        );
        if let Some(t) = stats.transcoded_media() {
            let _ = write!(out, "; transcoded media {t}");
        }
        out.push('\n');
        let _ = writeln!(
            out,
            "rates: {} packets/s, {} bytes/s, {} errors/s",
            or_dash(stats.packet_rate(Layer::Total)),
            or_dash(stats.byte_rate(Layer::Total)),
            or_dash(stats.error_rate(Layer::Total)),
        );
    }

    if stats.get(&["totalstatistics"]).is_some() {
        if let Some(up) = stats.uptime() {
            let _ = writeln!(out, "uptime: {}", format_duration(up.as_secs()));
        }
        let _ = writeln!(
            out,
            "sessions since start: managed {}, rejected {}, timed out {}, terminated {} \
             regularly, {} forcibly",
            or_dash(stats.managed_sessions()),
            or_dash(stats.rejected_sessions()),
            or_dash(stats.timeout_sessions()),
            or_dash(stats.regular_terminated_sessions()),
            or_dash(stats.forced_terminated_sessions()),
        );
        let _ = write!(
            out,
            "relayed: {} packets, {} bytes, {} errors",
            or_dash(stats.relayed_packets(Layer::Total)),
            or_dash(stats.relayed_bytes(Layer::Total)),
            or_dash(stats.relayed_packet_errors(Layer::Total)),
        );
        if let Some(avg) = stats.avg_call_duration() {
            let _ = write!(out, "; average call {avg:.1} s");
        }
        out.push('\n');
    }

    if stats
        .get(&["interfaces"])
        .and_then(|v| v.as_list())
        .is_some()
    {
        out.push_str("interfaces:\n");
        let interfaces = stats.interfaces();
        if interfaces.is_empty() {
            out.push_str("  (none)\n");
        }
        for iface in &interfaces {
            out.push_str(&interface_line(iface));
        }
    }

    if stats.get(&["controlstatistics"]).is_some() {
        out.push_str(&commands(stats));
    }

    if let Some(mos) = stats.mos() {
        match mos.average {
            Some(avg) if mos.samples.unwrap_or(0) > 0 => {
                let samples = mos.samples.unwrap_or(0);
                let _ = write!(out, "MOS: average {avg:.2} over {samples} samples");
                if let Some(dev) = mos.stddev {
                    let _ = write!(out, " (std. dev. {dev:.2})");
                }
                out.push('\n');
            }
            _ => out.push_str("MOS: no samples yet\n"),
        }
    }
    out
}

/// `  NAME ADDRESS  ports MIN-MAX: used N, free N, total N (P%)`.
fn interface_line(iface: &InterfaceStats) -> String {
    let name = iface.name.as_deref().unwrap_or("?");
    let mut line = format!("  {name}");
    if let Some(addr) = &iface.address {
        let _ = write!(line, " {addr}");
    }
    if iface.raw.get("ports").is_some() {
        let p = &iface.ports;
        let total = p.totals.or(match (p.used, p.free) {
            (Some(u), Some(f)) => Some(u + f),
            _ => None,
        });
        if let (Some(min), Some(max)) = (p.min, p.max) {
            let _ = write!(line, "  ports {min}-{max}:");
        } else {
            line.push_str("  ports:");
        }
        let _ = write!(
            line,
            " used {}, free {}, total {}",
            or_dash(p.used),
            or_dash(p.free),
            or_dash(total)
        );
        let pct = p.used_pct.or(match (p.used, total) {
            (Some(u), Some(t)) if t > 0 => Some(u as f64 * 100.0 / t as f64),
            _ => None,
        });
        if let Some(pct) = pct {
            let _ = write!(line, " ({pct:.2}% used)");
        }
    }
    line.push('\n');
    line
}

/// The per-command counts (`total<short>count`, in reply order) and average durations (the
/// proxies' durations summed, divided by the count), for commands sent at least once; then the
/// error count.
fn commands(stats: &Statistics) -> String {
    let proxies = stats.proxies();
    let shorts: Vec<String> = stats
        .get(&["controlstatistics"])
        .and_then(|v| v.as_dict())
        .map(|control| {
            control
                .iter()
                .filter_map(|(key, _)| {
                    let key = std::str::from_utf8(key).ok()?;
                    let short = key.strip_prefix("total")?.strip_suffix("count")?;
                    (!short.is_empty() && short != "error").then(|| short.to_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    let mut rows = Vec::new();
    for short in &shorts {
        let count = stats.command_count(short).unwrap_or(0);
        if count == 0 {
            continue;
        }
        let time: f64 = proxies
            .iter()
            .filter_map(|p| p.command_duration(short))
            .sum();
        let avg_ms = time * 1000.0 / count as f64;
        rows.push((command_long_name(short).to_owned(), count, avg_ms));
    }
    let mut out = String::from("commands:\n");
    if rows.is_empty() {
        out.push_str("  (none yet)\n");
    }
    let width = rows.iter().map(|(n, _, _)| n.len()).max().unwrap_or(0);
    for (name, count, avg_ms) in rows {
        let _ = writeln!(out, "  {name:<width$}  {count:>8}  avg {avg_ms:.3} ms");
    }
    let _ = writeln!(out, "  errors: {}", stats.error_count().unwrap_or(0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtpengine_client::bencode::{Dict, Value};

    fn dict(entries: &[(&str, Value)]) -> Dict {
        let mut d = Dict::new();
        for (k, v) in entries {
            d.push(k.to_string(), v.clone());
        }
        d
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(109), "1m 49s");
        assert_eq!(format_duration(3600), "1h 0m 0s");
        assert_eq!(format_duration(90_061), "1d 1h 1m 1s");
    }

    #[test]
    fn summary_reads_ints_and_strings() {
        let cur = dict(&[
            ("sessionsown", Value::Int(2)),
            ("sessionsforeign", Value::Int(1)),
            ("sessionstotal", Value::Int(3)),
            ("packetrate", Value::Int(50)),
            ("byterate", Value::Int(8000)),
            ("errorrate", Value::Int(0)),
        ]);
        let total = dict(&[
            ("uptime", Value::str("109")),
            ("managedsessions", Value::Int(4)),
            ("avgcallduration", Value::str("12.500000")),
        ]);
        let ports = dict(&[
            ("min", Value::Int(30000)),
            ("max", Value::Int(30100)),
            ("used", Value::Int(4)),
            ("used_pct", Value::str("3.96")),
            ("free", Value::Int(97)),
            ("totals", Value::Int(101)),
        ]);
        let iface = dict(&[
            ("name", Value::str("default")),
            ("address", Value::str("127.0.0.1")),
            ("ports", Value::Dict(ports)),
        ]);
        let proxy = |offers: &str| {
            Value::Dict(dict(&[
                ("proxy", Value::str("127.0.0.1")),
                ("offercount", Value::Int(2)),
                ("offerduration", Value::str(offers)),
                ("errorcount", Value::Int(1)),
            ]))
        };
        let control = dict(&[
            (
                "proxies",
                Value::List(vec![proxy("0.002000"), proxy("0.001000")]),
            ),
            ("totalpingcount", Value::Int(0)),
            ("totaloffercount", Value::Int(4)),
            ("totalstartreccount", Value::Int(1)),
        ]);
        let mos = dict(&[
            ("mos_samples_total", Value::Int(10)),
            ("mos_average", Value::str("4.310000")),
        ]);
        let stats = dict(&[
            ("currentstatistics", Value::Dict(cur)),
            ("totalstatistics", Value::Dict(total)),
            ("interfaces", Value::List(vec![Value::Dict(iface)])),
            ("controlstatistics", Value::Dict(control)),
            ("mos", Value::Dict(mos)),
        ]);
        let reply = dict(&[("statistics", Value::Dict(stats))]);
        let text = statistics_summary(&Statistics::from_dict(reply));
        for needle in [
            "sessions: own 2, foreign 1, total 3\n",
            "rates: 50 packets/s, 8000 bytes/s, 0 errors/s\n",
            "uptime: 1m 49s\n",
            "managed 4",
            "average call 12.5 s",
            "  default 127.0.0.1  ports 30000-30100: used 4, free 97, total 101 (3.96% used)\n",
            "offer",
            "avg 0.750 ms",
            "start recording",
            "errors: 2\n",
            "MOS: average 4.31 over 10 samples\n",
        ] {
            assert!(text.contains(needle), "{needle:?} missing in:\n{text}");
        }
        assert!(
            !text.contains("ping"),
            "unused commands are left out:\n{text}"
        );
    }

    #[test]
    fn summary_of_nothing() {
        assert!(statistics_summary(&Statistics::from_dict(Dict::new())).contains("no statistics"));
        let reply = dict(&[("statistics", Value::Dict(Dict::new()))]);
        assert_eq!(statistics_summary(&Statistics::from_dict(reply)), "");
    }
}
