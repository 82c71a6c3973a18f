//! Whether a Taskfile task is up to date: `status:`, and `sources:` with
//! `method: checksum`, `timestamp` or `none`, as in go-task 3.54.
//!
//! | method | up to date when | state |
//! |---|---|---|
//! | checksum | every `generates` pattern matches a file, and the BLAKE3 digests of the sources (base name and content of each file, sorted) and of the generated files equal the recorded ones | `.task/checksum/NAME` |
//! | timestamp | every `generates` pattern matches a file, and no source is newer than the newest generated file or the marker | `.task/timestamp/NAME`, touched |
//! | none | never, through sources | none |
//!
//! `status:` commands must all exit 0; with both `status:` and `sources:`
//! both must agree. A task with neither is never up to date.
//!
//! Two differences from go-task are deliberate. State is recorded only after
//! the task succeeded, where go-task writes the checksum before the commands
//! run and the timestamp marker on every check. And the checksum also covers
//! the generated files, so editing an output makes the task run again.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::compile::Compiled;
use super::glob;

/// Returns the state directory of a project: `.task` next to the root
/// Taskfile.
pub(crate) fn state_dir(root: &Path) -> PathBuf {
    root.join(".task")
}

/// Replaces every character that is not ASCII alphanumeric with `-`, which
/// is how go-task names its state files (`lib:build` is `lib-build`).
pub(crate) fn state_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect()
}

/// The result of a sources check, reused to record state after a run.
#[derive(Debug, Default)]
pub(crate) struct SourceCheck {
    pub(crate) up_to_date: bool,
    /// The digest of the sources as they were before the run.
    pub(crate) sources_digest: String,
}

/// Checks `sources:` and `generates:` by the task's method.
pub(crate) fn check_sources(task: &Compiled, root: &Path, label_file: &str) -> SourceCheck {
    let sources = glob::expand(&task.dir, &task.sources);
    let sources_digest = digest(&sources, None);
    let up_to_date = match task.method.as_str() {
        "none" => false,
        "timestamp" => timestamp_fresh(task, root, &sources),
        _ => checksum_fresh(task, root, label_file, &sources_digest),
    };
    log::debug!("task `{}`: sources up to date: {up_to_date}", task.name);
    SourceCheck { up_to_date, sources_digest }
}

fn generates_present(task: &Compiled) -> Option<Vec<PathBuf>> {
    let mut all = Vec::new();
    for (pattern, exclude) in &task.generates {
        if *exclude {
            continue;
        }
        let matched = glob::matches(&task.dir, pattern);
        if matched.is_empty() {
            return None;
        }
        all.extend(matched);
    }
    Some(glob::expand(&task.dir, &task.generates).into_iter().chain(all).collect())
}

fn digest(files: &[PathBuf], base_dir: Option<&Path>) -> String {
    let mut hasher = blake3::Hasher::new();
    let mut files = files.to_vec();
    files.sort();
    files.dedup();
    for file in &files {
        let name = match base_dir {
            Some(base) => file.strip_prefix(base).unwrap_or(file).to_string_lossy().into_owned(),
            None => file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        };
        hasher.update(name.as_bytes());
        hasher.update(b"\0");
        match std::fs::read(file) {
            Ok(content) => {
                hasher.update(&(content.len() as u64).to_le_bytes());
                hasher.update(&content);
            }
            Err(_) => {
                hasher.update(b"unreadable");
            }
        }
    }
    hasher.finalize().to_hex().to_string()
}

/// Computes `{{.CHECKSUM}}`: the hex digest of the sources, cut to the 32
/// digits of go-task's XXH3-128 so it has the same shape.
pub(crate) fn checksum_var(dir: &Path, sources: &[(String, bool)]) -> String {
    let files = glob::expand(dir, sources);
    let mut digest = digest(&files, None);
    digest.truncate(32);
    digest
}

