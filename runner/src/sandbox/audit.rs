//! The audit backend of denial reports: Landlock's records in the kernel's
//! audit log, collected while the run lasts.
//!
//! [`AuditLog::start`] checks once per run that the runner may use the log.
//! That needs Landlock ABI 7 and `CAP_AUDIT_CONTROL`, `CAP_AUDIT_READ` and
//! `CAP_AUDIT_WRITE`, which root has. It switches auditing on if it is off
//! (`audit_state.rs` restores it) and starts a listener thread on the
//! `AUDIT_NLGRP_READLOG` multicast group.
//!
//! Each thread that restricts itself for a task has a unique name,
//! `rnr-<n>`, and its ruleset sets `log_new_exec`, so denials after `execve`
//! are logged too. Landlock's "domain allocated" record carries the pid and
//! thread name of the domain's creator: records whose pid is the runner's
//! are mapped to the task through that name.
//!
//! After a task fails, [`AuditLog::denials`] writes a marker message into
//! the log and waits for it to come back. The kernel queues records in
//! order, so every denial of the finished commands has arrived by then. It
//! then waits, at most [`SETTLE_TIMEOUT`] in all, for the "deallocated"
//! record of each domain whose thread has ended, which counts the domain's
//! denials, so records the listener lost can be reported.
//!
//! Limits: the kernel logs a create with the parent directory and, without
//! audit rules, emits no `PATH` record with the new name (checked on Linux
//! 6.18), so the report names the directory. The domain of the thread that
//! requests the report is still alive, so its denial count is not checked.

use std::collections::{HashMap, HashSet};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::audit_netlink::{AUDIT_USER_MSG, AuditSocket};
use super::audit_record::{self, AUDIT_LANDLOCK_ACCESS, AUDIT_LANDLOCK_DOMAIN, Record};
use super::audit_state::AuditEnabled;
use super::denial::{Denial, Mechanism, report};
use super::{Confinement, DenialsMode};

/// The maximum wait for late records after a task's commands ended.
pub(crate) const SETTLE_TIMEOUT: Duration = Duration::from_millis(200);
/// The first Landlock ABI that logs denials.
const AUDIT_ABI: u32 = 7;
/// The maximum number of records kept for domains not yet mapped to a
/// process, so the records of other processes' domains stay bounded.
const MAX_PENDING_DENIALS: usize = 10_000;
/// How long the records of an unmapped domain wait for its allocation
/// record, which the kernel queues right after the domain's first denial.
const PENDING_TIMEOUT: Duration = Duration::from_secs(1);
/// The type of the record that closes a system call's audit event.
const AUDIT_SYSCALL: u16 = 1300;
/// The prefix of the marker messages this runner writes into the log.
const MARKER: &str = "runner-denials-marker";
/// Numbers the markers of this process. Every listener of the process
/// receives every marker, so a number per listener would let one listener
/// take another's marker for its own and stop waiting too early.
static NEXT_MARKER: AtomicU64 = AtomicU64::new(0);

/// The denials of one task that the audit log showed.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub(crate) denials: Vec<Denial>,
    /// Denials the kernel counted for the task's ended domains but the
    /// listener did not receive, because the kernel or the socket dropped
    /// their records.
    pub(crate) lost: u64,
    /// Whether the marker came back in time; if not, late records may be
    /// missing.
    pub(crate) complete: bool,
    /// Records the kernel dropped while the run lasted, for any process.
    pub(crate) kernel_lost: u32,
    /// Failed receives while the run lasted, such as `ENOBUFS` when the
    /// listener's socket buffer overflowed.
    pub(crate) receive_errors: u64,
}

/// The listener of one run.
pub(crate) struct AuditLog {
    shared: Arc<Shared>,
    requests: Mutex<AuditSocket>,
    /// The write end of the pipe that stops the listener.
    stop: Option<OwnedFd>,
    listener: Option<JoinHandle<()>>,
    /// The kernel's count of dropped records when the run started.
    lost_at_start: u32,
    /// Dropped last, after the listener stopped.
    _enabled: AuditEnabled,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// Domains created by this process, by id.
    domains: HashMap<u64, Domain>,
    /// The domain each of this process's thread names created.
    by_thread: HashMap<String, u64>,
    /// Domains of other processes, whose records are dropped.
    foreign: HashSet<u64>,
    /// Denials of domains whose allocation record has not arrived yet.
    pending: HashMap<u64, Pending>,
    pending_count: usize,
    markers: HashSet<String>,
    /// Receive errors, such as `ENOBUFS` when the socket buffer overflowed.
    receive_errors: u64,
}

