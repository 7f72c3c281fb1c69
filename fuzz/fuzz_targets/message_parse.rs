//! `message::parse_message` (cookie + bencode or JSON body) on arbitrary bytes, then every
//! typed reply reader on whatever dictionary it gives: none may panic. The dictionary also
//! goes through the JSON writer and back.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rtpengine_client::bencode::Dict;
use rtpengine_client::message::{
    check_result, dict_to_json, list_calls, message_to_json, parse_json_dict, parse_message,
    result_kind, NonUtf8,
};
use rtpengine_client::{
    Ack, CallStats, CliReply, CreateReply, Layer, NgEvent, PlayMediaReply, PublishReply, SdpReply,
    Statistics, StopMediaReply, SubscribeReply, TransformReply,
};

fn read_replies(dict: &Dict) {
    let _ = result_kind(dict);
    let _ = check_result(dict.clone());
    let _ = list_calls(dict);
    let _ = format!("{:?}", Ack::from_dict(dict.clone()));
    if let Ok(r) = SdpReply::from_dict(dict.clone()) {
        let _ = r.sdp_str();
    }
    let stats = CallStats::from_dict(dict.clone());
    let _ = (stats.has_call(), stats.has_data(), stats.tag("x"));
    let _ = stats.streams().count();
    let _ = format!("{stats:?}");
    let s = Statistics::from_dict(dict.clone());
    let _ = (s.tree(), s.get(&["currentstatistics", "sessionsown"]));
    let _ = (s.sessions_own(), s.sessions_foreign(), s.sessions_total());
    let _ = (s.transcoded_media(), s.uptime(), s.managed_sessions());
    let _ = (
        s.rejected_sessions(),
        s.timeout_sessions(),
        s.silent_timeout_sessions(),
    );
    let _ = (s.final_timeout_sessions(), s.offer_timeout_sessions());
    let _ = (
        s.regular_terminated_sessions(),
        s.forced_terminated_sessions(),
    );
    for layer in [Layer::Total, Layer::User, Layer::Kernel] {
        let _ = (
            s.media_streams(layer),
            s.packet_rate(layer),
            s.byte_rate(layer),
        );
        let _ = (
            s.error_rate(layer),
            s.relayed_packets(layer),
            s.relayed_bytes(layer),
        );
        let _ = s.relayed_packet_errors(layer);
    }
    let _ = (s.zero_way_streams(), s.one_way_streams());
    let _ = (s.avg_call_duration(), s.total_calls_duration(), s.mos());
    let _ = (s.command_count("offer"), s.command_delay("ping"));
    let _ = s.command_request_rate("answer");
    for proxy in s.proxies() {
        let _ = (
            proxy.command_count("offer"),
            proxy.command_duration("offer"),
        );
    }
    let _ = format!("{:?}", s.interfaces());
    if let Ok(r) = PublishReply::from_dict(dict.clone()) {
        let _ = r.sdp_str();
    }
    if let Ok(r) = SubscribeReply::from_dict(dict.clone()) {
        let _ = (r.sdp_str(), r.media_label("1"));
        let _ = format!("{r:?}");
    }
    if let Ok(r) = CreateReply::from_dict(dict.clone()) {
        let _ = r.sdp_str();
    }
    let _ = format!("{:?}", TransformReply::from_dict(dict.clone()));
    let _ = format!("{:?}", PlayMediaReply::from_dict(dict.clone()));
    let _ = format!("{:?}", StopMediaReply::from_dict(dict.clone()));
    let _ = format!("{:?}", CliReply::from_dict(dict.clone()));
    if let Some(ev) = NgEvent::from_dict(dict.clone()) {
        if let Some(dtmf) = ev.dtmf() {
            let _ = dtmf.digit();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let message = Bytes::copy_from_slice(data);
    let _ = message_to_json(data);
    let Ok((cookie, dict)) = parse_message(&message) else {
        return;
    };
    assert!(!cookie.is_empty() && !cookie.contains(&b' '));
    read_replies(&dict);

    // Display JSON never fails; wire JSON, when every string is UTF-8, reads back the same.
    dict_to_json(&dict, NonUtf8::Replace).expect("dict_to_json(Replace) cannot fail");
    if let Ok(json) = dict_to_json(&dict, NonUtf8::Refuse) {
        let back = parse_json_dict(json.as_bytes()).expect("our JSON reads back");
        assert_eq!(back, dict, "JSON round trip changed the dictionary: {json}");
    }
});
