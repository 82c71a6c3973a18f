//! The Landlock sandbox: one ruleset per task, built from its declarations.
//!
//! [`Sandbox::new`] probes the kernel once per run. For each task,
//! [`Sandbox::prepare`] turns the task's sources, generates and scopes into a
//! [`policy::Policy`], creates the generate directories and a private
//! `TMPDIR`, and builds a Landlock ruleset (`ruleset.rs`). The canonical
//! project root and state directory and the opened system paths are the
//! same for every task, so the first task resolves them for the run
//! (`resolve.rs`, `ruleset.rs`). The returned [`Confinement`] spawns each of
//! the task's commands from a fresh thread restricted by that ruleset
//! (`spawn.rs`), so children inherit the restriction and the runner itself
//! stays unrestricted. A task that starts another runner stays confined,
//! because Landlock rulesets only stack.
//!
//! Landlock is Linux-only. Elsewhere the status is `off`, `warn` runs tasks
//! unconfined and `enforce` fails. Limits of Landlock itself, such as
//! unrestricted `stat` and `chmod` and no UDP rules, are listed in
//! `docs/sandbox.md`.

#[cfg(target_os = "linux")]
mod audit;
#[cfg(target_os = "linux")]
mod audit_netlink;
#[cfg(target_os = "linux")]
mod audit_record;
#[cfg(target_os = "linux")]
mod audit_state;
pub(crate) mod bench;
mod denials_mode;
mod mode;
mod status;

#[cfg(all(test, target_os = "linux"))]
mod audit_tests;
#[cfg(target_os = "linux")]
pub(crate) mod denial;
#[cfg(target_os = "linux")]
mod elf;
#[cfg(target_os = "linux")]
mod generates;
#[cfg(target_os = "linux")]
mod hint;
#[cfg(target_os = "linux")]
mod learn;
#[cfg(target_os = "linux")]
mod learn_compare;
#[cfg(target_os = "linux")]
mod learn_propose;
#[cfg(target_os = "linux")]
mod policy;
#[cfg(target_os = "linux")]
mod presets;
#[cfg(target_os = "linux")]
mod probe;
pub(crate) mod program;
#[cfg(target_os = "linux")]
mod resolve;
#[cfg(target_os = "linux")]
mod ruleset;
#[cfg(target_os = "linux")]
mod source_globs;
#[cfg(target_os = "linux")]
mod spawn;
#[cfg(target_os = "linux")]
mod strace_log;
#[cfg(all(test, target_os = "linux"))]
mod tests;
#[cfg(target_os = "linux")]
mod tmp_dir;
#[cfg(target_os = "linux")]
mod trace;
#[cfg(all(test, target_os = "linux"))]
mod trace_tests;

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
#[cfg(target_os = "linux")]
use std::sync::Arc;
use std::sync::Mutex;

pub use denials_mode::DenialsMode;
#[cfg(target_os = "linux")]
pub(crate) use learn::Learning;
pub use mode::SandboxMode;
pub use status::SandboxStatus;

use crate::{Error, Result, Scope};

/// The declarations and paths of one task that its ruleset is built from.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) struct TaskAccess<'a> {
    pub(crate) task: &'a str,
    pub(crate) root: &'a Path,
    pub(crate) state_dir: &'a Path,
    /// Matched source files, absolute.
    pub(crate) source_files: &'a [PathBuf],
    /// For each of `source_files`, whether its own directory entry is a
    /// symbolic link, as the walk that matched it saw. `None`, or a slice of
    /// another length, means unknown, which costs an `lstat` per file.
    pub(crate) source_links: Option<&'a [bool]>,
    /// Directories the source globs walked, absolute; granted list-only.
    pub(crate) source_dirs: &'a [PathBuf],
    /// The `generates` entries as declared, relative to the root unless absolute.
    pub(crate) generates: &'a [String],
    pub(crate) scopes: &'a [Scope],
    /// The task's working directory, absolute.
    pub(crate) dir: &'a Path,
    /// The `PATH` the task's commands see, for program scopes; `None` means
    /// the runner's own `PATH`.
    pub(crate) path_env: Option<&'a OsStr>,
    /// The language the task was declared in, so a hint suggests
    /// declarations the user can paste.
    pub(crate) syntax: Syntax,
}

