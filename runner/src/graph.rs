//! The validated task graph.
//!
//! Validation runs over every declared task before anything runs, so a typo in
//! a task that is not requested still fails the whole run: duplicate names,
//! unknown dependencies or called tasks (with a "did you mean" suggestion),
//! invalid globs and cycles. A cycle is found by a depth-first search that
//! keeps the current path, so the error prints the whole loop, for example
//! `a -> b -> c -> a`. Calls count as edges: a task that calls itself through
//! a dependency would never finish.

use std::collections::HashMap;

use globset::Glob;

use crate::{Error, ErrorKind, Result, Task};

/// The tasks with their edges resolved to indices.
pub(crate) struct Graph {
    pub(crate) tasks: Vec<Task>,
    index: HashMap<String, usize>,
    /// For each task, the indices of its `deps`, in declaration order.
    pub(crate) deps: Vec<Vec<usize>>,
    /// For each task, the indices of the tasks its steps call.
    pub(crate) calls: Vec<Vec<usize>>,
}

impl Graph {
    /// Validates `tasks` and resolves their references.
    pub(crate) fn new(tasks: Vec<Task>) -> Result<Graph> {
        let mut index = HashMap::with_capacity(tasks.len());
        for (position, task) in tasks.iter().enumerate() {
            if task.name.trim().is_empty() {
                let message = format!(
                    "task number {} has an empty name: give every task a name",
                    position + 1
                );
                return Err(Error::new(ErrorKind::InvalidTask { task: String::new(), message }));
            }
            if index.insert(task.name.clone(), position).is_some() {
                return Err(Error::new(ErrorKind::DuplicateTask { name: task.name.clone() }));
            }
        }

        let names: Vec<&str> = tasks.iter().map(|task| task.name.as_str()).collect();
        let resolve = |parent: &Task, name: &str, called: bool| {
            index.get(name).copied().ok_or_else(|| {
                Error::new(ErrorKind::UnknownTask {
                    name: name.to_string(),
                    referenced_by: Some(parent.name.clone()),
                    called,
                    suggestion: suggest(name, &names).map(str::to_string),
                })
            })
        };
        let mut deps = Vec::with_capacity(tasks.len());
        let mut calls = Vec::with_capacity(tasks.len());
        for task in &tasks {
            check_globs(task)?;
            let task_deps = task.deps.iter().map(|name| resolve(task, name, false));
            deps.push(task_deps.collect::<Result<Vec<_>>>()?);
            let task_calls = task.calls().map(|name| resolve(task, name, true));
            calls.push(task_calls.collect::<Result<Vec<_>>>()?);
        }

        let graph = Graph { tasks, index, deps, calls };
        graph.check_cycles()?;
        Ok(graph)
    }

    /// Returns the index of the task named `name`, or an error with a
    /// suggestion when there is none.
    pub(crate) fn find(&self, name: &str) -> Result<usize> {
        self.index.get(name).copied().ok_or_else(|| {
            let names: Vec<&str> = self.tasks.iter().map(|task| task.name.as_str()).collect();
            Error::new(ErrorKind::UnknownTask {
                name: name.to_string(),
                referenced_by: None,
                called: false,
                suggestion: suggest(name, &names).map(str::to_string),
            })
        })
    }

    /// Returns the tasks that must finish before `task` starts: its own
    /// dependencies and, through every task it calls, theirs.
    pub(crate) fn prerequisites(&self, task: usize) -> Vec<usize> {
        if self.calls[task].is_empty() {
            return self.deps[task].clone();
        }
        let mut found: Vec<usize> = Vec::new();
        let mut visited = std::collections::HashSet::new();
        let mut stack = vec![task];
        while let Some(current) = stack.pop() {
            if !visited.insert(current) {
                continue;
            }
            for &dep in &self.deps[current] {
                if !found.contains(&dep) {
                    found.push(dep);
                }
            }
            stack.extend(self.calls[current].iter().copied());
        }
        found
    }

    fn check_cycles(&self) -> Result<()> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }

        let mut marks = vec![Mark::New; self.tasks.len()];
        for start in 0..self.tasks.len() {
            if marks[start] != Mark::New {
                continue;
            }

            // Each frame is a task and the position of the next edge to follow.
            let mut path: Vec<(usize, usize)> = vec![(start, 0)];
            marks[start] = Mark::OnPath;
            while let Some(&mut (task, ref mut next)) = path.last_mut() {
                let edges = self.deps[task].iter().chain(&self.calls[task]);
                let Some(&target) = edges.clone().nth(*next) else {
                    marks[task] = Mark::Done;
                    path.pop();
                    continue;
                };
                *next += 1;
                match marks[target] {
                    Mark::New => {
                        marks[target] = Mark::OnPath;
                        path.push((target, 0));
                    }
                    Mark::OnPath => {
                        let from = path.iter().position(|&(node, _)| node == target).unwrap_or(0);
                        let mut names: Vec<String> = path[from..]
                            .iter()
                            .map(|&(node, _)| self.tasks[node].name.clone())
                            .collect();
                        names.push(self.tasks[target].name.clone());
                        return Err(Error::new(ErrorKind::Cycle { path: names }));
                    }
                    Mark::Done => {}
                }
            }
        }
        Ok(())
    }
}

