//! Source lists collapsed into globs where a glob is exact.
//!
//! The files a task read are grouped by directory. A directory with two or
//! more of them gets `dir/*` when the task read every file in it, or
//! `dir/*.ext` when it read every file with that extension and only those.
//! Otherwise its files stay listed one by one, so a proposed glob never
//! matches a file the task did not read. Globs match within one directory,
//! as the runner's `*` does not cross `/`. Files the task wrote itself are
//! left out of the comparison, since they are outputs, not sources.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Returns the source entries for `files`, paths relative to `base`, as
/// globs where exact and as paths elsewhere, sorted. `outputs` are relative
/// paths the task wrote.
pub(crate) fn collapse(
    base: &Path,
    files: &BTreeSet<PathBuf>,
    outputs: &BTreeSet<PathBuf>,
) -> Vec<String> {
    let mut by_dir: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let dir = file.parent().unwrap_or(Path::new("")).to_owned();
        let Some(name) = file.file_name() else { continue };
        by_dir.entry(dir).or_default().insert(name.to_string_lossy().into_owned());
    }

    let mut entries = Vec::new();
    for (dir, read) in by_dir {
        let pattern = match read.len() {
            0 | 1 => None,
            _ => exact_glob(&read, &files_in(&base.join(&dir), &dir, outputs)),
        };
        match pattern {
            Some(pattern) => entries.push(join(&dir, &pattern)),
            None => entries.extend(read.iter().map(|name| join(&dir, name))),
        }
    }
    entries.sort();
    entries
}

/// Returns `*` or `*.ext` when it matches exactly the names in `read` among
/// `present`, the names of all files in the directory.
fn exact_glob(read: &BTreeSet<String>, present: &BTreeSet<String>) -> Option<String> {
    if !read.is_subset(present) {
        return None;
    }
    if read == present {
        return Some("*".to_string());
    }
    let extension =
        |name: &str| name.rsplit_once('.').map(|(stem, ext)| (stem.is_empty(), ext.to_string()));
    let (hidden, ext) = extension(read.first()?)?;
    if hidden || ext.contains(['*', '?', '[', '{']) {
        return None;
    }
    let suffix = format!(".{ext}");
    let with_ext: BTreeSet<String> =
        present.iter().filter(|name| name.ends_with(&suffix)).cloned().collect();
    if &with_ext == read { Some(format!("*.{ext}")) } else { None }
}

/// Returns the names of the regular files in `dir`, minus the task's outputs.
fn files_in(dir: &Path, relative: &Path, outputs: &BTreeSet<PathBuf>) -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .filter(|entry| !outputs.contains(&relative.join(entry.file_name())))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

fn join(dir: &Path, name: &str) -> String {
    if dir.as_os_str().is_empty() {
        return name.to_string();
    }
    format!("{}/{name}", dir.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::tmp_dir::TmpDir;

    fn tree(files: &[&str]) -> TmpDir {
        let dir = TmpDir::create("globs").unwrap();
        for file in files {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        dir
    }

    fn set(paths: &[&str]) -> BTreeSet<PathBuf> {
        paths.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn whole_directory_becomes_star() {
        let dir = tree(&["data/a.txt", "data/b.csv", "other.txt"]);
        let entries = collapse(dir.path(), &set(&["data/a.txt", "data/b.csv"]), &set(&[]));
        assert_eq!(entries, ["data/*"]);
    }

    #[test]
    fn one_extension_becomes_star_ext() {
        let dir = tree(&["src/a.rs", "src/b.rs", "src/notes.md"]);
        let entries = collapse(dir.path(), &set(&["src/a.rs", "src/b.rs"]), &set(&[]));
        assert_eq!(entries, ["src/*.rs"]);
    }

    #[test]
    fn partial_reads_stay_listed() {
        let dir = tree(&["src/a.rs", "src/b.rs", "src/c.rs", "src/d.md"]);
        let entries = collapse(dir.path(), &set(&["src/a.rs", "src/b.rs"]), &set(&[]));
        assert_eq!(entries, ["src/a.rs", "src/b.rs"]);
    }

    #[test]
    fn single_file_and_root_files() {
        let dir = tree(&["a.txt", "b.txt", "lib/only.rs", "lib/other.rs"]);
        let entries = collapse(dir.path(), &set(&["a.txt", "b.txt", "lib/only.rs"]), &set(&[]));
        assert_eq!(entries, ["*", "lib/only.rs"]);
    }

    #[test]
    fn outputs_do_not_block_a_glob() {
        let dir = tree(&["gen/a.in", "gen/b.in", "gen/out.txt"]);
        let entries = collapse(dir.path(), &set(&["gen/a.in", "gen/b.in"]), &set(&["gen/out.txt"]));
        assert_eq!(entries, ["gen/*"]);
    }

    #[test]
    fn mixed_extensions_of_some_files_stay_listed() {
        let dir = tree(&["m/a.txt", "m/b.csv", "m/c.txt"]);
        let entries = collapse(dir.path(), &set(&["m/a.txt", "m/b.csv"]), &set(&[]));
        assert_eq!(entries, ["m/a.txt", "m/b.csv"]);
    }
}
