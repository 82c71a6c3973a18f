//! The freshness benchmark: deciding that nothing changed in 20,000 files.
//!
//! A generated tree of 20,000 files in 200 directories, about 128 MiB in all,
//! is the source set of one task (`sources(["tree/**/*"])`). Contenders: a
//! second runner invocation of that task, `find tree -printf '%s %T@\n'` (the
//! floor: one stat per file and nothing else), and go-task's default
//! `checksum` method over the same tree, which reads every file. Each tool
//! runs the task once before timing, so every timed run is a no-op. Then, in
//! a second set of rounds, one file is rewritten before each round (same
//! size, new content and mtime), so each tool finds exactly one changed file
//! and runs the task's `/bin/true`.
//!
//! The tree is kept between runs in `target/bench/work/freshness/tree` and
//! regenerated when its marker file is missing or describes another layout.
//! Quick mode uses 2,000 files in 20 directories, in `target/bench/work-quick`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Bench;
use crate::contender::Contender;
use crate::report::Section;
use crate::rounds;
use crate::scheduler::write_file;

/// The directories of the full tree; quick mode uses `QUICK_DIRS`.
const DIRS: usize = 200;
const QUICK_DIRS: usize = 20;
const FILES_PER_DIR: usize = 100;
/// The size of the smallest file. Sizes spread evenly up to `MIN_SIZE +
/// SIZE_SPREAD`, so the mean is about 6.7 KB and the tree about 128 MiB.
const MIN_SIZE: usize = 1_024;
const SIZE_SPREAD: usize = 11_374;

const RUNNER: &str = "runner";
const FIND: &str = "find -printf";
const GO_TASK: &str = "go-task";
const RUNNER_CHANGED: &str = "runner, one file changed";
const FIND_CHANGED: &str = "find -printf, one file changed";
const GO_TASK_CHANGED: &str = "go-task, one file changed";

/// Runs the benchmark and returns its section.
pub fn run(bench: &Bench) -> Result<Section, String> {
    let dir = bench.work_dir("freshness")?;
    let dirs = bench.size(DIRS, QUICK_DIRS);
    let bytes = ensure_tree(&dir, dirs)?;
    let files = dirs * FILES_PER_DIR;
    let mut section = Section::new(
        &format!("Freshness: a no-op check over {files} files"),
        &format!(
            "Wall time of an invocation that finds its task fresh, with every file of a \
             {files}-file tree of {:.1} MiB as its sources, against one `find` walk of the \
             tree and go-task's checksum method. The second set of rows changes one file \
             before each round. Targets: the runner within 1.3x of `find` and at least 4x \
             faster than go-task. Before timing, each tool runs the task once, and the bench \
             checks with `--status` that the tool then finds it fresh.",
            bytes as f64 / (1024.0 * 1024.0)
        ),
    );

    let dir_arg = dir.to_string_lossy().into_owned();
    let runner_args = ["__runner", "freshness", dir_arg.as_str(), "-j2", "check"];
    let find_args = ["tree", "-printf", "%s %T@\\n"];
    let mut unchanged = vec![
        Contender::new(RUNNER, &bench.exe, runner_args, &dir),
        Contender::new(FIND, "find", find_args, &dir),
    ];
    let mut changed = vec![
        Contender::new(RUNNER_CHANGED, &bench.exe, runner_args, &dir),
        Contender::new(FIND_CHANGED, "find", find_args, &dir),
    ];
    match bench.peers.go_task() {
        Ok(go_task) => {
            write_file(&dir.join("Taskfile.yml"), TASKFILE)?;
            unchanged.push(Contender::new(GO_TASK, &go_task.path, ["check"], &dir));
            changed.push(Contender::new(GO_TASK_CHANGED, &go_task.path, ["check"], &dir));
        }
        Err(reason) => section.notes.push(format!("go-task is missing: {reason}")),
    }

    // Each tool runs once to record its state, then must call the task fresh.
    for contender in &unchanged {
        contender.run()?;
    }
    let runner_fresh = unchanged[0].run_with_args(&["--status"]).is_ok();
    if let Some(go_task) = unchanged.iter().find(|contender| contender.name == GO_TASK) {
        go_task.run_with_args(&["--status"]).map_err(|err| {
            format!("go-task did not find `check` up to date after running it: {err}")
        })?;
    }
    if !runner_fresh {
        section.notes.push(
            "The runner did not find `check` fresh after running it (`--status` exited \
             unsuccessfully), so its rows time a run, not a no-op check; the targets are not \
             measured."
                .to_string(),
        );
    }

    let samples = rounds::interleave(&unchanged, bench.warmup(2), bench.rounds(15), |_| Ok(()))?;
    section.add_samples(&unchanged, &samples);

    // The tree outlives the run, so each rewrite's content comes from a
    // version this run has not written before: the run's start time plus
    // the round. A runner that checks content must see it as new.
    let tree = dir.join("tree");
    let first_version = run_nonce();
    rewrite_file(&tree, files, 0, first_version)?;
    if runner_fresh && unchanged[0].run_with_args(&["--status"]).is_ok() {
        return Err(format!(
            "the runner found `check` fresh after a file of `{}` changed",
            tree.display()
        ));
    }
    let samples = rounds::interleave(&changed, bench.warmup(1), bench.rounds(11), |round| {
        rewrite_file(&tree, files, round + 1, first_version)
    })?;
    section.add_samples(&changed, &samples);
    section.add_ratios(&[RUNNER], &[FIND, GO_TASK]);
    section.add_ratios(&[RUNNER_CHANGED], &[FIND_CHANGED, GO_TASK_CHANGED]);

    if runner_fresh {
        section.within(RUNNER, FIND, 1.3);
        section.faster(RUNNER, GO_TASK, 4.0);
        section.within(RUNNER_CHANGED, FIND_CHANGED, 1.3);
        section.faster(RUNNER_CHANGED, GO_TASK_CHANGED, 4.0);
    } else {
        let reason = "the runner's task never became fresh";
        section.skip(&format!("{RUNNER} within 1.3x of {FIND}"), reason);
        section.skip(&format!("{RUNNER} at least 4x faster than {GO_TASK}"), reason);
    }
    section.notes.push(
        "Each changed round rewrites one file before the round, so every contender in the \
         round sees that one change; the runner and go-task then run the task's `/bin/true`."
            .to_string(),
    );

    in_process(bench, &mut section)?;
    Ok(section)
}

