//! A readable summary of rtpengine's `statistics` reply.
//!
//! The reply is a loosely typed tree whose keys grow with every release, and whose values mix
//! integers and decimal strings (`"uptime": "109"`, `"used_pct": "1.99"`), so it is read leniently:
//! a missing or unreadable value is left out of the summary, never an error.

use std::fmt::Write as _;

use rtpengine_client::{Dict, Value};

/// A number from an integer or a decimal string.
fn number(v: &Value) -> Option<f64> {
    match v {
        // Counters fit f64 exactly far beyond anything a daemon reaches.
        Value::Int(i) => Some(*i as f64),
        Value::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// A whole number from an integer or a decimal string (a fraction is truncated).
fn whole(v: &Value) -> Option<i64> {
    v.as_int_lenient().or_else(|| {
        number(v)
            .filter(|f| f.is_finite())
            // The value is a counter: truncation is what is meant.
            .map(|f| f.trunc() as i64)
    })
}

/// A dictionary entry as a whole number.
fn int_at(d: &Dict, key: &str) -> Option<i64> {
    d.get(key).and_then(whole)
}

/// A dictionary entry as a number.
fn num_at(d: &Dict, key: &str) -> Option<f64> {
    d.get(key).and_then(number)
}

/// A dictionary entry as a sub-dictionary.
fn dict_at<'a>(d: &'a Dict, key: &str) -> Option<&'a Dict> {
    d.get(key).and_then(Value::as_dict)
}

