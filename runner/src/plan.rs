//! `Plan`: the tasks a request needs, in dependency order.
//!
//! Planning takes the requested task names, collects every task they need
//! (dependencies, and the dependencies of the tasks they call), and orders the
//! set so each task comes after everything it waits for. The order is stable:
//! among tasks that could go next, the one declared first goes first, so dry
//! runs and single-job runs are reproducible.

use std::collections::BTreeSet;

use crate::Result;
use crate::graph::Graph;

/// The tasks of one request, ordered.
pub(crate) struct Plan {
    /// Task indices in dependency order.
    pub(crate) order: Vec<usize>,
    /// For each task of `order`, the tasks of the plan it waits for.
    pub(crate) waits_for: Vec<Vec<usize>>,
    /// The requested task indices.
    pub(crate) requested: Vec<usize>,
}

impl Plan {
    /// Plans the tasks named `names`.
    pub(crate) fn new(graph: &Graph, names: &[String]) -> Result<Plan> {
        let requested = names.iter().map(|name| graph.find(name)).collect::<Result<Vec<_>>>()?;

        let mut needed = vec![false; graph.tasks.len()];
        let mut stack = requested.clone();
        let mut prerequisites = vec![Vec::new(); graph.tasks.len()];
        while let Some(task) = stack.pop() {
            if std::mem::replace(&mut needed[task], true) {
                continue;
            }
            prerequisites[task] = graph.prerequisites(task);
            stack.extend(prerequisites[task].iter().copied());
        }

        // Kahn's algorithm; the ready set is ordered by declaration.
        let mut pending: Vec<usize> = prerequisites.iter().map(Vec::len).collect();
        let mut dependants = vec![Vec::new(); graph.tasks.len()];
        for task in (0..graph.tasks.len()).filter(|&task| needed[task]) {
            for &prerequisite in &prerequisites[task] {
                dependants[prerequisite].push(task);
            }
        }
        let mut ready: BTreeSet<usize> =
            (0..graph.tasks.len()).filter(|&task| needed[task] && pending[task] == 0).collect();
        let mut order = Vec::new();
        while let Some(task) = ready.pop_first() {
            order.push(task);
            for &dependant in &dependants[task] {
                pending[dependant] -= 1;
                if pending[dependant] == 0 {
                    ready.insert(dependant);
                }
            }
        }

        let waits_for = order.iter().map(|&task| prerequisites[task].clone()).collect();
        Ok(Plan { order, waits_for, requested })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Task;

    fn names(graph: &Graph, plan: &Plan) -> Vec<String> {
        plan.order.iter().map(|&task| graph.tasks[task].name.clone()).collect()
    }

    #[test]
    fn diamond_plans_shared_task_once() {
        let graph = Graph::new(vec![
            Task::new("top").deps(["left", "right"]),
            Task::new("left").dep("base"),
            Task::new("right").dep("base"),
            Task::new("base"),
            Task::new("unrelated"),
        ])
        .unwrap();
        let plan = Plan::new(&graph, &["top".to_string()]).unwrap();
        assert_eq!(names(&graph, &plan), ["base", "left", "right", "top"]);
    }

    #[test]
    fn unknown_requested_task_is_error() {
        let graph = Graph::new(vec![Task::new("build")]).unwrap();
        let err = Plan::new(&graph, &["biuld".to_string()]).err().unwrap();
        assert_eq!(err.to_string(), "unknown task `biuld`: did you mean `build`?");
    }
}
