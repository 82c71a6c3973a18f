//! The state directory: recorded runs, the stat cache and the lock.
//!
//! Layout, by default `.runner/` at the project root:
//!
//! | path | contents |
//! |---|---|
//! | `lock` | empty; locked with `flock` by a runner that may write |
//! | `stat-cache` | the shared [`StatCache`] |
//! | `tasks/NAME` | the record of the last successful run of task NAME |
//! | `tasks/NAME.started` | empty; a run of NAME started and was not recorded |
//!
//! NAME is the task name with every byte other than ASCII letters, digits,
//! `-` and `_` written as `%XX`, so names with `:` or `/` stay one file and
//! cannot collide with the `.started` suffix.
//!
//! Lock protocol: a store opened for writing takes an exclusive lock on
//! `lock` and holds it until it is dropped, so one run at a time writes state
//! and runs tasks of a project. A second runner blocks in [`Store::open`] (it
//! logs that it waits) and then sees the first one's results. The lock is a
//! `flock` on an open file, which the kernel releases when the process exits
//! however it exits, so a crash never leaves the project locked. A store
//! opened read-only takes no lock, creates nothing and writes nothing; it can
//! read while a writer runs, since every file is replaced whole by a rename.
//!
//! NOTE: a task that starts another runner on the same project (a step
//! running `cargo xtask build`) waits forever, since its own runner holds the
//! lock until the task ends. The waiting runner logs that it waits, so the
//! hang is visible.
//!
//! A record is written only after its task succeeded. Before a dirty task
//! runs, its `.started` marker is created, and writing the record removes it.
//! A run that fails, is interrupted or crashes leaves the marker behind, so the
//! task is not fresh next time even if its inputs match the older record.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::codec::{Decoder, Encoder};
use crate::fingerprint::{Fingerprint, Inputs, STATE_VERSION};
use crate::stat_cache::{FileStat, StatCache};
use crate::{Error, Result, fs};

const RECORD_MAGIC: &[u8; 8] = b"RNTASK\0\n";
const STARTED_SUFFIX: &str = ".started";

/// The last successful run of a task, as it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    pub(crate) fingerprint: Fingerprint,
    pub(crate) inputs: &'a Inputs,
    /// Each output file's key and its metadata right after the run.
    pub(crate) outputs: Vec<(String, FileStat)>,
}

/// A record as loaded, with its inputs still encoded: a fresh task needs only
/// the fingerprint and the outputs, and decoding the inputs of a task with
/// many sources costs a string per source.
#[derive(Debug)]
pub(crate) struct LoadedRecord {
    pub(crate) fingerprint: Fingerprint,
    pub(crate) outputs: Vec<(String, FileStat)>,
    bytes: Vec<u8>,
    inputs_start: usize,
}

impl LoadedRecord {
    /// Decodes the recorded inputs; `None` if they are corrupt.
    pub(crate) fn inputs(&self) -> Option<Inputs> {
        let mut decoder = Decoder::new(&self.bytes[self.inputs_start..]);
        let inputs = Inputs::decode(&mut decoder)?;
        decoder.is_empty().then_some(inputs)
    }
}

/// The stored state of one task.
#[derive(Debug)]
pub(crate) enum Loaded {
    Missing,
    /// A record written by another format version.
    OtherVersion,
    Found(LoadedRecord),
}

/// The state directory of one project, open for one run.
pub(crate) struct Store {
    dir: PathBuf,
    writable: bool,
    /// The locked file; the lock is released when it closes.
    _lock: Option<File>,
}

