//! Canonical paths for the policies of a run, with few system calls.
//!
//! `std::fs::canonicalize` (`realpath` in glibc) costs one `readlink` per
//! path component, about ten for a file deep in a project. Two caches avoid
//! most of them:
//!
//! - [`RunPaths`] resolves the project root and the state directory once per
//!   run, since every task of the run has the same ones.
//! - [`SourceResolver`] resolves the parent directory of each source file
//!   once per task and appends the file name, unless the file's own entry is
//!   a symbolic link, which it resolves in full. So a source that links out
//!   of the root still resolves to its target, and a source in a directory
//!   reached through a link resolves through that link, as with
//!   `canonicalize`.
//!
//! Whether an entry is a link comes from the walk that matched it (the file
//! type of its directory entry), or from one `lstat` when the caller does not
//! know.
//!
//! NOTE: a resolved path is valid as of the walk or the `lstat`. The ruleset
//! opens a source's own entry without following a link, but a directory
//! above it that a link replaces before then is followed, as it was after
//! `canonicalize`.

use std::collections::HashMap;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

/// Canonical paths of the directories that stay in place for a whole run:
/// the project root and the state directory.
#[derive(Default)]
pub(crate) struct RunPaths {
    /// Each resolved path with its canonical form, in the order resolved.
    resolved: Mutex<Vec<(PathBuf, PathBuf)>>,
}

impl RunPaths {
    /// Returns the canonical form of `dir`, resolving it on the first call
    /// for that path. Errors are not cached, so a directory created later
    /// resolves then.
    pub(crate) fn canonical(&self, dir: &Path) -> io::Result<PathBuf> {
        let mut resolved = self.resolved.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, real)) = resolved.iter().find(|(path, _)| path == dir) {
            return Ok(real.clone());
        }

        let real = std::fs::canonicalize(dir)?;
        log::debug!("resolved `{}` to `{}` for the run", dir.display(), real.display());
        resolved.push((dir.to_owned(), real.clone()));
        Ok(real)
    }
}

/// Resolves the source files of one task, one parent directory at a time.
#[derive(Default)]
pub(crate) struct SourceResolver {
    /// The canonical form of each parent directory seen, by its path as
    /// declared, or the error that resolving it returned.
    parents: HashMap<PathBuf, Result<PathBuf, io::ErrorKind>>,
}

impl SourceResolver {
    /// Returns the canonical path of the source file `file`. `is_link` is
    /// whether the file's own entry is a symbolic link, and `None` checks
    /// with `lstat`.
    pub(crate) fn resolve(&mut self, file: &Path, is_link: Option<bool>) -> io::Result<PathBuf> {
        let is_link = match is_link {
            Some(is_link) => is_link,
            None => file.symlink_metadata()?.file_type().is_symlink(),
        };
        let ends_in_name = matches!(file.components().next_back(), Some(Component::Normal(_)));
        let (Some(parent), Some(name)) = (file.parent(), file.file_name()) else {
            return std::fs::canonicalize(file);
        };
        if is_link || !ends_in_name || parent.as_os_str().is_empty() {
            return std::fs::canonicalize(file);
        }

        let parent_real = match self.parents.get(parent) {
            Some(resolved) => resolved.clone(),
            None => {
                let resolved = std::fs::canonicalize(parent).map_err(|error| error.kind());
                self.parents.insert(parent.to_owned(), resolved.clone());
                resolved
            }
        };
        let parent_real = parent_real.map_err(io::Error::from)?;
        let mut real = PathBuf::with_capacity(parent_real.as_os_str().len() + 1 + name.len());
        real.push(parent_real);
        real.push(name);
        Ok(real)
    }
}

