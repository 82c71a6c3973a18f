//! The tracer: runs a task's commands under `strace` and collects the file
//! and network calls of the whole process tree.
//!
//! Each command runs as `strace -f -qq -y --seccomp-bpf -e trace=CALLS -o
//! LOG -- PROGRAM ARGS`. `-f` follows every child, `-y` prints the path of
//! each descriptor, and `--seccomp-bpf` stops only at the traced calls, which
//! keeps the overhead low. The log goes to a file in a directory the caller
//! owns (the task's private `TMPDIR` under the sandbox) and is removed after
//! it is parsed (`strace_log`).
//!
//! Under the sandbox, the restricted thread spawns strace itself, so strace
//! and the command share the task's Landlock domain. Landlock lets a process
//! trace another of its own domain, and strace under `/usr` is executable by
//! the system grant. strace stays a plain observer: the calls the ruleset
//! denies fail the same way they fail without it.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::sync::Mutex;

use super::denial::{Denial, Mechanism, report};
use super::program::resolve_program;
use super::strace_log::{Access, Parser};
use super::{Confinement, DenialsMode};
use crate::exec::Wrapper;
use crate::{Error, Result};

/// The calls strace records: files, descriptors that change the working
/// directory, TCP, and the calls that create processes, so each child's
/// working directory is known.
const TRACED_CALLS: &str = "trace=%file,fchdir,connect,bind,clone,clone3,fork,vfork";

/// strace, found on `PATH`.
#[derive(Debug)]
pub(crate) struct Tracer {
    strace: PathBuf,
    /// The directory the logs are written to.
    log_dir: PathBuf,
    next_log: AtomicUsize,
}

/// One traced command: the wrapper that runs it under strace and its log.
pub(crate) struct TracedCommand {
    wrapper: Wrapper,
    log: PathBuf,
    start_dir: PathBuf,
}

impl Tracer {
    /// Finds strace on the runner's `PATH`; `task` names the task that
    /// needs it in the error. Logs are written to `log_dir`.
    pub(crate) fn locate(task: &str, log_dir: &Path) -> Result<Tracer> {
        let strace = resolve_program(OsStr::new("strace"), None, Path::new("/")).map_err(|_| {
            Error::sandbox(
                Some(task),
                "`strace` is not installed or not on PATH: install it (`apt install strace`) to \
                 trace tasks",
            )
        })?;
        log::debug!("task `{task}`: tracing with `{}`", strace.display());
        Ok(Tracer { strace, log_dir: log_dir.to_owned(), next_log: AtomicUsize::new(0) })
    }

    /// Returns the wrapper that runs one command under strace, started in
    /// `start_dir`. With `discard_output` the command's output is dropped,
    /// for a re-run whose output the user has seen already.
    pub(crate) fn command(&self, start_dir: &Path, discard_output: bool) -> TracedCommand {
        let number = self.next_log.fetch_add(1, Ordering::Relaxed);
        let log = self.log_dir.join(format!("strace-{number}.log"));
        let args: Vec<OsString> = [
            OsStr::new("-f"),
            OsStr::new("-qq"),
            OsStr::new("-y"),
            OsStr::new("--seccomp-bpf"),
            OsStr::new("-e"),
            OsStr::new(TRACED_CALLS),
            OsStr::new("-o"),
            log.as_os_str(),
            OsStr::new("--"),
        ]
        .into_iter()
        .map(OsStr::to_owned)
        .collect();
        let wrapper = Wrapper { program: self.strace.clone(), args, discard_output };
        TracedCommand { wrapper, log, start_dir: start_dir.to_owned() }
    }
}

impl TracedCommand {
    /// Returns the wrapper a process step runs under.
    pub(crate) fn wrapper(&self) -> Wrapper {
        self.wrapper.clone()
    }

