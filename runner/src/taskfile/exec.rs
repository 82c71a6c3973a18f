//! Running Taskfile tasks with go-task's runtime semantics.
//!
//! There is no global graph. Each call compiles its task with its own vars
//! and expands the tree as it goes. So a task reached through two paths runs
//! twice, unless it has `run: once` (once per process) or `run: when_changed`
//! (once per distinct set of vars). Deps of one task run concurrently and all
//! finish before its preconditions, its up-to-date check and its commands;
//! `task:` calls in `cmds` run in order. `-C N` caps the tasks running
//! commands at once, and a task gives up its slot while a called task runs.
//! Deferred commands run last-in first-out when the task ends, on failure too,
//! with `EXIT_CODE` set. Cycles are rejected before anything runs
//! (`references`). go-task's call counter (1000 calls of one task) stays as
//! a backstop for cycles through templated names.

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, mpsc};

use super::ast::{CmdDef, Output};
use super::compile::{self, Call, Cmd, Compiled, Globals};
use super::fingerprint;
use super::load::Project;
use super::messages;
use super::shell;
use super::template::Value;
use super::vars::{Resolver, Vars};
use crate::SandboxMode;
use crate::sandbox::{Confinement, Learning, Sandbox, TaskAccess};

/// The cause of a task failure, in go-task's words.
#[derive(Clone, Debug)]
pub(crate) enum Failure {
    /// A command exited non-zero; `status` reads `exit status N`.
    Exit { status: String, code: i32 },
    /// A precondition failed; its message was already printed.
    Precondition,
    /// A failure inside task `task`.
    Wrapped { task: String, inner: Box<Failure> },
    /// A command ran past its `timeout:`.
    Timeout { message: String },
    /// Any other error, with its full message and exit code.
    Other { message: String, code: u8 },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Exit { status, .. } => f.write_str(status),
            Failure::Precondition => f.write_str(messages::PRECONDITION_NOT_MET),
            Failure::Wrapped { task, inner } => {
                f.write_str(&messages::failed(task, &inner.to_string()))
            }
            Failure::Timeout { message } | Failure::Other { message, .. } => f.write_str(message),
        }
    }
}

impl Failure {
    /// Returns go-task's exit code; with `pass_through` (`-x`) a failed
    /// command's own status.
    pub(crate) fn exit_code(&self, pass_through: bool) -> u8 {
        match self {
            Failure::Exit { code, .. } if pass_through => (*code).clamp(0, 255) as u8,
            Failure::Exit { .. } | Failure::Precondition => 201,
            Failure::Wrapped { inner, .. } => match inner.as_ref() {
                Failure::Other { code, .. } if *code < 200 => 201,
                other => other.exit_code(pass_through),
            },
            Failure::Timeout { .. } if pass_through => 124,
            Failure::Timeout { .. } => 208,
            Failure::Other { code, .. } => *code,
        }
    }

    fn exit_status(&self) -> Option<i32> {
        match self {
            Failure::Exit { code, .. } => Some(*code),
            Failure::Timeout { .. } => Some(124),
            Failure::Wrapped { inner, .. } => inner.exit_status(),
            _ => None,
        }
    }

    fn wrap(self, task: &str) -> Failure {
        Failure::Wrapped { task: task.to_string(), inner: Box::new(self) }
    }
}

/// Options of one run, from the command line.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    pub(crate) force: bool,
    pub(crate) dry: bool,
    pub(crate) silent: bool,
    pub(crate) verbose: bool,
    pub(crate) exit_code: bool,
    pub(crate) parallel: bool,
    pub(crate) concurrency: usize,
    pub(crate) failfast: bool,
    pub(crate) yes: bool,
    pub(crate) output: Option<Output>,
    /// The sandbox mode; `None` runs tasks unconfined.
    pub(crate) sandbox: Option<SandboxMode>,
    /// The source of the denied accesses listed when a sandboxed task fails.
    pub(crate) denials: crate::DenialsMode,
    /// The index of the task learn mode runs unconfined under strace.
    pub(crate) learn: Option<usize>,
}

/// A cancellation scope: a dep group, or the whole run.
pub(crate) struct Cancel {
    flag: AtomicBool,
    parent: Option<Arc<Cancel>>,
    /// Process ids (negative for process groups) of running commands below.
    processes: Mutex<Vec<i32>>,
}

impl Cancel {
    pub(crate) fn root() -> Arc<Cancel> {
        Arc::new(Cancel {
            flag: AtomicBool::new(false),
            parent: None,
            processes: Mutex::new(Vec::new()),
        })
    }

