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

use super::program::resolve_program;
use super::strace_log::{Access, Parser};
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