/// The records of a domain seen before its allocation record.
struct Pending {
    /// The audit event of the first record. The allocation record belongs
    /// to the same event, so once the event closed without one, the domain
    /// was allocated before the listener started: another process's.
    serial: Option<u64>,
    since: Instant,
    denials: Vec<Vec<Denial>>,
}

#[derive(Default)]
struct Domain {
    denials: Vec<Denial>,
    /// Access records received.
    received: u64,
    /// The kernel's count, once the domain was deallocated.
    deallocated: Option<u64>,
}

impl AuditLog {
    /// Starts listening, or returns why the audit log cannot be used. With
    /// `verify`, it also waits until a test record arrives.
    pub(crate) fn start(abi: u32, verify: bool) -> Result<AuditLog, String> {
        if abi < AUDIT_ABI {
            return Err(format!(
                "Landlock ABI {abi} does not log denials, which needs ABI {AUDIT_ABI} (Linux 6.15)"
            ));
        }
        let mut requests = AuditSocket::open()
            .map_err(|error| format!("failed to open an audit socket: {error}"))?;
        let status = requests.status().map_err(|error| match error.raw_os_error() {
            Some(libc::EPERM) => "reading the audit status needs root or CAP_AUDIT_CONTROL".into(),
            _ => format!("failed to read the audit status: {error}"),
        })?;
        let readlog = AuditSocket::open_readlog().map_err(|error| match error.raw_os_error() {
            Some(libc::EPERM) => "reading the audit log needs root or CAP_AUDIT_READ".to_string(),
            _ => format!("failed to listen to the audit log: {error}"),
        })?;
        let enabled = AuditEnabled::join(&mut requests)?;

        let (stop_read, stop_write) =
            pipe().map_err(|error| format!("failed to create a pipe: {error}"))?;
        let shared =
            Arc::new(Shared { state: Mutex::new(State::default()), changed: Condvar::new() });
        let listener_shared = Arc::clone(&shared);
        let listener = std::thread::Builder::new()
            .name("runner-audit".to_string())
            .spawn(move || listen(readlog, stop_read, &listener_shared))
            .map_err(|error| format!("failed to start the audit listener: {error}"))?;

        let log = AuditLog {
            shared,
            requests: Mutex::new(requests),
            stop: Some(stop_write),
            listener: Some(listener),
            lost_at_start: status.lost,
            _enabled: enabled,
        };
        // The kernel acknowledges a marker once it is logged, which checks
        // CAP_AUDIT_WRITE for the markers after failed tasks. Waiting for its
        // delivery costs a round trip through the kernel's audit thread, so
        // only `verify` waits. A failed task waits for its own marker anyway.
        let marker = log.send_marker().map_err(|error| match error.raw_os_error() {
            Some(libc::EPERM) => {
                "writing to the audit log needs root or CAP_AUDIT_WRITE".to_string()
            }
            _ => format!("failed to write to the audit log: {error}"),
        })?;
        if verify && !log.wait_marker(&marker, Instant::now() + Duration::from_secs(1)) {
            return Err("the audit log did not deliver a test record within 1 s".to_string());
        }
        log::debug!("audit: listening to the kernel's audit log");
        Ok(log)
    }