impl Store {
    /// Opens the state directory. With `write`, creates it when missing and
    /// waits for the exclusive lock; without, touches nothing.
    pub(crate) fn open(dir: &Path, write: bool) -> Result<Store> {
        if !write {
            return Ok(Store { dir: dir.to_path_buf(), writable: false, _lock: None });
        }

        fs::create_dir_all(&dir.join("tasks"))?;
        let lock_path = dir.join("lock");
        let lock = fs::open_or_create(&lock_path)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                log::warn!(
                    "waiting for another runner to finish: `{}` is locked",
                    lock_path.display()
                );
                lock.lock().map_err(|err| Error::io("lock", &lock_path, err))?;
            }
            Err(std::fs::TryLockError::Error(err)) => {
                return Err(Error::io("lock", &lock_path, err));
            }
        }
        log::debug!("locked `{}`", lock_path.display());

        let store = Store { dir: dir.to_path_buf(), writable: true, _lock: Some(lock) };
        store.remove_temp_files()?;
        Ok(store)
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn is_writable(&self) -> bool {
        self.writable
    }

    /// Removes temporary files that an interrupted write left behind. Only a
    /// store holding the lock calls this, so no write is in progress.
    fn remove_temp_files(&self) -> Result<()> {
        for dir in [self.dir.clone(), self.dir.join("tasks")] {
            for path in fs::list_dir_if_exists(&dir)? {
                let name = path.file_name().map(|name| name.to_string_lossy()).unwrap_or_default();
                if name.starts_with('.') && name.ends_with(fs::TEMP_SUFFIX) {
                    log::debug!("removing leftover temporary file `{}`", path.display());
                    fs::remove_file_if_exists(&path)?;
                }
            }
        }
        Ok(())
    }

    fn record_path(&self, task: &str) -> PathBuf {
        self.dir.join("tasks").join(encode_name(task))
    }

    fn started_path(&self, task: &str) -> PathBuf {
        self.dir.join("tasks").join(format!("{}{STARTED_SUFFIX}", encode_name(task)))
    }

    pub(crate) fn stat_cache_path(&self) -> PathBuf {
        self.dir.join("stat-cache")
    }

    /// Loads the record of `task`. A corrupt record counts as missing.
    pub(crate) fn load(&self, task: &str) -> Result<Loaded> {
        let path = self.record_path(task);
        let Some(bytes) = fs::read_if_exists(&path)? else {
            return Ok(Loaded::Missing);
        };
        Ok(decode_record(bytes).unwrap_or_else(|| {
            log::debug!("ignoring unreadable record `{}`", path.display());
            Loaded::Missing
        }))
    }

    /// Returns whether a run of `task` started and was never recorded.
    pub(crate) fn was_started(&self, task: &str) -> bool {
        self.started_path(task).exists()
    }

    /// Marks that a run of `task` is about to start.
    pub(crate) fn mark_started(&self, task: &str) -> Result<()> {
        self.ensure_writable()?;
        let path = self.started_path(task);
        File::create(&path).map(drop).map_err(|err| Error::io("create", &path, err))
    }

    /// Writes the record of a successful run and removes the started marker.
    pub(crate) fn save(&self, task: &str, record: &Record<'_>) -> Result<()> {
        self.ensure_writable()?;
        fs::write_atomic(&self.record_path(task), &encode_record(record))?;
        fs::remove_file_if_exists(&self.started_path(task))
    }

    pub(crate) fn save_stat_cache(&self, cache: &StatCache) -> Result<()> {
        self.ensure_writable()?;
        fs::write_atomic(&self.stat_cache_path(), &cache.encode())
    }

    /// Forgets the record of `task`, or all records and the stat cache.
    pub(crate) fn clean(&self, task: Option<&str>) -> Result<()> {
        self.ensure_writable()?;
        match task {
            Some(task) => {
                fs::remove_file_if_exists(&self.record_path(task))?;
                fs::remove_file_if_exists(&self.started_path(task))
            }
            None => {
                fs::remove_dir_all_if_exists(&self.dir.join("tasks"))?;
                fs::remove_file_if_exists(&self.stat_cache_path())?;
                fs::create_dir_all(&self.dir.join("tasks"))
            }
        }
    }

    fn ensure_writable(&self) -> Result<()> {
        if self.writable {
            return Ok(());
        }
        let err = io::Error::new(io::ErrorKind::PermissionDenied, "the state was opened read-only");
        Err(Error::io("write", &self.dir, err))
    }
}

/// Encodes a task name as a file name.
fn encode_name(task: &str) -> String {
    let mut name = String::with_capacity(task.len());
    for byte in task.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            name.push(byte as char);
        } else {
            name.push_str(&format!("%{byte:02X}"));
        }
    }
    name
}

fn encode_record(record: &Record<'_>) -> Vec<u8> {
    let capacity = 128 + record.inputs.sources.len() * 80 + record.outputs.len() * 80;
    let mut encoder = Encoder::with_capacity(capacity);
    encoder.raw(RECORD_MAGIC);
    encoder.u32(STATE_VERSION);
    encoder.raw(&record.fingerprint.0);
    encoder.u64(record.outputs.len() as u64);
    for (key, stat) in &record.outputs {
        encoder.str(key);
        stat.encode(&mut encoder);
    }
    record.inputs.encode(&mut encoder);
    encoder.finish()
}

fn decode_record(bytes: Vec<u8>) -> Option<Loaded> {
    let mut decoder = Decoder::new(&bytes);
    if decoder.raw(RECORD_MAGIC.len())? != RECORD_MAGIC {
        return None;
    }
    if decoder.u32()? != STATE_VERSION {
        return Some(Loaded::OtherVersion);
    }

    let fingerprint = Fingerprint(decoder.array()?);
    let count = decoder.count(4 + FileStat::ENCODED_LEN)?;
    let mut outputs = Vec::with_capacity(count);
    for _ in 0..count {
        let key = decoder.str()?.to_string();
        outputs.push((key, FileStat::decode(&mut decoder)?));
    }
    let inputs_start = bytes.len() - decoder.remaining();

    Some(Loaded::Found(LoadedRecord { fingerprint, outputs, bytes, inputs_start }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trip_keeps_inputs() {
        let inputs = Inputs {
            commands: blake3::hash(b"cmd"),
            programs: vec![("cc".into(), blake3::hash(b"/usr/bin/cc"))],
            env: vec![("FOO".into(), blake3::hash(b"1"))],
            dir: "sub".into(),
            generates: blake3::hash(b"out/"),
            deps: vec![("gen".into(), Some(Fingerprint([3; 32]))), ("lint".into(), None)],
            sources: vec![("src/lib.rs".into(), blake3::hash(b"lib"))],
        };
        let stat = FileStat { size: 1, mtime_ns: 2, ino: 3, ctime_ns: 4 };
        let record = Record {
            fingerprint: inputs.fingerprint(),
            inputs: &inputs,
            outputs: vec![("out/a".into(), stat)],
        };

        let Some(Loaded::Found(loaded)) = decode_record(encode_record(&record)) else {
            panic!("record does not decode");
        };

        assert_eq!(loaded.fingerprint, record.fingerprint);
        assert_eq!(loaded.outputs, record.outputs);
        assert_eq!(loaded.inputs(), Some(inputs));
    }

    #[test]
    fn names_encode_to_safe_file_names() {
        assert_eq!(encode_name("build"), "build");
        assert_eq!(encode_name("lib:build"), "lib%3Abuild");
        assert_eq!(encode_name("../x.started"), "%2E%2E%2Fx%2Estarted");
    }
}
