//! The reply to `statistics`: a loosely typed tree with typed accessors.
//!
//! rtpengine's statistics mix integers and decimal strings (10.5 sends `uptime` as `"24"`,
//! durations and percentages as `"0.000000"`), and the key set changes with every release (new
//! commands add counters, some keys were renamed). [`Statistics`] therefore keeps the whole
//! reply and reads figures leniently: each accessor returns `None` when the daemon did not send
//! that figure, and accepts an integer or a decimal string alike.

use std::time::Duration;

use crate::bencode::{Dict, Encoder, Value};
use crate::message::request::Request;
use crate::version::Version;

/// The `statistics` request (no keys besides `command`).
#[derive(Debug, Clone, Copy, Default)]
pub struct StatisticsRequest;

impl Request for StatisticsRequest {
    fn command(&self) -> &str {
        "statistics"
    }
    fn encode_keys(&self, _enc: &mut Encoder<'_>, _target: Option<Version>) {}
}

/// Which packets a rate or total counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Everything (`packetrate`, `relayedpackets`…).
    Total,
    /// Packets relayed in user space (`…_user`).
    User,
    /// Packets relayed by the kernel module (`…_kernel`).
    Kernel,
}

impl Layer {
    fn suffix(self) -> &'static str {
        match self {
            Self::Total => "",
            Self::User => "_user",
            Self::Kernel => "_kernel",
        }
    }
}

/// NG command names and the short names rtpengine uses in `controlstatistics`
/// (`total<short>count`, per proxy `<short>count` / `<short>duration`).
pub const COMMAND_SHORT_NAMES: &[(&str, &str)] = &[
    ("ping", "ping"),
    ("offer", "offer"),
    ("answer", "answer"),
    ("delete", "delete"),
    ("query", "query"),
    ("list", "list"),
    ("start recording", "startrec"),
    ("stop recording", "stoprec"),
    ("pause recording", "pauserec"),
    ("start forwarding", "startfwd"),
    ("stop forwarding", "stopfwd"),
    ("block DTMF", "blkdtmf"),
    ("unblock DTMF", "unblkdtmf"),
    ("block media", "blkmedia"),
    ("unblock media", "unblkmedia"),
    ("play media", "playmedia"),
    ("stop media", "stopmedia"),
    ("play DTMF", "playdtmf"),
    ("statistics", "stats"),
    ("silence media", "slnmedia"),
    ("unsilence media", "unslnmedia"),
    ("publish", "pub"),
    ("subscribe request", "subreq"),
    ("subscribe answer", "subans"),
    ("unsubscribe", "unsub"),
    ("inject start", "injstart"),
    ("inject stop", "injstop"),
    ("connect", "conn"),
    ("cli", "cli"),
    ("transform", "trnsfm"),
    ("create", "create"),
    ("create answer", "crtansw"),
    ("mesh", "mesh"),
];

/// The short name of a command (`subscribe request` → `subreq`); a short name is returned as
/// is; anything else is lower-cased with spaces removed.
pub fn command_short_name(command: &str) -> String {
    COMMAND_SHORT_NAMES
        .iter()
        .find(|(long, short)| *long == command || *short == command)
        .map(|(_, short)| (*short).to_owned())
        .unwrap_or_else(|| command.to_ascii_lowercase().replace(' ', ""))
}

/// The NG name of a command given by NG name or short name (`subreq` → `subscribe request`).
pub fn command_long_name(command: &str) -> &str {
    COMMAND_SHORT_NAMES
        .iter()
        .find(|(long, short)| *long == command || *short == command)
        .map_or(command, |(long, _)| long)
}

/// Reads a number from an integer or a decimal string.
fn float(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
        _ => None,
    }
}

fn uint(v: &Value) -> Option<u64> {
    v.as_int_lenient().and_then(|i| u64::try_from(i).ok())
}

/// The port usage of one interface (`interfaces[].ports`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct PortUsage {
    /// Lowest media port.
    pub min: Option<u64>,
    /// Highest media port.
    pub max: Option<u64>,
    /// Ports in use.
    pub used: Option<u64>,
    /// Ports in use, in percent.
    pub used_pct: Option<f64>,
    /// Free ports.
    pub free: Option<u64>,
    /// Ports in the range.
    pub totals: Option<u64>,
    /// The last port handed out (10.5 only: 12.5 and 26.0 do not report it).
    pub last: Option<u64>,
}