    fn child(self: &Arc<Cancel>) -> Arc<Cancel> {
        Arc::new(Cancel {
            flag: AtomicBool::new(false),
            parent: Some(self.clone()),
            processes: Mutex::new(Vec::new()),
        })
    }

    fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst) || self.parent.as_ref().is_some_and(|p| p.is_cancelled())
    }

    /// Marks the scope cancelled and sends `signal` to its running commands.
    pub(crate) fn cancel(&self, signal: i32) {
        self.flag.store(true, Ordering::SeqCst);
        for id in self.processes.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            // SAFETY: kill(2) has no memory effects; a stale id fails with ESRCH.
            unsafe {
                libc::kill(*id, signal);
            }
        }
    }

    fn register(self: &Arc<Cancel>, id: i32) {
        let mut scope = Some(self.clone());
        while let Some(current) = scope {
            current.processes.lock().unwrap_or_else(|e| e.into_inner()).push(id);
            scope = current.parent.clone();
        }
    }

    fn unregister(self: &Arc<Cancel>, id: i32) {
        let mut scope = Some(self.clone());
        while let Some(current) = scope {
            current.processes.lock().unwrap_or_else(|e| e.into_inner()).retain(|p| *p != id);
            scope = current.parent.clone();
        }
    }
}

/// A counting semaphore for `-C`.
struct Slots {
    free: Mutex<usize>,
    released: Condvar,
}

impl Slots {
    fn acquire(&self) {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.released.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
    }

    fn release(&self) {
        *self.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.released.notify_one();
    }
}

type Shared = Arc<OnceLock<Result<(), Failure>>>;

/// The executor of one `runner` invocation.
pub(crate) struct Executor {
    pub(crate) project: Project,
    pub(crate) resolver: Resolver,
    pub(crate) globals: Globals,
    pub(crate) options: Options,
    slots: Option<Slots>,
    once: Mutex<HashMap<String, Shared>>,
    calls: Mutex<HashMap<String, usize>>,
    sandbox: Sandbox,
    separate_groups: bool,
    /// The learn run in progress, whose task is `options.learn`.
    learning: Mutex<Option<Arc<Learning>>>,
}

/// go-task's limit of calls of one task in one run.
const MAX_CALLS: usize = 1000;

impl Executor {
    pub(crate) fn new(
        project: Project,
        resolver: Resolver,
        globals: Globals,
        options: Options,
    ) -> Result<Executor, Failure> {
        let mode = options.sandbox.unwrap_or(SandboxMode::Off);
        let sandbox = Sandbox::with_denials(mode, options.denials)
            .map_err(|e| Failure::Other { message: format!("task: {e}"), code: 1 })?;
        if options.verbose && mode != SandboxMode::Off {
            errln!("task: sandbox {}", sandbox.status());
        }
        let slots = (options.concurrency > 0)
            .then(|| Slots { free: Mutex::new(options.concurrency), released: Condvar::new() });
        Ok(Executor {
            project,
            resolver,
            globals,
            options,
            slots,
            once: Mutex::new(HashMap::new()),
            calls: Mutex::new(HashMap::new()),
            sandbox,
            separate_groups: !std::io::stdin().is_terminal(),
            learning: Mutex::new(None),
        })
    }

    /// Compiles the task a call names, seen from `namespace`. With
    /// `requires`, missing required vars fail before any field is rendered.
    pub(crate) fn compile(
        &self,
        call: &Call,
        namespace: &str,
        requires: bool,
    ) -> Result<Compiled, Failure> {
        if let Some(tasks) = compile::alias_conflict(&self.project, &call.task, namespace) {
            return Err(Failure::Other {
                message: messages::ambiguous(&tasks, &call.task),
                code: 203,
            });
        }
        let Some((index, captures)) = compile::resolve(&self.project, &call.task, namespace) else {
            return Err(Failure::Other {
                message: messages::does_not_exist(call.task.trim_start_matches(':'), None),
                code: 200,
            });
        };
        let check = |index: usize, vars: &Vars| match requires {
            true => self.check_requires(index, vars, call),
            false => Ok(()),
        };
        compile::compile(
            &self.project,
            &self.resolver,
            &self.globals,
            index,
            call,
            &captures,
            &check,
        )
    }

