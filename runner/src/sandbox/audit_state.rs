//! Switching kernel auditing on for a run, shared by every runner on the
//! machine, and back to what was found.
//!
//! Two files under `/run` coordinate the runners. Each runner holds a shared
//! `flock` on [`MEMBERS_FILE`] while it listens, and takes an exclusive
//! `flock` on [`LOCK_FILE`] while it joins or leaves. The first runner to
//! join while auditing is off switches it on, raises the kernel's backlog
//! limit to [`BACKLOG_LIMIT`] and writes the state it found (`enabled=0
//! backlog_limit=64`) into the members file. A leaving runner that can then
//! take the members lock exclusively is the last one, so it restores that
//! state and empties the file. Auditing that was on already is left as is.
//!
//! Limits: a runner killed with `SIGKILL` runs no `Drop`, but its shared
//! lock ends with the process, so the next runner to leave restores the
//! state; when none runs after it, auditing stays on. With no auditd
//! running, the kernel also prints every record to its log (`dmesg`), so a
//! run with many denials fills it.

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Seek as _, Write as _};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;

use super::audit_netlink::AuditSocket;

/// The lock a runner holds exclusively while it joins or leaves.
pub(crate) const LOCK_FILE: &str = "/run/runner-audit.lock";
/// The file each listening runner holds a shared lock on. It contains the
/// audit state to restore, when a runner switched auditing on.
pub(crate) const MEMBERS_FILE: &str = "/run/runner-audit.state";

/// The kernel's queue limit while a runner switched auditing on. Landlock
/// logs denials without waiting for room in the queue, so the default of 64
/// records dropped 1869 of 2000 denials of one task on Linux 6.18. A queued
/// record takes about 1 KiB.
const BACKLOG_LIMIT: u32 = 8192;

/// The audit state a runner found before it switched auditing on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Prior {
    enabled: u32,
    backlog_limit: u32,
}

/// One runner's membership; dropping it leaves and, for the last runner,
/// restores the audit state.
pub(crate) struct AuditEnabled {
    members: File,
    /// Whether this runner switched auditing on, for the debug log.
    switched_on: bool,
}

impl AuditEnabled {
    /// Joins the runners that listen to the audit log, switching auditing on
    /// when it is off. `socket` is a request socket.
    pub(crate) fn join(socket: &mut AuditSocket) -> Result<AuditEnabled, String> {
        let lock = open(LOCK_FILE)?;
        flock(&lock, libc::LOCK_EX)
            .map_err(|error| format!("failed to lock `{LOCK_FILE}`: {error}"))?;
        let mut members = open(MEMBERS_FILE)?;
        flock(&members, libc::LOCK_SH)
            .map_err(|error| format!("failed to lock `{MEMBERS_FILE}`: {error}"))?;

        let status =
            socket.status().map_err(|error| format!("failed to read the audit status: {error}"))?;
        let mut switched_on = false;
        if status.enabled == 0 {
            // Only the first runner finds auditing off, unless someone
            // switched it off meanwhile; the first recorded state is kept.
            if read_prior(&mut members).is_none() {
                let prior = Prior { enabled: 0, backlog_limit: status.backlog_limit };
                write_prior(&mut members, Some(prior))
                    .map_err(|error| format!("failed to write `{MEMBERS_FILE}`: {error}"))?;
            }
            let limit = status.backlog_limit.max(BACKLOG_LIMIT);
            socket.set_enabled(1, Some(limit)).map_err(|error| {
                format!("failed to enable auditing: {error}: run as root or with CAP_AUDIT_CONTROL")
            })?;
            switched_on = true;
            log::debug!("audit: enabled kernel auditing for this run");
        }
        drop(lock);
        Ok(AuditEnabled { members, switched_on })
    }
}

