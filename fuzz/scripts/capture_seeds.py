#!/usr/bin/env python3
"""Captures raw NG replies of a running rtpengine as fuzz seeds.

Usage: capture_seeds.py HOST:NG_PORT OUT_DIR [PREFIX]

Sends ping, offer, answer, query, list, statistics, delete (bencode and, for a few, JSON
bodies) over UDP and writes each raw reply datagram to OUT_DIR/<PREFIX><command>. The fuzz
seeds under fuzz/corpus/ were made with it against rtpengine 10.5 (see BENCHMARKS.md).
"""
import os
import socket
import sys


def benc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(benc(k) + benc(x) for k, x in v.items()) + b"e"
    raise TypeError(v)


SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
)
SDP_B = SDP.replace("40000", "40002").replace("o=- 1 1", "o=- 2 2")


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    out = sys.argv[2]
    prefix = sys.argv[3] if len(sys.argv) > 3 else ""
    os.makedirs(out, exist_ok=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(3)
    addr = (host, int(port))
    call = {"call-id": "fuzz-call-1"}
    requests = [
        ("ping", {"command": "ping"}),
        ("offer", {"command": "offer", "sdp": SDP, **call, "from-tag": "a",
                   "flags": ["trust-address"], "replace": ["origin"]}),
        ("answer", {"command": "answer", "sdp": SDP_B, **call, "from-tag": "a",
                    "to-tag": "b", "flags": ["trust-address"]}),
        ("query", {"command": "query", **call}),
        ("list", {"command": "list", "limit": 10}),
        ("statistics", {"command": "statistics"}),
        ("query_missing", {"command": "query", "call-id": "no-such-call"}),
        ("bogus", {"command": "no-such-command"}),
        ("delete", {"command": "delete", **call, "from-tag": "a"}),
    ]
    n = 0
    for name, req in requests:
        n += 1
        cookie = b"fz%d" % n
        sock.sendto(cookie + b" " + benc(req), addr)
        data, _ = sock.recvfrom(1 << 20)
        with open(os.path.join(out, prefix + name), "wb") as f:
            f.write(data)
    # JSON bodies (rtpengine answers in JSON).
    import json
    for name, req in [("json_ping", {"command": "ping"}),
                      ("json_list", {"command": "list"}),
                      ("json_query_missing", {"command": "query", "call-id": "x"})]:
        n += 1
        sock.sendto(b"fz%d " % n + json.dumps(req).encode(), addr)
        data, _ = sock.recvfrom(1 << 20)
        with open(os.path.join(out, prefix + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
