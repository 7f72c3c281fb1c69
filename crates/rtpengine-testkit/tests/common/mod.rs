//! Helpers the test kit's daemon tests share.

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

/// Sends an NG `ping` with `cookie` to `addr` and returns the reply datagram.
pub(crate) fn ping(addr: SocketAddr, cookie: &str) -> Vec<u8> {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    sock.send_to(format!("{cookie} d7:command4:pinge").as_bytes(), addr)
        .unwrap();
    let mut buf = [0u8; 1024];
    let (len, from) = sock.recv_from(&mut buf).unwrap();
    assert_eq!(from, addr);
    buf[..len].to_vec()
}

/// Waits up to 2 s for process `pid` to be gone.
pub(crate) fn wait_gone(pid: u32) -> bool {
    let proc_dir = format!("/proc/{pid}");
    let deadline = Instant::now() + Duration::from_secs(2);
    while Path::new(&proc_dir).exists() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}
