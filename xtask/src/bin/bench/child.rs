//! The hidden subcommands: the processes that the benchmarks time.
//!
//! `bench __runner GRAPH ROOT [ARG]...` declares the tasks of `GRAPH` (see
//! `graphs`) with `runner::Runner`, rooted at `ROOT`, and runs them with the
//! runner's own command line `ARG...`, exiting as `Runner::main` would.
//! `bench __plan OUT` declares the planning graph, validates and plans it
//! without running anything, and writes `TASKS DECLARE_NS PLAN_NS` to `OUT`.

use std::process::ExitCode;
use std::time::Instant;

use runner::Runner;

use crate::graphs;

/// Runs `__runner GRAPH ROOT [ARG]...`; `args` starts at `GRAPH`.
pub fn run_runner(args: &[String]) -> ExitCode {
    let [graph, root, runner_args @ ..] = args else {
        eprintln!("error: usage: bench __runner GRAPH ROOT [ARG]...");
        return ExitCode::from(2);
    };
    let Some(tasks) = graphs::by_name(graph) else {
        eprintln!(
            "error: unknown graph `{graph}`: expected scheduler, spawn, freshness or planning"
        );
        return ExitCode::from(2);
    };
    match Runner::new().root(root).tasks(tasks).run(runner_args) {
        Ok(report) => ExitCode::from(report.exit_code()),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// Runs `__plan OUT`.
pub fn run_plan(args: &[String]) -> ExitCode {
    let [out] = args else {
        eprintln!("error: usage: bench __plan OUT");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    let runner = Runner::new().tasks(graphs::planning());
    let declared = started.elapsed();

    let started = Instant::now();
    let planned = match runner.validate_and_plan(&["all".to_string()]) {
        Ok(planned) => planned,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(err.exit_code());
        }
    };
    let plan = started.elapsed();

    let line = format!("{planned} {} {}\n", declared.as_nanos(), plan.as_nanos());
    if let Err(err) = std::fs::write(out, line) {
        eprintln!("error: failed to write `{out}`: {err}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
