//! The chain benchmark: 1,000 tasks, each depending on the one before.
//!
//! Every task runs `/bin/true`, so nothing can run in parallel, and the time
//! per link is what each tool spends between one task's end and the next
//! one's start: checking, scheduling, spawning and reaping. The contenders
//! are our runner with the sandbox off and in `warn` mode (`__runner
//! chain:N`) and GNU `make -j2` over a chain of phony targets. go-task runs a
//! Taskfile whose tasks each list the previous one in `deps`, and just a
//! justfile whose recipes each depend on the previous one. just runs each
//! recipe line through `sh -cu`. The design sets no target for this workload, so the
//! section reports ratios only. Quick mode uses a chain of 100.

use std::fmt::Write as _;

use crate::Bench;
use crate::contender::Contender;
use crate::graphs::chain_task;
use crate::report::Section;
use crate::rounds;
use crate::scheduler::write_file;

const RUNNER_OFF: &str = "runner -j2, sandbox off";
const RUNNER_WARN: &str = "runner -j2, sandbox warn";
const MAKE: &str = "make -j2";
const GO_TASK: &str = "go-task";
const JUST: &str = "just";

/// Runs the benchmark and returns its section.
pub fn run(bench: &Bench) -> Result<Section, String> {
    let length = bench.size(1_000, 100);
    let dir = bench.work_dir("chain")?;
    let last = chain_task(length - 1);
    let mut section = Section::new(
        &format!("Chain: {length} tasks, each depending on the one before"),
        &format!(
            "Wall time of one invocation that runs `{last}`, the end of a chain of {length} \
             tasks, each `/bin/true` and each depending on the one before, so they run one at \
             a time. just starts each `/bin/true` through `sh -cu`. Target: none is set for \
             this workload, so the ratios are for information."
        ),
    );

    let dir_arg = dir.to_string_lossy().into_owned();
    let graph = format!("chain:{length}");
    let runner_args = |mode: &str| {
        ["__runner", &graph, &dir_arg, "--sandbox", mode, "-j2", &last].map(String::from)
    };
    let mut contenders = vec![
        Contender::new(RUNNER_OFF, &bench.exe, runner_args("off"), &dir),
        Contender::new(RUNNER_WARN, &bench.exe, runner_args("warn"), &dir),
    ];
    match bench.peers.make() {
        Ok(make) => {
            write_file(&dir.join("Makefile"), &makefile(length))?;
            let args = ["-j2", "-f", "Makefile", last.as_str()];
            contenders.push(Contender::new(MAKE, &make.path, args, &dir));
        }
        Err(reason) => section.notes.push(format!("make is missing: {reason}")),
    }
    match bench.peers.go_task() {
        Ok(go_task) => {
            write_file(&dir.join("Taskfile.yml"), &taskfile(length))?;
            contenders.push(Contender::new(GO_TASK, &go_task.path, [last.as_str()], &dir));
        }
        Err(reason) => section.notes.push(format!("go-task is missing: {reason}")),
    }
    match bench.peers.just() {
        Ok(just) => {
            write_file(&dir.join("justfile"), &justfile(length))?;
            contenders.push(Contender::new(JUST, &just.path, [last.as_str()], &dir));
        }
        Err(reason) => section.notes.push(format!("just is missing: {reason}")),
    }

    let samples = rounds::interleave(&contenders, bench.warmup(1), bench.rounds(7), |_| Ok(()))?;
    section.add_samples(&contenders, &samples);
    section.add_ratios(&[RUNNER_OFF, RUNNER_WARN], &[MAKE, GO_TASK, JUST]);
    Ok(section)
}

/// Returns a Makefile whose phony targets form a chain of `length`.
fn makefile(length: usize) -> String {
    let names: Vec<String> = (0..length).map(chain_task).collect();
    let mut text = format!(".PHONY: {}\n", names.join(" "));
    for (index, name) in names.iter().enumerate() {
        let previous = if index == 0 { String::new() } else { format!(" {}", names[index - 1]) };
        let _ = write!(text, "{name}:{previous}\n\t/bin/true\n");
    }
    text
}

/// Returns a Taskfile whose tasks form a chain of `length`.
fn taskfile(length: usize) -> String {
    let mut text = String::from("version: '3'\n\ntasks:\n");
    for index in 0..length {
        let _ = writeln!(text, "  {}:", chain_task(index));
        if index > 0 {
            let _ = writeln!(text, "    deps: [{}]", chain_task(index - 1));
        }
        text.push_str("    cmds:\n      - /bin/true\n");
    }
    text
}

/// Returns a justfile whose recipes form a chain of `length`.
fn justfile(length: usize) -> String {
    let mut text = String::new();
    for index in 0..length {
        let previous =
            if index == 0 { String::new() } else { format!(" {}", chain_task(index - 1)) };
        let _ = write!(text, "{}:{previous}\n    /bin/true\n\n", chain_task(index));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makefile_links_each_target() {
        let text = makefile(3);
        assert!(text.starts_with(".PHONY: c0 c1 c2\n"), "{text}");
        assert!(text.contains("\nc0:\n\t/bin/true\n"), "{text}");
        assert!(text.contains("\nc2: c1\n\t/bin/true\n"), "{text}");
    }

    #[test]
    fn taskfile_links_each_task() {
        let text = taskfile(3);
        assert!(text.contains("  c0:\n    cmds:\n"), "{text}");
        assert!(text.contains("  c2:\n    deps: [c1]\n    cmds:\n      - /bin/true\n"), "{text}");
        assert_eq!(text.matches("deps:").count(), 2);
    }

    #[test]
    fn justfile_links_each_recipe() {
        let text = justfile(3);
        assert!(text.starts_with("c0:\n    /bin/true\n"), "{text}");
        assert!(text.contains("\nc2: c1\n    /bin/true\n"), "{text}");
    }
}