    /// Returns the denials of the domains that the threads named `threads`
    /// created, waiting at most [`SETTLE_TIMEOUT`] for late records.
    pub(crate) fn denials(&self, threads: &[String]) -> Collected {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        let complete = match self.send_marker() {
            Ok(marker) => self.wait_marker(&marker, deadline),
            Err(error) => {
                log::debug!("audit: failed to write a marker: {error}");
                false
            }
        };

        // NOTE: the current thread's own domain lives on, so its count never
        // comes. A task whose steps all run on one restricted thread is only
        // checked through the kernel's drop counter and receive errors.
        let current = std::thread::current().name().map(str::to_owned);
        let ended = |name: &&String| Some(name.as_str()) != current.as_deref();
        let waited: Vec<&String> = threads.iter().filter(ended).collect();
        let mut state = self.lock();
        loop {
            let settled = waited.iter().all(|name| {
                let domain =
                    state.by_thread.get(name.as_str()).and_then(|id| state.domains.get(id));
                domain.is_none_or(|domain| domain.deallocated.is_some())
            });
            let now = Instant::now();
            if settled || now >= deadline {
                break;
            }
            state = self.wait(state, deadline - now);
        }

        let mut collected =
            Collected { complete, receive_errors: state.receive_errors, ..Collected::default() };
        for name in threads {
            let Some(domain) = state.by_thread.get(name).and_then(|id| state.domains.get(id))
            else {
                continue;
            };
            collected.denials.extend(domain.denials.iter().cloned());
            if let Some(counted) = domain.deallocated {
                collected.lost += counted.saturating_sub(domain.received);
            }
        }
        drop(state);

        collected.kernel_lost = self.kernel_lost();
        collected
    }

    /// Returns how many records the kernel dropped since the run started, or
    /// 0 when the status cannot be read.
    fn kernel_lost(&self) -> u32 {
        let Ok(mut socket) = self.requests.lock() else {
            return 0;
        };
        match socket.status() {
            Ok(status) => status.lost.saturating_sub(self.lost_at_start),
            Err(error) => {
                log::debug!("audit: failed to read the audit status: {error}");
                0
            }
        }
    }

    fn send_marker(&self) -> io::Result<String> {
        let number = NEXT_MARKER.fetch_add(1, Ordering::Relaxed);
        let marker = format!("{MARKER} {}-{number}", std::process::id());
        let mut socket = self.requests.lock().map_err(|_| io::Error::other("poisoned lock"))?;
        socket.send_user_message(&marker)?;
        Ok(marker)
    }

    /// Waits until `marker` came back or `deadline` passed.
    fn wait_marker(&self, marker: &str, deadline: Instant) -> bool {
        let mut state = self.lock();
        loop {
            if state.markers.remove(marker) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                log::debug!("audit: marker `{marker}` did not come back in time");
                return false;
            }
            state = self.wait(state, deadline - now);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|error| error.into_inner())
    }

    fn wait<'a>(&self, state: MutexGuard<'a, State>, timeout: Duration) -> MutexGuard<'a, State> {
        match self.shared.changed.wait_timeout(state, timeout) {
            Ok((state, _)) => state,
            Err(error) => error.into_inner().0,
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        // Closing the write end wakes the listener's poll with a hangup.
        drop(self.stop.take());
        if let Some(listener) = self.listener.take()
            && listener.join().is_err()
        {
            log::warn!("audit: the listener thread panicked");
        }
    }
}

/// Receives records until the stop pipe closes.
fn listen(socket: AuditSocket, stop: OwnedFd, shared: &Shared) {
    let pid = std::process::id();
    loop {
        let mut polled = [
            libc::pollfd { fd: socket.raw_fd(), events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: stop.as_raw_fd(), events: libc::POLLIN, revents: 0 },
        ];
        // SAFETY: polled is a valid array of two pollfd structs.
        let ready = unsafe { libc::poll(polled.as_mut_ptr(), 2, -1) };
        if ready < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            log::warn!("audit: the listener stopped: {error}");
            return;
        }
        if polled[1].revents != 0 {
            return;
        }
        if polled[0].revents & libc::POLLIN == 0 {
            continue;
        }

        let messages = match socket.receive() {
            Ok(messages) => messages,
            Err(error) => {
                log::debug!("audit: receive failed: {error}");
                let mut state = shared.state.lock().unwrap_or_else(|error| error.into_inner());
                state.receive_errors += 1;
                continue;
            }
        };
        let mut state = shared.state.lock().unwrap_or_else(|error| error.into_inner());
        for message in messages {
            let text = String::from_utf8_lossy(&message.payload);
            state.handle(pid, message.kind, text.trim_end_matches('\0'));
        }
        drop(state);
        shared.changed.notify_all();
    }
}