/// One local interface (`interfaces[]`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct InterfaceStats {
    /// Logical interface name (`default` when unnamed).
    pub name: Option<String>,
    /// The local address.
    pub address: Option<String>,
    /// Its media ports.
    pub ports: PortUsage,
    /// Every field, unknown ones included.
    pub raw: Dict,
}

/// One control peer (`controlstatistics.proxies[]`): the commands it sent.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProxyStats {
    /// The peer's address.
    pub proxy: Option<String>,
    /// Requests of this peer that failed.
    pub error_count: Option<u64>,
    /// Every field, unknown ones included.
    pub raw: Dict,
}

impl ProxyStats {
    /// How many `command` requests (NG name or short name) this peer sent.
    pub fn command_count(&self, command: &str) -> Option<u64> {
        let short = command_short_name(command);
        self.raw
            .get(&format!("{short}count"))
            .or_else(|| self.raw.get(&short))
            .and_then(uint)
    }

    /// The time spent on this peer's `command` requests, in seconds.
    pub fn command_duration(&self, command: &str) -> Option<f64> {
        let short = command_short_name(command);
        self.raw.get(&format!("{short}duration")).and_then(float)
    }
}

/// Mean opinion score figures (`mos`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct Mos {
    /// `mos_average`.
    pub average: Option<f64>,
    /// `mos_stddev`.
    pub stddev: Option<f64>,
    /// `mos_samples_total`.
    pub samples: Option<u64>,
    /// `mos_total`: the sum of all samples.
    pub total: Option<f64>,
}

/// The reply to `statistics`.
///
/// ```
/// # use rtpengine_client::bencode::{Dict, Value};
/// # use rtpengine_client::Statistics;
/// let current: Dict = [("sessionsown", Value::Int(2))].into_iter().collect();
/// let stats: Dict = [("currentstatistics", Value::Dict(current))].into_iter().collect();
/// let reply: Dict = [("statistics", Value::Dict(stats)), ("result", Value::str("ok"))]
///     .into_iter()
///     .collect();
/// let s = Statistics::from_dict(reply);
/// assert_eq!(s.sessions_own(), Some(2));
/// assert_eq!(s.int(&["currentstatistics", "sessionsown"]), Some(2));
/// assert_eq!(s.sessions_foreign(), None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    /// The whole reply dictionary (the figures are under `statistics`).
    pub raw: Dict,
}

impl Statistics {
    /// Wraps a reply (anything without a `statistics` dictionary reads as empty).
    pub fn from_dict(raw: Dict) -> Self {
        Self { raw }
    }

    /// The `statistics` dictionary, if present.
    pub fn tree(&self) -> Option<&Dict> {
        self.raw.get("statistics").and_then(Value::as_dict)
    }