    /// Runs one call to completion.
    pub(crate) fn run_call(
        &self,
        call: &Call,
        namespace: &str,
        cancel: &Arc<Cancel>,
    ) -> Result<(), Failure> {
        let task = self.compile(call, namespace, true)?;
        let entry = &self.project.tasks[task.index];
        if !compile::platform_matches(&entry.def.platforms) {
            if self.options.verbose {
                errln!("task: \"{}\" not for current platform - ignored", task.name);
            }
            return Ok(());
        }
        self.count_call(&task.name)?;
        if let Some(condition) = &task.if_cond
            && !self.condition_holds(&task, condition, cancel)
        {
            if self.options.verbose {
                errln!("task: if condition not met - skipped: \"{}\"", task.name);
            }
            return Ok(());
        }

        // go-task keys `once` by Taskfile and local name, so one file included
        // twice shares the run, and `when_changed` also by the compiled task.
        let file = self.project.files[entry.file].path.display();
        let local = if entry.name.contains('*') { task.name.as_str() } else { &entry.def.name };
        let key = match task.run.as_str() {
            "once" => format!("{file}\u{0}{local}"),
            "when_changed" => {
                let compiled = (&task.cmds, &task.deps, &task.env, &task.status, &task.sources);
                format!("{file}\u{0}{local}\u{0}{compiled:?}")
            }
            _ => return self.execute(&task, call, cancel),
        };
        let shared =
            self.once.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_default().clone();
        shared.get_or_init(|| self.execute(&task, call, cancel)).clone()
    }

    fn count_call(&self, name: &str) -> Result<(), Failure> {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        let count = calls.entry(name.to_string()).or_insert(0);
        *count += 1;
        if *count >= MAX_CALLS {
            return Err(Failure::Other {
                message: format!(
                    "task: Maximum task call exceeded ({MAX_CALLS}) for task \"{name}\": probably an cyclic dep or infinite loop"
                ),
                code: 204,
            });
        }
        Ok(())
    }

    fn check_requires(&self, index: usize, vars: &Vars, call: &Call) -> Result<(), Failure> {
        let entry = &self.project.tasks[index];
        let def = &entry.def;
        let name =
            if entry.name.contains('*') { call.task.trim_start_matches(':') } else { &entry.name };
        let mut missing = Vec::new();
        let mut invalid = Vec::new();
        for require in &def.requires {
            let allowed = match (&require.enum_values, &require.enum_ref) {
                (Some(values), _) => Some(values.clone()),
                (None, Some(reference)) => {
                    let source = format!("{{{{{}}}}}", reference.text);
                    let text = super::vars::render_at(
                        &self.project,
                        entry.file,
                        &source,
                        reference,
                        vars,
                    )?;
                    let text = text.trim_start_matches('[').trim_end_matches(']').to_string();
                    Some(text.split_whitespace().map(str::to_string).collect())
                }
                (None, None) => None,
            };
            match vars.get(&require.name) {
                None | Some(Value::Nil) => match require.enum_values.as_ref().and(allowed.as_ref())
                {
                    Some(values) => missing.push(format!(
                        "{} (allowed values: [{}])",
                        require.name,
                        values.join(" ")
                    )),
                    None => missing.push(require.name.clone()),
                },
                Some(value) => {
                    if let Some(values) = allowed {
                        let text = value.to_go_string();
                        if !values.contains(&text) {
                            invalid.push((require.name.clone(), text, values));
                        }
                    }
                }
            }
        }
        if !missing.is_empty() {
            return Err(Failure::Other {
                message: messages::missing_vars(name, &missing),
                code: 206,
            });
        }
        if !invalid.is_empty() {
            return Err(Failure::Other {
                message: messages::invalid_vars(name, &invalid),
                code: 207,
            });
        }
        Ok(())
    }