/// Adds the library's own freshness measurements (`runner::bench::freshness`):
/// the check alone, inside one process, on a tree of the same size that the
/// library generates in a temporary directory.
fn in_process(bench: &Bench, section: &mut Section) -> Result<(), String> {
    let files = bench.size(DIRS, QUICK_DIRS) * FILES_PER_DIR;
    let options = runner::bench::FreshnessOptions {
        files,
        total_bytes: (0..files).map(|index| file_size(index) as u64).sum(),
        runs: bench.rounds(15),
        go_task: bench.peers.go_task().ok().map(|peer| peer.path.clone()),
    };
    let report = runner::bench::freshness(&options)
        .map_err(|err| format!("the in-process freshness benchmark failed: {err}"))?;

    let ms = |duration: std::time::Duration| crate::report::millis(duration);
    section.notes.push(format!(
        "In process (`runner::bench::freshness`, {} files, {:.1} MB, median of {} rounds): \
         `find -printf` {}, no-op check {}, check after one file changed {}, check and record \
         after one file changed {}.",
        report.files,
        report.total_bytes as f64 / 1e6,
        report.runs,
        ms(report.find),
        ms(report.noop),
        ms(report.one_changed),
        ms(report.one_changed_recorded),
    ));
    section.within_medians(
        "no-op check within 1.3x of find, in process",
        report.noop,
        report.find,
        1.3,
    );
    match report.go_task {
        Some(go_task) => {
            section.notes.push(format!("go-task `--status` on that tree: {}.", ms(go_task)));
            section.faster_medians(
                "no-op check at least 4x faster than go-task `--status`, in process",
                report.noop,
                go_task,
                4.0,
            );
        }
        None => section.skip(
            "no-op check at least 4x faster than go-task, in process",
            "go-task was not found",
        ),
    }
    section.within_medians(
        "check after one file changed within 1.3x of find, in process",
        report.one_changed,
        report.find,
        1.3,
    );

    let megabytes = |bytes: u64| format!("{:.1} MB", bytes as f64 / 1e6);
    if let (Some(peak), Some(baseline)) = (report.noop_peak_rss, report.baseline_rss) {
        section.notes.push(format!(
            "Peak RSS of the in-process no-op checks: {} ({} before them).",
            megabytes(peak),
            megabytes(baseline)
        ));
    }
    // N.B. the library's go-task peak RSS is the maximum over every child this
    // process has waited for, earlier benchmarks included, so it is not shown.
    // The go-task rows above have each run's own peak.
    Ok(())
}

/// The go-task project: one task over the same tree, with the default
/// `checksum` method.
const TASKFILE: &str = "\
version: '3'