/// The language of a task's declarations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// The Rust builder: `.scopes([Scope::read("/path")])`.
    Rust,
    /// A Taskfile's keys: `scopes: [{path: /path, mode: r}]`.
    #[cfg_attr(not(feature = "taskfile"), allow(dead_code))]
    Taskfile,
}

/// The sandbox of one run, probed once at the start.
pub(crate) struct Sandbox {
    mode: SandboxMode,
    status: SandboxStatus,
    /// The Landlock ABI rulesets are built for; zero when off.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    abi: u32,
    /// The source of the denial reports of failed tasks.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    denials: DenialsMode,
    /// The audit listener, when denials are read from the audit log.
    #[cfg(target_os = "linux")]
    audit: Option<Arc<audit::AuditLog>>,
    /// The reason the audit log is not used in `auto` mode, for the failure
    /// message.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    audit_unavailable: Option<String>,
    /// The canonical root and state directory, resolved once per run.
    #[cfg(target_os = "linux")]
    paths: resolve::RunPaths,
    /// The system grants, opened on the first task and reused by every task.
    #[cfg(target_os = "linux")]
    system: std::sync::OnceLock<ruleset::OpenedGrants>,
    /// A build script's `OUT_DIR`, so denial reports suggest `Build::out`.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    out_dir: Option<PathBuf>,
}

impl Sandbox {
    /// Probes the kernel for the given mode. In `enforce` mode, the error
    /// names the Landlock features the kernel lacks. In `warn` mode, a
    /// partial or missing sandbox is logged once as a warning.
    ///
    /// `RUNNER_SANDBOX_TEST_ABI=N` caps the Landlock ABI at N, as if the
    /// kernel were older, so tests can show what an older kernel does.
    ///
    /// Denial reports are off; [`Sandbox::with_denials`] turns them on.
    pub(crate) fn new(mode: SandboxMode) -> Result<Sandbox> {
        #[cfg(target_os = "linux")]
        let cap = probe::abi_cap_from_env();
        #[cfg(not(target_os = "linux"))]
        let cap = None;
        Sandbox::with_abi_cap(mode, cap)
    }

    /// Probes the kernel for the given mode, as [`Sandbox::new`] does, and
    /// prepares denial reports. With `DenialsMode::Auto` or `Audit` and the
    /// sandbox on, this starts the audit listener where the runner may read
    /// the kernel's audit log. `Audit` fails when it cannot, naming why.
    pub(crate) fn with_denials(mode: SandboxMode, denials: DenialsMode) -> Result<Sandbox> {
        Sandbox::new(mode)?.start_denials(denials)
    }

    fn start_denials(self, denials: DenialsMode) -> Result<Sandbox> {
        let mut sandbox = self;
        sandbox.denials = denials;
        if matches!(sandbox.status, SandboxStatus::Off { .. }) {
            return Ok(sandbox);
        }
        if !matches!(denials, DenialsMode::Auto | DenialsMode::Audit) {
            return Ok(sandbox);
        }

        #[cfg(target_os = "linux")]
        let started = {
            let verify = denials == DenialsMode::Audit;
            audit::AuditLog::start(sandbox.abi, verify).map(Arc::new)
        };
        #[cfg(not(target_os = "linux"))]
        let started: std::result::Result<(), String> = Err("Landlock is Linux-only".to_string());
        match started {
            #[cfg(target_os = "linux")]
            Ok(log) => sandbox.audit = Some(log),
            #[cfg(not(target_os = "linux"))]
            Ok(()) => {}
            Err(reason) if denials == DenialsMode::Audit => {
                return Err(Error::sandbox(
                    None,
                    format!(
                        "cannot read denials from the kernel's audit log: {reason}: run as root, \
                         or choose `--denials=trace` or `--denials=off`"
                    ),
                ));
            }
            Err(reason) => {
                log::debug!("denial reports: the audit log is unavailable: {reason}");
                sandbox.audit_unavailable = Some(reason);
            }
        }
        Ok(sandbox)
    }

