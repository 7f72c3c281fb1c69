//! `ServerUrl::parse` and `NodeUrl::parse` on arbitrary UTF-8: never a panic, and a parsed URL
//! printed back parses to the same URL (the printed form is a node's identity in a cluster).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtpengine_client::{NodeUrl, ServerUrl};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(url) = ServerUrl::parse(text) {
        let printed = url.to_string();
        let again = ServerUrl::parse(&printed).expect("a printed URL parses");
        assert_eq!(again, url, "printed as {printed}");
        let _ = url.host_port();
    }
    if let Ok(node) = NodeUrl::parse(text) {
        let printed = node.to_string();
        let again = NodeUrl::parse(&printed).expect("a printed node URL parses");
        assert_eq!(again, node, "printed as {printed}");
        assert_eq!(ServerUrl::parse(node.key()).ok(), Some(node.url.clone()));
    }
});