    /// Runs a condition (`if:`, `status:`, a precondition) quietly; true on exit 0.
    fn condition_holds(&self, task: &Compiled, condition: &str, cancel: &Arc<Cancel>) -> bool {
        let script = shell::script(condition, &task.set, &task.shopt);
        let dir = super::vars::existing_ancestor(&task.dir);
        let mut command = shell::command(&script, dir, &task.env);
        command.stdout(Stdio::null()).stderr(Stdio::null()).stdin(Stdio::null());
        #[cfg(unix)]
        if self.separate_groups {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        let Ok(mut child) = command.spawn() else { return false };
        let handle = self.process_handle(&child);
        cancel.register(handle);

        let status = child.wait();
        cancel.unregister(handle);
        status.is_ok_and(|s| s.success())
    }

    fn process_handle(&self, child: &std::process::Child) -> i32 {
        let id = child.id() as i32;
        if self.separate_groups { -id } else { id }
    }

    /// Runs `run` in a scope whose commands are killed after `timeout`, and
    /// reports `task: [label] command timeout exceeded (..)` when they were.
    fn with_timeout<T>(
        &self,
        timeout: Option<&(String, std::time::Duration)>,
        label: &str,
        cancel: &Arc<Cancel>,
        run: impl FnOnce(&Arc<Cancel>) -> T,
    ) -> Result<T, Failure> {
        let Some((written, limit)) = timeout else {
            return Ok(run(cancel));
        };
        let scope = cancel.child();
        let watchdog = Watchdog::start(scope.clone(), *limit);
        let value = run(&scope);
        if watchdog.finish() {
            let message = format!("task: [{label}] command timeout exceeded ({written})");
            return Err(Failure::Timeout { message });
        }
        Ok(value)
    }

    fn is_silent(&self, task: &Compiled, call: &Call) -> bool {
        !self.options.verbose && (self.options.silent || task.silent || call.silent)
    }

    fn output_style(&self, task: &Compiled) -> Output {
        if task.interactive {
            return Output::Interleaved;
        }
        self.options
            .output
            .clone()
            .or_else(|| self.project.output.clone())
            .unwrap_or(Output::Interleaved)
    }

    fn execute(&self, task: &Compiled, call: &Call, cancel: &Arc<Cancel>) -> Result<(), Failure> {
        if self.options.verbose {
            errln!("task: \"{}\" started", task.name);
        }
        let namespace = self.project.tasks[task.index].namespace.clone();
        self.run_deps(task, &namespace, cancel).map_err(|e| e.wrap(&task.label))?;

        self.acquire();
        let result = self.run_body(task, call, &namespace, cancel);
        self.release();
        if self.options.verbose && result.is_ok() {
            errln!("task: \"{}\" finished", task.name);
        }
        result
    }

    fn acquire(&self) {
        if let Some(slots) = &self.slots {
            slots.acquire();
        }
    }

    fn release(&self) {
        if let Some(slots) = &self.slots {
            slots.release();
        }
    }

    fn run_deps(
        &self,
        task: &Compiled,
        namespace: &str,
        cancel: &Arc<Cancel>,
    ) -> Result<(), Failure> {
        if task.deps.is_empty() {
            return Ok(());
        }
        let group = cancel.child();
        let failfast = self.options.failfast || task.failfast;
        let (sender, receiver) = mpsc::channel();
        std::thread::scope(|scope| {
            for dep in &task.deps {
                let sender = sender.clone();
                let group = group.clone();
                scope.spawn(move || {
                    let label = dep.task.trim_start_matches(':');
                    let result = self
                        .with_timeout(dep.timeout.as_ref(), label, &group, |scope| {
                            self.run_call(dep, namespace, scope)
                        })
                        .and_then(|result| result);
                    let _ = sender.send(result);
                });
            }
            drop(sender);
            let mut first_error = None;
            for result in receiver {
                if let Err(error) = result
                    && first_error.is_none()
                {
                    if failfast {
                        group.cancel(libc::SIGTERM);
                    }
                    first_error = Some(error);
                }
            }
            match first_error {
                Some(error) => Err(error),
                None => Ok(()),
            }
        })
    }

    /// Checks preconditions and freshness; `Ok(None)` means up to date.
    fn check_before_run(
        &self,
        task: &Compiled,
        silent: bool,
        cancel: &Arc<Cancel>,
    ) -> Result<Option<Option<fingerprint::SourceCheck>>, Failure> {
        if !task.sources.is_empty()
            && !["checksum", "timestamp", "none"].contains(&task.method.as_str())
        {
            let message = format!("task: invalid method \"{}\"", task.method);
            return Err(Failure::Other { message, code: 1 }.wrap(&task.label));
        }
        if self.options.force {
            if task.sources.is_empty() {
                return Ok(Some(None));
            }
            let check = fingerprint::check_sources(task, &self.project.root_dir, &task.label);
            return Ok(Some(Some(check)));
        }
        for (sh, msg) in &task.preconditions {
            if !self.condition_holds(task, sh, cancel) {
                let message = match msg {
                    Some(msg) => format!("task: {msg}"),
                    None => messages::precondition_failed(sh),
                };
                errln!("{message}");
                return Err(Failure::Precondition.wrap(&task.label));
            }
        }
        let (up_to_date, check) = self.up_to_date(task, cancel);
        if up_to_date {
            if !silent {
                errln!("{}", messages::up_to_date(&self.display_name(task)));
            }
            return Ok(None);
        }
        Ok(Some(check))
    }

    fn run_body(
        &self,
        task: &Compiled,
        call: &Call,
        namespace: &str,
        cancel: &Arc<Cancel>,
    ) -> Result<(), Failure> {
        let silent = self.is_silent(task, call);
        if self.options.learn == Some(task.index) && !self.options.dry {
            return self.learn(task, call, namespace, cancel);
        }
        let Some(source_check) = self.check_before_run(task, silent, cancel)? else {
            return Ok(());
        };
        self.run_cmds(task, call, namespace, cancel, source_check)
    }

    /// Runs `task` once unconfined under strace, even when up to date, and
    /// prints the declarations it needs. Records no state for it.
    fn learn(
        &self,
        task: &Compiled,
        call: &Call,
        namespace: &str,
        cancel: &Arc<Cancel>,
    ) -> Result<(), Failure> {
        let learning = Learning::start(&task.name)
            .map_err(|error| Failure::Other { message: format!("task: {error}"), code: 1 })?;
        *self.learning.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(learning));
        let result = self.run_cmds(task, call, namespace, cancel, None);
        let learning = self.learning.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(learning) = learning {
            let report = self.with_access(task, |access| learning.report(access, result.is_ok()));
            outln!("{report}");
        }
        result
    }

