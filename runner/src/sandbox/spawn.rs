//! Spawning under a ruleset from a fresh thread.
//!
//! Landlock restricts the calling thread and everything it starts later. So
//! each spawn runs on a new short-lived thread that restricts itself, spawns
//! the command and exits. The runner's own threads stay unrestricted, and no
//! thread is ever restricted twice. Spawning from a thread, instead of
//! restricting in a `pre_exec` hook, keeps std's `posix_spawn` path: a
//! `pre_exec` hook forces `fork`, whose cost grows with the runner's memory.
//!
//! When a task may read `/proc`, the thread also drops `CAP_SYS_ADMIN` and
//! `CAP_PERFMON` from its bounding set before spawning. A runner started as
//! root would otherwise let the task read other processes' `environ` and
//! `maps` files, which Landlock alone does not prevent there.
//!
//! Each restricted thread gets a name no other thread of the process had,
//! `rnr-<n>`. Landlock's audit records name the thread that created a
//! domain, so the audit backend maps a denial to its task by that name.

use std::io;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU64, Ordering};

use landlock::{RulesetCreated, RulesetStatus};

use super::Confinement;

const CAP_SYS_ADMIN: libc::c_ulong = 21;
const CAP_PERFMON: libc::c_ulong = 38;

impl Confinement {
    /// Spawns `command` from a fresh thread restricted by the ruleset.
    pub(crate) fn spawn(&self, command: Command) -> io::Result<Child> {
        self.remember_program(&command);
        let ruleset = self.ruleset.try_clone()?;
        let drop_caps = self.policy.proc;
        let mut command = command;

        let thread = std::thread::Builder::new().name(self.next_thread_name());
        let handle = thread.spawn(move || {
            restrict_current_thread(ruleset, drop_caps)?;
            command.spawn()
        })?;
        handle.join().map_err(|_| io::Error::other("the sandbox spawning thread panicked"))?
    }

    /// Spawns `command` from the calling thread, which must be a thread that
    /// [`Confinement::try_run`] restricted with this ruleset. Spawning then
    /// costs what an unconfined spawn costs, with no thread handoff.
    pub(crate) fn spawn_restricted(&self, mut command: Command) -> io::Result<Child> {
        self.remember_program(&command);
        command.spawn()
    }

    /// Runs `func` on a fresh thread restricted by the ruleset and returns its
    /// result. A panic in `func` resumes on the calling thread.
    ///
    /// # Panics
    ///
    /// Panics when the thread cannot be restricted, since `func` must not run
    /// unconfined; [`Confinement::try_run`] returns that error instead.
    pub(crate) fn run<R: Send>(&self, func: impl FnOnce() -> R + Send) -> R {
        match self.try_run(func) {
            Ok(value) => value,
            Err(error) => panic!("sandbox of task `{}`: {error}", self.task),
        }
    }

    /// Runs `func` on a fresh thread restricted by the ruleset, or returns
    /// why the thread could not be restricted; `func` then does not run.
    pub(crate) fn try_run<R: Send>(&self, func: impl FnOnce() -> R + Send) -> io::Result<R> {
        let ruleset = self.ruleset.try_clone()?;
        let drop_caps = self.policy.proc;

        let name = self.next_thread_name();
        std::thread::scope(|scope| {
            let handle = std::thread::Builder::new().name(name).spawn_scoped(scope, move || {
                restrict_current_thread(ruleset, drop_caps)?;
                Ok(func())
            })?;
            match handle.join() {
                Ok(result) => result,
                Err(payload) => std::panic::resume_unwind(payload),
            }
        })
    }
}

impl Confinement {
    /// Returns a name no other thread of this process had, `rnr-<n>`, at most
    /// the 15 bytes a Linux thread name keeps, and remembers it for the audit
    /// log's domain records.
    fn next_thread_name(&self) -> String {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let name = format!("rnr-{}", NEXT.fetch_add(1, Ordering::Relaxed));
        if let Ok(mut threads) = self.threads.lock() {
            threads.push(name.clone());
        }
        name
    }
}

/// Restricts the calling thread, which must be a fresh one that is never
/// reused for anything else.
fn restrict_current_thread(ruleset: RulesetCreated, drop_caps: bool) -> io::Result<()> {
    if drop_caps {
        drop_proc_capabilities();
    }
    let status = ruleset
        .restrict_self()
        .map_err(|error| io::Error::other(format!("failed to restrict the thread: {error}")))?;
    if status.ruleset == RulesetStatus::NotEnforced {
        return Err(io::Error::other("the kernel did not enforce the ruleset"));
    }
    Ok(())
}

/// Drops the capabilities that let a root task read other processes' `/proc`
/// files from this thread's bounding and ambient sets, so programs it spawns
/// cannot get them back on `execve`. Failures only matter for root, where
/// dropping needs `CAP_SETPCAP`, which root has; they are logged.
fn drop_proc_capabilities() {
    for cap in [CAP_SYS_ADMIN, CAP_PERFMON] {
        // SAFETY: prctl with PR_CAPBSET_DROP reads no memory; it changes only
        // the calling thread's bounding set.
        let result = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) };
        if result != 0 {
            log::debug!("failed to drop capability {cap}: {}", io::Error::last_os_error());
        }
    }
    // SAFETY: as above, for the calling thread's ambient set.
    let result =
        unsafe { libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) };
    if result != 0 {
        log::debug!("failed to clear ambient capabilities: {}", io::Error::last_os_error());
    }
    if let Err(error) = clear_inheritable([CAP_SYS_ADMIN, CAP_PERFMON]) {
        log::debug!("failed to clear inheritable capabilities: {error}");
    }
}

/// `struct __user_cap_header_struct` of capget(2).
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

/// `struct __user_cap_data_struct` of capget(2); version 3 uses two of them.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// Removes `caps` from the calling thread's inheritable set, which root's
/// `execve` would otherwise carry over despite the bounding set.
fn clear_inheritable(caps: [libc::c_ulong; 2]) -> io::Result<()> {
    let mut header = CapHeader { version: LINUX_CAPABILITY_VERSION_3, pid: 0 };
    let mut data = [CapData::default(); 2];

    // SAFETY: header and data match the kernel's version 3 layout, and data
    // has the two elements that version writes; pid 0 is the calling thread.
    let result = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    if result != 0 {
        return Err(io::Error::last_os_error());
    }
    let before = [data[0].inheritable, data[1].inheritable];
    for cap in caps {
        data[(cap / 32) as usize].inheritable &= !(1u32 << (cap % 32));
    }
    if before == [data[0].inheritable, data[1].inheritable] {
        return Ok(());
    }

    // SAFETY: as above; capset only reads header and data.
    let result = unsafe { libc::syscall(libc::SYS_capset, &header, data.as_ptr()) };
    if result != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
