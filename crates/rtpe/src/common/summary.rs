//! Human-readable output: summaries of `query` and `delete` replies, and any reply as an
//! indented tree (`request`).

use std::fmt::Write as _;

use rtpengine_client::bencode::{Dict, Value};
use rtpengine_client::{CallStats, Counters, Endpoint, StreamStats};

/// Any dictionary as an indented tree, one `key: value` per line: nested dictionaries and lists
/// indent by two spaces, list items start with `- `, multi-line strings (SDP) follow `key: |`
/// one line each, and strings that are not UTF-8 are shown as hex.
pub(crate) fn tree(dict: &Dict) -> String {
    let mut out = String::new();
    tree_dict(&mut out, dict, 0);
    out
}

/// Writes the entries of a dictionary at `indent`.
fn tree_dict(out: &mut String, dict: &Dict, indent: usize) {
    for (key, value) in dict.iter() {
        let key = String::from_utf8_lossy(key);
        let _ = write!(out, "{:indent$}{key}:", "");
        tree_value(out, value, indent);
    }
}

/// Writes a value after its `key:` or `-`, which sits at `indent`.
fn tree_value(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Int(i) => {
            let _ = writeln!(out, " {i}");
        }
        Value::Bytes(b) => match std::str::from_utf8(b) {
            Ok("") => out.push_str(" \"\"\n"),
            Ok(s) if s.contains('\n') => {
                out.push_str(" |\n");
                for line in s.lines() {
                    let _ = writeln!(
                        out,
                        "{:width$}{}",
                        "",
                        line.trim_end_matches('\r'),
                        width = indent + 2
                    );
                }
            }
            Ok(s) if !s.chars().any(char::is_control) => {
                let _ = writeln!(out, " {s}");
            }
            Ok(s) => {
                let _ = writeln!(out, " {s:?}");
            }
            Err(_) => {
                let _ = write!(out, " <{} bytes:", b.len());
                for byte in b.iter() {
                    let _ = write!(out, " {byte:02x}");
                }
                out.push_str(">\n");
            }
        },
        Value::List(items) if items.is_empty() => out.push_str(" []\n"),
        Value::List(items) => {
            out.push('\n');
            for item in items {
                let _ = write!(out, "{:width$}-", "", width = indent + 2);
                match item {
                    Value::Dict(d) if !d.is_empty() => {
                        out.push('\n');
                        tree_dict(out, d, indent + 4);
                    }
                    other => tree_value(out, other, indent + 2),
                }
            }
        }
        Value::Dict(d) if d.is_empty() => out.push_str(" {}\n"),
        Value::Dict(d) => {
            out.push('\n');
            tree_dict(out, d, indent + 2);
        }
    }
}

/// A readable summary of call statistics: times, every party with its media and streams, and
/// the totals. Empty when the reply carries no call data. Warnings are not included (they go to
/// stderr).
pub(crate) fn call_summary(call_id: &str, stats: &CallStats) -> String {
    let mut out = String::new();
    if !stats.has_data() {
        return out;
    }
    let _ = writeln!(out, "call {call_id}");
    if let Some(created) = stats.created {
        let _ = writeln!(
            out,
            "created: {}",
            format_time(created, stats.created_us.unwrap_or(0))
        );
    }
    if let Some(last) = stats.last_signal {
        let _ = writeln!(out, "last signal: {}", format_time(last, 0));
    }
    for tag in &stats.tags {
        let name = if tag.tag.is_empty() {
            format!("(no tag yet: {})", tag.key)
        } else {
            format!("tag {}", tag.tag)
        };
        let _ = write!(out, "party {name}");
        if let Some(label) = &tag.label {
            let _ = write!(out, ", label {label}");
        }
        if let Some(created) = tag.created {
            let _ = write!(out, ", created {}", format_time(created, 0));
        }
        out.push('\n');
        for media in &tag.medias {
            let _ = write!(
                out,
                "  media {}: {} {}",
                media
                    .index
                    .map_or_else(|| "?".to_owned(), |i| i.to_string()),
                media.media_type.as_deref().unwrap_or("?"),
                media.protocol.as_deref().unwrap_or("?"),
            );
            if !media.flags.is_empty() {
                let _ = write!(out, " [{}]", media.flags.join(", "));
            }
            out.push('\n');
            for (n, stream) in media.streams.iter().enumerate() {
                let _ = writeln!(out, "    {}", stream_line(n, stream));
            }
        }
    }
    let _ = writeln!(
        out,
        "totals: RTP {}; RTCP {}",
        counters(&stats.rtp_totals),
        counters(&stats.rtcp_totals)
    );
    out
}

