//! Checks of task references before anything runs: every `deps:` entry and
//! `task:` call must name an existing task (exit 200), and the references
//! must not form a cycle (exit 204).
//!
//! go-task finds both only at run time, a cycle after 1000 nested calls.
//! Names that contain a template (`{{`) are resolved only at run time, so
//! they are skipped here. A recursive task that stops itself through `if:`
//! or vars is reported as a cycle too.

use super::ast::{CallDef, CmdDef, Text};
use super::compile;
use super::diagnostic::{self, code};
use super::load::Project;
use super::messages;
use crate::Result;

/// Resolves every static reference and rejects unknown names and cycles.
pub(crate) fn check(project: &Project) -> Result<()> {
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); project.tasks.len()];
    for (index, entry) in project.tasks.iter().enumerate() {
        let mut names: Vec<&Text> = entry.def.deps.iter().map(|d| &d.task).collect();
        for cmd in &entry.def.cmds {
            collect_calls(cmd, &mut names);
        }
        for name in names {
            if name.text.contains("{{") {
                continue;
            }
            match compile::resolve(project, &name.text, &entry.namespace) {
                Some((target, _)) => edges[index].push(target),
                None => {
                    let file = &project.files[entry.file];
                    let message = messages::does_not_exist(name.text.trim_start_matches(':'), None);
                    let message = format!("{message}: fix the name or add the task");
                    return Err(diagnostic::at(
                        &message,
                        &file.path,
                        &file.text,
                        name.pos,
                        code::UNKNOWN_TASK,
                    ));
                }
            }
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        let names: Vec<&str> = cycle.iter().map(|i| project.tasks[*i].name.as_str()).collect();
        let message = format!("task: Cyclic task calls detected: {}", names.join(" -> "));
        return Err(diagnostic::error(message, code::CYCLE));
    }
    Ok(())
}

fn collect_calls<'a>(cmd: &'a CmdDef, names: &mut Vec<&'a Text>) {
    match cmd {
        CmdDef::Call(CallDef { task, .. }) => names.push(task),
        CmdDef::Defer(inner) => collect_calls(inner, names),
        CmdDef::Shell(_) => {}
    }
}

/// Returns one cycle as a path that starts and ends with the same task.
fn find_cycle(edges: &[Vec<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks = vec![Mark::New; edges.len()];
    for start in 0..edges.len() {
        if marks[start] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        marks[start] = Mark::Active;
        while let Some((node, next)) = stack.last().copied() {
            if next < edges[node].len() {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                let target = edges[node][next];
                match marks[target] {
                    Mark::Active => {
                        let from = stack.iter().position(|(n, _)| *n == target).unwrap_or(0);
                        let mut cycle: Vec<usize> = stack[from..].iter().map(|(n, _)| *n).collect();
                        cycle.push(target);
                        return Some(cycle);
                    }
                    Mark::New => {
                        marks[target] = Mark::Active;
                        stack.push((target, 0));
                    }
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_cycle_returns_closed_path() {
        let edges = vec![vec![1], vec![2], vec![0], vec![]];
        assert_eq!(find_cycle(&edges), Some(vec![0, 1, 2, 0]));
    }

    #[test]
    fn find_cycle_accepts_diamond() {
        let edges = vec![vec![1, 2], vec![3], vec![3], vec![]];
        assert_eq!(find_cycle(&edges), None);
    }
}
