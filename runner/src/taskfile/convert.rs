//! Converting a loaded Taskfile into [`crate::Task`]s, so an xtask can run
//! them next to tasks written in Rust.
//!
//! Each task is compiled once with the global vars (CLI vars absent), so
//! templates are rendered and `sh:` vars run while loading. Commands become
//! `bash -c` steps with go-task's `set -e` prelude, `task:` calls become
//! [`crate::Step::Call`]s and deps keep their resolved names. Relative
//! source and generate patterns are made absolute against the task's
//! directory.
//!
//! NOTE: what the runner's task model cannot express is dropped here: vars
//! passed by calls and deps, `run:` modes, `status:`, preconditions, `if:`,
//! prompts and wildcard matching. Deferred commands run as ordinary last
//! steps, so only after success.

use super::ast::CmdDef;
use super::compile::{self, Call, CliVars, Cmd};
use super::load::Project;
use super::scopes;
use super::shell;
use super::vars::Resolver;
use crate::{Error, Result, Step, Task};

/// Compiles every task of `project` into a runner task.
pub(crate) fn to_tasks(project: &Project) -> Result<Vec<Task>> {
    let resolver = Resolver::new(false);
    let failure =
        |f: super::exec::Failure| super::diagnostic::error(f.to_string(), f.exit_code(false));
    let globals = compile::globals(project, &resolver, &CliVars::default()).map_err(failure)?;
    let mut tasks = Vec::new();
    for (index, entry) in project.tasks.iter().enumerate() {
        let call = Call { task: entry.name.clone(), ..Call::default() };
        let compiled =
            compile::compile(project, &resolver, &globals, index, &call, &[], &|_, _| Ok(()))
                .map_err(failure)?;
        let mut task = Task::new(&entry.name).dir(&compiled.dir);
        if let Some(desc) = &compiled.desc {
            task = task.doc(desc.clone());
        }
        for dep in &compiled.deps {
            task = task.dep(resolve(project, &dep.task, &entry.namespace)?);
        }
        let absolute = |pattern: &str| compiled.dir.join(pattern).to_string_lossy().into_owned();
        task =
            task.sources(compiled.sources.iter().filter(|(_, ex)| !ex).map(|(p, _)| absolute(p)));
        task = task
            .generates(compiled.generates.iter().filter(|(_, ex)| !ex).map(|(p, _)| absolute(p)));
        task = task.scopes(scopes::to_scopes(&entry.def.scopes, &project.files[entry.file].path));
        for (key, value) in &compiled.env {
            task = task.env(key, value);
        }
        let mut deferred = Vec::new();
        for cmd in &compiled.cmds {
            match cmd {
                Cmd::Shell { cmd, set, shopt, .. } => {
                    task = task.step(bash_step(cmd, &compiled.set, set, &compiled.shopt, shopt));
                }
                Cmd::Call { call, .. } => {
                    task = task.call(resolve(project, &call.task, &entry.namespace)?);
                }
                Cmd::Defer(def) => deferred.push(def.clone()),
            }
        }
        for def in deferred.into_iter().rev() {
            match def {
                CmdDef::Shell(shell_cmd) => {
                    task = task.step(bash_step(
                        &shell_cmd.cmd.text,
                        &compiled.set,
                        &[],
                        &compiled.shopt,
                        &[],
                    ));
                }
                CmdDef::Call(call) => {
                    task = task.call(resolve(project, &call.task.text, &entry.namespace)?);
                }
                CmdDef::Defer(_) => {}
            }
        }
        tasks.push(task);
    }
    Ok(tasks)
}

fn bash_step(
    cmd: &str,
    task_set: &[String],
    set: &[String],
    task_shopt: &[String],
    shopt: &[String],
) -> Step {
    let set: Vec<String> = task_set.iter().chain(set).cloned().collect();
    let shopt: Vec<String> = task_shopt.iter().chain(shopt).cloned().collect();
    let script = shell::script(cmd, &set, &shopt);
    Step::Cmd(crate::Cmd::new(shell::shell_program()).arg("-c").arg(script).arg("gosh"))
}

fn resolve(project: &Project, name: &str, namespace: &str) -> Result<String> {
    match compile::resolve(project, name, namespace) {
        Some((index, _)) => Ok(project.tasks[index].name.clone()),
        None => Err(unknown(name)),
    }
}

fn unknown(name: &str) -> Error {
    super::diagnostic::error(
        super::messages::does_not_exist(name.trim_start_matches(':'), None),
        super::diagnostic::code::UNKNOWN_TASK,
    )
}