    /// The value at `path` below `statistics` (dictionary keys; a decimal number indexes a
    /// list), e.g. `["interfaces", "0", "ports", "used"]`.
    pub fn get(&self, path: &[&str]) -> Option<&Value> {
        let mut v = self.raw.get("statistics")?;
        for step in path {
            v = match v {
                Value::Dict(d) => d.get(step)?,
                Value::List(items) => items.get(step.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(v)
    }

    /// An integer at `path`, also from a decimal string (`"24"`); a fractional string such as
    /// `"1.99"` is not an integer.
    pub fn int(&self, path: &[&str]) -> Option<i64> {
        self.get(path)?.as_int_lenient()
    }

    /// A number at `path`, from an integer or a decimal string (`"0.000237"`).
    pub fn float(&self, path: &[&str]) -> Option<f64> {
        self.get(path).and_then(float)
    }

    /// A string at `path`, as text.
    pub fn text(&self, path: &[&str]) -> Option<String> {
        self.get(path)?
            .as_bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    fn current(&self, key: &str) -> Option<u64> {
        self.get(&["currentstatistics", key]).and_then(uint)
    }

    fn total(&self, key: &str) -> Option<u64> {
        self.get(&["totalstatistics", key]).and_then(uint)
    }

    /// Calls owned by this rtpengine now (`sessionsown`).
    pub fn sessions_own(&self) -> Option<u64> {
        self.current("sessionsown")
    }

    /// Calls owned by other rtpengines (redis replication) now (`sessionsforeign`).
    pub fn sessions_foreign(&self) -> Option<u64> {
        self.current("sessionsforeign")
    }

    /// All calls now (`sessionstotal`).
    pub fn sessions_total(&self) -> Option<u64> {
        self.current("sessionstotal")
    }

    /// Media being transcoded now (`transcodedmedia`).
    pub fn transcoded_media(&self) -> Option<u64> {
        self.current("transcodedmedia")
    }

    /// Media relayed in user space / by the kernel / both now (`media_userspace`,
    /// `media_kernel`, `media_mixed`; `Layer::Total` reads `media_mixed`).
    pub fn media_streams(&self, layer: Layer) -> Option<u64> {
        self.current(match layer {
            Layer::User => "media_userspace",
            Layer::Kernel => "media_kernel",
            Layer::Total => "media_mixed",
        })
    }

    /// Packets per second now (`packetrate`, `packetrate_user`, `packetrate_kernel`).
    pub fn packet_rate(&self, layer: Layer) -> Option<u64> {
        self.current(&format!("packetrate{}", layer.suffix()))
    }

    /// Bytes per second now (`byterate…`).
    pub fn byte_rate(&self, layer: Layer) -> Option<u64> {
        self.current(&format!("byterate{}", layer.suffix()))
    }

    /// Errors per second now (`errorrate…`).
    pub fn error_rate(&self, layer: Layer) -> Option<u64> {
        self.current(&format!("errorrate{}", layer.suffix()))
    }

    /// Time since the daemon started (`uptime`, whole seconds; a string in 10.5).
    pub fn uptime(&self) -> Option<Duration> {
        self.float(&["totalstatistics", "uptime"])
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64)
    }

    /// Calls handled since start, finished ones (`managedsessions`).
    pub fn managed_sessions(&self) -> Option<u64> {
        self.total("managedsessions")
    }

    /// Calls refused (`rejectedsessions`).
    pub fn rejected_sessions(&self) -> Option<u64> {
        self.total("rejectedsessions")
    }

    /// Calls ended by a media timeout (`timeoutsessions`).
    pub fn timeout_sessions(&self) -> Option<u64> {
        self.total("timeoutsessions")
    }

    /// Calls ended by the silent timeout (`silenttimeoutsessions`).
    pub fn silent_timeout_sessions(&self) -> Option<u64> {
        self.total("silenttimeoutsessions")
    }

    /// Calls ended by the final timeout (`finaltimeoutsessions`).
    pub fn final_timeout_sessions(&self) -> Option<u64> {
        self.total("finaltimeoutsessions")
    }

    /// Calls ended by the offer timeout (`offertimeoutsessions`).
    pub fn offer_timeout_sessions(&self) -> Option<u64> {
        self.total("offertimeoutsessions")
    }

    /// Calls ended by `delete` (`regularterminatedsessions`).
    pub fn regular_terminated_sessions(&self) -> Option<u64> {
        self.total("regularterminatedsessions")
    }

    /// Calls terminated by force, e.g. from the CLI (`forcedterminatedsessions`).
    pub fn forced_terminated_sessions(&self) -> Option<u64> {
        self.total("forcedterminatedsessions")
    }

    /// Packets relayed since start (`relayedpackets…`).
    pub fn relayed_packets(&self, layer: Layer) -> Option<u64> {
        self.total(&format!("relayedpackets{}", layer.suffix()))
    }

    /// Bytes relayed since start (`relayedbytes…`).
    pub fn relayed_bytes(&self, layer: Layer) -> Option<u64> {
        self.total(&format!("relayedbytes{}", layer.suffix()))
    }

    /// Relay errors since start (`relayedpacketerrors…`).
    pub fn relayed_packet_errors(&self, layer: Layer) -> Option<u64> {
        self.total(&format!("relayedpacketerrors{}", layer.suffix()))
    }

    /// Finished calls whose streams never carried media (`zerowaystreams`).
    pub fn zero_way_streams(&self) -> Option<u64> {
        self.total("zerowaystreams")
    }

    /// Finished calls with media in one direction only (`onewaystreams`).
    pub fn one_way_streams(&self) -> Option<u64> {
        self.total("onewaystreams")
    }

    /// Average call duration in seconds (`avgcallduration`).
    pub fn avg_call_duration(&self) -> Option<f64> {
        self.float(&["totalstatistics", "avgcallduration"])
    }

    /// Sum of call durations in seconds (`totalcallsduration`).
    pub fn total_calls_duration(&self) -> Option<f64> {
        self.float(&["totalstatistics", "totalcallsduration"])
    }

    /// Mean opinion score figures, when the reply has a `mos` dictionary.
    pub fn mos(&self) -> Option<Mos> {
        self.get(&["mos"])?.as_dict()?;
        Some(Mos {
            average: self.float(&["mos", "mos_average"]),
            stddev: self.float(&["mos", "mos_stddev"]),
            samples: self.get(&["mos", "mos_samples_total"]).and_then(uint),
            total: self.float(&["mos", "mos_total"]),
        })
    }

    /// The local interfaces and their port usage.
    pub fn interfaces(&self) -> Vec<InterfaceStats> {
        let Some(list) = self.get(&["interfaces"]).and_then(Value::as_list) else {
            return Vec::new();
        };
        list.iter()
            .filter_map(Value::as_dict)
            .map(|d| {
                let p = d.get("ports");
                let n = |k: &str| p.and_then(|p| p.get(k)).and_then(uint);
                InterfaceStats {
                    name: d.get_string("name"),
                    address: d.get_string("address"),
                    ports: PortUsage {
                        min: n("min"),
                        max: n("max"),
                        used: n("used"),
                        used_pct: p.and_then(|p| p.get("used_pct")).and_then(float),
                        free: n("free"),
                        totals: n("totals"),
                        last: n("last"),
                    },
                    raw: d.clone(),
                }
            })
            .collect()
    }

    /// How many `command` requests the daemon handled since start, from every peer
    /// (`controlstatistics.total<short>count`). `command` is an NG name (`subscribe request`)
    /// or rtpengine's short name (`subreq`).
    pub fn command_count(&self, command: &str) -> Option<u64> {
        let short = command_short_name(command);
        self.get(&["controlstatistics", &format!("total{short}count")])
            // The README's sample spells some totals without `count` (`totalblkmedia`).
            .or_else(|| self.get(&["controlstatistics", &format!("total{short}")]))
            .and_then(uint)
    }

    /// The average processing delay of `command` over the last statistics interval, in seconds
    /// (`intervalstatistics.avg<command>delay`, e.g. `avgsubscribe requestdelay`). `command` is
    /// an NG name or a short name. Only meaningful when the daemon computes interval statistics
    /// (`--graphite-interval`): 10.5 always reports the section (0 without graphite), 12.5 and
    /// 26.0 only with graphite configured (`None` otherwise).
    pub fn command_delay(&self, command: &str) -> Option<f64> {
        let long = command_long_name(command);
        self.float(&["intervalstatistics", &format!("avg{long}delay")])
    }

    /// The average rate of `command` requests over the last statistics interval, per second
    /// (`intervalstatistics.avg<command>requestrate`).
    pub fn command_request_rate(&self, command: &str) -> Option<f64> {
        let long = command_long_name(command);
        self.float(&["intervalstatistics", &format!("avg{long}requestrate")])
    }

    /// The control peers and the commands each sent.
    pub fn proxies(&self) -> Vec<ProxyStats> {
        let Some(list) = self
            .get(&["controlstatistics", "proxies"])
            .and_then(Value::as_list)
        else {
            return Vec::new();
        };
        list.iter()
            .filter_map(Value::as_dict)
            .map(|d| ProxyStats {
                proxy: d.get_string("proxy"),
                error_count: d.get("errorcount").and_then(uint),
                raw: d.clone(),
            })
            .collect()
    }

    /// Failed requests since start: `totalerrorcount` when the daemon sends it, else the sum
    /// of the peers' `errorcount` (10.5).
    pub fn error_count(&self) -> Option<u64> {
        if let Some(n) = self
            .get(&["controlstatistics", "totalerrorcount"])
            .and_then(uint)
        {
            return Some(n);
        }
        let list = self.get(&["controlstatistics", "proxies"])?.as_list()?;
        Some(
            list.iter()
                .filter_map(|p| p.get("errorcount"))
                .filter_map(uint)
                .sum(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::reply::parse_message;
    use bytes::Bytes;

    fn stats(body: &'static [u8]) -> Statistics {
        let (_, d) = parse_message(&Bytes::from_static(body)).unwrap();
        Statistics::from_dict(d)
    }

    #[test]
    fn lenient_figures_from_10_5_shapes() {
        let s = stats(
            b"c d10:statisticsd17:currentstatisticsd11:sessionsowni3e15:sessionsforeigni0e15:packetrat\
              e_useri7ee15:totalstatisticsd6:uptime2:2415:avgcallduration8:1.500000e18:intervalstatist\
              icsd25:avgsubscribe requestdelay8:0.000250e3:mosd11:mos_average8:4.10000017:mos_samples_\
              totali2ee17:controlstatisticsd7:proxiesld5:proxy9:127.0.0.111:subreqcounti9e14:subreqdur\
              ation8:0.00044610:errorcounti10eee16:totalsubreqcounti9e13:totalblkmediai4ee10:interface\
              sld4:name7:default7:address9:127.0.0.15:portsd3:mini31000e3:maxi31199e4:usedi4e8:used_pc\
              t4:1.994:freei197e6:totalsi200e4:lasti31016eeeee6:result2:oke",
        );
        assert_eq!(s.sessions_own(), Some(3));
        assert_eq!(s.sessions_foreign(), Some(0));
        assert_eq!(s.sessions_total(), None);
        assert_eq!(s.packet_rate(Layer::User), Some(7));
        assert_eq!(s.packet_rate(Layer::Kernel), None);
        assert_eq!(s.uptime(), Some(Duration::from_secs(24)));
        assert_eq!(s.avg_call_duration(), Some(1.5));
        assert_eq!(s.command_count("subscribe request"), Some(9));
        assert_eq!(s.command_count("subreq"), Some(9));
        assert_eq!(s.command_count("block media"), Some(4));
        assert_eq!(s.command_count("offer"), None);
        assert_eq!(s.command_delay("subreq"), Some(0.00025));
        assert_eq!(s.command_delay("subscribe request"), Some(0.00025));
        let m = s.mos().unwrap();
        assert_eq!((m.average, m.samples, m.stddev), (Some(4.1), Some(2), None));
        let p = &s.proxies()[0];
        assert_eq!(p.proxy.as_deref(), Some("127.0.0.1"));
        assert_eq!(p.command_count("subscribe request"), Some(9));
        assert_eq!(p.command_duration("subreq"), Some(0.000446));
        assert_eq!(s.error_count(), Some(10));
        let i = &s.interfaces()[0];
        assert_eq!(i.name.as_deref(), Some("default"));
        assert_eq!(i.ports.used, Some(4));
        assert_eq!(i.ports.used_pct, Some(1.99));
        assert_eq!(i.ports.totals, Some(200));
        assert_eq!(s.int(&["interfaces", "0", "ports", "last"]), Some(31016));
        assert_eq!(s.int(&["interfaces", "0", "ports", "used_pct"]), None);
        assert_eq!(
            s.text(&["totalstatistics", "uptime"]).as_deref(),
            Some("24")
        );
        assert_eq!(s.get(&["interfaces", "x"]), None);
    }

    #[test]
    fn empty_reply_reads_as_absent() {
        let s = Statistics::from_dict(Dict::new());
        assert_eq!(s.sessions_own(), None);
        assert!(s.interfaces().is_empty());
        assert!(s.proxies().is_empty());
        assert_eq!(s.error_count(), None);
        assert_eq!(s.mos(), None);
        assert_eq!(command_short_name("unsilence media"), "unslnmedia");
        assert_eq!(command_long_name("crtansw"), "create answer");
    }
}
