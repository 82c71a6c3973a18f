//! Declared outputs: what a `generates` entry names.
//!
//! An entry is a directory when it ends with `/` or names an existing
//! directory, a glob when it contains `*`, `?`, `[` or `{` (its directory is
//! the literal path before the first such component), and a file otherwise.
//! Before a task runs, the runner creates each directory entry, each glob's
//! directory and each file's parent, so tools that expect their output
//! directory to exist work, and so the sandbox has an inode to grant.

use std::path::{Component, Path, PathBuf};

use crate::{Error, Result};

/// One `generates` entry, resolved against the project root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Generate {
    /// A directory and everything below it.
    Dir(PathBuf),
    /// One file.
    File(PathBuf),
    /// The files below `dir` that match `pattern`, the whole entry as written.
    Glob { dir: PathBuf, pattern: String },
}

impl Generate {
    /// Resolves `entry` against `root`.
    pub(crate) fn parse(root: &Path, entry: &str) -> Generate {
        let is_glob = |part: &str| part.contains(['*', '?', '[', '{']);
        if is_glob(entry) {
            let literal: Vec<&str> = entry.split('/').take_while(|part| !is_glob(part)).collect();
            let dir = root.join(literal.join("/"));
            return Generate::Glob { dir, pattern: entry.to_string() };
        }
        let path = root.join(entry);
        if entry.ends_with('/') || path.is_dir() {
            Generate::Dir(path)
        } else {
            Generate::File(path)
        }
    }

    /// Returns the directory that must exist before the task runs.
    pub(crate) fn dir(&self) -> Option<&Path> {
        match self {
            Generate::Dir(dir) | Generate::Glob { dir, .. } => Some(dir),
            Generate::File(file) => file.parent(),
        }
    }
}

/// Rejects a `generates` entry that the runner must not create or let a task
/// write: one outside the project root and outside `out_dir`, one whose
/// directory is the root itself, which would make the whole project
/// writable, and one that overlaps the state directory. `out_dir` is the one
/// directory outside the root that entries may name, a build script's
/// `OUT_DIR`, or `None`. The check is lexical: `.` and `..` are resolved and
/// symlinks are not, so it needs no filesystem access and covers the whole
/// graph in every mode before anything runs. The sandbox checks the real
/// paths again.
pub(crate) fn check_entry(
    task: &str,
    root: &Path,
    out_dir: Option<&Path>,
    state_dir: &Path,
    entry: &str,
) -> Result<()> {
    let generate = Generate::parse(root, entry);
    let (path, is_dir) = match &generate {
        Generate::Dir(dir) | Generate::Glob { dir, .. } => (normalize(dir), true),
        Generate::File(file) => (normalize(file), false),
    };
    let root = normalize(root);
    let state_dir = normalize(state_dir);
    let invalid = |message: String| Err(Error::invalid_task(task, message));

    let in_out_dir = out_dir.is_some_and(|dir| path.starts_with(normalize(dir)));
    if let (Some(out_dir), false) = (out_dir, in_out_dir || path.starts_with(&root)) {
        return invalid(format!(
            "`generates` entry `{entry}` is outside the package root `{}` and outside \
             `OUT_DIR` `{}`: write generated files below `OUT_DIR`",
            root.display(),
            out_dir.display()
        ));
    }
    if !path.starts_with(&root) && !in_out_dir {
        return invalid(format!(
            "`generates` entry `{entry}` is outside the project root `{}`: declare paths \
             outside the project with `Scope::write`",
            root.display()
        ));
    }
    if is_dir && path == root {
        return invalid(format!(
            "`generates` entry `{entry}` would make the whole project root writable: name a \
             directory instead, such as `out/` or `out/**/*.o`"
        ));
    }
    if path.starts_with(&state_dir) || (is_dir && state_dir.starts_with(&path)) {
        return invalid(format!(
            "`generates` entry `{entry}` overlaps the state directory `{}`, which tasks may \
             not write: name a directory beside it",
            state_dir.display()
        ));
    }
    Ok(())
}

/// Resolves `.` and `..` in `path` without touching the filesystem.
fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