    /// Runs the commands of `task` and its deferred commands, and records
    /// its fingerprint after success when `source_check` is given.
    fn run_cmds(
        &self,
        task: &Compiled,
        call: &Call,
        namespace: &str,
        cancel: &Arc<Cancel>,
        source_check: Option<fingerprint::SourceCheck>,
    ) -> Result<(), Failure> {
        let silent = self.is_silent(task, call);
        self.confirm(task).map_err(|e| e.wrap(&task.label))?;
        if !self.options.dry {
            let _ = std::fs::create_dir_all(&task.dir);
        }
        let learning = self.learning.lock().unwrap_or_else(|e| e.into_inner()).is_some();
        let confinement =
            if learning { None } else { self.confine(task).map_err(|e| e.wrap(&task.label))? };
        let confinement = confinement.as_ref();

        let mut deferred: Vec<&CmdDef> = Vec::new();
        let mut failure = None;
        // The shell commands started so far, which `--denials=trace` re-runs.
        let mut started: Vec<(&str, Vec<String>, Vec<String>)> = Vec::new();
        for cmd in &task.cmds {
            let (outcome, ignore) = match cmd {
                Cmd::Defer(def) => {
                    deferred.push(def);
                    continue;
                }
                Cmd::Shell {
                    cmd,
                    shown,
                    silent: cmd_silent,
                    ignore_error,
                    set,
                    shopt,
                    if_cond,
                    timeout,
                } => {
                    let set: Vec<String> = task.set.iter().chain(set).cloned().collect();
                    let shopt: Vec<String> = task.shopt.iter().chain(shopt).cloned().collect();
                    let outcome =
                        self.with_timeout(timeout.as_ref(), &task.label, cancel, |scope| {
                            if let Some(condition) = if_cond
                                && !self.condition_holds(task, condition, scope)
                            {
                                return None;
                            }
                            if !silent && !*cmd_silent || self.options.verbose {
                                errln!("{}", messages::echo(&task.label, shown));
                            }
                            started.push((cmd, set.clone(), shopt.clone()));
                            Some(self.run_shell(task, cmd, &set, &shopt, scope, confinement))
                        });
                    (outcome, *ignore_error)
                }
                Cmd::Call { call: inner, ignore_error, if_cond } => {
                    let mut inner = inner.clone();
                    inner.silent |= call.silent;
                    let timeout = inner.timeout.clone();
                    let outcome =
                        self.with_timeout(timeout.as_ref(), &task.label, cancel, |scope| {
                            if let Some(condition) = if_cond
                                && !self.condition_holds(task, condition, scope)
                            {
                                return None;
                            }
                            self.release();
                            let result = self.run_call(&inner, namespace, scope);
                            self.acquire();
                            Some(result)
                        });
                    (outcome, *ignore_error)
                }
            };
            let result = match outcome {
                Ok(None) => continue,
                Ok(Some(result)) => result,
                Err(timeout) => Err(timeout),
            };
            if let Err(error) = result {
                if ignore || task.ignore_error {
                    if self.options.verbose {
                        errln!("task: [{}] command error ignored: {error}", task.label);
                    }
                    continue;
                }
                if let Some(confinement) = confinement.filter(|c| c.traces_denials())
                    && matches!(cmd, Cmd::Shell { .. })
                {
                    errln!("{}", self.trace_denials(task, confinement, &started));
                }
                failure = Some(error.wrap(&task.label));
                break;
            }
        }

        let exit_code = failure.as_ref().and_then(Failure::exit_status);
        for def in deferred.into_iter().rev() {
            let scope = DeferScope { call, namespace, cancel, confinement };
            self.run_deferred(task, def, exit_code, &scope);
        }

        match failure {
            Some(error) => {
                // A learn run leaves the task's recorded state as it was.
                if !self.options.dry && !learning {
                    fingerprint::forget(task, &self.project.root_dir, &task.label);
                }
                Err(error)
            }
            None => {
                if let (Some(check), false) = (&source_check, self.options.dry) {
                    fingerprint::record(task, &self.project.root_dir, &task.label, check);
                }
                Ok(())
            }
        }
    }

