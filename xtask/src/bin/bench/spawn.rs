//! The spawn benchmark: what the sandbox adds to running one command.
//!
//! Contenders: a plain `/bin/true`, spawned by this program, and a runner
//! invocation that runs one `/bin/true` task with the sandbox off and in
//! `warn` mode. The targets compare the two runner invocations, and the
//! difference of their medians against the plain spawn. Both runner
//! invocations include process start-up, which the plain spawn does not.
//! NOTE: the difference of two medians of a few milliseconds each is near
//! the noise of this machine, so read it together with the spread.
//!
//! The section also reports the library's in-process measurements
//! (`runner::bench`): the spawn of `/bin/true` plain, from a fresh thread,
//! from a fresh thread restricted for that spawn, and from the task's own
//! restricted thread, which is how a task's commands run and what the target
//! is about. It also reports the time to build a ruleset for 10 to 1,000
//! source files.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::Bench;
use crate::contender::Contender;
use crate::report::Section;
use crate::rounds;

const PLAIN: &str = "/bin/true";
const RUNNER_OFF: &str = "runner, sandbox off";
const RUNNER_WARN: &str = "runner, sandbox warn";

/// Runs the benchmark and returns its section.
pub fn run(bench: &Bench) -> Result<Section, String> {
    let dir = bench.work_dir("spawn")?;
    let mut section = Section::new(
        "Spawn: one `/bin/true`, with and without the sandbox",
        "Wall time of a plain `/bin/true`, and of a runner invocation whose one task \
         runs `/bin/true`, with the sandbox off and in `warn` mode. Target: the sandbox \
         costs under 5% of a plain spawn. The in-process reading, a command spawned from \
         the task's restricted thread against a plain spawn, is the one the target applies \
         to; the whole invocations add per-run and per-task setup around the spawn.",
    );

    let dir_arg = dir.to_string_lossy().into_owned();
    let runner_args = |mode: &str| {
        ["__runner", "spawn", &dir_arg, "--sandbox", mode, "-j1", "one"].map(String::from)
    };
    let contenders = [
        Contender::new(PLAIN, PLAIN, Vec::<String>::new(), &dir),
        Contender::new(RUNNER_OFF, &bench.exe, runner_args("off"), &dir),
        Contender::new(RUNNER_WARN, &bench.exe, runner_args("warn"), &dir),
    ];
    for mode in ["off", "warn"] {
        section.notes.push(format!("Sandbox `{mode}`: {}", sandbox_status(bench, mode)?));
    }
    let samples = rounds::interleave(&contenders, bench.warmup(5), bench.rounds(101), |_| Ok(()))?;
    section.add_samples(&contenders, &samples);
    section.add_ratios(&[RUNNER_OFF, RUNNER_WARN], &[PLAIN]);

    section.overhead(RUNNER_WARN, RUNNER_OFF, 5.0);
    let target = "sandbox cost (warn minus off) under 5% of a plain `/bin/true`";
    match (section.summary(RUNNER_WARN), section.summary(RUNNER_OFF), section.summary(PLAIN)) {
        (Some(warn), Some(off), Some(plain)) => {
            let cost = warn.median.saturating_sub(off.median);
            let verdict = section.overhead_verdict(
                target.to_string(),
                plain.median + cost,
                plain.median,
                5.0,
            );
            section.verdicts.push(verdict);
        }
        _ => section.skip(target, "a contender was skipped"),
    }

    in_process(bench, &mut section);
    Ok(section)
}

/// Adds the library's own spawn measurements: `/bin/true` spawned and waited
/// for inside one process, plain, from a fresh thread, and through a task's
/// `Confinement`, without the runner's start-up around it.
fn in_process(bench: &Bench, section: &mut Section) {
    let samples = bench.rounds(101) * 20;
    let medians = runner::bench::bench_spawn_modes(samples);
    section.notes.push(format!(
        "In process (`runner::bench::bench_spawn_modes`, {samples} interleaved samples a mode, \
         medians): plain spawn {}, from a fresh unrestricted thread {}, from a fresh thread \
         restricted for that one spawn {}, from the task's restricted thread {}.",
        micros(medians.plain),
        micros(medians.fresh_thread),
        micros(medians.sandboxed),
        micros(medians.in_task)
    ));
    let target = "sandboxed spawn under 5% over a plain spawn, in process".to_string();
    let verdict = section.overhead_verdict(target, medians.in_task, medians.plain, 5.0);
    section.verdicts.push(verdict);

    let mut builds = Vec::new();
    for rules in [10, 100, 1_000] {
        let median = runner::bench::bench_ruleset_build(rules, 11);
        builds.push(format!("{rules} source files {}", micros(median)));
    }
    section.notes.push(format!(
        "Building a task's ruleset (`runner::bench::bench_ruleset_build`, median of 11): {}.",
        builds.join(", ")
    ));
}

fn micros(duration: Duration) -> String {
    format!("{:.0} µs", duration.as_secs_f64() * 1e6)
}

/// Returns the sandbox status that a runner invocation in `mode` reports with
/// `-v`, as the line after `sandbox: `.
pub fn sandbox_status(bench: &Bench, mode: &str) -> Result<String, String> {
    let dir = bench.work_dir("spawn")?;
    let output = Command::new(&bench.exe)
        .args(["__runner", "spawn"])
        .arg(&dir)
        .args(["--sandbox", mode, "-v", "-j1", "one"])
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("failed to run the runner with `-v`: {err}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("the runner with `--sandbox {mode}` {}: {stderr}", output.status));
    }
    let status = stderr.lines().find_map(|line| line.trim().strip_prefix("sandbox: "));
    Ok(status.unwrap_or("(not printed)").to_string())
}
