//! Fingerprints: one BLAKE3 hash over everything that decides a task's result.
//!
//! | input | how it enters |
//! |---|---|
//! | steps | each step's kind and data: program, arguments, environment changes and directory of a command; the text of a shell script; the name of a called task; the label of a Rust closure |
//! | programs | for each command (and `sh` for scripts), the path it resolves to on `PATH` with that file's size and mtime, or "not found" |
//! | env | each declared variable's name and a hash of its value (the values themselves are not stored) |
//! | dir | the working directory as declared |
//! | outputs | the `generates` list as declared |
//! | dependencies | each dependency's name and fingerprint |
//! | sources | each matched file's key (relative path with `/`) and content hash, sorted by key |
//! | format | [`STATE_VERSION`] |
//!
//! Not included: the inherited environment, the sandbox mode, and files a
//! program reads that are not declared as sources. A called task's sources
//! are left out too, since the called task has its own fingerprint. The body of
//! a Rust closure cannot be hashed, so change its label when its behaviour
//! changes.
//!
//! The per-input hashes are kept next to the fingerprint in the recorded
//! state, so a mismatch can be explained input by input.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::codec::{Decoder, Encoder};
use crate::sources::MatchedFile;
use crate::stat_cache::{FileStat, StatCache};
use crate::{Error, Result, Step, Task, parallel};

/// The version of the fingerprint and state format. Raising it makes every
/// recorded run stale.
pub(crate) const STATE_VERSION: u32 = 1;

/// The hash of all inputs of one task.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Fingerprint(pub(crate) [u8; 32]);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// The inputs of one task, each hashed on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Inputs {
    pub(crate) commands: blake3::Hash,
    /// Program as written, and the hash of its resolved path, size and mtime.
    pub(crate) programs: Vec<(String, blake3::Hash)>,
    /// Declared variables sorted by name, with the hash of the value.
    pub(crate) env: Vec<(String, blake3::Hash)>,
    pub(crate) dir: String,
    pub(crate) generates: blake3::Hash,
    /// Dependencies sorted by name; `None` for one that has no fingerprint
    /// because it declares no sources.
    pub(crate) deps: Vec<(String, Option<Fingerprint>)>,
    /// Matched source keys, sorted, with their content hashes.
    pub(crate) sources: Vec<(String, blake3::Hash)>,
}

