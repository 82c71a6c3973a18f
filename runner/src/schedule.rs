//! The scheduler: runs a plan across the whole graph, in parallel.
//!
//! The calling thread keeps the ready set and sends each ready task over a
//! channel to a pool of `jobs` worker threads, keeping at most `jobs` tasks
//! running. A task becomes ready when everything it waits for has finished
//! successfully or was fresh. A task shared by several dependants is in the
//! plan once, so it runs once. Workers are reused from task to task, because
//! the sandbox never restricts them. A Landlock restriction can not be
//! lifted, so a sandboxed task runs its steps on one fresh thread restricted
//! by its ruleset. A task whose steps call other tasks stays on the worker
//! and restricts a fresh thread for each command and closure instead, since
//! each called task runs under its own ruleset.
//!
//! On a failure the scheduler stops starting tasks and lets the running ones
//! finish (fail fast). With `keep_going` it goes on with every task that does
//! not depend on the failure. On an interruption it starts nothing more and
//! waits for the running commands, which received the signal.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use crate::exec::{self, Confined, Process};
use crate::fingerprint::Fingerprint;
use crate::freshness::{Check, Freshness, Tracker};
use crate::graph::Graph;
use crate::output::Output;
use crate::plan::Plan;
use crate::report::{Outcome, TaskReport};
use crate::sandbox::{Confinement, Learning, Sandbox, TaskAccess};
use crate::signal::Interrupt;
use crate::task::StepContext;
use crate::traced;
use crate::{Error, Result, Step, Task};

/// Everything a run shares between its tasks.
pub(crate) struct Context<'a> {
    pub(crate) graph: &'a Graph,
    pub(crate) root: &'a Path,
    pub(crate) tracker: &'a Tracker,
    pub(crate) sandbox: &'a Sandbox,
    pub(crate) output: &'a Output,
    pub(crate) interrupt: &'a Interrupt,
    /// Per task index, whether freshness is ignored for it.
    pub(crate) forced: Vec<bool>,
    /// Per task index, the fingerprint of its check in this run, which its
    /// dependants and callers include in theirs.
    pub(crate) fingerprints: Mutex<Vec<Option<Fingerprint>>>,
    pub(crate) jobs: usize,
    pub(crate) keep_going: bool,
    /// The index of the task learn mode runs unconfined under strace.
    pub(crate) learn: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Finished { succeeded: bool, ran: bool },
}

