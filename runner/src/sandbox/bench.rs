//! Sandbox measurements that `cargo xtask bench` and
//! `cargo bench -p runner --bench sandbox` report, through `runner::bench`.
//! Not a stable API.
//!
//! Each function builds what it measures in a fresh directory under the
//! system temp directory and removes it afterwards. The sandbox is probed
//! with `SandboxMode::Warn`, so where Landlock is unavailable the sandboxed
//! figures are unconfined spawns and a warning is logged.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Confinement, Sandbox, SandboxMode, TaskAccess};

/// Measures `samples` spawns and waits of `/bin/true`, plain and sandboxed as
/// a task's commands are, interleaved so both modes see the same machine load.
/// Returns the median of each: `(plain, sandboxed)`. The sandboxed task has no sources, no
/// generates and no scopes, so its ruleset holds only the system grants, its
/// temp directory and its working directory.
pub fn bench_spawn(samples: usize) -> (Duration, Duration) {
    let medians = bench_spawn_modes(samples);
    (medians.plain, medians.in_task)
}

/// Median spawn-and-wait times of `/bin/true` in three modes.
#[derive(Clone, Copy, Debug)]
pub struct SpawnMedians {
    /// `Command::spawn` on the calling thread.
    pub plain: Duration,
    /// `Command::spawn` on a fresh thread, without Landlock: the cost of the
    /// thread handoff alone.
    pub fresh_thread: Duration,
    /// `Confinement::spawn`: a fresh thread restricted by the task's ruleset
    /// for this one spawn, as for a task whose steps call other tasks.
    pub sandboxed: Duration,
    /// `Confinement::spawn_restricted` on a thread that `try_run` restricted
    /// with the task's ruleset, as every command of a task without calls
    /// runs. Only the spawn and wait are timed: the thread is made once per
    /// task, not once per command.
    pub in_task: Duration,
}

/// Measures `samples` spawns of `/bin/true` in each mode of [`SpawnMedians`],
/// rotating the order of the modes from one sample to the next.
pub fn bench_spawn_modes(samples: usize) -> SpawnMedians {
    let scratch = Scratch::new("spawn");
    let sandbox = probe();
    let confinement = prepare(&sandbox, &scratch, &[]);

    let command = || {
        let mut command = Command::new("/bin/true");
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        command
    };
    let finish = |start: Instant, child: std::io::Result<std::process::Child>| {
        if let Err(error) = child.and_then(|mut child| child.wait()) {
            log::warn!("spawning `/bin/true` failed: {error}");
        }
        start.elapsed()
    };
    let spawn = |mode: usize| match (mode, &confinement) {
        (1, _) => {
            let command = command();
            let start = Instant::now();
            let child = std::thread::spawn(move || { command }.spawn())
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("spawning thread panicked")));
            finish(start, child)
        }
        (2, Some(confinement)) => {
            let start = Instant::now();
            finish(start, confinement.spawn(command()))
        }
        (3, Some(confinement)) => {
            let timed = confinement.try_run(|| {
                let start = Instant::now();
                finish(start, confinement.spawn_restricted(command()))
            });
            timed.unwrap_or_else(|error| {
                log::warn!("restricting a thread failed: {error}");
                Duration::ZERO
            })
        }
        _ => {
            let start = Instant::now();
            finish(start, command().spawn())
        }
    };

    let mut times: [Vec<Duration>; 4] = Default::default();
    for index in 0..samples.max(1) {
        for offset in 0..4 {
            let mode = (index + offset) % 4;
            times[mode].push(spawn(mode));
        }
    }
    let [plain, fresh_thread, sandboxed, in_task] = &mut times;
    SpawnMedians {
        plain: median(plain),
        fresh_thread: median(fresh_thread),
        sandboxed: median(sandboxed),
        in_task: median(in_task),
    }
}

/// Measures `Sandbox::prepare` for a task with `file_rules` source files,
/// each granted by its own rule, and returns the median of `samples` runs.
/// It covers resolving each path, opening it and adding its rule. The
/// sources carry the file types a glob's walk reports for them: no symbolic
/// links.
pub fn bench_ruleset_build(file_rules: usize, samples: usize) -> Duration {
    let scratch = Scratch::new("rules");
    let sources_dir = scratch.root.join("src");
    std::fs::create_dir_all(&sources_dir).expect("failed to create the benchmark sources");
    let sources: Vec<PathBuf> = (0..file_rules)
        .map(|index| {
            let path = sources_dir.join(format!("file{index}.rs"));
            std::fs::write(&path, "").expect("failed to create a benchmark source");
            path
        })
        .collect();
    let sandbox = probe();

    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples.max(1) {
        let start = Instant::now();
        let confinement = prepare(&sandbox, &scratch, &sources);
        times.push(start.elapsed());
        drop(confinement);
    }
    median(&mut times)
}

fn probe() -> Sandbox {
    Sandbox::new(SandboxMode::Warn).expect("the warn mode never fails the probe")
}

fn prepare(sandbox: &Sandbox, scratch: &Scratch, sources: &[PathBuf]) -> Option<Confinement> {
    let links = vec![false; sources.len()];
    let access = TaskAccess {
        task: "bench",
        root: &scratch.root,
        state_dir: &scratch.root.join(".runner"),
        source_files: sources,
        source_links: Some(&links),
        source_dirs: &[],
        generates: &[],
        scopes: &[],
        dir: &scratch.root,
        path_env: None,
        syntax: super::Syntax::Rust,
    };
    match sandbox.prepare(&access) {
        Ok(confinement) => confinement,
        Err(error) => {
            log::warn!("benchmark task runs unconfined: {error}");
            None
        }
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// A project root for one benchmark, removed when dropped.
struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn new(label: &str) -> Scratch {
        let root =
            std::env::temp_dir().join(format!("runner-bench-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("failed to create the benchmark directory");
        let root = canonical(&root);
        Scratch { root }
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