    /// Probes the kernel for the given mode with the ABI capped at `cap`.
    pub(crate) fn with_abi_cap(mode: SandboxMode, cap: Option<u32>) -> Result<Sandbox> {
        if mode == SandboxMode::Off {
            let status = SandboxStatus::Off { reason: "disabled".to_string() };
            return Ok(Sandbox::unconfigured(mode, status, 0));
        }

        #[cfg(target_os = "linux")]
        let (status, abi) = {
            let probe = probe::probe(cap);
            (probe.status, probe.abi)
        };
        #[cfg(not(target_os = "linux"))]
        let (status, abi) = {
            let _ = cap;
            (SandboxStatus::Off { reason: "Landlock is Linux-only".to_string() }, 0)
        };

        match (&status, mode) {
            (SandboxStatus::Enforced { .. }, _) => {}
            (SandboxStatus::Partial { abi, missing }, SandboxMode::Enforce) => {
                return Err(Error::sandbox(
                    None,
                    format!(
                        "cannot enforce the whole policy with Landlock ABI {abi}: missing {}: \
                         upgrade the kernel, or run with `--sandbox=warn` to confine tasks as far \
                         as it allows",
                        missing.join(", ")
                    ),
                ));
            }
            (SandboxStatus::Off { reason }, SandboxMode::Enforce) => {
                return Err(Error::sandbox(
                    None,
                    format!(
                        "cannot enforce the policy: {reason}: run with `--sandbox=warn` or \
                         `--no-sandbox` to run tasks unconfined"
                    ),
                ));
            }
            (SandboxStatus::Partial { abi, missing }, _) => log::warn!(
                "sandbox is partial with Landlock ABI {abi}: tasks run without {}",
                missing.join(", ")
            ),
            (SandboxStatus::Off { reason }, _) => {
                log::warn!("sandbox is off: {reason}: tasks run unconfined")
            }
        }
        Ok(Sandbox::unconfigured(mode, status, abi))
    }

    fn unconfigured(mode: SandboxMode, status: SandboxStatus, abi: u32) -> Sandbox {
        Sandbox {
            mode,
            status,
            abi,
            denials: DenialsMode::Off,
            #[cfg(target_os = "linux")]
            audit: None,
            audit_unavailable: None,
            #[cfg(target_os = "linux")]
            paths: resolve::RunPaths::default(),
            #[cfg(target_os = "linux")]
            system: std::sync::OnceLock::new(),
            out_dir: None,
        }
    }

    /// Sets a build script's `OUT_DIR`, below which denial reports suggest
    /// `generates` entries made with `Build::out`.
    pub(crate) fn with_out_dir(mut self, out_dir: Option<PathBuf>) -> Sandbox {
        self.out_dir = out_dir;
        self
    }

    #[allow(dead_code, reason = "part of the scheduler's interface, with no caller yet")]
    pub(crate) fn mode(&self) -> SandboxMode {
        self.mode
    }

    pub(crate) fn status(&self) -> &SandboxStatus {
        &self.status
    }