/// Runs every task of `plan` and returns their reports in finishing order.
pub(crate) fn run(context: &Context, plan: &Plan) -> Vec<TaskReport> {
    let count = context.graph.tasks.len();
    let mut state = vec![State::Waiting; count];
    let mut waits_for = vec![Vec::new(); count];
    let mut dependants = vec![Vec::new(); count];
    for (position, &task) in plan.order.iter().enumerate() {
        waits_for[task] = plan.waits_for[position].clone();
        for &prerequisite in &plan.waits_for[position] {
            dependants[prerequisite].push(task);
        }
    }
    let mut pending: Vec<usize> = waits_for.iter().map(Vec::len).collect();
    let mut position = vec![0; count];
    for (index, &task) in plan.order.iter().enumerate() {
        position[task] = index;
    }
    // Ready tasks by their position in the plan, so the earliest declared goes first.
    let mut ready: BTreeSet<usize> = plan
        .order
        .iter()
        .enumerate()
        .filter(|&(_, &task)| pending[task] == 0)
        .map(|(index, _)| index)
        .collect();

    let mut reports = Vec::with_capacity(plan.order.len());
    let mut stopped: Option<String> = None;
    let (sender, receiver) = mpsc::channel::<(usize, TaskReport)>();
    let (job_sender, job_receiver) = mpsc::channel::<(usize, Vec<usize>)>();
    let job_receiver = std::sync::Mutex::new(job_receiver);
    thread::scope(|scope| {
        for number in 0..context.jobs.max(1).min(plan.order.len()) {
            let sender = sender.clone();
            let jobs = &job_receiver;
            thread::Builder::new()
                .name(format!("worker-{number}"))
                .spawn_scoped(scope, move || work(context, jobs, &sender))
                .expect("failed to spawn a worker thread");
        }

        let mut running = 0;
        loop {
            if context.interrupt.triggered() && stopped.is_none() {
                stopped = Some("the run was interrupted".to_string());
            }
            while running < context.jobs.max(1) && stopped.is_none() {
                let Some(next) = ready.pop_first() else { break };
                let task = plan.order[next];
                let deps_ran: Vec<usize> = waits_for[task]
                    .iter()
                    .copied()
                    .filter(|&dep| matches!(state[dep], State::Finished { ran: true, .. }))
                    .collect();
                state[task] = State::Running;
                running += 1;
                // The workers live until `job_sender` is dropped, so the send succeeds.
                let _ = job_sender.send((task, deps_ran));
            }
            if running == 0 {
                break;
            }

            let Ok((task, report)) = receiver.recv() else { break };
            running -= 1;
            let succeeded = matches!(report.outcome, Outcome::Ran { .. } | Outcome::Fresh);
            let ran = matches!(report.outcome, Outcome::Ran { .. });
            let interrupted = matches!(report.outcome, Outcome::Interrupted);
            reports.push(report);
            state[task] = State::Finished { succeeded, ran };
            if succeeded {
                for &dependant in &dependants[task] {
                    pending[dependant] -= 1;
                    if pending[dependant] == 0 && state[dependant] == State::Waiting {
                        ready.insert(position[dependant]);
                    }
                }
            } else if interrupted {
                stopped.get_or_insert_with(|| "the run was interrupted".to_string());
            } else {
                let name = &context.graph.tasks[task].name;
                skip_dependants(
                    context.graph,
                    task,
                    &dependants,
                    &mut state,
                    &mut reports,
                    &format!("dependency `{name}` failed"),
                );
                if !context.keep_going {
                    stopped.get_or_insert_with(|| format!("task `{name}` failed"));
                }
            }
        }
        // Closing the job channel ends the workers, which the scope then joins.
        drop(job_sender);
    });

    let reason = stopped.unwrap_or_else(|| "it was not reached".to_string());
    for &task in &plan.order {
        if state[task] == State::Waiting {
            reports.push(TaskReport {
                name: context.graph.tasks[task].name.clone(),
                outcome: Outcome::Skipped { reason: format!("not started: {reason}") },
                duration: Duration::ZERO,
            });
        }
    }
    reports
}

/// Runs the tasks sent on `jobs` until the scheduler closes the channel, and
/// sends each report back on `reports`.
fn work(
    context: &Context,
    jobs: &std::sync::Mutex<mpsc::Receiver<(usize, Vec<usize>)>>,
    reports: &mpsc::Sender<(usize, TaskReport)>,
) {
    loop {
        let job = jobs.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
        let Ok((task, deps_ran)) = job else { return };
        let report = run_task(context, task, &deps_ran);
        if reports.send((task, report)).is_err() {
            return;
        }
    }
}

fn skip_dependants(
    graph: &Graph,
    failed: usize,
    dependants: &[Vec<usize>],
    state: &mut [State],
    reports: &mut Vec<TaskReport>,
    reason: &str,
) {
    let mut stack = dependants[failed].clone();
    while let Some(task) = stack.pop() {
        if state[task] != State::Waiting {
            continue;
        }
        state[task] = State::Finished { succeeded: false, ran: false };
        reports.push(TaskReport {
            name: graph.tasks[task].name.clone(),
            outcome: Outcome::Skipped { reason: reason.to_string() },
            duration: Duration::ZERO,
        });
        stack.extend(dependants[task].iter().copied());
    }
}

/// Checks, runs and records one task, on a worker thread.
fn run_task(context: &Context, task: usize, deps_ran: &[usize]) -> TaskReport {
    let name = context.graph.tasks[task].name.clone();
    let started = Instant::now();
    let outcome = match run_checked(context, task, deps_ran) {
        Ok(outcome) => outcome,
        Err(err) => Outcome::Failed { message: err.to_string() },
    };
    if let Outcome::Failed { message } = &outcome {
        context.output.note(&name, &format!("error: {message}"));
    }
    TaskReport { name, outcome, duration: started.elapsed() }
}

