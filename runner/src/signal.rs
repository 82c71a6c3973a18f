//! Stopping a run on Ctrl-C or SIGTERM.
//!
//! Every command runs in a process group of its own, so a terminal's Ctrl-C
//! reaches only the runner, which then decides what stops. A watcher thread
//! receives SIGINT and SIGTERM through `signal-hook`, marks the run as
//! interrupted and forwards the signal to every running process group. The
//! scheduler starts nothing more and waits for the running commands, so no
//! process is left behind. A command that ignores the signal gets SIGKILL
//! after a grace period, or at once on a second signal.
//!
//! N.B. A command in its own process group is not the terminal's foreground
//! group, so a command that reads from the terminal is stopped by SIGTTIN.
//! Interactive programs need the terminal scope and one job.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

/// How long commands get to exit after the forwarded signal before SIGKILL.
const GRACE: Duration = Duration::from_secs(5);

/// The shared interruption state of one run.
#[derive(Default)]
pub(crate) struct Interrupt {
    triggered: AtomicBool,
    signal: AtomicI32,
    groups: Mutex<HashSet<i32>>,
}

impl Interrupt {
    /// Returns whether the run was interrupted.
    pub(crate) fn triggered(&self) -> bool {
        self.triggered.load(Ordering::SeqCst)
    }

    /// Registers a running process group. If the run is already interrupted,
    /// the group is signalled at once, so a command spawned during the
    /// interruption does not escape it.
    pub(crate) fn register(&self, group: i32) {
        let mut groups = self.groups.lock().unwrap_or_else(|poison| poison.into_inner());
        groups.insert(group);
        if self.triggered() {
            signal_group(group, self.signal.load(Ordering::SeqCst));
        }
    }

    /// Forgets a process group whose leader was waited for.
    pub(crate) fn unregister(&self, group: i32) {
        let mut groups = self.groups.lock().unwrap_or_else(|poison| poison.into_inner());
        groups.remove(&group);
    }

    /// Marks the run as interrupted and forwards `signal` to every group.
    pub(crate) fn trigger(&self, signal: i32) {
        self.signal.store(signal, Ordering::SeqCst);
        let first = !self.triggered.swap(true, Ordering::SeqCst);
        let signal = if first { signal } else { libc::SIGKILL };
        self.signal_all(signal);
    }

    fn signal_all(&self, signal: i32) {
        let groups = self.groups.lock().unwrap_or_else(|poison| poison.into_inner());
        for &group in groups.iter() {
            signal_group(group, signal);
        }
    }
}

fn signal_group(group: i32, signal: i32) {
    log::debug!("sending signal {signal} to process group {group}");
    // SAFETY: kill has no memory-safety preconditions; a negative pid names a
    // process group, and a group that already exited yields ESRCH.
    unsafe {
        libc::kill(-group, signal);
    }
}

/// Watches for SIGINT and SIGTERM while it is alive.
pub(crate) struct Watcher {
    handle: Handle,
}

impl Watcher {
    /// Starts the watcher thread for `interrupt`.
    pub(crate) fn start(interrupt: Arc<Interrupt>) -> std::io::Result<Watcher> {
        let mut signals = Signals::new([SIGINT, SIGTERM])?;
        let handle = signals.handle();
        thread::Builder::new().name("runner-signals".to_string()).spawn(move || {
            for signal in signals.forever() {
                log::debug!("received signal {signal}");
                let first = !interrupt.triggered();
                interrupt.trigger(signal);
                if first {
                    let interrupt = Arc::clone(&interrupt);
                    thread::spawn(move || {
                        thread::sleep(GRACE);
                        interrupt.signal_all(libc::SIGKILL);
                    });
                }
            }
        })?;
        Ok(Watcher { handle })
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.handle.close();
    }
}
