//! Benchmarks that `cargo xtask bench` runs; not part of the public API.
//!
//! The sandbox benchmarks (spawn cost, ruleset build) live beside the sandbox
//! and are re-exported here.
//!
//! [`freshness`] builds a tree of files in a temporary directory and times
//! these side by side in one run:
//!
//! - a `find -printf '%s %T@'` walk of the tree;
//! - a no-op freshness check of a task with `sources(["tree/**/*"])`, from a
//!   fresh tracker open as a second CLI run does it, after a first run
//!   recorded the task and warmed the stat cache;
//! - go-task's checksum method on the same tree: `task --status x` with
//!   `sources: ['tree/**/*']`, after a first `task x`;
//! - our check after one file changed, alone and followed by recording.
//!
//! The measurements take turns in each round, and each figure is the median
//! over the rounds. The files stay in the page cache throughout, so the
//! numbers measure metadata work and hashing, not the disk.

pub use crate::sandbox::bench::{
    SpawnMedians, bench_ruleset_build, bench_spawn, bench_spawn_modes,
};

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::freshness::{Freshness, Tracker};
use crate::fs::TempDir;
use crate::{Error, Result, Task, cmd};

/// The size of the generated tree and how often each measurement repeats.
#[derive(Clone, Debug)]
pub struct FreshnessOptions {
    /// Number of files; they spread over directories of 100 files, ten
    /// directories to a parent.
    pub files: usize,
    /// Total size of the files in bytes; sizes vary uniformly around the mean.
    pub total_bytes: u64,
    /// Repetitions of each measurement; the median is reported.
    pub runs: usize,
    /// The go-task 3.54 binary, or `None` to skip that measurement.
    /// N.B. a pyenv shim named `task` is a shell script that starts the real
    /// binary, which adds its own startup time: point this at the binary
    /// (`pyenv which task`).
    pub go_task: Option<PathBuf>,
}

impl Default for FreshnessOptions {
    /// 20,000 files of 128 MB in total (6.4 KB on average), 11 runs, and
    /// go-task from `RUNNER_BENCH_GO_TASK`, else `task` on `PATH` if it is
    /// there.
    fn default() -> FreshnessOptions {
        let go_task = std::env::var_os("RUNNER_BENCH_GO_TASK").map(PathBuf::from);
        FreshnessOptions {
            files: 20_000,
            total_bytes: 128_000_000,
            runs: 11,
            go_task: go_task.or_else(|| find_on_path("task")),
        }
    }
}

/// The measured times (medians) and memory of one benchmark run.
#[derive(Clone, Debug)]
pub struct FreshnessReport {
    pub files: usize,
    pub total_bytes: u64,
    pub runs: usize,
    /// `find DIR -type f -printf '%s %T@\n' > /dev/null`.
    pub find: Duration,
    /// Our check with nothing to do, from opening the tracker to closing it.
    pub noop: Duration,
    /// Our check after one source file changed, read-only as `--status`
    /// does it.
    pub one_changed: Duration,
    /// The same check on a writable tracker followed by recording the run,
    /// as a run does it around the task's command (which is not run here).
    pub one_changed_recorded: Duration,
    /// `task --status x` with `sources: ['tree/**/*']`, if go-task was found.
    pub go_task: Option<Duration>,
    /// Peak resident memory of this process during the no-op checks, in
    /// bytes, where `/proc` can measure it.
    pub noop_peak_rss: Option<u64>,
    /// Resident memory of this process before the first of them, after freed
    /// heap memory went back to the system, in bytes.
    pub baseline_rss: Option<u64>,
    /// The largest peak resident memory of a go-task run, in bytes.
    pub go_task_peak_rss: Option<u64>,
}