    /// Returns a copy of `command` that runs under strace, with the same
    /// environment changes and working directory. Standard streams are not
    /// copied, since `Command` does not expose them.
    #[cfg_attr(not(feature = "taskfile"), allow(dead_code))]
    pub(crate) fn wrap(&self, command: &Command) -> Command {
        let mut wrapped = Command::new(&self.wrapper.program);
        wrapped.args(&self.wrapper.args).arg(command.get_program()).args(command.get_args());
        if let Some(dir) = command.get_current_dir() {
            wrapped.current_dir(dir);
        }
        for (key, value) in command.get_envs() {
            match value {
                Some(value) => wrapped.env(key, value),
                None => wrapped.env_remove(key),
            };
        }
        wrapped
    }

    /// Reads and parses the log, then removes it. A missing log means strace
    /// never started the command.
    pub(crate) fn finish(self) -> io::Result<Vec<Access>> {
        let bytes = std::fs::read(&self.log)?;
        let _ = std::fs::remove_file(&self.log);
        let text = String::from_utf8_lossy(&bytes);
        let accesses = Parser::parse(&self.start_dir, &text);
        log::debug!("traced {} accesses in `{}`", accesses.len(), self.log.display());
        Ok(accesses)
    }
}

impl Confinement {
    /// Returns whether a failure of this task is explained by re-running it
    /// under strace (`--denials=trace`), in place of the grants hint.
    pub(crate) fn traces_denials(&self) -> bool {
        self.denials == DenialsMode::Trace
    }

    /// Starts the re-run of a failed task under strace with this ruleset.
    /// Logs go to the task's private `TMPDIR`, which the ruleset lets it
    /// write.
    pub(crate) fn denial_trace(&self) -> Result<DenialTrace<'_>> {
        let tracer = Tracer::locate(&self.task, self.tmp_dir())?;
        Ok(DenialTrace {
            confinement: self,
            tracer,
            accesses: Mutex::new(Vec::new()),
            skipped: Mutex::new(Vec::new()),
        })
    }

    /// Returns the hint for a failure that `--denials=trace` could not
    /// explain, with the reason.
    pub(crate) fn untraced_hint(&self, reason: &str) -> String {
        format!("{}\nsandbox: {reason}", self.hint(None))
    }
}

/// The re-run of a failed task's steps under strace, with the task's
/// ruleset, which collects the calls that failed as denials do.
pub(crate) struct DenialTrace<'a> {
    confinement: &'a Confinement,
    tracer: Tracer,
    accesses: Mutex<Vec<Access>>,
    skipped: Mutex<Vec<String>>,
}

impl DenialTrace<'_> {
    /// Returns the wrapper for one re-run command started in `dir`; the
    /// command's output is dropped, since the first run showed it.
    pub(crate) fn command(&self, dir: &Path) -> TracedCommand {
        self.tracer.command(dir, true)
    }

    /// Adds the accesses of a finished re-run command.
    pub(crate) fn record(&self, traced: TracedCommand) {
        match traced.finish() {
            Ok(accesses) => lock(&self.accesses).extend(accesses),
            Err(error) => log::debug!("task `{}`: no strace log: {error}", self.confinement.task),
        }
    }

    /// Notes a step the re-run skipped and why, such as a closure, which
    /// runs inside the runner where strace cannot follow it.
    pub(crate) fn skip(&self, note: String) {
        lock(&self.skipped).push(note);
    }

    /// Returns the denial report, or the grants hint when strace saw no
    /// denied call, followed by the steps the re-run skipped.
    pub(crate) fn report(&self) -> String {
        let confinement = self.confinement;
        let denials: Vec<Denial> = lock(&self.accesses)
            .iter()
            .filter(|access| access.is_denied())
            .map(|access| Denial { kind: access.kind, target: access.target.clone() })
            .collect();
        let mut text = if denials.is_empty() {
            confinement.untraced_hint(&format!(
                "strace saw no denied call when it re-ran task `{}`",
                confinement.task
            ))
        } else {
            report(
                &confinement.task,
                &confinement.root,
                &confinement.dir,
                confinement.out_dir.as_deref(),
                Mechanism::Trace,
                &denials,
            )
        };
        for note in lock(&self.skipped).iter() {
            text.push_str("\nsandbox: ");
            text.push_str(note);
        }
        text
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