fn check_globs(task: &Task) -> Result<()> {
    for pattern in task.sources.iter().chain(&task.generates) {
        if pattern.is_empty() {
            return Err(Error::new(ErrorKind::InvalidGlob {
                task: task.name.clone(),
                pattern: pattern.clone(),
                message: "the pattern is empty".to_string(),
            }));
        }
        if let Err(err) = Glob::new(pattern) {
            return Err(Error::new(ErrorKind::InvalidGlob {
                task: task.name.clone(),
                pattern: pattern.clone(),
                message: err.kind().to_string(),
            }));
        }
    }
    Ok(())
}

/// Returns the name closest to `name` by edit distance, if it is close enough
/// to be a likely typo: at most a third of the name's length, and at least one.
pub(crate) fn suggest<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    names
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Returns the edit distance between two strings, by characters, counting an
/// insertion, a deletion, a substitution or a swap of two neighbours as one
/// edit (the optimal string alignment distance), so `tset` is one edit from
/// `test`.
fn edit_distance(left: &str, right: &str) -> usize {
    let left: Vec<char> = left.chars().collect();
    let right: Vec<char> = right.chars().collect();
    let width = right.len() + 1;
    let mut table = vec![0; (left.len() + 1) * width];
    for i in 0..=left.len() {
        for j in 0..=right.len() {
            table[i * width + j] = if i == 0 || j == 0 {
                i + j
            } else {
                let cost = usize::from(left[i - 1] != right[j - 1]);
                let mut best = (table[(i - 1) * width + j] + 1)
                    .min(table[i * width + j - 1] + 1)
                    .min(table[(i - 1) * width + j - 1] + cost);
                if i > 1 && j > 1 && left[i - 1] == right[j - 2] && left[i - 2] == right[j - 1] {
                    best = best.min(table[(i - 2) * width + j - 2] + 1);
                }
                best
            };
        }
    }
    table[left.len() * width + right.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(tasks: Vec<Task>) -> String {
        match Graph::new(tasks) {
            Ok(_) => panic!("the graph was accepted"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn cycle_prints_whole_loop() {
        let tasks = vec![
            Task::new("a").dep("b"),
            Task::new("b").dep("c"),
            Task::new("c").dep("a"),
            Task::new("d").dep("a"),
        ];
        assert_eq!(message(tasks), "dependency cycle: a -> b -> c -> a");
    }

    #[test]
    fn cycle_through_call() {
        let tasks = vec![Task::new("a").call("b"), Task::new("b").dep("a")];
        assert_eq!(message(tasks), "dependency cycle: a -> b -> a");
    }

    #[test]
    fn self_dependency_is_cycle() {
        assert_eq!(message(vec![Task::new("a").dep("a")]), "dependency cycle: a -> a");
    }

    #[test]
    fn unknown_dependency_suggests_close_name() {
        let tasks = vec![Task::new("build").dep("codgen"), Task::new("codegen")];
        assert_eq!(
            message(tasks),
            "task `build` depends on unknown task `codgen`: did you mean `codegen`?"
        );
    }

    #[test]
    fn unknown_dependency_without_close_name() {
        let tasks = vec![Task::new("build").dep("zzzzzz")];
        assert_eq!(
            message(tasks),
            "task `build` depends on unknown task `zzzzzz`: run with `--list` to see the tasks"
        );
    }

    #[test]
    fn unknown_called_task_says_calls() {
        let tasks = vec![Task::new("build").call("nope")];
        assert_eq!(
            message(tasks),
            "task `build` calls unknown task `nope`: run with `--list` to see the tasks"
        );
    }

    #[test]
    fn empty_name_rejected() {
        let tasks = vec![Task::new("a"), Task::new("")];
        assert_eq!(message(tasks), "task number 2 has an empty name: give every task a name");
    }

    #[test]
    fn duplicate_name_rejected() {
        let tasks = vec![Task::new("a"), Task::new("a")];
        assert!(message(tasks).contains("declared twice"));
    }

    #[test]
    fn invalid_glob_names_pattern() {
        let tasks = vec![Task::new("a").sources(["src/[a-"])];
        assert!(message(tasks).starts_with("task `a` has an invalid pattern `src/[a-`: "));
    }

    #[test]
    fn prerequisites_include_deps_of_called_tasks() {
        let tasks = vec![
            Task::new("a").dep("b").call("c"),
            Task::new("b"),
            Task::new("c").dep("d"),
            Task::new("d"),
        ];
        let graph = Graph::new(tasks).unwrap();
        assert_eq!(graph.prerequisites(0), vec![1, 3]);
    }

    #[test]
    fn suggestion_limits() {
        assert_eq!(suggest("tset", &["test", "build"]), Some("test"));
        assert_eq!(suggest("x", &["test"]), None);
    }
}