/// Runs `task` unless it is fresh; `deps_ran` are the prerequisites that ran
/// in this invocation.
fn run_checked(context: &Context, task: usize, deps_ran: &[usize]) -> Result<Outcome> {
    let declared = &context.graph.tasks[task];
    let dep_names: Vec<&str> =
        deps_ran.iter().map(|&dep| context.graph.tasks[dep].name.as_str()).collect();
    let deps: Vec<(&str, Option<Fingerprint>)> = {
        let fingerprints = context.fingerprints.lock().unwrap_or_else(|e| e.into_inner());
        let deps = context.graph.deps[task].iter();
        deps.map(|&dep| (context.graph.tasks[dep].name.as_str(), fingerprints[dep])).collect()
    };
    let check =
        context.tracker.check(declared, context.root, &deps, &dep_names, context.forced[task])?;
    context.fingerprints.lock().unwrap_or_else(|e| e.into_inner())[task] = check.fingerprint;
    if context.learn == Some(task) {
        return traced::learn_task(context, declared, &check);
    }

    let reasons = match &check.freshness {
        Freshness::Fresh => return Ok(Outcome::Fresh),
        Freshness::Dirty(reasons) => reasons.clone(),
    };
    if context.output.verbosity() >= crate::Verbosity::Verbose {
        context.output.verbose(&check.freshness.line(&declared.name));
    }

    let dir = task_dir(context.root, declared);
    crate::generates::create_dirs(&declared.name, context.root, &declared.generates)?;
    if !dir.is_dir() {
        let message = format!(
            "working directory `{}` does not exist: create it or change the task's `dir`",
            dir.display()
        );
        return Ok(Outcome::Failed { message });
    }
    let confinement = confine(context, declared, &check, &dir)?;
    let has_calls = declared.steps.iter().any(|step| matches!(step, Step::Call(_)));
    let failure = match &confinement {
        // One restricted thread runs every step, so each spawn costs what an
        // unconfined spawn costs. A task with calls keeps its thread free,
        // because a called task runs under its own, possibly wider, ruleset.
        Some(confinement) if !has_calls => confinement
            .try_run(|| run_steps(context, declared, &dir, Confined::Thread(confinement), None))
            .map_err(|err| {
                Error::sandbox(Some(&declared.name), format!("failed to restrict a thread: {err}"))
            })??,
        Some(confinement) => {
            run_steps(context, declared, &dir, Confined::PerSpawn(confinement), None)?
        }
        None => run_steps(context, declared, &dir, Confined::No, None)?,
    };
    if let Some(failure) = failure {
        return Ok(failure);
    }
    context.tracker.record(declared, context.root, &check)?;
    Ok(Outcome::Ran { reasons })
}

/// Builds the task's confinement, creating its generate directories and its
/// private temporary directory when the sandbox is on.
fn confine(
    context: &Context,
    task: &Task,
    check: &Check,
    dir: &Path,
) -> Result<Option<Confinement>> {
    context.sandbox.prepare(&task_access(context, task, check, dir))
}

/// Returns the declarations and paths of `task` its ruleset is built from.
pub(crate) fn task_access<'a>(
    context: &'a Context,
    task: &'a Task,
    check: &'a Check,
    dir: &'a Path,
) -> TaskAccess<'a> {
    let path_env = task.env.iter().rev().find(|(key, _)| key == "PATH");
    TaskAccess {
        task: &task.name,
        root: context.root,
        state_dir: context.tracker.state_dir(),
        source_files: &check.source_files,
        source_links: Some(&check.source_links),
        source_dirs: &check.source_dirs,
        generates: &task.generates,
        scopes: &task.scopes,
        dir,
        path_env: path_env.map(|(_, value)| value.as_ref()),
        syntax: crate::sandbox::Syntax::Rust,
    }
}