/// Runs the freshness benchmark.
pub fn freshness(options: &FreshnessOptions) -> Result<FreshnessReport> {
    let dir = TempDir::new("runner-bench")?;
    let root = dir.path();
    let tree = root.join("tree");
    generate_tree(&tree, options.files, options.total_bytes)?;

    // The stat cache keeps no hash of a file changed less than its racy
    // window before hashing, so wait that long, as sources usually are older.
    let racy_window = Duration::from_nanos(crate::stat_cache::RACY_WINDOW_NS as u64);
    std::thread::sleep(racy_window + Duration::from_millis(100));

    // The tree sits in its own directory so that neither tool's state
    // directory is among the sources: go-task's `**/*` would match its own
    // `.task/checksum/x` and never be up to date.
    if let Some(go_task) = &options.go_task {
        let taskfile =
            "version: '3'\ntasks:\n  x:\n    sources: ['tree/**/*']\n    cmds: ['true']\n";
        write(&root.join("Taskfile.yml"), taskfile.as_bytes())?;
        run_quiet(Command::new(go_task).arg("x").current_dir(root))?;
    }

    let task = Task::new("x").sources(["tree/**/*"]).cmd(cmd!("true"));
    let state_dir = root.join(".runner");
    let tracker = Tracker::open(&state_dir, true)?;
    let check = tracker.check(&task, root, &[], &[], false)?;
    tracker.record(&task, root, &check)?;
    tracker.finish()?;

    // The measurements take turns within each round, so a change in the
    // machine's load during the benchmark affects all of them alike.
    let mut times = Times::default();
    let mut noop_peak_rss: Option<u64> = None;
    let mut baseline_rss: Option<u64> = None;
    let changed_file = tree.join("d00/d00/f000");
    for round in 0..options.runs.max(1) {
        let mut find = Command::new("find");
        find.arg(&tree).args(["-type", "f", "-printf", "%s %T@\\n"]);
        times.find.push(timed(|| run_quiet(&mut find))?);

        reset_peak_rss();
        if round == 0 {
            baseline_rss = proc_status_bytes("VmRSS:");
        }
        times.noop.push(timed(|| {
            let tracker = Tracker::open(&state_dir, true)?;
            let check = tracker.check(&task, root, &[], &[], false)?;
            tracker.finish()?;
            expect_fresh(&check.freshness, true)
        })?);
        noop_peak_rss = noop_peak_rss.max(proc_status_bytes("VmHWM:"));

        if let Some(go_task) = &options.go_task {
            let mut status = Command::new(go_task);
            status.args(["--status", "x"]).current_dir(root);
            times.go_task.push(timed(|| run_quiet(&mut status))?);
        }

        write(&changed_file, format!("edit {round}").as_bytes())?;
        times.one_changed.push(timed(|| {
            let tracker = Tracker::open(&state_dir, false)?;
            let check = tracker.check(&task, root, &[], &[], false)?;
            expect_fresh(&check.freshness, false)
        })?);
        times.one_changed_recorded.push(timed(|| {
            let tracker = Tracker::open(&state_dir, true)?;
            let check = tracker.check(&task, root, &[], &[], false)?;
            expect_fresh(&check.freshness, false)?;
            tracker.record(&task, root, &check)?;
            tracker.finish()
        })?);
        if let Some(go_task) = &options.go_task {
            run_quiet(Command::new(go_task).arg("x").current_dir(root))?;
        }
    }
    let go_task_peak_rss = options.go_task.as_ref().and_then(|_| children_peak_rss());

    Ok(FreshnessReport {
        files: options.files,
        total_bytes: options.total_bytes,
        runs: options.runs,
        find: median(times.find),
        noop: median(times.noop),
        one_changed: median(times.one_changed),
        one_changed_recorded: median(times.one_changed_recorded),
        go_task: (!times.go_task.is_empty()).then(|| median(times.go_task)),
        noop_peak_rss,
        baseline_rss,
        go_task_peak_rss,
    })
}

