//! The spawn benchmark: what the sandbox adds to running one command.
//!
//! Contenders: a plain `/bin/true`, spawned by this program, and a runner
//! invocation that runs one `/bin/true` task with the sandbox off and in
//! `warn` mode. The targets compare the two runner invocations, and the
//! difference of their medians against the plain spawn. Both runner
//! invocations include process start-up, which the plain spawn does not.
//! NOTE: the difference of two medians of a few milliseconds each is near
//! the noise of this machine, so read it together with the spread.

use std::process::{Command, Stdio};

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
         runs `/bin/true`, with the sandbox off and in `warn` mode.",
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
    let samples = rounds::interleave(&contenders, 5, bench.rounds(101), |_| Ok(()))?;
    section.add_samples(&contenders, &samples);

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
    Ok(section)
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