impl State {
    fn handle(&mut self, pid: u32, kind: u16, text: &str) {
        let serial = audit_record::serial(text);
        self.settle_pending(kind, serial);
        if kind == AUDIT_USER_MSG {
            if let Some(start) = text.find(MARKER) {
                let marker = text[start..].split('\'').next().unwrap_or_default();
                self.markers.insert(marker.to_string());
            }
            return;
        }
        if kind != AUDIT_LANDLOCK_ACCESS && kind != AUDIT_LANDLOCK_DOMAIN {
            return;
        }
        log::trace!("audit: {kind} {text}");
        match audit_record::parse(kind, text) {
            Some(Record::Access { domain, denials }) => self.add_denials(domain, serial, denials),
            Some(Record::Allocated { domain, pid: owner, comm }) if owner == pid => {
                let mut entry = Domain::default();
                if let Some(pending) = self.pending.remove(&domain) {
                    self.pending_count -= pending.denials.len();
                    for denials in pending.denials {
                        entry.received += 1;
                        entry.denials.extend(denials);
                    }
                }
                self.domains.insert(domain, entry);
                self.by_thread.insert(comm, domain);
            }
            Some(Record::Allocated { domain, .. }) => {
                if let Some(dropped) = self.pending.remove(&domain) {
                    self.pending_count -= dropped.denials.len();
                }
                self.foreign.insert(domain);
            }
            Some(Record::Deallocated { domain, denials }) => {
                if let Some(entry) = self.domains.get_mut(&domain) {
                    entry.deallocated = Some(denials);
                }
                self.foreign.remove(&domain);
            }
            None => log::debug!("audit: unparsed record {kind}: {text}"),
        }
    }

    fn add_denials(&mut self, domain: u64, serial: Option<u64>, denials: Vec<Denial>) {
        if let Some(entry) = self.domains.get_mut(&domain) {
            entry.received += 1;
            for denial in denials {
                if !entry.denials.contains(&denial) {
                    entry.denials.push(denial);
                }
            }
            return;
        }
        if self.foreign.contains(&domain) || self.pending_count >= MAX_PENDING_DENIALS {
            return;
        }
        let pending = self.pending.entry(domain).or_insert_with(|| Pending {
            serial,
            since: Instant::now(),
            denials: Vec::new(),
        });
        pending.denials.push(denials);
        self.pending_count += 1;
    }