    fn display_name(&self, task: &Compiled) -> String {
        match self.output_style(task) {
            Output::Prefixed => task.prefix.clone(),
            _ => task.label.clone(),
        }
    }

    fn run_deferred(
        &self,
        task: &Compiled,
        def: &CmdDef,
        exit_code: Option<i32>,
        scope: &DeferScope,
    ) {
        let DeferScope { call, namespace, cancel, confinement } = *scope;
        let mut vars: Vars = task.vars.clone();
        let code = exit_code.map(|c| c.to_string()).unwrap_or_default();
        vars.insert("EXIT_CODE".into(), Value::String(code));
        let file = self.project.tasks[task.index].file;
        match def {
            CmdDef::Shell(shell_cmd) => {
                let Ok(cmd) = self.resolver.render(&self.project, file, &shell_cmd.cmd, &vars)
                else {
                    return;
                };
                if !(self.is_silent(task, call) || shell_cmd.silent) || self.options.verbose {
                    let masked_vars = compile::masked(&vars, &task.secrets);
                    let shown = self
                        .resolver
                        .render(&self.project, file, &shell_cmd.cmd, &masked_vars)
                        .unwrap_or_else(|_| cmd.clone());
                    errln!("{}", messages::echo(&task.label, &shown));
                }
                let timeout = shell_cmd.timeout.as_ref();
                let _ = self.with_timeout(timeout, &task.label, cancel, |scope| {
                    self.run_shell(task, &cmd, &task.set, &task.shopt, scope, confinement)
                });
            }
            CmdDef::Call(call_def) => {
                let Ok(name) = self.resolver.render(&self.project, file, &call_def.task, &vars)
                else {
                    return;
                };
                let mut call_vars = Vec::new();
                for def in &call_def.vars {
                    if let Ok(value) =
                        self.resolver.eval(&self.project, file, def, &vars, &task.dir)
                    {
                        call_vars.push((def.name.clone(), value));
                    }
                }
                let inner = Call {
                    task: name,
                    vars: call_vars,
                    silent: call_def.silent || call.silent,
                    timeout: None,
                };
                let timeout = call_def.timeout.as_ref();
                let _ = self.with_timeout(timeout, &task.label, cancel, |scope| {
                    self.run_call(&inner, namespace, scope)
                });
            }
            CmdDef::Defer(_) => {}
        }
    }