/// Returns whether `path` is `dir` or lies below it, comparing bytes. This
/// equals `Path::starts_with` for paths without empty or `.` components and
/// without a trailing slash, such as those `canonicalize` returns, and costs
/// one `memcmp`.
pub(crate) fn is_within(path: &Path, dir: &Path) -> bool {
    let path = path.as_os_str().as_bytes();
    let dir = dir.as_os_str().as_bytes();
    let Some(rest) = path.strip_prefix(dir) else {
        return false;
    };
    rest.is_empty() || rest[0] == b'/' || dir.ends_with(b"/")
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;
    use crate::sandbox::tmp_dir::TmpDir;

    /// A temp directory with `real/a.txt`, `real/sub/b.txt`, a link
    /// `linked -> real`, a link `real/c.txt -> a.txt` and a link
    /// `real/out.txt` to a file outside `real`.
    struct Tree {
        _guard: TmpDir,
        root: PathBuf,
    }

    impl Tree {
        fn new(name: &str) -> Tree {
            let guard = TmpDir::create(name).unwrap();
            let root = guard.path().to_owned();
            std::fs::create_dir_all(root.join("real/sub")).unwrap();
            std::fs::write(root.join("real/a.txt"), "a").unwrap();
            std::fs::write(root.join("real/sub/b.txt"), "b").unwrap();
            std::fs::write(root.join("outside.txt"), "outside").unwrap();
            symlink("real", root.join("linked")).unwrap();
            symlink("a.txt", root.join("real/c.txt")).unwrap();
            symlink("../outside.txt", root.join("real/out.txt")).unwrap();
            Tree { _guard: guard, root }
        }
    }

    #[test]
    fn resolver_keeps_plain_file_path() {
        let tree = Tree::new("resolve-plain");
        let mut resolver = SourceResolver::default();
        for path in ["real/a.txt", "real/sub/b.txt"] {
            let file = tree.root.join(path);
            assert_eq!(resolver.resolve(&file, Some(false)).unwrap(), file, "{path}");
            assert_eq!(resolver.resolve(&file, None).unwrap(), file, "{path}");
        }
    }

    #[test]
    fn resolver_follows_file_links() {
        let tree = Tree::new("resolve-file-link");
        let mut resolver = SourceResolver::default();

        let inside = resolver.resolve(&tree.root.join("real/c.txt"), Some(true)).unwrap();
        assert_eq!(inside, tree.root.join("real/a.txt"));
        let outside = resolver.resolve(&tree.root.join("real/out.txt"), Some(true)).unwrap();
        assert_eq!(outside, tree.root.join("outside.txt"));
        let unknown = resolver.resolve(&tree.root.join("real/out.txt"), None).unwrap();
        assert_eq!(unknown, tree.root.join("outside.txt"));
    }

    #[test]
    fn resolver_follows_linked_parent() {
        let tree = Tree::new("resolve-dir-link");
        let mut resolver = SourceResolver::default();

        let first = resolver.resolve(&tree.root.join("linked/a.txt"), Some(false)).unwrap();
        assert_eq!(first, tree.root.join("real/a.txt"));
        let deeper = resolver.resolve(&tree.root.join("linked/sub/b.txt"), Some(false)).unwrap();
        assert_eq!(deeper, tree.root.join("real/sub/b.txt"));
        let through_both = resolver.resolve(&tree.root.join("linked/out.txt"), Some(true)).unwrap();
        assert_eq!(through_both, tree.root.join("outside.txt"));
    }

    #[test]
    fn resolver_resolves_dot_dot_in_full() {
        let tree = Tree::new("resolve-dot-dot");
        let mut resolver = SourceResolver::default();
        let file = tree.root.join("real/sub/../a.txt");
        assert_eq!(resolver.resolve(&file, Some(false)).unwrap(), tree.root.join("real/a.txt"));
        let dir = tree.root.join("real/sub/..");
        assert_eq!(resolver.resolve(&dir, Some(false)).unwrap(), tree.root.join("real"));
    }

    #[test]
    fn resolver_missing_parent_is_error() {
        let tree = Tree::new("resolve-missing");
        let mut resolver = SourceResolver::default();
        let file = tree.root.join("missing/a.txt");
        let error = resolver.resolve(&file, Some(false)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        let again = resolver.resolve(&file, Some(false)).unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::NotFound);
        assert!(resolver.resolve(&file, None).is_err());
    }

    #[test]
    fn is_within_matches_starts_with() {
        let cases = [
            ("/a/b", "/a/b", true),
            ("/a/b/c", "/a/b", true),
            ("/a/bc", "/a/b", false),
            ("/a", "/a/b", false),
            ("/a/b", "/", true),
            ("/", "/", true),
            ("/a/b/..", "/a/b", true),
        ];
        for (path, dir, expected) in cases {
            let (path, dir) = (Path::new(path), Path::new(dir));
            assert_eq!(is_within(path, dir), expected, "{path:?} in {dir:?}");
            assert_eq!(path.starts_with(dir), expected, "{path:?} starts with {dir:?}");
        }
    }

    #[test]
    fn run_paths_resolve_once() {
        let tree = Tree::new("resolve-run");
        let paths = RunPaths::default();
        let linked = tree.root.join("linked");
        assert_eq!(paths.canonical(&linked).unwrap(), tree.root.join("real"));

        // The cached result outlives a change of the link, which is why only
        // directories fixed for the run go through `RunPaths`.
        std::fs::remove_file(&linked).unwrap();
        symlink("real/sub", &linked).unwrap();
        assert_eq!(paths.canonical(&linked).unwrap(), tree.root.join("real"));
        assert!(paths.canonical(&tree.root.join("missing")).is_err());
    }
}