tasks:
  check:
    sources:
      - tree/**/*
    cmds:
      - /bin/true
";

/// Generates the tree of `dirs` directories below `dir` unless its marker
/// matches, and returns the tree's size in bytes.
fn ensure_tree(dir: &Path, dirs: usize) -> Result<u64, String> {
    let tree = dir.join("tree");
    let marker = dir.join("tree.done");
    let files = dirs * FILES_PER_DIR;
    let layout = format!("{dirs} {FILES_PER_DIR} {MIN_SIZE} {SIZE_SPREAD}\n");
    let expected_bytes: u64 = (0..files).map(|index| file_size(index) as u64).sum();
    if std::fs::read_to_string(&marker).is_ok_and(|text| text == layout) {
        return Ok(expected_bytes);
    }

    eprintln!("bench: generating {files} files in `{}`", tree.display());
    if tree.exists() {
        std::fs::remove_dir_all(&tree)
            .map_err(|err| format!("failed to remove `{}`: {err}", tree.display()))?;
    }
    for index in 0..files {
        let path = file_path(&tree, index);
        if index % FILES_PER_DIR == 0 {
            let parent = path.parent().unwrap_or(&tree);
            std::fs::create_dir_all(parent)
                .map_err(|err| format!("failed to create `{}`: {err}", parent.display()))?;
        }
        write_bytes(&path, &content(index, 0))?;
    }
    write_file(&marker, &layout)?;
    Ok(expected_bytes)
}

/// Rewrites the file chosen by `round`, of `files`, with the same size and
/// the content of version `first_version + round`.
fn rewrite_file(tree: &Path, files: usize, round: usize, first_version: u64) -> Result<(), String> {
    let index = (round * 7_919) % files;
    let version = first_version.wrapping_add(round as u64);
    write_bytes(&file_path(tree, index), &content(index, version))
}

/// Returns a number that differs from run to run: the nanoseconds since the
/// Unix epoch. Version 0 is the generated tree's, so the result is never 0.
fn run_nonce() -> u64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    (since.as_nanos() as u64).max(1)
}

fn file_path(tree: &Path, index: usize) -> PathBuf {
    tree.join(format!("d{:03}", index / FILES_PER_DIR))
        .join(format!("f{:03}.dat", index % FILES_PER_DIR))
}

fn file_size(index: usize) -> usize {
    MIN_SIZE + (index.wrapping_mul(2_654_435_761)) % SIZE_SPREAD
}

/// Returns the bytes of file `index` in `version`, from an xorshift64 stream
/// seeded by both, so every file and every rewrite differs.
fn content(index: usize, version: u64) -> Vec<u8> {
    let mut state =
        (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ version.rotate_left(32);
    state |= 1;
    let mut bytes = Vec::with_capacity(file_size(index) + 8);
    while bytes.len() < file_size(index) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(file_size(index));
    bytes
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut file = std::fs::File::create(path)
        .map_err(|err| format!("failed to create `{}`: {err}", path.display()))?;
    file.write_all(bytes).map_err(|err| format!("failed to write `{}`: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_is_about_128_mib() {
        let bytes: usize = (0..DIRS * FILES_PER_DIR).map(file_size).sum();
        let mib = bytes as f64 / (1024.0 * 1024.0);
        assert!((120.0..136.0).contains(&mib), "{mib} MiB");
    }

    #[test]
    fn rewrite_keeps_size_and_changes_bytes() {
        let before = content(42, 0);
        let after = content(42, 3);
        assert_eq!(before.len(), file_size(42));
        assert_eq!(after.len(), before.len());
        assert_ne!(after, before);
    }

    #[test]
    fn rewrites_differ_between_runs() {
        let dir = std::env::temp_dir().join(format!("bench-rewrite-{}", std::process::id()));
        let tree = dir.join("tree");
        std::fs::create_dir_all(tree.join("d000")).unwrap();
        let path = file_path(&tree, 0);

        rewrite_file(&tree, 1, 0, 5).unwrap();
        let first_run = std::fs::read(&path).unwrap();
        rewrite_file(&tree, 1, 0, 6).unwrap();
        let second_run = std::fs::read(&path).unwrap();
        assert_ne!(first_run, second_run);
        assert_eq!(first_run.len(), file_size(0));
        assert_ne!(run_nonce(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn file_paths_spread_over_dirs() {
        let tree = Path::new("tree");
        assert_eq!(file_path(tree, 0), Path::new("tree/d000/f000.dat"));
        assert_eq!(file_path(tree, 19_999), Path::new("tree/d199/f099.dat"));
    }
}
