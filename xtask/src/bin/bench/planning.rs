//! The planning benchmark: a 10,000-task graph validated and planned.
//!
//! The graph is `graphs::planning`: 100 layers of 100 tasks, each depending on
//! up to three tasks of the layer before, and `all`, which depends on all
//! 10,000. A child process (`__plan`) declares it, then times
//! `Runner::validate_and_plan` alone, which runs the same validation and
//! planning as every invocation and nothing else, with the process's CPU time
//! over that call. The peak RSS is the child's whole `ru_maxrss`, so it
//! includes the declared tasks and the binary. Quick mode plans 10 layers.
//! An informational row times a whole dry run (`-n -q all`) of the same graph,
//! which also checks each task's freshness and prints 10,001 planned steps.

use std::time::Duration;

use crate::Bench;
use crate::contender::{Contender, Sample};
use crate::graphs::PLAN_WIDTH;
use crate::report::{Section, kib_to_megabytes};
use crate::stats::Summary;

const PLAN: &str = "validate and plan (in the child)";
const PROCESS: &str = "`__plan` process";
const DRY_RUN: &str = "dry run process (`-n -q all`)";

/// Runs the benchmark and returns its section.
pub fn run(bench: &Bench) -> Result<Section, String> {
    let dir = bench.work_dir("planning")?;
    let layers = bench.size(100, 10);
    let tasks = layers * PLAN_WIDTH;
    let mut section = Section::new(
        &format!("Planning: {tasks} tasks validated and planned"),
        &format!(
            "{layers} layers of {PLAN_WIDTH} tasks, each depending on up to three tasks of \
             the layer before and with one source glob, plus `all`, which depends on every one \
             of them. The first row is the time of validation and planning alone; its peak \
             RSS is the whole child process. A whole dry run of the graph is shown for \
             reference: it also checks each task's freshness and prints every planned step. \
             Targets (for 10,000 tasks): validation and planning under 100 ms, and the \
             process's peak RSS under 50 MB (50,000,000 bytes)."
        ),
    );

    let out = dir.join("plan.out");
    let out_arg = out.to_string_lossy().into_owned();
    let dir_arg = dir.to_string_lossy().into_owned();
    let layers_arg = layers.to_string();
    let plan = Contender::new(
        PROCESS,
        &bench.exe,
        ["__plan", layers_arg.as_str(), out_arg.as_str()],
        &dir,
    );
    let graph = format!("planning:{layers}");
    let dry_run = Contender::new(
        DRY_RUN,
        &bench.exe,
        ["__runner", graph.as_str(), dir_arg.as_str(), "-n", "-q", "all"],
        &dir,
    );

    let (warmup, rounds) = (bench.warmup(2), bench.rounds(11));
    let (mut planning, mut processes, mut dry_runs) = (Vec::new(), Vec::new(), Vec::new());
    let mut declare = Vec::new();
    for round in 0..warmup + rounds {
        let process = plan.run()?;
        let (planned, declared, planned_in, planned_cpu) = read_plan_output(&out)?;
        if planned != tasks + 1 {
            return Err(format!("`__plan` planned {planned} tasks, expected {}", tasks + 1));
        }
        let dry = dry_run.run()?;
        if round >= warmup {
            planning.push(Sample {
                wall: planned_in,
                cpu: planned_cpu,
                max_rss_kib: process.max_rss_kib,
            });
            declare.push(declared);
            processes.push(process);
            dry_runs.push(dry);
        }
    }

    section.commands.push((PROCESS.to_string(), plan.command_line()));
    section.commands.push((DRY_RUN.to_string(), dry_run.command_line()));
    for (name, samples) in [(PLAN, &planning), (PROCESS, &processes), (DRY_RUN, &dry_runs)] {
        if let Some(summary) = Summary::of(samples) {
            section.rows.push(crate::report::Row { name: name.to_string(), summary });
        }
    }
    declare.sort();
    if let Some(median) = crate::stats::median_duration(&declare) {
        section.notes.push(format!(
            "Declaring the tasks with the builder, before validation, took {} (median).",
            crate::report::millis(median)
        ));
    }

    if let Some(summary) = section.summary(PLAN) {
        let millis = summary.median.as_secs_f64() * 1000.0;
        section.below("validate and plan under 100 ms", millis, 100.0, "ms");
        let megabytes = kib_to_megabytes(summary.median_rss_kib);
        section.below("peak RSS of the process under 50 MB", megabytes, 50.0, "MB");
    }
    Ok(section)
}

/// Reads `TASKS DECLARE_NS PLAN_NS PLAN_CPU_NS` as written by `__plan`.
fn read_plan_output(
    path: &std::path::Path,
) -> Result<(usize, Duration, Duration, Duration), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("failed to read `{}`: {err}", path.display()))?;
    let fields: Vec<u64> = text.split_whitespace().filter_map(|word| word.parse().ok()).collect();
    let [planned, declared, planned_in, planned_cpu] = fields[..] else {
        return Err(format!("invalid output `{}` in `{}`", text.trim(), path.display()));
    };
    Ok((
        planned as usize,
        Duration::from_nanos(declared),
        Duration::from_nanos(planned_in),
        Duration::from_nanos(planned_cpu),
    ))
}