    /// Checks the declarations of `task` that can be checked before anything
    /// runs: a `generates` entry whose directory is the project root is an
    /// `ErrorKind::InvalidTask`. Nothing is checked when tasks run unconfined.
    pub(crate) fn check_task(&self, task: &crate::Task, root: &Path) -> Result<()> {
        if matches!(self.status, SandboxStatus::Off { .. }) {
            return Ok(());
        }
        #[cfg(target_os = "linux")]
        for entry in &task.generates {
            generates::check_generate_path(&task.name, root, entry)?;
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (task, root);
        Ok(())
    }

    /// Builds the confinement of one task, or `None` when tasks run unconfined.
    /// Creates the task's generate directories and private temp directory.
    ///
    /// A declaration the sandbox cannot honour is an `ErrorKind::InvalidTask`:
    /// a `generates` entry at the project root, a path overlapping the state
    /// directory, a source symlinked outside the root or a program not on
    /// `PATH`. A ruleset that cannot be built is an `ErrorKind::Sandbox`.
    pub(crate) fn prepare(&self, access: &TaskAccess) -> Result<Option<Confinement>> {
        if matches!(self.status, SandboxStatus::Off { .. }) {
            return Ok(None);
        }

        #[cfg(target_os = "linux")]
        {
            self.prepare_linux(access).map(Some)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = access;
            Ok(None)
        }
    }

    #[cfg(target_os = "linux")]
    fn prepare_linux(&self, access: &TaskAccess) -> Result<Confinement> {
        let tmp_dir = tmp_dir::TmpDir::create(access.task)?;
        let policy = policy::Policy::build(access, tmp_dir.path(), &self.paths)?;
        let system =
            self.system.get_or_init(|| ruleset::OpenedGrants::open(&policy::system_grants()));

        let level = match self.mode {
            SandboxMode::Enforce => landlock::CompatLevel::HardRequirement,
            _ => landlock::CompatLevel::BestEffort,
        };
        let mut ruleset = ruleset::build_ruleset(access.task, &policy, system, self.abi, level)?;
        if self.audit.is_some() {
            use landlock::RulesetCreatedAttr as _;
            ruleset = ruleset.log_new_exec(true).map_err(|error| {
                Error::sandbox(
                    Some(access.task),
                    format!("failed to log denials after exec: {error}"),
                )
            })?;
        }

        Ok(Confinement {
            task: access.task.to_string(),
            root: access.root.to_owned(),
            dir: access.dir.to_owned(),
            path_env: access.path_env.map(OsStr::to_owned),
            scopes: access.scopes.to_vec(),
            syntax: access.syntax,
            tmp_dir,
            policy,
            ruleset,
            last_program: Mutex::new(None),
            threads: Mutex::new(Vec::new()),
            denials: self.denials,
            audit: self.audit.clone(),
            audit_unavailable: self.audit_unavailable.clone(),
            out_dir: self.out_dir.clone(),
        })
    }
}

/// The ruleset of one task, ready to apply to the threads that spawn its
/// commands. Dropping it removes the task's private temp directory.
pub(crate) struct Confinement {
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    task: String,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    root: PathBuf,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    dir: PathBuf,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    path_env: Option<OsString>,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    scopes: Vec<Scope>,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    syntax: Syntax,
    #[cfg(target_os = "linux")]
    tmp_dir: tmp_dir::TmpDir,
    #[cfg(not(target_os = "linux"))]
    tmp_dir: PathBuf,
    #[cfg(target_os = "linux")]
    policy: policy::Policy,
    #[cfg(target_os = "linux")]
    ruleset: landlock::RulesetCreated,
    /// The last program spawned, so the hint can name it after a spawn error.
    last_program: Mutex<Option<SpawnedProgram>>,
    /// The names of the threads restricted for this task, which the audit
    /// log's domain records carry.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    threads: Mutex<Vec<String>>,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    denials: DenialsMode,
    #[cfg(target_os = "linux")]
    audit: Option<Arc<audit::AuditLog>>,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    audit_unavailable: Option<String>,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    out_dir: Option<PathBuf>,
}

/// A program as a `Command` names it, with what is needed to resolve it.
#[derive(Clone, Debug)]
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
struct SpawnedProgram {
    program: OsString,
    path_env: Option<OsString>,
    cwd: PathBuf,
}

impl Confinement {
    /// Returns the task's private temporary directory.
    pub(crate) fn tmp_dir(&self) -> &Path {
        #[cfg(target_os = "linux")]
        {
            self.tmp_dir.path()
        }
        #[cfg(not(target_os = "linux"))]
        {
            &self.tmp_dir
        }
    }

    /// Returns the hint printed when the task failed, given the spawn error if
    /// spawning failed: the file that could not be executed after `EACCES`,
    /// otherwise what the task was granted and the declarations that would
    /// widen it.
    pub(crate) fn hint(&self, spawn_error: Option<&io::Error>) -> String {
        #[cfg(target_os = "linux")]
        {
            hint::hint(self, spawn_error)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = spawn_error;
            String::new()
        }
    }

    /// Returns the denial report of the task when the audit log showed
    /// denials, and `None` otherwise.
    pub(crate) fn denial_report(&self) -> Option<String> {
        #[cfg(target_os = "linux")]
        if let audit::Findings::Report(report) = self.audit_findings() {
            return Some(report);
        }
        None
    }

