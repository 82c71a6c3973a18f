//! Steps run under strace: learn mode's traced run of a task, and the
//! re-run of a failed sandboxed task for `--denials=trace`.
//!
//! Learn mode runs every process step of the task unconfined, each under its
//! own strace with a private `TMPDIR`, and prints what `sandbox::Learning`
//! derives from the calls. The re-run repeats a failed task's process steps
//! up to the failing one under strace inside the task's ruleset, with their
//! output dropped, and reports the calls that were denied. Closures run
//! inside the runner, where strace cannot follow them, and called tasks run
//! under their own declarations, so neither is traced.

use std::path::Path;

use crate::exec::{self, Confined, Process};
use crate::freshness::{Check, Freshness};
use crate::report::Outcome;
use crate::sandbox::Learning;
use crate::schedule::{self, Context};
use crate::{Result, Step, Task};

/// Runs `task` once unconfined under strace, even when fresh, and prints the
/// declarations it needs. Records no state for it.
pub(crate) fn learn_task(context: &Context, task: &Task, check: &Check) -> Result<Outcome> {
    let dir = schedule::task_dir(context.root, task);
    crate::generates::create_dirs(&task.name, context.root, &task.generates)?;
    if !dir.is_dir() {
        let message = format!(
            "working directory `{}` does not exist: create it or change the task's `dir`",
            dir.display()
        );
        return Ok(Outcome::Failed { message });
    }

    let learning = Learning::start(&task.name)?;
    let failure = schedule::run_steps(context, task, &dir, Confined::No, Some(&learning))?;
    let access = schedule::task_access(context, task, check, &dir);
    context.output.answer(&learning.report(&access, failure.is_none()));
    let reasons = match &check.freshness {
        Freshness::Dirty(reasons) => reasons.clone(),
        Freshness::Fresh => Vec::new(),
    };
    Ok(failure.unwrap_or(Outcome::Ran { reasons }))
}

/// Returns what `--denials=trace` adds to the failure of step `index` of a
/// confined task: the report of the traced re-run, or, for a closure, why it
/// cannot be re-run. A failed call carries the called task's own report, so
/// it gets nothing.
pub(crate) fn explain_failure(
    context: &Context,
    task: &Task,
    dir: &Path,
    confined: Confined,
    index: usize,
) -> Option<String> {
    let confinement = confined.confinement()?;
    if !confinement.traces_denials() {
        return None;
    }
    match &task.steps[index] {
        Step::Call(_) => None,
        Step::Func { label, .. } => Some(format!(
            "sandbox: step `{label}` is a closure that runs inside the runner, so \
             `--denials=trace` cannot re-run it under strace"
        )),
        Step::Cmd(_) | Step::Sh(_) => {
            Some(trace_denials(context, task, dir, confined, &task.steps[..=index]))
        }
    }
}

/// Re-runs `steps`, the steps of a failed sandboxed task up to the failing
/// one, under strace with the task's ruleset and returns the report of the
/// calls that were denied (`--denials=trace`).
// Off Linux no trace value exists, so the lines after it are unreachable.
#[cfg_attr(not(target_os = "linux"), allow(unreachable_code, unused_variables, unused_mut))]
fn trace_denials(
    context: &Context,
    task: &Task,
    dir: &Path,
    confined: Confined,
    steps: &[Step],
) -> String {
    let Some(confinement) = confined.confinement() else {
        return String::new();
    };
    let trace = match confinement.denial_trace() {
        Ok(trace) => trace,
        Err(error) => return confinement.untraced_hint(&error.to_string()),
    };
    for step in steps {
        let cmd_dir = match step {
            Step::Cmd(cmd) => cmd.get_dir().map(|sub| dir.join(sub)),
            _ => None,
        };
        let process_dir = cmd_dir.as_deref().unwrap_or(dir);
        let mut process = match step {
            Step::Cmd(cmd) => Process::from_cmd(&task.name, cmd, process_dir),
            Step::Sh(script) => Process::from_script(&task.name, script, dir),
            Step::Call(callee) => {
                trace.skip(format!(
                    "the re-run skipped step `{step}`, since task `{callee}` runs under its own \
                     ruleset"
                ));
                continue;
            }
            Step::Func { label, .. } => {
                trace.skip(format!(
                    "the re-run skipped step `{label}`, a closure that runs inside the runner, \
                     where strace cannot trace it"
                ));
                continue;
            }
        };
        let traced = trace.command(process.dir);
        process.wrapper = Some(traced.wrapper());
        let _ = exec::run(&process, &task.env, confined, context.output, context.interrupt);
        trace.record(traced);
        if context.interrupt.triggered() {
            break;
        }
    }
    trace.report()
}

/// Runs one process step, under strace when `learning`; returns the
/// failure message if it failed.
// Off Linux no trace value exists, so the lines after it are unreachable.
#[cfg_attr(not(target_os = "linux"), allow(unreachable_code, unused_variables, unused_mut))]
pub(crate) fn run_process(
    context: &Context,
    task: &Task,
    mut process: Process,
    step: &Step,
    confined: Confined,
    learning: Option<&Learning>,
) -> Option<String> {
    let Some(learning) = learning else {
        return schedule::run_process(context, task, &process, step, confined);
    };
    let traced = learning.command(process.dir);
    process.wrapper = Some(traced.wrapper());
    process.env.push(("TMPDIR".into(), Some(learning.tmp_dir().into())));
    let failure = schedule::run_process(context, task, &process, step, confined);
    learning.record(traced);
    failure
}
