//! The task graphs the benchmarks declare, built with runner's builder API.
//!
//! The hidden subcommands build these in the child process, so declaring the
//! tasks is part of what a sample times, as it is for a real xtask.

use runner::{Task, cmd};

/// The number of independent tasks in the scheduler benchmark.
pub const SCHEDULER_TASKS: usize = 200;

/// The planning graph has this many layers of `PLAN_WIDTH` tasks each.
pub const PLAN_LAYERS: usize = 100;
pub const PLAN_WIDTH: usize = 100;

/// Returns the graph named `name`, or `None` for an unknown name.
pub fn by_name(name: &str) -> Option<Vec<Task>> {
    match name {
        "scheduler" => Some(scheduler()),
        "spawn" => Some(spawn()),
        "freshness" => Some(freshness()),
        "planning" => Some(planning()),
        _ => None,
    }
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

/// Returns a layered DAG of `PLAN_LAYERS` x `PLAN_WIDTH` tasks, where each task below
/// the first layer depends on up to three tasks of the layer before, plus `all`,
/// which depends on every one of them (the wide fan-in). Every task has a source
/// glob, which validation compiles, and one command.
pub fn planning() -> Vec<Task> {
    let mut tasks = Vec::with_capacity(PLAN_LAYERS * PLAN_WIDTH + 1);
    let mut names = Vec::with_capacity(PLAN_LAYERS * PLAN_WIDTH);
    for layer in 0..PLAN_LAYERS {
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
        let runner = runner::Runner::new().tasks(planning());
        let planned = runner.validate_and_plan(&["all".to_string()]).unwrap();
        assert_eq!(planned, PLAN_LAYERS * PLAN_WIDTH + 1);
    }

    #[test]
    fn scheduler_graph_plans_every_task() {
        let runner = runner::Runner::new().tasks(scheduler());
        let planned = runner.validate_and_plan(&["all".to_string()]).unwrap();
        assert_eq!(planned, SCHEDULER_TASKS + 1);
    }

    #[test]
    fn every_graph_is_known_by_name() {
        for name in ["scheduler", "spawn", "freshness", "planning"] {
            assert!(by_name(name).is_some(), "{name}");
        }
        assert!(by_name("other").is_none());
    }
}
