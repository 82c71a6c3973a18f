//! The hidden subcommands: the processes that the benchmarks time.
//!
//! `bench __runner GRAPH ROOT [ARG]...` declares the tasks of `GRAPH` (see
//! `graphs`) with `runner::Runner`, rooted at `ROOT`, and runs them with the
//! runner's own command line `ARG...`, exiting as `Runner::main` would.
//! `bench __plan LAYERS OUT` declares the planning graph of `LAYERS` layers,
//! validates and plans it without running anything, and writes
//! `TASKS DECLARE_NS PLAN_NS PLAN_CPU_NS` to `OUT`. The last field is the
//! process's user and system time during validation and planning.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use runner::Runner;

use crate::contender::duration_of;
use crate::graphs;

/// Runs `__runner GRAPH ROOT [ARG]...`; `args` starts at `GRAPH`.
pub fn run_runner(args: &[String]) -> ExitCode {
    let [graph, root, runner_args @ ..] = args else {
        eprintln!("error: usage: bench __runner GRAPH ROOT [ARG]...");
        return ExitCode::from(2);
    };
    let Some(tasks) = graphs::by_name(graph) else {
        eprintln!(
            "error: unknown graph `{graph}`: expected scheduler, spawn, freshness, learn, \
             chain:LENGTH or planning:LAYERS"
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

/// Runs `__plan LAYERS OUT`.
pub fn run_plan(args: &[String]) -> ExitCode {
    let [layers, out] = args else {
        eprintln!("error: usage: bench __plan LAYERS OUT");
        return ExitCode::from(2);
    };
    let Some(layers) = layers.parse::<usize>().ok().filter(|&layers| layers > 0) else {
        eprintln!("error: invalid number of layers `{layers}`: expected a positive number");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    let runner = Runner::new().tasks(graphs::planning(layers));
    let declared = started.elapsed();

    let cpu_before = process_cpu_time();
    let started = Instant::now();
    let planned = match runner.validate_and_plan(&["all".to_string()]) {
        Ok(planned) => planned,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(err.exit_code());
        }
    };
    let plan = started.elapsed();
    let plan_cpu = process_cpu_time().saturating_sub(cpu_before);

    let line =
        format!("{planned} {} {} {}\n", declared.as_nanos(), plan.as_nanos(), plan_cpu.as_nanos());
    if let Err(err) = std::fs::write(out, line) {
        eprintln!("error: failed to write `{out}`: {err}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Returns the user plus system time this process has used, from getrusage(2).
fn process_cpu_time() -> Duration {
    // SAFETY: `rusage` is a plain C struct for which all-zero bytes are valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pointer points to a live, writable local of the right type.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    duration_of(usage.ru_utime) + duration_of(usage.ru_stime)
}