    fn confirm(&self, task: &Compiled) -> Result<(), Failure> {
        if task.prompt.is_empty() || self.options.force || self.options.dry {
            return Ok(());
        }
        for prompt in &task.prompt {
            if self.options.yes {
                outln!("{prompt} [assuming yes]");
                continue;
            }
            if !std::io::stdin().is_terminal() {
                return Err(Failure::Other {
                    message: format!(
                        "task: Task \"{}\" cancelled because it has a prompt and the environment is not a terminal. Use --yes (-y) to run anyway.",
                        task.name
                    ),
                    code: 205,
                });
            }
            out!("{prompt} [y/N]: ");
            let _ = std::io::stdout().flush();
            let mut answer = String::new();
            let _ = std::io::stdin().read_line(&mut answer);
            if !matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
                return Err(Failure::Other {
                    message: format!("task: Task \"{}\" cancelled by user", task.name),
                    code: 205,
                });
            }
        }
        Ok(())
    }

    /// Decides whether the task is up to date by its `status:` and sources.
    pub(crate) fn up_to_date(
        &self,
        task: &Compiled,
        cancel: &Arc<Cancel>,
    ) -> (bool, Option<fingerprint::SourceCheck>) {
        if task.status.is_empty() && task.sources.is_empty() {
            return (false, None);
        }
        let status_ok = task.status.iter().all(|status| self.condition_holds(task, status, cancel));
        if task.sources.is_empty() {
            return (status_ok, None);
        }
        let check = fingerprint::check_sources(task, &self.project.root_dir, &task.label);
        (status_ok && check.up_to_date, Some(check))
    }

    fn run_shell(
        &self,
        task: &Compiled,
        cmd: &str,
        set: &[String],
        shopt: &[String],
        cancel: &Arc<Cancel>,
        confinement: Option<&Confinement>,
    ) -> Result<(), Failure> {
        if self.options.dry {
            return Ok(());
        }
        if cancel.is_cancelled() {
            return Err(Failure::Other { message: "task: context canceled".into(), code: 201 });
        }

        let script = shell::script(cmd, set, shopt);
        let dir = super::vars::existing_ancestor(&task.dir);
        let mut command = shell::command(&script, dir, &task.env);
        let learning = self.learning_of(task);
        let traced = learning.as_ref().map(|learning| learning.command(dir));
        if let (Some(learning), Some(traced)) = (&learning, &traced) {
            command = traced.wrap(&command);
            command.env("TMPDIR", learning.tmp_dir());
        }
        command.stdin(Stdio::inherit());
        #[cfg(unix)]
        if self.separate_groups {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        if let Some(confinement) = confinement {
            command.env("TMPDIR", confinement.tmp_dir());
        }

        let sink = match self.output_style(task) {
            Output::Interleaved => None,
            Output::Prefixed => Some(Sink::Prefixed(format!("[{}] ", task.prefix))),
            Output::Group { begin, end, error_only } => {
                Some(Sink::Group { begin, end, error_only })
            }
        };
        let result = self.spawn_and_wait(task, command, cancel, sink, confinement);
        if let (Some(learning), Some(traced)) = (learning, traced) {
            learning.record(traced);
        }

        // With `--denials=trace`, `run_cmds` prints the re-run's report instead.
        let confinement = confinement.filter(|confinement| !confinement.traces_denials());
        if let (Err(_), Some(confinement)) = (&result, confinement) {
            let hint = confinement.hint(None);
            if !hint.is_empty() {
                errln!("{hint}");
            }
        }
        result
    }

    /// Re-runs the `started` shell commands of a failed task, up to the
    /// failing one, under strace with the task's ruleset, and returns the
    /// report of the calls that were denied (`--denials=trace`). Their
    /// output is dropped, since the first run showed it.
    // Off Linux no trace value exists, so the lines after it are unreachable.
    #[cfg_attr(not(target_os = "linux"), allow(unreachable_code, unused_variables))]
    fn trace_denials(
        &self,
        task: &Compiled,
        confinement: &Confinement,
        started: &[(&str, Vec<String>, Vec<String>)],
    ) -> String {
        let trace = match confinement.denial_trace() {
            Ok(trace) => trace,
            Err(error) => return confinement.untraced_hint(&error.to_string()),
        };
        for (cmd, set, shopt) in started {
            let script = shell::script(cmd, set, shopt);
            let dir = super::vars::existing_ancestor(&task.dir);
            let traced = trace.command(dir);
            let mut command = traced.wrap(&shell::command(&script, dir, &task.env));
            command.env("TMPDIR", confinement.tmp_dir());
            command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
            // NOTE: the re-run is not registered for cancellation; an
            // interrupt reaches it only through the terminal's process group.
            match confinement.spawn(command) {
                Ok(mut child) => {
                    let _ = child.wait();
                }
                Err(error) => log::debug!("task `{}`: re-run failed: {error}", task.name),
            }
            trace.record(traced);
        }
        trace.report()
    }

    /// Returns the learn run of `task`, when learn mode traces it.
    fn learning_of(&self, task: &Compiled) -> Option<Arc<Learning>> {
        if self.options.learn != Some(task.index) {
            return None;
        }
        self.learning.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn spawn_and_wait(
        &self,
        task: &Compiled,
        mut command: Command,
        cancel: &Arc<Cancel>,
        sink: Option<Sink>,
        confinement: Option<&Confinement>,
    ) -> Result<(), Failure> {
        let reader = match &sink {
            None => None,
            Some(_) => {
                let (reader, writer) = std::io::pipe()
                    .map_err(|e| Failure::Other { message: format!("task: {e}"), code: 201 })?;
                let writer_err = writer
                    .try_clone()
                    .map_err(|e| Failure::Other { message: format!("task: {e}"), code: 201 })?;
                command.stdout(writer).stderr(writer_err);
                Some(reader)
            }
        };

        // The command owns the parent's copies of the pipe's write end, so it
        // must be dropped right after the spawn for the reader to see EOF.
        let child = match confinement {
            Some(confinement) => confinement.spawn(command),
            None => {
                let mut command = command;
                command.spawn()
            }
        };
        let mut child = match child {
            Ok(child) => child,
            Err(error) => {
                return Err(Failure::Other {
                    message: format!(
                        "task: failed to start `{}`: {error}",
                        shell::shell_program().display()
                    ),
                    code: 201,
                });
            }
        };
        let handle = self.process_handle(&child);

        cancel.register(handle);
        let mut buffer = Vec::new();
        if let (Some(mut reader), Some(sink)) = (reader, &sink) {
            match sink {
                Sink::Prefixed(prefix) => {
                    for line in BufReader::new(reader).split(b'\n').map_while(Result::ok) {
                        let mut out = std::io::stdout().lock();
                        let _ = out.write_all(prefix.as_bytes());
                        let _ = out.write_all(&line);
                        let _ = out.write_all(b"\n");
                    }
                }
                Sink::Group { .. } => {
                    let _ = reader.read_to_end(&mut buffer);
                }
            }
        }
        let status = child.wait();
        cancel.unregister(handle);
        let status =
            status.map_err(|e| Failure::Other { message: format!("task: {e}"), code: 201 })?;
        if let Some(Sink::Group { begin, end, error_only }) = &sink
            && !(*error_only && status.success())
        {
            self.write_group(task, begin.as_deref(), end.as_deref(), &buffer);
        }
        if status.success() {
            return Ok(());
        }
        let code = status.code().unwrap_or(1);
        Err(Failure::Exit { status: shell::describe_status(status), code })
    }

    /// Builds the task's Landlock confinement when the sandbox is on: its
    /// sources (read), generates (write) and scopes. Dry runs get none,
    /// because preparing creates the generate directories.
    fn confine(&self, task: &Compiled) -> Result<Option<Confinement>, Failure> {
        if self.options.sandbox.is_none_or(|mode| mode == SandboxMode::Off) || self.options.dry {
            return Ok(None);
        }
        self.with_access(task, |access| self.sandbox.prepare(access))
            .map_err(|error| Failure::Other { message: format!("task: {error}"), code: 1 })
    }

    /// Calls `f` with the declarations and paths of `task` that its ruleset
    /// is built from.
    fn with_access<R>(&self, task: &Compiled, f: impl FnOnce(&TaskAccess) -> R) -> R {
        let entry = &self.project.tasks[task.index];
        let sources = super::glob::expand(&task.dir, &task.sources);
        let mut source_dirs: Vec<PathBuf> =
            sources.iter().filter_map(|file| file.parent().map(Path::to_path_buf)).collect();
        source_dirs.sort();
        source_dirs.dedup();
        let generates: Vec<String> = task
            .generates
            .iter()
            .filter(|(_, exclude)| !exclude)
            .map(|(pattern, _)| task.dir.join(pattern).to_string_lossy().into_owned())
            .collect();
        let scopes =
            super::scopes::to_scopes(&entry.def.scopes, &self.project.files[entry.file].path);
        let state_dir = fingerprint::state_dir(&self.project.root_dir);
        let access = TaskAccess {
            task: &task.name,
            root: &self.project.root_dir,
            state_dir: &state_dir,
            source_files: &sources,
            source_links: None,
            source_dirs: &source_dirs,
            generates: &generates,
            scopes: &scopes,
            dir: &task.dir,
            path_env: None,
            syntax: crate::sandbox::Syntax::Taskfile,
        };
        f(&access)
    }

    fn write_group(&self, task: &Compiled, begin: Option<&str>, end: Option<&str>, buffer: &[u8]) {
        let mut vars = task.vars.clone();
        vars.insert("TASK".into(), Value::String(task.name.clone()));
        let data = Value::Map(vars);
        let render = |text: &str| {
            super::template::render(text, &data)
                .unwrap_or_else(|_| text.to_string())
                .replace("<no value>", "")
        };
        let mut out = std::io::stdout().lock();
        if let Some(begin) = begin {
            let _ = writeln!(out, "{}", render(begin));
        }
        let _ = out.write_all(buffer);
        if let Some(end) = end {
            let _ = writeln!(out, "{}", render(end));
        }
    }
}

/// The context of a deferred command: the task's call, namespace,
/// cancellation scope and confinement.
#[derive(Clone, Copy)]
struct DeferScope<'a> {
    call: &'a Call,
    namespace: &'a str,
    cancel: &'a Arc<Cancel>,
    confinement: Option<&'a Confinement>,
}

/// Kills the commands of a scope when a time limit passes.
struct Watchdog {
    done: mpsc::Sender<()>,
    handle: std::thread::JoinHandle<bool>,
}

impl Watchdog {
    fn start(scope: Arc<Cancel>, limit: std::time::Duration) -> Watchdog {
        let (done, finished) = mpsc::channel::<()>();
        let handle = std::thread::spawn(move || match finished.recv_timeout(limit) {
            Err(mpsc::RecvTimeoutError::Timeout) => {
                scope.cancel(libc::SIGKILL);
                true
            }
            _ => false,
        });
        Watchdog { done, handle }
    }

    /// Stops the watchdog and returns whether the limit passed.
    fn finish(self) -> bool {
        let _ = self.done.send(());
        self.handle.join().unwrap_or(false)
    }
}

enum Sink {
    Prefixed(String),
    Group { begin: Option<String>, end: Option<String>, error_only: bool },
}
