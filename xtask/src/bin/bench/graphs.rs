//! The task graphs the benchmarks declare, built with runner's builder API.
//!
//! The hidden subcommands build these in the child process, so declaring the
//! tasks is part of what a sample times, as it is for a real xtask. A graph
//! is named `NAME` or `NAME:SIZE`: the size is the chain's length for
//! `chain` and the number of layers for `planning`.

use runner::{Scope, Task, cmd};

/// The number of independent tasks in the scheduler benchmark.
pub const SCHEDULER_TASKS: usize = 200;

/// The number of tasks in each layer of the planning graph.
pub const PLAN_WIDTH: usize = 100;

/// Returns the graph named `name` (`NAME` or `NAME:SIZE`), or `None` for an
/// unknown name or an invalid size.
pub fn by_name(name: &str) -> Option<Vec<Task>> {
    let (name, size) = match name.split_once(':') {
        Some((name, size)) => (name, Some(size.parse::<usize>().ok().filter(|&n| n > 0)?)),
        None => (name, None),
    };
    match (name, size) {
        ("scheduler", None) => Some(scheduler()),
        ("spawn", None) => Some(spawn()),
        ("freshness", None) => Some(freshness()),
        ("learn", None) => Some(learn()),
        ("chain", Some(length)) => Some(chain(length)),
        ("planning", Some(layers)) => Some(planning(layers)),
        _ => None,
    }
}

/// Returns the name of task `index` of the chain.
pub fn chain_task(index: usize) -> String {
    format!("c{index}")
}

/// Returns `c0` … `c{length - 1}`, each running `/bin/true` after the one before.
pub fn chain(length: usize) -> Vec<Task> {
    (0..length)
        .map(|index| {
            let task = Task::new(chain_task(index)).cmd(cmd!("/bin/true"));
            if index == 0 { task } else { task.deps([chain_task(index - 1)]) }
        })
        .collect()
}

/// Returns `t0` … `t199`, each running `/bin/true`, and `all`, which depends on them.
pub fn scheduler() -> Vec<Task> {
    let mut tasks: Vec<Task> =
        (0..SCHEDULER_TASKS).map(|i| Task::new(format!("t{i}")).cmd(cmd!("/bin/true"))).collect();
    let names: Vec<String> = (0..SCHEDULER_TASKS).map(|i| format!("t{i}")).collect();
    tasks.push(Task::new("all").deps(names));
    tasks
}

/// Returns one task, `one`, that runs `/bin/true`.
pub fn spawn() -> Vec<Task> {
    vec![Task::new("one").cmd(cmd!("/bin/true"))]
}

/// Returns one task, `check`, whose sources are every file below `tree/`.
pub fn freshness() -> Vec<Task> {
    vec![Task::new("check").sources(["tree/**/*"]).cmd(cmd!("/bin/true"))]
}

/// Returns one task, `build`, that builds the crate at the root offline. It
/// declares what a learn run of it proposed with cargo 1.95 on Linux, where
/// cargo read `~/.gitconfig`. cargo resolves a relative `CARGO_TARGET_DIR`
/// against its working directory, the root, so the build goes to `target/`
/// there and never to a target directory set in the environment.
pub fn learn() -> Vec<Task> {
    vec![
        Task::new("build")
            .sources(["Cargo.toml", "Cargo.lock", "src/main.rs"])
            .generates(["target/"])
            .scopes([Scope::rust_toolchain(), Scope::git_config()])
            .env("CARGO_TARGET_DIR", "target")
            .cmd(cmd!("cargo", "build", "--offline", "--quiet")),
    ]
}

/// Returns a layered DAG of `layers` x `PLAN_WIDTH` tasks, where each task below
/// the first layer depends on up to three tasks of the layer before, plus `all`,
/// which depends on every one of them (the wide fan-in). Every task has a source
/// glob, which validation compiles, and one command.
pub fn planning(layers: usize) -> Vec<Task> {
    let mut tasks = Vec::with_capacity(layers * PLAN_WIDTH + 1);
    let mut names = Vec::with_capacity(layers * PLAN_WIDTH);
    for layer in 0..layers {
        for slot in 0..PLAN_WIDTH {
            let name = format!("l{layer}_{slot}");
            let mut task = Task::new(name.as_str())
                .sources([format!("src/l{layer}/{slot}/*.rs")])
                .cmd(cmd!("/bin/true"));
            if layer > 0 {
                let mut deps: Vec<usize> = [slot * 7 + 1, slot * 13 + 5, slot * 31 + 11]
                    .iter()
                    .map(|seed| seed % PLAN_WIDTH)
                    .collect();
                deps.sort_unstable();
                deps.dedup();
                task = task.deps(deps.iter().map(|dep| format!("l{}_{dep}", layer - 1)));
            }
            tasks.push(task);
            names.push(name);
        }
    }
    tasks.push(Task::new("all").deps(names));
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planning_graph_plans_every_task() {
        let runner = runner::Runner::new().tasks(planning(100));
        let planned = runner.validate_and_plan(&["all".to_string()]).unwrap();
        assert_eq!(planned, 100 * PLAN_WIDTH + 1);
    }

    #[test]
    fn scheduler_graph_plans_every_task() {
        let runner = runner::Runner::new().tasks(scheduler());
        let planned = runner.validate_and_plan(&["all".to_string()]).unwrap();
        assert_eq!(planned, SCHEDULER_TASKS + 1);
    }

    #[test]
    fn chain_plans_every_link() {
        let runner = runner::Runner::new().tasks(chain(50));
        let planned = runner.validate_and_plan(&[chain_task(49)]).unwrap();
        assert_eq!(planned, 50);
    }

    #[test]
    fn every_graph_is_known_by_name() {
        for name in ["scheduler", "spawn", "freshness", "learn", "chain:3", "planning:2"] {
            assert!(by_name(name).is_some(), "{name}");
        }
        assert_eq!(by_name("chain:7").unwrap().len(), 7);
        assert_eq!(by_name("planning:2").unwrap().len(), 2 * PLAN_WIDTH + 1);
    }

    #[test]
    fn invalid_graph_names_are_none() {
        for name in ["other", "chain", "chain:0", "chain:x", "planning", "scheduler:5", "learn:2"] {
            assert!(by_name(name).is_none(), "{name}");
        }
    }
}
