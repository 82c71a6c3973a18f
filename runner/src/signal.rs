//! Stopping a run on Ctrl-C or SIGTERM.
//!
//! A command runs in a process group of its own, so a terminal's Ctrl-C
//! reaches only the runner, which then decides what stops. A watcher thread
//! receives SIGINT and SIGTERM through `signal-hook`, marks the run as
//! interrupted and forwards the signal to every running process group. The
//! scheduler starts nothing more and waits for the running commands, so no
//! process is left behind. A command that ignores the signal gets SIGKILL
//! after a grace period, or at once on a second signal.
//!
//! N.B. A process group of its own is not the terminal's foreground group,
//! and a command outside it that reads the terminal is stopped by SIGTTIN.
//! So with one job and a terminal on stdin, a command stays in the runner's
//! group instead: the terminal's Ctrl-C reaches it and its children directly,
//! and the runner forwards a signal to the command's own pid only.

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
    /// The `kill(2)` targets of the running commands: a negative value is a
    /// process group, a positive one a single process.
    targets: Mutex<HashSet<i32>>,
}

impl Interrupt {
    /// Returns whether the run was interrupted.
    pub(crate) fn triggered(&self) -> bool {
        self.triggered.load(Ordering::SeqCst)
    }

    /// Registers a running command by its `kill(2)` target: `-pgid` for a
    /// process group, the pid for a process in the runner's own group. If the
    /// run is already interrupted, the target is signalled at once, so a
    /// command spawned during the interruption does not escape it.
    pub(crate) fn register(&self, target: i32) {
        let mut targets = self.targets.lock().unwrap_or_else(|poison| poison.into_inner());
        targets.insert(target);
        if self.triggered() {
            signal_target(target, self.signal.load(Ordering::SeqCst));
        }
    }

    /// Forgets a command that was waited for.
    pub(crate) fn unregister(&self, target: i32) {
        let mut targets = self.targets.lock().unwrap_or_else(|poison| poison.into_inner());
        targets.remove(&target);
    }

    /// Marks the run as interrupted and forwards `signal` to every group.
    pub(crate) fn trigger(&self, signal: i32) {
        self.signal.store(signal, Ordering::SeqCst);
        let first = !self.triggered.swap(true, Ordering::SeqCst);
        let signal = if first { signal } else { libc::SIGKILL };
        self.signal_all(signal);
    }

    fn signal_all(&self, signal: i32) {
        let targets = self.targets.lock().unwrap_or_else(|poison| poison.into_inner());
        for &target in targets.iter() {
            signal_target(target, signal);
        }
    }
}

fn signal_target(target: i32, signal: i32) {
    log::debug!("sending signal {signal} to kill target {target}");
    // SAFETY: kill has no memory-safety preconditions; a negative target names
    // a process group, and a target that already exited yields ESRCH.
    unsafe {
        libc::kill(target, signal);
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