    /// Marks as foreign the unmapped domains whose first event closed, with
    /// its system call record, or that waited longer than [`PENDING_TIMEOUT`].
    /// Without this, a process whose domain was allocated before the listener
    /// started would fill the pending records and push out the runner's own.
    fn settle_pending(&mut self, kind: u16, serial: Option<u64>) {
        if self.pending.is_empty() {
            return;
        }
        let closed = |pending: &Pending| {
            let event_closed =
                kind == AUDIT_SYSCALL && serial.is_some() && pending.serial == serial;
            event_closed || pending.since.elapsed() > PENDING_TIMEOUT
        };
        let settled: Vec<u64> =
            self.pending.iter().filter(|(_, pending)| closed(pending)).map(|(&id, _)| id).collect();
        for domain in settled {
            if let Some(pending) = self.pending.remove(&domain) {
                self.pending_count -= pending.denials.len();
            }
            self.foreign.insert(domain);
        }
    }
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors are new and owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// The audit log's part of a failed task's hint.
pub(super) enum Findings {
    /// The denial report, to print in place of the grants summary.
    Report(String),
    /// A line to print after the grants summary, if any.
    Note(Option<String>),
}

impl Confinement {
    /// Collects the task's denials from the audit log and renders them, or
    /// returns the note that explains why there is no list.
    pub(super) fn audit_findings(&self) -> Findings {
        let Some(audit) = &self.audit else {
            let note = match (&self.audit_unavailable, self.denials) {
                (Some(reason), DenialsMode::Auto) => Some(format!(
                    "sandbox: to list what was denied, run again with `--denials=trace`, which \
                     re-runs the failed task under strace (the audit log is unavailable: {reason})"
                )),
                _ => None,
            };
            return Findings::Note(note);
        };

        let threads = self.threads.lock().map(|threads| threads.clone()).unwrap_or_default();
        let collected = audit.denials(&threads);
        let mut warnings = Vec::new();
        if collected.lost > 0 {
            warnings.push(format!(
                "sandbox: {} of the task's denials never arrived from the audit log, so the \
                 list is incomplete",
                collected.lost
            ));
        }
        if collected.kernel_lost > 0 {
            warnings.push(format!(
                "sandbox: the kernel dropped {} audit records during this run, so the list may be \
                 incomplete",
                collected.kernel_lost
            ));
        }
        if collected.receive_errors > 0 {
            warnings.push(format!(
                "sandbox: the audit listener failed to receive {} times during this run, so the \
                 list may be incomplete",
                collected.receive_errors
            ));
        }
        if !collected.complete {
            warnings.push(format!(
                "sandbox: audit records were still arriving after {} ms, so the list may be \
                 incomplete",
                SETTLE_TIMEOUT.as_millis()
            ));
        }

        if collected.denials.is_empty() {
            let mut note =
                format!("sandbox: the kernel's audit log shows no denial for task `{}`", self.task);
            for warning in warnings {
                note.push('\n');
                note.push_str(&warning);
            }
            return Findings::Note(Some(note));
        }
        let mut text = report(
            &self.task,
            &self.root,
            &self.dir,
            self.out_dir.as_deref(),
            Mechanism::Audit,
            &collected.denials,
        );
        for warning in warnings {
            text.push('\n');
            text.push_str(&warning);
        }
        Findings::Report(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::denial::AccessKind;

    fn access(serial: u64, domain: &str, path: &str) -> String {
        format!("audit(1.0:{serial}): domain={domain} blockers=fs.read_file path=\"{path}\"")
    }

    fn allocated(serial: u64, domain: &str, pid: u32, comm: &str) -> String {
        format!(
            "audit(1.0:{serial}): domain={domain} status=allocated mode=enforcing pid={pid} \
             uid=0 exe=\"/x\" comm=\"{comm}\""
        )
    }

    #[test]
    fn own_domain_mapped_after_foreign_flood() {
        let mut state = State::default();

        // A domain allocated before the listener started: its records never
        // come with an allocation record, and each event closes with a
        // system call record.
        for serial in 0..(MAX_PENDING_DENIALS as u64 + 10) {
            state.handle(7, AUDIT_LANDLOCK_ACCESS, &access(serial, "f00", "/proc/1/maps"));
            state.handle(7, AUDIT_SYSCALL, &format!("audit(1.0:{serial}): arch=c000003e"));
        }
        assert!(state.foreign.contains(&0xf00));
        assert_eq!(state.pending_count, 0);

        let serial = MAX_PENDING_DENIALS as u64 + 10;
        state.handle(7, AUDIT_LANDLOCK_ACCESS, &access(serial, "a1", "/p/extra.txt"));
        state.handle(7, AUDIT_LANDLOCK_DOMAIN, &allocated(serial, "a1", 7, "rnr-3"));
        state.handle(7, AUDIT_SYSCALL, &format!("audit(1.0:{serial}): arch=c000003e"));

        assert_eq!(state.by_thread.get("rnr-3"), Some(&0xa1));
        let domain = &state.domains[&0xa1];
        assert_eq!(domain.denials, vec![Denial::path(AccessKind::Read, "/p/extra.txt")]);
    }

    #[test]
    fn other_process_domain_dropped() {
        let mut state = State::default();

        state.handle(7, AUDIT_LANDLOCK_ACCESS, &access(4, "b2", "/etc/shadow"));
        state.handle(7, AUDIT_LANDLOCK_DOMAIN, &allocated(4, "b2", 99, "rnr-1"));
        state.handle(7, AUDIT_LANDLOCK_ACCESS, &access(5, "b2", "/etc/shadow"));

        assert!(state.foreign.contains(&0xb2));
        assert!(state.domains.is_empty());
        assert!(state.by_thread.is_empty());
        assert_eq!(state.pending_count, 0);
    }
}