    fn remember_program(&self, command: &Command) {
        let path_env = command
            .get_envs()
            .find(|(key, _)| *key == "PATH")
            .map(|(_, value)| value.map(OsStr::to_owned))
            .unwrap_or_else(|| self.path_env.clone());
        let cwd = match command.get_current_dir() {
            Some(dir) => self.dir.join(dir),
            None => self.dir.clone(),
        };
        let spawned = SpawnedProgram { program: command.get_program().to_owned(), path_env, cwd };
        if let Ok(mut last) = self.last_program.lock() {
            *last = Some(spawned);
        }
    }
}

#[cfg(not(target_os = "linux"))]
impl Confinement {
    /// Spawns `command` unconfined; no confinement exists off Linux.
    pub(crate) fn spawn(&self, mut command: Command) -> io::Result<std::process::Child> {
        self.remember_program(&command);
        command.spawn()
    }

    /// Spawns `command` unconfined; no confinement exists off Linux.
    pub(crate) fn spawn_restricted(&self, command: Command) -> io::Result<std::process::Child> {
        self.spawn(command)
    }

    /// Runs `func` unconfined; no confinement exists off Linux.
    pub(crate) fn run<R: Send>(&self, func: impl FnOnce() -> R + Send) -> R {
        func()
    }

    /// Runs `func` unconfined; no confinement exists off Linux.
    pub(crate) fn try_run<R: Send>(&self, func: impl FnOnce() -> R + Send) -> io::Result<R> {
        Ok(func())
    }
}

/// Learn mode off Linux: strace and Landlock are Linux-only, so no value
/// exists and [`Learning::start`] fails.
#[cfg(not(target_os = "linux"))]
pub(crate) enum Learning {}

/// A traced command; off Linux no value exists.
#[cfg(not(target_os = "linux"))]
pub(crate) enum TracedCommand {}

#[cfg(not(target_os = "linux"))]
impl Learning {
    /// Fails: learn mode needs strace, which runs on Linux only.
    pub(crate) fn start(task: &str) -> Result<Learning> {
        Err(Error::sandbox(
            Some(task),
            "learn mode traces tasks with strace, which runs on Linux only",
        ))
    }

    pub(crate) fn tmp_dir(&self) -> &Path {
        match *self {}
    }

    pub(crate) fn command(&self, _dir: &Path) -> TracedCommand {
        match *self {}
    }

    pub(crate) fn record(&self, traced: TracedCommand) {
        match traced {}
    }

    pub(crate) fn note(&self, _text: String) {
        match *self {}
    }

    pub(crate) fn report(&self, _access: &TaskAccess, _succeeded: bool) -> String {
        match *self {}
    }
}

/// The re-run of a failed task under strace; off Linux no value exists.
#[cfg(not(target_os = "linux"))]
pub(crate) enum DenialTrace {}

#[cfg(not(target_os = "linux"))]
impl Confinement {
    /// Returns false: off Linux no task is confined, so none is re-run.
    pub(crate) fn traces_denials(&self) -> bool {
        false
    }

    /// Fails: strace runs on Linux only.
    pub(crate) fn denial_trace(&self) -> Result<DenialTrace> {
        Err(Error::sandbox(Some(&self.task), "strace runs on Linux only"))
    }

    /// Returns `reason`; off Linux there is no grants hint.
    pub(crate) fn untraced_hint(&self, reason: &str) -> String {
        format!("sandbox: {reason}")
    }
}

#[cfg(not(target_os = "linux"))]
impl DenialTrace {
    pub(crate) fn command(&self, _dir: &Path) -> TracedCommand {
        match *self {}
    }

    pub(crate) fn record(&self, traced: TracedCommand) {
        match traced {}
    }

    pub(crate) fn skip(&self, _note: String) {
        match *self {}
    }

    pub(crate) fn report(&self) -> String {
        match *self {}
    }
}

#[cfg(not(target_os = "linux"))]
impl TracedCommand {
    pub(crate) fn wrapper(&self) -> crate::exec::Wrapper {
        match *self {}
    }

    #[cfg_attr(not(feature = "taskfile"), allow(dead_code))]
    pub(crate) fn wrap(&self, _command: &Command) -> Command {
        match *self {}
    }
}