/// One stream: kind, local address, endpoint and counters.
fn stream_line(index: usize, stream: &StreamStats) -> String {
    let kind = stream
        .flags
        .iter()
        .find(|f| *f == "RTP" || *f == "RTCP")
        .cloned()
        .unwrap_or_else(|| format!("stream {}", index + 1));
    let local = match (&stream.local_address, stream.local_port) {
        (Some(addr), Some(port)) => host_port(addr, port),
        (None, Some(port)) => format!("port {port}"),
        _ => "-".to_owned(),
    };
    let endpoint = stream
        .endpoint
        .as_ref()
        .map_or_else(|| "-".to_owned(), endpoint);
    format!(
        "{kind:<4} local {local}  endpoint {endpoint}  {}",
        counters(&stream.stats)
    )
}

/// `address:port`, with brackets around IPv6 addresses.
fn host_port(address: &str, port: u16) -> String {
    if address.contains(':') {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    }
}

/// An endpoint as `address:port`.
fn endpoint(e: &Endpoint) -> String {
    host_port(&e.address, e.port)
}

/// `N packets, N bytes, N errors`.
fn counters(c: &Counters) -> String {
    format!(
        "{} packets, {} bytes, {} errors",
        c.packets, c.bytes, c.errors
    )
}

/// Unix time as `YYYY-MM-DD HH:MM:SS[.ffffff] UTC`.
pub(crate) fn format_time(secs: i64, micros: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if micros > 0 {
        let _ = write!(s, ".{micros:06}");
    }
    s.push_str(" UTC");
    s
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtpengine_client::bencode::Dict;

    #[test]
    fn formats_times() {
        assert_eq!(format_time(0, 0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(951_782_400, 0), "2000-02-29 00:00:00 UTC");
        assert_eq!(
            format_time(1_795_691_986, 938_396),
            "2026-11-26 11:19:46.938396 UTC"
        );
        assert_eq!(format_time(-1, 0), "1969-12-31 23:59:59 UTC");
    }

    #[test]
    fn no_call_no_summary() {
        let mut d = Dict::new();
        d.push("warning", "Call-ID not found");
        d.push("result", "ok");
        assert_eq!(call_summary("c", &CallStats::from_dict(d)), "");
    }

    #[test]
    fn trees() {
        let mut port = Dict::new();
        port.push("min", 1i64);
        let mut iface = Dict::new();
        iface.push("name", "default");
        iface.push("ports", port);
        let mut d = Dict::new();
        d.push("result", "ok");
        d.push("sdp", "v=0\r\ns=-\r\n");
        d.push("calls", Value::str_list(["a", "b"]));
        d.push("none", Value::List(vec![]));
        d.push("interfaces", Value::List(vec![Value::Dict(iface)]));
        d.push("empty", Dict::new());
        d.push("blank", "");
        d.push("bin", Value::bytes(&b"\xff\x00"[..]));
        d.push("tab", "a\tb");
        d.push(
            "nested",
            Value::List(vec![Value::List(vec![Value::Int(1)]), Value::Int(2)]),
        );
        assert_eq!(
            tree(&d),
            "result: ok\n\
             sdp: |\n  v=0\n  s=-\n\
             calls:\n  - a\n  - b\n\
             none: []\n\
             interfaces:\n  -\n    name: default\n    ports:\n      min: 1\n\
             empty: {}\n\
             blank: \"\"\n\
             bin: <2 bytes: ff 00>\n\
             tab: \"a\\tb\"\n\
             nested:\n  -\n    - 1\n  - 2\n"
        );
    }

    #[test]
    fn ipv6_in_brackets() {
        assert_eq!(host_port("::1", 5), "[::1]:5");
        assert_eq!(host_port("127.0.0.1", 5), "127.0.0.1:5");
    }
}