impl Drop for AuditEnabled {
    fn drop(&mut self) {
        let lock = match open(LOCK_FILE) {
            Ok(lock) => lock,
            Err(error) => {
                log::warn!("audit: cannot restore the audit state: {error}");
                return;
            }
        };
        if let Err(error) = flock(&lock, libc::LOCK_EX) {
            log::warn!(
                "audit: cannot restore the audit state: failed to lock `{LOCK_FILE}`: {error}"
            );
            return;
        }
        // Converting the shared lock fails while another runner holds one,
        // and this runner's own lock is released either way.
        if flock(&self.members, libc::LOCK_EX | libc::LOCK_NB).is_err() {
            log::debug!("audit: other runners still listen, audit state left as is");
            return;
        }
        let Some(prior) = read_prior(&mut self.members) else {
            return;
        };
        let restored = AuditSocket::open()
            .and_then(|mut socket| socket.set_enabled(prior.enabled, Some(prior.backlog_limit)));
        match restored {
            Ok(()) => {
                let by = if self.switched_on { "this runner" } else { "another runner" };
                log::debug!(
                    "audit: restored enabled={} backlog_limit={}, which {by} had found",
                    prior.enabled,
                    prior.backlog_limit
                )
            }
            Err(error) => {
                log::warn!(
                    "audit: failed to restore enabled={} backlog_limit={}: {error}: set them \
                     with `auditctl -e {} -b {}`",
                    prior.enabled,
                    prior.backlog_limit,
                    prior.enabled,
                    prior.backlog_limit
                );
                return;
            }
        }
        if let Err(error) = write_prior(&mut self.members, None) {
            log::warn!("audit: failed to clear `{MEMBERS_FILE}`: {error}");
        }
    }
}

fn open(path: &str) -> Result<File, String> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|error| format!("failed to open `{path}`: {error}"))
}

fn flock(file: &File, operation: libc::c_int) -> io::Result<()> {
    loop {
        // SAFETY: flock takes no pointers.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Reads the recorded audit state, `enabled=N backlog_limit=M`, or nothing.
fn read_prior(file: &mut File) -> Option<Prior> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    parse_prior(&text)
}

fn parse_prior(text: &str) -> Option<Prior> {
    let mut enabled = None;
    let mut backlog_limit = None;
    for field in text.split_whitespace() {
        match field.split_once('=')? {
            ("enabled", value) => enabled = value.parse().ok(),
            ("backlog_limit", value) => backlog_limit = value.parse().ok(),
            _ => {}
        }
    }
    Some(Prior { enabled: enabled?, backlog_limit: backlog_limit? })
}

/// Writes the state to restore, or empties the file for `None`. The file is
/// not synced to disk: it describes kernel state that a reboot resets, so it
/// only has to outlive runner processes, which the page cache ensures.
fn write_prior(file: &mut File, prior: Option<Prior>) -> io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    if let Some(Prior { enabled, backlog_limit }) = prior {
        writeln!(file, "enabled={enabled} backlog_limit={backlog_limit}")?;
    }
    Ok(())
}

/// Reads the audit status while no runner listens, holding the join lock so
/// that none joins meanwhile. Returns `None` when a runner holds a
/// membership or the status cannot be read.
#[cfg(test)]
pub(crate) fn status_without_runners() -> Option<super::audit_netlink::AuditStatus> {
    let lock = open(LOCK_FILE).ok()?;
    flock(&lock, libc::LOCK_EX).ok()?;
    let members = open(MEMBERS_FILE).ok()?;
    flock(&members, libc::LOCK_EX | libc::LOCK_NB).ok()?;
    AuditSocket::open().and_then(|mut socket| socket.status()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prior_state_parsed() {
        let prior = parse_prior("enabled=0 backlog_limit=64\n");
        assert_eq!(prior, Some(Prior { enabled: 0, backlog_limit: 64 }));
        assert_eq!(parse_prior(""), None);
        assert_eq!(parse_prior("enabled=0"), None);
        assert_eq!(parse_prior("enabled=x backlog_limit=64"), None);
    }
}
