//! Helpers shared by the `rtpe` integration tests: starting the daemon, running the `rtpe`
//! binary and reading what it printed.

// Each test binary compiles this module on its own and uses only some of its helpers.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use rtpengine_testkit::Rtpengine;

/// Starts a daemon with the testkit's defaults (`--delete-delay=0`).
pub(crate) fn daemon() -> Rtpengine {
    Rtpengine::start().unwrap_or_else(|e| panic!("cannot start rtpengine: {e}"))
}

/// A `rtpe` command with a clean environment (no `RTPE_SERVER`, no `RUST_LOG`).
pub(crate) fn rtpe_cmd() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rtpe"));
    cmd.env_remove("RTPE_SERVER")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    cmd
}

/// Runs `rtpe --server URL ARGS…` against `server`.
pub(crate) fn run(server: &str, args: &[&str]) -> Output {
    rtpe_cmd()
        .arg("--server")
        .arg(server)
        .args(args)
        .output()
        .expect("run rtpe")
}

/// Runs `rtpe --server URL ARGS…` with `input` on stdin.
pub(crate) fn run_stdin(server: &str, args: &[&str], input: &str) -> Output {
    let mut child = rtpe_cmd()
        .arg("--server")
        .arg(server)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rtpe");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for rtpe")
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the exit status, showing both streams on failure.
#[track_caller]
pub(crate) fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}