/// Creates the directories the `generates` entries of `task` need. A file
/// where a directory must go, such as one an earlier run made from an entry
/// without its trailing slash, is an `ErrorKind::InvalidTask` naming it.
pub(crate) fn create_dirs(task: &str, root: &Path, entries: &[String]) -> Result<()> {
    for entry in entries {
        let generate = Generate::parse(root, entry);
        let Some(dir) = generate.dir() else { continue };
        // Without a trailing slash, so a file in its place can be stat'ed.
        let dir: PathBuf = dir.components().collect();
        let blocking = dir.ancestors().take_while(|path| path.starts_with(root)).find(|path| {
            std::fs::symlink_metadata(path).is_ok_and(|meta| !meta.is_dir() && !path.is_dir())
        });
        if let Some(file) = blocking {
            return Err(Error::invalid_task(
                task,
                format!(
                    "`generates` entry `{entry}` needs the directory `{}`, but a file is in its \
                     place: remove the file, then run again",
                    file.display()
                ),
            ));
        }
        std::fs::create_dir_all(&dir)
            .map_err(|err| Error::io("create the output directory", &dir, err))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_outside_root_or_at_root_rejected() {
        let root = Path::new("/project");
        let state = Path::new("/project/.runner");
        let check =
            |entry: &str| check_entry("t", root, None, state, entry).map_err(|e| e.to_string());

        assert!(check("out/").is_ok());
        assert!(check("out/a.txt").is_ok());
        assert!(check("/project/out/").is_ok());
        assert!(check("a.txt").is_ok());
        assert!(check("../x/").unwrap_err().contains("outside the project root"));
        assert!(check("/tmp/abs/").unwrap_err().contains("outside the project root"));
        assert!(check("out/../../x").unwrap_err().contains("outside the project root"));
        assert!(check("*.txt").unwrap_err().contains("whole project root writable"));
        assert!(check("./").unwrap_err().contains("whole project root writable"));
        assert!(check(".runner/").unwrap_err().contains("state directory"));
        assert!(check(".runner/x.txt").unwrap_err().contains("state directory"));
    }

    #[test]
    fn file_in_place_of_generate_dir_named() {
        let dir = std::env::temp_dir().join(format!("runner-gen-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("build"), "").unwrap();

        let error = create_dirs("t", &dir, &["build/".to_string()]).unwrap_err().to_string();
        assert!(error.contains("needs the directory"), "{error}");
        assert!(error.contains("but a file is in its place: remove the file"), "{error}");
        assert!(create_dirs("t", &dir, &["out/sub/".to_string()]).is_ok());
        assert!(dir.join("out/sub").is_dir());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn out_dir_entries_allowed() {
        let root = Path::new("/project");
        let out = Path::new("/target/debug/build/p-1/out");
        let state = Path::new("/target/debug/build/p-1/out/.runner");
        let check = |entry: &str| {
            check_entry("t", root, Some(out), state, entry).map_err(|e| e.to_string())
        };

        assert!(check("/target/debug/build/p-1/out/gen.rs").is_ok());
        assert!(check("/target/debug/build/p-1/out/gen/").is_ok());
        assert!(check("/target/debug/build/p-1/out/gen/*.rs").is_ok());
        assert!(check("out/").is_ok());
        let outside = check("/target/debug/build/p-1/gen.rs").unwrap_err();
        assert!(outside.contains("outside `OUT_DIR`"), "{outside}");
        let escape = check("/target/debug/build/p-1/out/../x.rs").unwrap_err();
        assert!(escape.contains("outside `OUT_DIR`"), "{escape}");
        let whole = check("/target/debug/build/p-1/out/").unwrap_err();
        assert!(whole.contains("state directory"), "{whole}");
        let state_file = check("/target/debug/build/p-1/out/.runner/x").unwrap_err();
        assert!(state_file.contains("state directory"), "{state_file}");
    }

    #[test]
    fn entry_kinds() {
        let root = Path::new("/project");
        assert_eq!(Generate::parse(root, "out/"), Generate::Dir(root.join("out/")));
        assert_eq!(Generate::parse(root, "out/a.txt"), Generate::File(root.join("out/a.txt")));
        assert_eq!(
            Generate::parse(root, "out/**/*.o"),
            Generate::Glob { dir: root.join("out"), pattern: "out/**/*.o".to_string() }
        );
        assert_eq!(Generate::parse(root, "*.txt").dir(), Some(root));
    }
}
