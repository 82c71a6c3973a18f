//! `generates` entries turned into the paths a task may write.
//!
//! Landlock grants whole hierarchies and only to paths that exist when the
//! ruleset is built, so each entry, classified by [`Generate::parse`],
//! becomes one existing directory or file:
//!
//! | entry | grant |
//! |---|---|
//! | `out/`, or an existing directory | the directory, created first |
//! | `out/**/*.o` (a glob) | its literal directory prefix, `out/` |
//! | `out/report.txt` | that file, created empty if missing; `out/` must exist |
//!
//! An entry whose directory would be the project root (`*.txt`, `**/*.o`), or
//! that contains the root, is rejected: it would make the whole project
//! writable, including the sources whose hashes decide freshness.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use crate::generates::Generate;
use crate::{Error, Result};

/// The path one `generates` entry grants, canonical.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct GenerateTarget {
    pub(crate) path: PathBuf,
    pub(crate) is_dir: bool,
}

/// Creates what `entry` needs and returns the path to grant. `root` is the
/// project root as given and `root_real` its canonical form.
pub(crate) fn prepare_generate(
    task: &str,
    root: &Path,
    root_real: &Path,
    entry: &str,
) -> Result<GenerateTarget> {
    if entry.is_empty() {
        return Err(Error::invalid_task(task, "empty `generates` entry: name a file or directory"));
    }

    let (path, is_dir) = match Generate::parse(root, entry) {
        Generate::Dir(dir) | Generate::Glob { dir, .. } => (dir, true),
        Generate::File(file) => (file, false),
    };

    if is_dir {
        std::fs::create_dir_all(&path)
            .map_err(|error| Error::io("create the generate directory", &path, error))?;
        let real =
            std::fs::canonicalize(&path).map_err(|error| Error::io("resolve", &path, error))?;
        check_not_root(task, entry, &real, root_real)?;
        log::debug!("task `{task}`: generates `{entry}` grants directory `{}`", real.display());
        return Ok(GenerateTarget { path: real, is_dir: true });
    }

    let parent = path.parent().unwrap_or(root);
    if !parent.is_dir() {
        return Err(Error::invalid_task(
            task,
            format!(
                "the directory of `generates` entry `{entry}` does not exist: create `{}` in an \
                 earlier task, or declare a glob such as `{}`, whose directory the runner \
                 creates",
                parent.display(),
                glob_beside(entry)
            ),
        ));
    }
    // Landlock can grant only an existing file, so a missing output is created empty.
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|error| Error::io("create the generate file", &path, error))?;
    let real = std::fs::canonicalize(&path).map_err(|error| Error::io("resolve", &path, error))?;
    log::debug!("task `{task}`: generates `{entry}` grants file `{}`", real.display());
    Ok(GenerateTarget { path: real, is_dir: false })
}

/// Rejects an entry whose directory is the project root by its path alone,
/// so the whole graph can be checked before any task runs. Entries that
/// reach the root through `..` or symlinks are caught by
/// [`prepare_generate`].
pub(crate) fn check_generate_path(task: &str, root: &Path, entry: &str) -> Result<()> {
    let dir = match Generate::parse(root, entry) {
        Generate::Dir(dir) | Generate::Glob { dir, .. } => dir,
        Generate::File(_) => return Ok(()),
    };
    let normal = |path: &Path| -> PathBuf {
        path.components().filter(|part| *part != std::path::Component::CurDir).collect()
    };
    if normal(&dir) == normal(root) {
        return Err(root_writable(task, entry));
    }
    Ok(())
}

fn root_writable(task: &str, entry: &str) -> Error {
    Error::invalid_task(
        task,
        format!(
            "`generates` entry `{entry}` would make the whole project root writable: name a \
             directory instead, such as `out/` or `out/**/*.o`"
        ),
    )
}

fn check_not_root(task: &str, entry: &str, real: &Path, root_real: &Path) -> Result<()> {
    if real == root_real {
        return Err(root_writable(task, entry));
    }
    if root_real.starts_with(real) {
        return Err(Error::invalid_task(
            task,
            format!(
                "`generates` entry `{entry}` contains the project root `{}`: name a directory \
                 inside the project",
                root_real.display()
            ),
        ));
    }
    Ok(())
}

