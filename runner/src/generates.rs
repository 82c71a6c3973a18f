//! Declared outputs: what a `generates` entry names.
//!
//! An entry is a directory when it ends with `/` or names an existing
//! directory, a glob when it contains `*`, `?`, `[` or `{` (its directory is
//! the literal path before the first such component), and a file otherwise.
//! Before a task runs, the runner creates each directory entry, each glob's
//! directory and each file's parent, so tools that expect their output
//! directory to exist work, and so the sandbox has an inode to grant.

use std::path::{Path, PathBuf};

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

/// Creates the directories the `generates` entries of a task need.
pub(crate) fn create_dirs(root: &Path, entries: &[String]) -> Result<()> {
    for entry in entries {
        let generate = Generate::parse(root, entry);
        if let Some(dir) = generate.dir() {
            std::fs::create_dir_all(dir)
                .map_err(|err| Error::io("create the output directory", dir, err))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