/// `value` or `-`.
fn or_dash(v: Option<i64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// The full command name of a short name used in `controlstatistics` (as the daemon prints them,
/// lower-cased); unknown short names are shown as they are.
fn command_name(short: &str) -> &str {
    match short {
        "startrec" => "start recording",
        "stoprec" => "stop recording",
        "pauserec" => "pause recording",
        "startfwd" => "start forwarding",
        "stopfwd" => "stop forwarding",
        "blkdtmf" => "block DTMF",
        "unblkdtmf" => "unblock DTMF",
        "blkmedia" => "block media",
        "unblkmedia" => "unblock media",
        "slnmedia" => "silence media",
        "unslnmedia" => "unsilence media",
        "playmedia" => "play media",
        "stopmedia" => "stop media",
        "playdtmf" => "play DTMF",
        "stats" => "statistics",
        "pub" => "publish",
        "subreq" => "subscribe request",
        "subans" => "subscribe answer",
        "unsub" => "unsubscribe",
        other => other,
    }
}

/// Seconds as `1d 2h 3m 4s` (leading zero units left out).
pub(crate) fn format_duration(secs: i64) -> String {
    let secs = secs.max(0);
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

/// The summary of a `statistics` reply (the whole reply dictionary, with its `statistics` key).
pub(crate) fn statistics_summary(reply: &Dict) -> String {
    let mut out = String::new();
    let Some(stats) = dict_at(reply, "statistics") else {
        out.push_str("(the reply has no statistics)\n");
        return out;
    };

    if let Some(cur) = dict_at(stats, "currentstatistics") {
        let _ = write!(
            out,
            "sessions: own {}, foreign {}, total {}",
            or_dash(int_at(cur, "sessionsown")),
            or_dash(int_at(cur, "sessionsforeign")),
            or_dash(int_at(cur, "sessionstotal")),
        );
        if let Some(t) = int_at(cur, "transcodedmedia") {
            let _ = write!(out, "; transcoded media {t}");
        }
        out.push('\n');
        let _ = writeln!(
            out,
            "rates: {} packets/s, {} bytes/s, {} errors/s",
            or_dash(int_at(cur, "packetrate")),
            or_dash(int_at(cur, "byterate")),
            or_dash(int_at(cur, "errorrate")),
        );
    }

    if let Some(total) = dict_at(stats, "totalstatistics") {
        if let Some(up) = int_at(total, "uptime") {
            let _ = writeln!(out, "uptime: {}", format_duration(up));
        }
        let _ = writeln!(
            out,
            "sessions since start: managed {}, rejected {}, timed out {}, terminated {} \
             regularly, {} forcibly",
            or_dash(int_at(total, "managedsessions")),
            or_dash(int_at(total, "rejectedsessions")),
            or_dash(int_at(total, "timeoutsessions")),
            or_dash(int_at(total, "regularterminatedsessions")),
            or_dash(int_at(total, "forcedterminatedsessions")),
        );
        let _ = write!(
            out,
            "relayed: {} packets, {} bytes, {} errors",
            or_dash(int_at(total, "relayedpackets")),
            or_dash(int_at(total, "relayedbytes")),
            or_dash(int_at(total, "relayedpacketerrors")),
        );
        if let Some(avg) = num_at(total, "avgcallduration") {
            let _ = write!(out, "; average call {avg:.1} s");
        }
        out.push('\n');
    }

    if let Some(interfaces) = stats.get("interfaces").and_then(Value::as_list) {
        out.push_str("interfaces:\n");
        if interfaces.is_empty() {
            out.push_str("  (none)\n");
        }
        for iface in interfaces.iter().filter_map(Value::as_dict) {
            out.push_str(&interface_line(iface));
        }
    }

    if let Some(control) = dict_at(stats, "controlstatistics") {
        out.push_str(&commands(control));
    }

    if let Some(mos) = dict_at(stats, "mos") {
        let samples = int_at(mos, "mos_samples_total").unwrap_or(0);
        match num_at(mos, "mos_average") {
            Some(avg) if samples > 0 => {
                let _ = write!(out, "MOS: average {avg:.2} over {samples} samples");
                if let Some(dev) = num_at(mos, "mos_stddev") {
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
fn interface_line(iface: &Dict) -> String {
    let name = iface.get_string("name").unwrap_or_else(|| "?".to_owned());
    let mut line = format!("  {name}");
    if let Some(addr) = iface.get_string("address") {
        let _ = write!(line, " {addr}");
    }
    if let Some(ports) = dict_at(iface, "ports") {
        let used = int_at(ports, "used");
        let free = int_at(ports, "free");
        let total = int_at(ports, "totals").or(match (used, free) {
            (Some(u), Some(f)) => Some(u + f),
            _ => None,
        });
        if let (Some(min), Some(max)) = (int_at(ports, "min"), int_at(ports, "max")) {
            let _ = write!(line, "  ports {min}-{max}:");
        } else {
            line.push_str("  ports:");
        }
        let _ = write!(
            line,
            " used {}, free {}, total {}",
            or_dash(used),
            or_dash(free),
            or_dash(total)
        );
        let pct = num_at(ports, "used_pct").or(match (used, total) {
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

/// The per-command counts (`total<short>count`, summed over proxies by rtpengine) and average
/// durations (the proxies' `<short>duration` totals divided by the count), for commands sent at
/// least once; then the error count.
fn commands(control: &Dict) -> String {
    let proxies: Vec<&Dict> = control
        .get("proxies")
        .and_then(Value::as_list)
        .map(|l| l.iter().filter_map(Value::as_dict).collect())
        .unwrap_or_default();
    let mut rows = Vec::new();
    for (key, value) in control.iter() {
        let key = String::from_utf8_lossy(key);
        let Some(short) = key
            .strip_prefix("total")
            .and_then(|k| k.strip_suffix("count"))
        else {
            continue;
        };
        let count = whole(value).unwrap_or(0);
        if count <= 0 {
            continue;
        }
        let time: f64 = proxies
            .iter()
            .filter_map(|p| num_at(p, &format!("{short}duration")))
            .sum();
        let avg_ms = time * 1000.0 / count as f64;
        rows.push((command_name(short).to_owned(), count, avg_ms));
    }
    let mut out = String::from("commands:\n");
    if rows.is_empty() {
        out.push_str("  (none yet)\n");
    }
    let width = rows.iter().map(|(n, _, _)| n.len()).max().unwrap_or(0);
    for (name, count, avg_ms) in rows {
        let _ = writeln!(out, "  {name:<width$}  {count:>8}  avg {avg_ms:.3} ms");
    }
    let errors: i64 = proxies.iter().filter_map(|p| int_at(p, "errorcount")).sum();
    let _ = writeln!(out, "  errors: {errors}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let text = statistics_summary(&reply);
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
        assert!(statistics_summary(&Dict::new()).contains("no statistics"));
        let reply = dict(&[("statistics", Value::Dict(Dict::new()))]);
        assert_eq!(statistics_summary(&reply), "");
    }
}