impl Inputs {
    /// Hashes the inputs a task declares, except its sources and dependencies.
    pub(crate) fn declared(task: &Task, root: &Path) -> Inputs {
        let env: BTreeMap<&str, &str> =
            task.get_env().iter().map(|(key, value)| (key.as_str(), value.as_str())).collect();

        let mut generates = blake3::Hasher::new();
        for entry in task.get_generates() {
            put(&mut generates, entry.as_bytes());
        }

        Inputs {
            commands: hash_steps(task.get_steps()),
            programs: program_identities(task, root),
            env: env
                .into_iter()
                .map(|(key, value)| (key.to_string(), blake3::hash(value.as_bytes())))
                .collect(),
            dir: task.get_dir().map(|dir| dir.to_string_lossy().into_owned()).unwrap_or_default(),
            generates: generates.finalize(),
            deps: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// Returns the fingerprint over all inputs and [`STATE_VERSION`].
    pub(crate) fn fingerprint(&self) -> Fingerprint {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"runner fingerprint");
        hasher.update(&STATE_VERSION.to_le_bytes());
        hasher.update(self.commands.as_bytes());
        put_pairs(&mut hasher, b"programs", &self.programs);
        put_pairs(&mut hasher, b"env", &self.env);
        put(&mut hasher, self.dir.as_bytes());
        hasher.update(self.generates.as_bytes());
        put(&mut hasher, b"deps");
        hasher.update(&(self.deps.len() as u64).to_le_bytes());
        for (name, fingerprint) in &self.deps {
            put(&mut hasher, name.as_bytes());
            put(&mut hasher, fingerprint.as_ref().map_or(&[][..], |fp| &fp.0[..]));
        }
        put_pairs(&mut hasher, b"sources", &self.sources);
        Fingerprint(*hasher.finalize().as_bytes())
    }

    pub(crate) fn encode(&self, encoder: &mut Encoder) {
        encoder.raw(self.commands.as_bytes());
        encode_pairs(encoder, &self.programs);
        encode_pairs(encoder, &self.env);
        encoder.str(&self.dir);
        encoder.raw(self.generates.as_bytes());
        encoder.u64(self.deps.len() as u64);
        for (name, fingerprint) in &self.deps {
            encoder.str(name);
            match fingerprint {
                Some(fingerprint) => {
                    encoder.u8(1);
                    encoder.raw(&fingerprint.0);
                }
                None => encoder.u8(0),
            }
        }
        encode_pairs(encoder, &self.sources);
    }

    pub(crate) fn decode(decoder: &mut Decoder) -> Option<Inputs> {
        let commands = blake3::Hash::from_bytes(decoder.array()?);
        let programs = decode_pairs(decoder)?;
        let env = decode_pairs(decoder)?;
        let dir = decoder.str()?.to_string();
        let generates = blake3::Hash::from_bytes(decoder.array()?);
        let count = decoder.count(5)?;
        let mut deps = Vec::with_capacity(count);
        for _ in 0..count {
            let name = decoder.str()?.to_string();
            let fingerprint = match decoder.u8()? {
                0 => None,
                1 => Some(Fingerprint(decoder.array()?)),
                _ => return None,
            };
            deps.push((name, fingerprint));
        }
        let sources = decode_pairs(decoder)?;
        Some(Inputs { commands, programs, env, dir, generates, deps, sources })
    }
}

/// Feeds a length-prefixed byte string, so adjacent fields cannot run into
/// each other.
fn put(hasher: &mut blake3::Hasher, bytes: &[u8]) {
    hasher.update(&(bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

/// Feeds a list of names with hashes. The list is encoded into one buffer
/// first, since many small updates cost far more than one large one.
fn put_pairs(hasher: &mut blake3::Hasher, label: &[u8], pairs: &[(String, blake3::Hash)]) {
    put(hasher, label);
    hasher.update(&(pairs.len() as u64).to_le_bytes());

    let size: usize = pairs.iter().map(|(name, _)| 8 + name.len() + 32).sum();
    let mut buffer = Vec::with_capacity(size);
    for (name, hash) in pairs {
        buffer.extend_from_slice(&(name.len() as u64).to_le_bytes());
        buffer.extend_from_slice(name.as_bytes());
        buffer.extend_from_slice(hash.as_bytes());
    }
    hasher.update(&buffer);
}

fn encode_pairs(encoder: &mut Encoder, pairs: &[(String, blake3::Hash)]) {
    encoder.u64(pairs.len() as u64);
    for (name, hash) in pairs {
        encoder.str(name);
        encoder.raw(hash.as_bytes());
    }
}

fn decode_pairs(decoder: &mut Decoder) -> Option<Vec<(String, blake3::Hash)>> {
    let count = decoder.count(4 + 32)?;
    let mut pairs = Vec::with_capacity(count);
    for _ in 0..count {
        let name = decoder.str()?.to_string();
        pairs.push((name, blake3::Hash::from_bytes(decoder.array()?)));
    }
    Some(pairs)
}

#[cfg(unix)]
fn os_bytes(text: &OsStr) -> Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    Cow::Borrowed(text.as_bytes())
}

#[cfg(not(unix))]
fn os_bytes(text: &OsStr) -> Cow<'_, [u8]> {
    match text.to_string_lossy() {
        Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
        Cow::Owned(text) => Cow::Owned(text.into_bytes()),
    }
}

fn hash_steps(steps: &[Step]) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    for step in steps {
        match step {
            Step::Cmd(cmd) => {
                put(&mut hasher, b"cmd");
                put(&mut hasher, &os_bytes(cmd.get_program()));
                hasher.update(&(cmd.get_args().count() as u64).to_le_bytes());
                for arg in cmd.get_args() {
                    put(&mut hasher, &os_bytes(arg));
                }
                hasher.update(&(cmd.get_envs().count() as u64).to_le_bytes());
                for (key, value) in cmd.get_envs() {
                    put(&mut hasher, &os_bytes(key));
                    match value {
                        Some(value) => put(&mut hasher, &os_bytes(value)),
                        None => put(&mut hasher, b"\0removed"),
                    }
                }
                let dir = cmd.get_dir().map(|dir| os_bytes(dir.as_os_str()).into_owned());
                put(&mut hasher, dir.as_deref().unwrap_or(b""));
            }
            Step::Sh(script) => {
                put(&mut hasher, b"sh");
                put(&mut hasher, script.as_bytes());
            }
            Step::Call(name) => {
                put(&mut hasher, b"call");
                put(&mut hasher, name.as_bytes());
            }
            Step::Func { label, .. } => {
                put(&mut hasher, b"func");
                put(&mut hasher, label.as_bytes());
            }
        }
    }
    hasher.finalize()
}

/// Resolves the program of each command step, and `sh` for script steps, and
/// hashes the resolved file's path, size and mtime.
fn program_identities(task: &Task, root: &Path) -> Vec<(String, blake3::Hash)> {
    let task_dir = root.join(task.get_dir().unwrap_or(Path::new("")));
    let task_path =
        task.get_env().iter().rev().find(|(key, _)| key == "PATH").map(|(_, value)| value.as_str());

    let mut identities = BTreeMap::new();
    for step in task.get_steps() {
        let (program, dir, path_var) = match step {
            Step::Cmd(cmd) => {
                let dir = cmd.get_dir().map_or(task_dir.clone(), |dir| task_dir.join(dir));
                let cmd_path = cmd.get_envs().filter(|(key, _)| *key == "PATH").last();
                let path_var = match cmd_path {
                    Some((_, value)) => value.map(OsStr::to_os_string),
                    None => task_path.map(Into::into).or_else(|| std::env::var_os("PATH")),
                };
                (cmd.get_program().to_os_string(), dir, path_var)
            }
            Step::Sh(_) => {
                let path_var = task_path.map(Into::into).or_else(|| std::env::var_os("PATH"));
                ("sh".into(), task_dir.clone(), path_var)
            }
            _ => continue,
        };
        let name = program.to_string_lossy().into_owned();
        if identities.contains_key(&name) {
            continue;
        }
        let resolved = resolve_program(&program, &dir, path_var.as_deref());
        identities.insert(name, identity(resolved.as_deref()));
    }
    identities.into_iter().collect()
}

fn resolve_program(program: &OsStr, dir: &Path, path_var: Option<&OsStr>) -> Option<PathBuf> {
    if os_bytes(program).contains(&b'/') {
        let path = dir.join(program);
        return path.is_file().then_some(path);
    }
    std::env::split_paths(path_var?)
        .filter(|entry| !entry.as_os_str().is_empty())
        .map(|entry| entry.join(program))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

fn identity(resolved: Option<&Path>) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    let Some(path) = resolved else {
        put(&mut hasher, b"not found");
        return hasher.finalize();
    };
    put(&mut hasher, &os_bytes(path.as_os_str()));
    if let Ok(metadata) = std::fs::metadata(path) {
        let stat = FileStat::from_metadata(&metadata);
        hasher.update(&stat.size.to_le_bytes());
        hasher.update(&stat.mtime_ns.to_le_bytes());
    }
    hasher.finalize()
}

/// Returns the content hash of each file, in order, reading only the files
/// whose stat data the cache does not know, on several threads. `files` must
/// be sorted by key. `started_ns` is when the files were stat'ed, for the
/// cache's racy check.
pub(crate) fn hash_sources(
    files: &[MatchedFile],
    cache: &Mutex<StatCache>,
    started_ns: i64,
) -> Result<Vec<blake3::Hash>> {
    let mut hashes = cache.lock().unwrap_or_else(|e| e.into_inner()).lookup_sorted(files);

    let misses: Vec<usize> = (0..files.len()).filter(|&index| hashes[index].is_none()).collect();
    log::debug!("hashing {} of {} source files", misses.len(), files.len());
    let computed = parallel::map(&misses, |&index| hash_file(&files[index].path));

    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    for (index, result) in misses.into_iter().zip(computed) {
        let hash = result?;
        let file = &files[index];
        cache.insert(&file.key, file.stat, hash, started_ns);
        hashes[index] = Some(hash);
    }

    // Every miss now has its hash, so flattening drops nothing.
    Ok(hashes.into_iter().flatten().collect())
}

fn hash_file(path: &Path) -> Result<blake3::Hash> {
    log::trace!("hashing `{}`", path.display());
    let mut hasher = blake3::Hasher::new();
    let file = File::open(path).map_err(|err| Error::io("open", path, err))?;
    hasher.update_reader(file).map_err(|err| Error::io("read", path, err))?;
    Ok(hasher.finalize())
}