/// Returns a glob for the files beside a file entry, `dir/*.ext` or `dir/*`,
/// which names the same directory and keeps the outputs checked.
fn glob_beside(entry: &str) -> String {
    let path = Path::new(entry);
    let dir = path.parent().map(|dir| dir.to_string_lossy()).unwrap_or_default();
    let name = match path.extension() {
        Some(extension) => format!("*.{}", extension.to_string_lossy()),
        None => "*".to_string(),
    };
    if dir.is_empty() { name } else { format!("{dir}/{name}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn project(name: &str) -> (super::super::tmp_dir::TmpDir, PathBuf) {
        let dir = super::super::tmp_dir::TmpDir::create(name).unwrap();
        let root = dir.path().join("project");
        std::fs::create_dir(&root).unwrap();
        (dir, root)
    }

    #[test]
    fn missing_file_directory_suggests_glob() {
        let (_guard, root) = project("gen-missing");
        let error = prepare_generate("t", &root, &root, "build/gen/numbered.txt").unwrap_err();
        let text = error.to_string();
        assert!(text.contains("or declare a glob such as `build/gen/*.txt`"), "{text}");
        assert!(!root.join("build").exists());

        assert_eq!(glob_beside("out/data"), "out/*");
        assert_eq!(glob_beside("stamp.txt"), "*.txt");
    }

    #[test]
    fn generate_directory_is_created() {
        let (_guard, root) = project("gen-dir");
        let target = prepare_generate("t", &root, &root, "out/sub/").unwrap();
        assert_eq!(target, GenerateTarget { path: root.join("out/sub"), is_dir: true });
        assert!(root.join("out/sub").is_dir());
    }

    #[test]
    fn generate_glob_grants_literal_prefix() {
        let (_guard, root) = project("gen-glob");
        let target = prepare_generate("t", &root, &root, "out/**/*.o").unwrap();
        assert_eq!(target, GenerateTarget { path: root.join("out"), is_dir: true });
    }

    #[test]
    fn generate_existing_directory_without_slash() {
        let (_guard, root) = project("gen-existing");
        std::fs::create_dir(root.join("dist")).unwrap();
        let target = prepare_generate("t", &root, &root, "dist").unwrap();
        assert!(target.is_dir);
    }

    #[test]
    fn generate_file_created_empty() {
        let (_guard, root) = project("gen-file");
        std::fs::create_dir(root.join("out")).unwrap();
        let target = prepare_generate("t", &root, &root, "out/report.txt").unwrap();
        assert_eq!(target, GenerateTarget { path: root.join("out/report.txt"), is_dir: false });
        assert_eq!(std::fs::read(root.join("out/report.txt")).unwrap(), b"");
    }

    #[test]
    fn generate_file_keeps_contents() {
        let (_guard, root) = project("gen-keep");
        std::fs::write(root.join("report.txt"), "old").unwrap();
        prepare_generate("t", &root, &root, "report.txt").unwrap();
        assert_eq!(std::fs::read_to_string(root.join("report.txt")).unwrap(), "old");
    }

    #[test]
    fn generate_file_needs_parent() {
        let (_guard, root) = project("gen-parent");
        let error = prepare_generate("t", &root, &root, "missing/report.txt").unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::InvalidTask { .. }));
        assert!(error.to_string().contains("`missing/report.txt` does not exist"), "{error}");
    }

    #[test]
    fn generate_at_root_rejected() {
        let (_guard, root) = project("gen-root");
        for entry in ["*.txt", "**/*.o", "./", "."] {
            let error = prepare_generate("t", &root, &root, entry).unwrap_err();
            assert!(matches!(error.kind(), ErrorKind::InvalidTask { .. }), "{entry}: {error}");
            let message = error.to_string();
            assert!(message.contains("whole project root writable"), "{entry}: {message}");
            assert!(message.contains(&format!("`{entry}`")), "{entry}: {message}");
        }
    }

    #[test]
    fn check_generate_path_rejects_root_entries() {
        let (_guard, root) = project("gen-check");
        for entry in ["*.txt", "**/*.o", "./", ".", "{a,b}/x"] {
            let error = check_generate_path("t", &root, entry).unwrap_err();
            assert!(error.to_string().contains("whole project root writable"), "{entry}: {error}");
        }
        for entry in ["out/", "out/**/*.o", "report.txt", "./out/"] {
            assert!(check_generate_path("t", &root, entry).is_ok(), "{entry}");
        }
    }

    #[test]
    fn generate_above_root_rejected() {
        let (_guard, root) = project("gen-above");
        let error = prepare_generate("t", &root, &root, "../").unwrap_err();
        assert!(error.to_string().contains("contains the project root"), "{error}");
    }
}