impl fmt::Display for FreshnessReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
        let mb = |bytes: u64| bytes as f64 / 1_000_000.0;
        let find = ms(self.find);

        writeln!(
            f,
            "freshness check over {} files, {:.1} MB, median of {} runs",
            self.files,
            mb(self.total_bytes),
            self.runs
        )?;
        writeln!(f, "  find -printf        {find:8.1} ms")?;
        let noop = ms(self.noop);
        writeln!(
            f,
            "  runner, no-op       {noop:8.1} ms   {:.2}x find (target <= 1.30)",
            noop / find
        )?;
        match self.go_task {
            Some(go_task) => {
                let go_task = ms(go_task);
                writeln!(
                    f,
                    "  go-task --status    {go_task:8.1} ms   {:.1}x runner (target >= 4.0)",
                    go_task / noop
                )?;
            }
            None => writeln!(f, "  go-task --status    skipped: `task` not found on PATH")?,
        }
        let changed = ms(self.one_changed);
        writeln!(
            f,
            "  runner, 1 changed   {changed:8.1} ms   {:.2}x find (check)",
            changed / find
        )?;
        let recorded = ms(self.one_changed_recorded);
        writeln!(
            f,
            "  runner, 1 changed   {recorded:8.1} ms   {:.2}x find (check and record)",
            recorded / find
        )?;
        if let (Some(peak), Some(baseline)) = (self.noop_peak_rss, self.baseline_rss) {
            writeln!(
                f,
                "  peak RSS of the no-op checks: {:.1} MB ({:.1} MB before them)",
                mb(peak),
                mb(baseline)
            )?;
        }
        if let Some(peak) = self.go_task_peak_rss {
            writeln!(f, "  peak RSS of go-task: {:.1} MB", mb(peak))?;
        }
        Ok(())
    }
}

/// Writes `files` files of `total_bytes` in all below `root`, with contents
/// from a fixed-seed generator so every run hashes the same bytes.
fn generate_tree(root: &Path, files: usize, total_bytes: u64) -> Result<()> {
    let mean = total_bytes / files.max(1) as u64;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };

    let mut buffer = Vec::new();
    for index in 0..files {
        let dir = root.join(format!("d{:02}/d{:02}", index / 1000, index / 100 % 10));
        if index % 100 == 0 {
            crate::fs::create_dir_all(&dir)?;
        }
        let size = (next() % (2 * mean).max(1)) as usize;
        buffer.clear();
        while buffer.len() < size {
            buffer.extend_from_slice(&next().to_le_bytes());
        }
        buffer.truncate(size);
        write(&dir.join(format!("f{:03}", index % 100)), &buffer)?;
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::File::create(path)
        .and_then(|mut file| file.write_all(bytes))
        .map_err(|err| Error::io("write", path, err))
}

fn run_quiet(command: &mut Command) -> Result<()> {
    let program = command.get_program().to_string_lossy().into_owned();
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|err| Error::io("run", &program, err))?;
    if !status.success() {
        return Err(Error::state(format!("benchmark command `{program}` failed: {status}")));
    }
    Ok(())
}

fn expect_fresh(freshness: &Freshness, fresh: bool) -> Result<()> {
    if freshness.is_fresh() != fresh {
        return Err(Error::state(format!(
            "benchmark check came out wrong: {}",
            freshness.line("x")
        )));
    }
    Ok(())
}

#[derive(Default)]
struct Times {
    find: Vec<Duration>,
    noop: Vec<Duration>,
    go_task: Vec<Duration>,
    one_changed: Vec<Duration>,
    one_changed_recorded: Vec<Duration>,
}

fn timed(func: impl FnOnce() -> Result<()>) -> Result<Duration> {
    let start = Instant::now();
    func()?;
    Ok(start.elapsed())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|path| path.is_file())
}

/// Returns freed heap memory to the system and resets this process's peak
/// resident memory to its current size, so the next `VmHWM` covers only what
/// follows. Linux only; elsewhere it does nothing and the peak is not
/// reported.
fn reset_peak_rss() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of glibc's allocator.
    unsafe {
        libc::malloc_trim(0);
    }
    if let Err(err) = std::fs::write("/proc/self/clear_refs", "5") {
        log::debug!("cannot reset the peak RSS: {err}");
    }
}

/// Reads a size line such as `VmHWM:  1234 kB` of `/proc/self/status`.
fn proc_status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kib: u64 = line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Returns the largest peak resident memory of the children waited for.
#[cfg(unix)]
fn children_peak_rss() -> Option<u64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a rusage into the buffer, which has the size
    // and alignment of one.
    let status = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) };
    if status != 0 {
        return None;
    }
    // SAFETY: getrusage succeeded, so it filled the struct.
    let usage = unsafe { usage.assume_init() };
    // ru_maxrss is in KiB on Linux.
    u64::try_from(usage.ru_maxrss).ok().map(|kib| kib * 1024)
}

#[cfg(not(unix))]
fn children_peak_rss() -> Option<u64> {
    None
}
