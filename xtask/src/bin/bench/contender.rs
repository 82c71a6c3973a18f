//! `Contender`: one command line that a benchmark times, and one timed run.
//!
//! A run spawns the command with stdin and stdout on `/dev/null` and stderr
//! in a log file, then reaps it with wait4(2), which returns the child's
//! resource usage with its exit status. The wall time runs from just before
//! the spawn to the return of wait4, so it includes exec and the dynamic
//! loader, as a shell's `time` would. A run that exits unsuccessfully is an
//! error carrying the end of the log, so a broken contender never yields
//! figures. The CPU time is the user and system time that wait4 returns,
//! which covers the child and every descendant it waited for, so a runner's
//! CPU time includes its tasks' commands.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// One timed run of a contender.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Wall time from spawn to exit.
    pub wall: Duration,
    /// User plus system CPU time of the child and its waited-for descendants.
    pub cpu: Duration,
    /// Peak resident set size of the child, in KiB (`ru_maxrss` on Linux).
    pub max_rss_kib: u64,
}

/// A command a benchmark runs and times.
pub struct Contender {
    /// The label in the tables.
    pub name: String,
    program: PathBuf,
    args: Vec<OsString>,
    dir: PathBuf,
    log: PathBuf,
}

impl Contender {
    /// Creates a contender that runs `program` with `args` in `dir`. Its
    /// stderr goes to `<dir>/<slug of name>.log`.
    pub fn new<I, S>(name: &str, program: impl AsRef<Path>, args: I, dir: &Path) -> Contender
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let slug: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        Contender {
            name: name.to_string(),
            program: program.as_ref().to_owned(),
            args: args.into_iter().map(Into::into).collect(),
            dir: dir.to_owned(),
            log: dir.join(format!("{slug}.log")),
        }
    }

    /// Moves the stderr log to `dir`, for a contender that runs in a directory
    /// the bench must not write to, such as the repository root.
    pub fn log_in(mut self, dir: &Path) -> Contender {
        if let Some(name) = self.log.file_name() {
            self.log = dir.join(name);
        }
        self
    }

    /// Returns the command line, quoted for a POSIX shell, for the report.
    pub fn command_line(&self) -> String {
        let mut words = vec![shell_quote(&self.program.to_string_lossy())];
        words.extend(self.args.iter().map(|arg| shell_quote(&arg.to_string_lossy())));
        words.join(" ")
    }

    /// Runs the command once and returns its sample.
    pub fn run(&self) -> Result<Sample, String> {
        self.run_with_args(&[])
    }

    /// Runs the command once with `extra` appended to its arguments and returns
    /// its sample, for a verification run such as `--status`.
    pub fn run_with_args(&self, extra: &[&str]) -> Result<Sample, String> {
        let log = File::create(&self.log)
            .map_err(|err| format!("failed to create `{}`: {err}", self.log.display()))?;
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .args(extra)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);

        let (sample, status) = spawn_and_reap(&mut command)
            .map_err(|err| format!("failed to run `{}`: {err}", self.command_line()))?;
        if status.success() {
            return Ok(sample);
        }
        let output = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = output.lines().rev().take(10).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!(
            "`{}` {status} in `{}`; the end of its stderr:\n{}",
            self.command_line(),
            self.dir.display(),
            tail.join("\n")
        ))
    }
}

/// Quotes `word` in single quotes unless it consists of characters that a
/// POSIX shell takes literally.
fn shell_quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// Spawns `command`, waits for it with wait4(2) and returns its sample and
/// exit status.
pub fn spawn_and_reap(command: &mut Command) -> io::Result<(Sample, ExitStatus)> {
    let started = Instant::now();
    let child = command.spawn()?;
    let pid = child.id() as libc::pid_t;

    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is a plain C struct for which all-zero bytes are valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers point to live, writable locals of the right type.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let wall = started.elapsed();

    // wait4 reaped the child, so the `Child` handle must not wait again; dropping
    // it only closes its pipes, and this command has none.
    drop(child);
    let max_rss_kib = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    let cpu = duration_of(usage.ru_utime) + duration_of(usage.ru_stime);
    Ok((Sample { wall, cpu, max_rss_kib }, ExitStatus::from_raw(status)))
}

/// Converts a `timeval` from rusage to a duration; a negative field counts as zero.
pub fn duration_of(time: libc::timeval) -> Duration {
    let seconds = u64::try_from(time.tv_sec).unwrap_or(0);
    let micros = u32::try_from(time.tv_usec).unwrap_or(0);
    Duration::from_secs(seconds) + Duration::from_micros(u64::from(micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("bench-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn run_reports_wall_time_and_rss() {
        let dir = temp_dir("contender-ok");
        let contender = Contender::new("sleep", "/bin/sh", ["-c", "sleep 0.05"], &dir);
        let sample = contender.run().unwrap();
        assert!(sample.wall >= Duration::from_millis(50), "{:?}", sample.wall);
        assert!(sample.cpu < sample.wall, "{:?} of {:?}", sample.cpu, sample.wall);
        assert!(sample.max_rss_kib > 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn cpu_time_includes_grandchildren() {
        let dir = temp_dir("contender-cpu");
        let script = "sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'";
        let contender = Contender::new("busy", "/bin/sh", ["-c", script], &dir);
        let sample = contender.run().unwrap();
        assert!(sample.cpu >= Duration::from_millis(20), "{:?}", sample.cpu);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn failed_run_is_error_with_stderr() {
        let dir = temp_dir("contender-fail");
        let contender = Contender::new("fails", "/bin/sh", ["-c", "echo broken >&2; exit 3"], &dir);
        let err = contender.run().unwrap_err();
        assert!(err.contains("exit status: 3"), "{err}");
        assert!(err.ends_with("\nbroken"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn extra_args_are_appended() {
        let dir = temp_dir("contender-args");
        let contender = Contender::new("args", "/bin/sh", ["-c", "test \"$0\" = extra"], &dir);
        assert!(contender.run().is_err());
        assert!(contender.run_with_args(&["extra"]).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn log_in_moves_the_log() {
        let dir = temp_dir("contender-log-run");
        let logs = temp_dir("contender-log-dir");
        let contender =
            Contender::new("log me", "/bin/sh", ["-c", "echo hi >&2"], &dir).log_in(&logs);
        contender.run().unwrap();
        assert_eq!(std::fs::read_to_string(logs.join("log-me.log")).unwrap(), "hi\n");
        assert!(!dir.join("log-me.log").exists());
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&logs).unwrap();
    }

    #[test]
    fn command_line_quotes_special_words() {
        let dir = Path::new("/tmp");
        let contender =
            Contender::new("find", "find", ["tree", "-printf", "%s %T@\\n", "it's"], dir);
        assert_eq!(contender.command_line(), r"find tree -printf '%s %T@\n' 'it'\''s'");
    }

    #[test]
    fn missing_program_is_error() {
        let dir = temp_dir("contender-missing");
        let contender = Contender::new("missing", dir.join("no-such-program"), ["x"], &dir);
        let err = contender.run().unwrap_err();
        assert!(err.starts_with("failed to run `"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
