//! Running one process step.
//!
//! A step becomes a `std::process::Command` with the task's environment and
//! working directory, in a process group of its own so that an interruption
//! can stop it with everything it started. With one job the command inherits
//! the runner's stdin, stdout and stderr. With several, stdin is `/dev/null`,
//! and stdout and stderr are piped, read line by line on the task's own
//! thread (see `forward`) and written through `Output` with the task's
//! prefix. When the task is sandboxed, the command is spawned through its
//! `Confinement`, from a fresh thread restricted by the task's ruleset. When
//! `Output` is stderr-only (in a Cargo build script), stdin is `/dev/null` and
//! an unpiped stdout is a duplicate of the runner's stderr.

use std::ffi::{OsStr, OsString};
use std::io::{self, IsTerminal};
use std::os::fd::AsFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use crate::Cmd;
use crate::output::Output;
use crate::sandbox::Confinement;
use crate::sandbox::program::resolve_program;
use crate::signal::Interrupt;

/// A process to run, with its resolved environment and directory.
pub(crate) struct Process<'a> {
    pub(crate) task: &'a str,
    pub(crate) program: OsString,
    pub(crate) args: Vec<OsString>,
    /// Environment changes in order; `None` removes the variable.
    pub(crate) env: Vec<(OsString, Option<OsString>)>,
    pub(crate) dir: &'a Path,
    /// A program that runs this one, such as the tracer; `None` runs it directly.
    pub(crate) wrapper: Option<Wrapper>,
}

/// A program that runs a process's command line: `PROGRAM ARGS... COMMAND`.
#[derive(Clone, Debug)]
pub(crate) struct Wrapper {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
    /// Drop the output, for a re-run whose output was shown already.
    pub(crate) discard_output: bool,
}

impl<'a> Process<'a> {
    /// Creates the process of a `Cmd` step of `task`.
    pub(crate) fn from_cmd(task: &'a str, cmd: &Cmd, dir: &'a Path) -> Process<'a> {
        Process {
            task,
            program: cmd.get_program().to_owned(),
            args: cmd.get_args().map(ToOwned::to_owned).collect(),
            env: cmd
                .get_envs()
                .map(|(key, value)| (key.to_owned(), value.map(Into::into)))
                .collect(),
            dir,
            wrapper: None,
        }
    }

    /// Creates the process of a shell script step of `task`.
    pub(crate) fn from_script(task: &'a str, script: &str, dir: &'a Path) -> Process<'a> {
        Process {
            task,
            program: "sh".into(),
            args: vec!["-e".into(), "-c".into(), script.into()],
            env: Vec::new(),
            dir,
            wrapper: None,
        }
    }
}

/// The failure of a process.
pub(crate) enum Failure {
    /// It could not be started.
    Spawn(io::Error),
    /// It ran and exited unsuccessfully.
    Exit(ExitStatus),
}

impl Failure {
    /// Describes the failure of `command` for the summary.
    pub(crate) fn describe(&self, command: &str) -> String {
        match self {
            Failure::Spawn(err) => format!("failed to start `{command}`: {err}"),
            Failure::Exit(status) => match (status.code(), status.signal()) {
                (Some(code), _) => format!("command `{command}` exited with code {code}"),
                (None, Some(signal)) => {
                    format!("command `{command}` was killed by signal {signal}")
                }
                (None, None) => format!("command `{command}` failed: {status}"),
            },
        }
    }
}

/// The confinement of a task's commands.
#[derive(Clone, Copy)]
pub(crate) enum Confined<'a> {
    /// They run unconfined.
    No,
    /// Each spawn restricts a fresh thread with the task's ruleset, because the
    /// calling thread must stay free for other tasks' declarations.
    PerSpawn(&'a Confinement),
    /// The calling thread is already restricted with the task's ruleset.
    Thread(&'a Confinement),
}

impl<'a> Confined<'a> {
    /// Returns the task's confinement, if it has one.
    pub(crate) fn confinement(self) -> Option<&'a Confinement> {
        match self {
            Confined::No => None,
            Confined::PerSpawn(confinement) | Confined::Thread(confinement) => Some(confinement),
        }
    }
}

/// Runs `process` to completion, with `task_env` applied before the
/// process's own environment changes.
pub(crate) fn run(
    process: &Process,
    task_env: &[(String, String)],
    confined: Confined,
    output: &Output,
    interrupt: &Interrupt,
) -> Result<(), Failure> {
    let confinement = confined.confinement();
    // A confined task runs exactly the program its ruleset was built for: a
    // PATH search inside the sandbox would skip a denied entry and run the next.
    let program = match confinement {
        Some(_) => resolve_program(&process.program, path_env(process, task_env), process.dir)
            .map_err(Failure::Spawn)?,
        None => PathBuf::from(&process.program),
    };
    let mut command = match &process.wrapper {
        Some(wrapper) => {
            let mut command = Command::new(&wrapper.program);
            command.args(&wrapper.args).arg(program);
            command
        }
        None => Command::new(program),
    };
    command.args(&process.args).current_dir(process.dir);
    // A command in a process group of its own is stopped by SIGTTIN when it
    // reads the terminal, so with one job and a terminal on stdin it stays in
    // the runner's foreground group.
    let foreground =
        !output.prefixed() && !output.is_stderr_only() && std::io::stdin().is_terminal();
    if !foreground {
        command.process_group(0);
    }
    for (key, value) in task_env {
        command.env(key, value);
    }
    if let Some(confinement) = confinement {
        command.env("TMPDIR", confinement.tmp_dir());
    }
    for (key, value) in &process.env {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    if output.prefixed() {
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    if output.is_stderr_only() {
        command.stdin(Stdio::null());
        if !output.prefixed() {
            command.stdout(stderr_copy().map_err(Failure::Spawn)?);
        }
    }
    if process.wrapper.as_ref().is_some_and(|wrapper| wrapper.discard_output) {
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    }

    let spawned = match confined {
        Confined::No => command.spawn(),
        Confined::PerSpawn(confinement) => confinement.spawn(command),
        Confined::Thread(confinement) => confinement.spawn_restricted(command),
    };
    let mut child = spawned.map_err(Failure::Spawn)?;
    let pid = child.id() as i32;
    let target = if foreground { pid } else { -pid };
    interrupt.register(target);

    if let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) {
        let task = process.task;
        crate::forward::forward(task, stdout, stderr, |kind, line| output.line(task, kind, line));
    }
    let status = child.wait();
    interrupt.unregister(target);

    match status {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(Failure::Exit(status)),
        Err(err) => Err(Failure::Spawn(err)),
    }
}

/// Returns a duplicate of the runner's stderr, to serve as a command's stdout.
fn stderr_copy() -> io::Result<Stdio> {
    let fd = io::stderr().as_fd().try_clone_to_owned()?;
    Ok(Stdio::from(fd))
}

/// Returns the `PATH` of the process: its own change, else the task's, else
/// `None` for the runner's.
fn path_env<'a>(process: &'a Process, task_env: &'a [(String, String)]) -> Option<&'a OsStr> {
    let own = process.env.iter().rev().find(|(key, _)| key == "PATH");
    match own {
        // Without PATH, execvp searches its default path.
        Some((_, value)) => Some(value.as_deref().unwrap_or(OsStr::new("/bin:/usr/bin"))),
        None => {
            task_env.iter().rev().find(|(key, _)| key == "PATH").map(|(_, value)| value.as_ref())
        }
    }
}
