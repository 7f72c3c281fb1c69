//! A child process the test kit owns (a daemon, a Redis server): its signals — SIGKILL, SIGSTOP
//! (a hang, not a death), SIGCONT — and its state.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::daemon::system_tool;

pub(crate) struct Process {
    child: Child,
    /// Waited for: the pid may be reused, so nothing is signalled any more.
    reaped: bool,
    /// What it is, for errors ("rtpengine", "redis-server").
    name: &'static str,
}

impl Process {
    pub(crate) fn new(child: Child, name: &'static str) -> Self {
        Self {
            child,
            reaped: false,
            name,
        }
    }

    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its exit status if it has exited (then it is reaped).
    pub(crate) fn try_exit(&mut self) -> std::io::Result<Option<ExitStatus>> {
        if self.reaped {
            return Ok(None);
        }
        let status = self.child.try_wait()?;
        if status.is_some() {
            self.reaped = true;
        }
        Ok(status)
    }

    pub(crate) fn is_running(&mut self) -> bool {
        !self.reaped && matches!(self.try_exit(), Ok(None))
    }

    /// SIGKILL and wait. Idempotent.
    pub(crate) fn kill(&mut self) -> std::io::Result<()> {
        if self.reaped {
            return Ok(());
        }
        // `kill` fails only if the process was already reaped, which `reaped` tracks; an
        // already-exited (zombie) process is fine to signal.
        let kill_result = self.child.kill();
        let wait_result = self.child.wait();
        if wait_result.is_ok() {
            self.reaped = true;
        }
        kill_result.and(wait_result.map(|_| ()))
    }

    /// SIGSTOP, then waits until the kernel reports it stopped.
    pub(crate) fn stop(&mut self) -> std::io::Result<()> {
        self.ensure_running()?;
        send_signal(self.id(), "STOP")?;
        wait_stopped(self.id(), true)
    }

    /// SIGCONT, then waits until the kernel reports it running.
    pub(crate) fn cont(&mut self) -> std::io::Result<()> {
        self.ensure_running()?;
        send_signal(self.id(), "CONT")?;
        wait_stopped(self.id(), false)
    }

    pub(crate) fn is_stopped(&self) -> bool {
        !self.reaped && matches!(process_state(self.id()), Some('T' | 't'))
    }

    fn ensure_running(&mut self) -> std::io::Result<()> {
        if self.is_running() {
            Ok(())
        } else {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} (pid {}) is not running", self.name, self.id()),
            ))
        }
    }
}

/// Sends `signal` (a name such as `STOP`, `CONT`) to process `pid` with the `kill` tool.
fn send_signal(pid: u32, signal: &str) -> std::io::Result<()> {
    let status = Command::new(system_tool("kill", "/bin/kill"))
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "kill -{signal} {pid} failed with {status}"
        )))
    }
}

/// The state letter of process `pid` from `/proc/PID/stat` (`R`, `S`, `T` for stopped, `Z`...).
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain anything; the state follows the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().next()?.chars().next()
}

/// Waits up to one second until process `pid` is (`stopped == true`) or is no longer stopped.
fn wait_stopped(pid: u32, stopped: bool) -> std::io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let state = process_state(pid);
        let is_stopped = matches!(state, Some('T' | 't'));
        if is_stopped == stopped {
            return Ok(());
        }
        if state.is_none() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("process {pid} is gone"),
            ));
        }
        if Instant::now() >= deadline {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("process {pid} is still in state {state:?} after 1 s"),
            ));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