/// Runs the steps of `task` in order, each process step under strace when
/// `learning`. Returns the failure outcome if a step failed or the run was
/// interrupted.
pub(crate) fn run_steps(
    context: &Context,
    task: &Task,
    dir: &Path,
    confined: Confined,
    learning: Option<&Learning>,
) -> Result<Option<Outcome>> {
    let confinement = confined.confinement();
    for (index, step) in task.steps.iter().enumerate() {
        if context.interrupt.triggered() {
            return Ok(Some(Outcome::Interrupted));
        }
        let failure = match step {
            Step::Cmd(cmd) => {
                let cmd_dir = cmd.get_dir().map(|sub| dir.join(sub));
                let process = Process::from_cmd(&task.name, cmd, cmd_dir.as_deref().unwrap_or(dir));
                traced::run_process(context, task, process, step, confined, learning)
            }
            Step::Sh(script) => {
                let process = Process::from_script(&task.name, script, dir);
                traced::run_process(context, task, process, step, confined, learning)
            }
            Step::Call(callee) => {
                if let Some(learning) = learning {
                    learning.note(format!(
                        "step `{step}` runs task `{callee}` under its own declarations, so it \
                         was not traced"
                    ));
                }
                let callee = context.graph.find(callee)?;
                match run_checked(context, callee, &[])? {
                    Outcome::Ran { .. } | Outcome::Fresh => None,
                    Outcome::Interrupted => return Ok(Some(Outcome::Interrupted)),
                    Outcome::Skipped { reason } | Outcome::Failed { message: reason } => {
                        Some(reason)
                    }
                    Outcome::Stale { .. } => None,
                }
            }
            Step::Func { label, func } => {
                context.output.echo(&task.name, step);
                if let Some(learning) = learning {
                    learning.note(format!(
                        "step `{label}` is a closure that runs inside the runner, so strace \
                         could not trace it"
                    ));
                }
                let step_context = StepContext {
                    task: &task.name,
                    root: context.root,
                    dir,
                    tmp_dir: confinement.map(Confinement::tmp_dir),
                };
                let call = || catch_unwind(AssertUnwindSafe(|| func(&step_context)));
                let result = match confined {
                    Confined::PerSpawn(confinement) => confinement.run(call),
                    Confined::Thread(_) | Confined::No => call(),
                };
                let failure = match result {
                    Ok(Ok(())) => None,
                    Ok(Err(err)) => Some(format!("step `{label}` failed: {err}")),
                    Err(_) => Some(format!("step `{label}` panicked")),
                };
                failure.map(|message| with_denials(message, confinement))
            }
        };
        if let Some(mut message) = failure {
            if context.interrupt.triggered() {
                return Ok(Some(Outcome::Interrupted));
            }
            if let Some(report) = traced::explain_failure(context, task, dir, confined, index) {
                message.push('\n');
                message.push_str(&report);
            }
            return Ok(Some(Outcome::Failed { message }));
        }
    }
    Ok(None)
}

/// Runs one process step; returns the failure message if it failed.
pub(crate) fn run_process(
    context: &Context,
    task: &Task,
    process: &Process,
    step: &Step,
    confined: Confined,
) -> Option<String> {
    context.output.echo(&task.name, step);
    let confinement = confined.confinement();
    match exec::run(process, &task.env, confined, context.output, context.interrupt) {
        Ok(()) => None,
        Err(failure) => {
            let message = failure.describe(&step.to_string());
            let spawn_error = match &failure {
                exec::Failure::Spawn(err) => Some(err),
                exec::Failure::Exit(_) => None,
            };
            // With `--denials=trace`, `run_steps` appends the re-run's report instead.
            let confinement = confinement.filter(|confinement| !confinement.traces_denials());
            Some(with_hint(message, confinement, spawn_error))
        }
    }
}

/// Appends the denied accesses of a confined task to a failed closure's
/// message. A closure's error is its own, so unlike a command's failure it
/// gets no grants summary when nothing was denied.
fn with_denials(mut message: String, confinement: Option<&Confinement>) -> String {
    if let Some(report) = confinement.and_then(Confinement::denial_report) {
        message.push('\n');
        message.push_str(&report);
    }
    message
}

/// Appends the sandbox's hint to a failure message of a confined task: the
/// denied accesses, or what the task was granted.
fn with_hint(
    mut message: String,
    confinement: Option<&Confinement>,
    spawn_error: Option<&std::io::Error>,
) -> String {
    if let Some(confinement) = confinement {
        let hint = confinement.hint(spawn_error);
        if !hint.is_empty() {
            message.push('\n');
            message.push_str(&hint);
        }
    }
    message
}

/// Returns the absolute working directory of `task`.
pub(crate) fn task_dir(root: &Path, task: &Task) -> PathBuf {
    match &task.dir {
        Some(dir) => root.join(dir),
        None => root.to_path_buf(),
    }
}