/// Computes `{{.TIMESTAMP}}`: the newest source mtime in the format of Go's
/// `time.Time.String`, always in UTC.
// NOTE: go-task prints the local time zone; this prints UTC whatever `TZ` is.
pub(crate) fn timestamp_var(dir: &Path, sources: &[(String, bool)]) -> String {
    let files = glob::expand(dir, sources);
    let newest = files.iter().filter_map(|f| mtime(f)).max().unwrap_or(SystemTime::UNIX_EPOCH);
    let since = newest.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    go_time_utc(since.as_secs() as i64, since.subsec_nanos())
}

/// Formats a Unix time like Go's `time.Time.String` in UTC:
/// `2006-01-02 15:04:05.999999999 +0000 UTC`, fraction trimmed.
fn go_time_utc(seconds: i64, nanos: u32) -> String {
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let (hour, minute, second) =
        (second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
    let mut fraction = String::new();
    if nanos > 0 {
        fraction = format!(".{nanos:09}").trim_end_matches('0').to_string();
    }
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}{fraction} +0000 UTC")
}

fn checksum_path(root: &Path, label_file: &str) -> PathBuf {
    state_dir(root).join("checksum").join(state_name(label_file))
}

fn checksum_fresh(task: &Compiled, root: &Path, label_file: &str, sources_digest: &str) -> bool {
    let Some(generated) = generates_present(task) else { return false };
    let Ok(recorded) = std::fs::read_to_string(checksum_path(root, label_file)) else {
        return false;
    };
    let expected = format!("{sources_digest}\n{}\n", digest(&generated, Some(&task.dir)));
    recorded == expected
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn timestamp_path(root: &Path, name: &str) -> PathBuf {
    state_dir(root).join("timestamp").join(state_name(name))
}

fn timestamp_fresh(task: &Compiled, root: &Path, sources: &[PathBuf]) -> bool {
    let Some(generated) = generates_present(task) else { return false };
    let marker = mtime(&timestamp_path(root, &task.name));
    let newest_output = generated.iter().filter_map(|g| mtime(g)).chain(marker).max();
    let Some(newest_output) = newest_output else { return false };
    let newest_source = sources.iter().filter_map(|s| mtime(s)).max();
    match newest_source {
        Some(source) => source <= newest_output,
        None => true,
    }
}

/// Records a successful run so the next check can find the task up to date.
pub(crate) fn record(task: &Compiled, root: &Path, label_file: &str, check: &SourceCheck) {
    let result = match task.method.as_str() {
        "none" => Ok(()),
        "timestamp" => {
            let path = timestamp_path(root, &task.name);
            write_atomic(&path, b"")
        }
        _ => {
            let generated = glob::expand(&task.dir, &task.generates);
            let generated_digest = digest(&generated, Some(&task.dir));
            let text = format!("{}\n{generated_digest}\n", check.sources_digest);
            write_atomic(&checksum_path(root, label_file), text.as_bytes())
        }
    };
    if let Err(error) = result {
        log::debug!("task `{}`: failed to record state: {error}", task.name);
    }
}

fn write_atomic(path: &Path, content: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temp, content)?;
    std::fs::rename(&temp, path)
}

/// Forgets the recorded checksum, so a failed run is retried.
pub(crate) fn forget(task: &Compiled, root: &Path, label_file: &str) {
    if task.method == "checksum" {
        let _ = std::fs::remove_file(checksum_path(root, label_file));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_time_formats_like_go() {
        assert_eq!(go_time_utc(1_787_319_113, 0), "2026-08-21 13:31:53 +0000 UTC");
        assert_eq!(go_time_utc(0, 500_000_000), "1970-01-01 00:00:00.5 +0000 UTC");
        assert_eq!(go_time_utc(951_782_400, 0), "2000-02-29 00:00:00 +0000 UTC");
    }

    #[test]
    fn state_name_replaces_punctuation() {
        assert_eq!(state_name("lib:build"), "lib-build");
        assert_eq!(state_name("a.b/c"), "a-b-c");
    }
}
