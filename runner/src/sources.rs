//! Glob expansion: the files that `sources` and `generates` patterns match.
//!
//! A pattern is relative to the project root unless it is absolute. Its
//! leading components without glob syntax form the base directory, and only
//! that directory is walked. A pattern without `**` also limits the depth of
//! the walk (`src/*.rs` reads `src` and nothing below it). Patterns whose
//! bases nest are walked once, from the outer base.
//!
//! Matching uses `globset` with `literal_separator`: `*`, `?` and `[..]` stay
//! within one path component, `**` crosses directories, `{a,b}` is an
//! alternation, and a backslash escapes the next character. `*` matches a
//! leading dot, unlike a shell. A pattern without glob syntax names a file, or
//! a directory whose files all match, and matches nothing while it is absent.
//! A trailing `/` names a directory.
//!
//! Each matched file is identified by its key: the path relative to the root
//! with `/` separators, or the absolute path for an absolute pattern. Results
//! come sorted by key, with the directories walked, for the sandbox's
//! list-only grants. Directories are read on several threads at once, and each
//! matched file is stat'ed in the same pass.
//!
//! Symbolic links to files count as the files they point to. Symbolic links to
//! directories are not followed, so a link cycle cannot make the walk loop.
//! The excluded directories (the state directory, declared output
//! directories) are never entered.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::parallel::WorkQueue;
use crate::stat_cache::FileStat;
use crate::{Error, ErrorKind, Result};

/// One matched file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MatchedFile {
    /// The path relative to the root with `/` separators, or absolute.
    pub(crate) key: String,
    pub(crate) path: PathBuf,
    pub(crate) stat: FileStat,
    /// The file's own directory entry is a symbolic link. Directories above
    /// it can still be links, since a pattern's base directory and a literal
    /// path are used as written.
    pub(crate) is_link: bool,
}

/// The result of expanding a list of patterns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Expansion {
    /// Matched files, sorted by key, each once.
    pub(crate) files: Vec<MatchedFile>,
    /// Directories the walk read, sorted, each once.
    pub(crate) dirs: Vec<PathBuf>,
}

/// Paths a walk skips: directories it does not enter, and files whose keys
/// match a glob.
#[derive(Default)]
pub(crate) struct Exclude {
    dirs: Vec<PathBuf>,
    files: Option<GlobSet>,
}

impl Exclude {
    /// Excludes the directory `dir` and everything below it.
    pub(crate) fn dir(mut self, dir: PathBuf) -> Exclude {
        self.dirs.push(dir);
        self
    }

    /// Excludes the outputs a task declares, so files that a task writes are
    /// never also its sources.
    pub(crate) fn outputs(
        mut self,
        task: &str,
        root: &Path,
        generates: &[String],
    ) -> Result<Exclude> {
        let mut globs = GlobSetBuilder::new();
        for entry in generates {
            let pattern = normalize(entry);
            if entry.ends_with('/') || (!has_glob_syntax(&pattern) && root.join(&pattern).is_dir())
            {
                self.dirs.push(root.join(pattern.trim_end_matches('/')));
            } else {
                globs.add(compile(task, entry, &pattern)?);
            }
        }
        let set = globs.build().map_err(|err| invalid_glob(task, &generates.join(", "), err))?;
        self.files = Some(set);
        Ok(self)
    }

    fn skips_dir(&self, dir: &Path) -> bool {
        self.dirs.iter().any(|excluded| excluded == dir)
    }

    fn skips_file(&self, key: &str) -> bool {
        self.files.as_ref().is_some_and(|set| set.is_match(key))
    }
}

/// The patterns that share one base directory.
struct Group {
    base: PathBuf,
    /// The key of `base`: empty for the root, else relative or absolute.
    base_key: String,
    /// The maximum depth of a matched file below `base`, or `None` for no limit.
    max_depth: Option<usize>,
    patterns: Vec<(String, String)>,
}

/// Expands `patterns` (as declared by `task`) against `root`.
pub(crate) fn expand(
    task: &str,
    root: &Path,
    patterns: &[String],
    exclude: &Exclude,
) -> Result<Expansion> {
    let mut literal_files = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    for entry in patterns {
        let pattern = normalize(entry);
        if !has_glob_syntax(&pattern) && !entry.ends_with('/') && !root.join(&pattern).is_dir() {
            literal_files.push(pattern);
            continue;
        }
        add_to_groups(&mut groups, root, entry, &pattern);
    }
    let groups = merge_nested(groups);

    let mut expansion = Expansion::default();
    for pattern in literal_files {
        if let Some(file) = stat_literal(root, &pattern, exclude)? {
            expansion.files.push(file);
        }
    }
    walk(task, groups, exclude, &mut expansion)?;

    // A stable sort finds the sorted runs of the walk and merges them.
    expansion.files.sort_by(|a, b| a.key.cmp(&b.key));
    expansion.files.dedup_by(|a, b| a.key == b.key);
    expansion.dirs.sort_unstable();
    expansion.dirs.dedup();
    Ok(expansion)
}

/// Compiles one pattern the way [`expand`] matches it.
pub(crate) fn matcher(task: &str, entry: &str) -> Result<globset::GlobMatcher> {
    let pattern = normalize(entry);
    let pattern = if entry.ends_with('/') { format!("{pattern}/**") } else { pattern };
    Ok(compile(task, entry, &pattern)?.compile_matcher())
}

/// Strips `./` prefixes and a trailing `/`, which carry no meaning in a key.
/// `.` alone becomes the empty pattern, which names the root.
pub(crate) fn normalize(entry: &str) -> String {
    let mut pattern = entry;
    while let Some(rest) = pattern.strip_prefix("./") {
        pattern = rest;
    }
    if pattern == "." {
        return String::new();
    }
    let trimmed = pattern.trim_end_matches('/');
    if trimmed.is_empty() && pattern.starts_with('/') {
        "/".to_string()
    } else {
        trimmed.to_string()
    }
}

pub(crate) fn has_glob_syntax(component: &str) -> bool {
    component.contains(['*', '?', '[', '{', '\\'])
}

/// Adds a glob, or a literal directory as a glob over all its files.
fn add_to_groups(groups: &mut Vec<Group>, root: &Path, entry: &str, pattern: &str) {
    let components: Vec<&str> = pattern.split('/').collect();
    let literal_len = components.iter().take_while(|c| !has_glob_syntax(c)).count();

    let (glob, max_depth) = if literal_len == components.len() {
        let all = match pattern {
            "" => "**".to_string(),
            "/" => "/**".to_string(),
            _ => format!("{}/**", globset::escape(pattern)),
        };
        (all, None)
    } else {
        let rest = &components[literal_len..];
        let unlimited = rest.iter().any(|c| c.contains("**"));
        (pattern.to_string(), if unlimited { None } else { Some(rest.len()) })
    };

    let base_key = components[..literal_len].join("/");
    let base_key =
        if pattern.starts_with('/') && base_key.is_empty() { "/".to_string() } else { base_key };
    let base = if base_key.is_empty() { root.to_path_buf() } else { root.join(&base_key) };

    let pattern_pair = (entry.to_string(), glob);
    match groups.iter_mut().find(|group| group.base == base) {
        Some(group) => {
            group.max_depth = deeper(group.max_depth, max_depth);
            group.patterns.push(pattern_pair);
        }
        None => groups.push(Group { base, base_key, max_depth, patterns: vec![pattern_pair] }),
    }
}

fn deeper(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    Some(a?.max(b?))
}

/// Folds each group whose base lies below another group's base into that
/// group, so no directory is read twice.
fn merge_nested(mut groups: Vec<Group>) -> Vec<Group> {
    groups.sort_by(|a, b| a.base.cmp(&b.base));
    let mut merged: Vec<Group> = Vec::new();
    for group in groups {
        let outer = merged.iter_mut().find(|outer| group.base.starts_with(&outer.base));
        match outer {
            Some(outer) => {
                let extra =
                    group.base.strip_prefix(&outer.base).map_or(0, |p| p.components().count());
                outer.max_depth =
                    deeper(outer.max_depth, group.max_depth.map(|depth| depth + extra));
                outer.patterns.extend(group.patterns);
            }
            None => merged.push(group),
        }
    }
    merged
}

fn compile(task: &str, entry: &str, pattern: &str) -> Result<globset::Glob> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|err| invalid_glob(task, entry, err))
}

fn invalid_glob(task: &str, pattern: &str, err: globset::Error) -> Error {
    let message = err.kind().to_string();
    Error::new(ErrorKind::InvalidGlob {
        task: task.to_string(),
        pattern: pattern.to_string(),
        message,
    })
}

fn stat_literal(root: &Path, key: &str, exclude: &Exclude) -> Result<Option<MatchedFile>> {
    if exclude.skips_file(key) {
        return Ok(None);
    }
    let path = root.join(key);
    let mut is_link = false;
    let metadata = std::fs::symlink_metadata(&path).and_then(|metadata| {
        is_link = metadata.file_type().is_symlink();
        if is_link { std::fs::metadata(&path) } else { Ok(metadata) }
    });
    match metadata {
        Ok(metadata) if metadata.is_file() => {
            let stat = FileStat::from_metadata(&metadata);
            Ok(Some(MatchedFile { key: key.to_string(), path, stat, is_link }))
        }
        Ok(_) => Ok(None),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::io("read metadata of", path, err)),
    }
}

/// A directory to read, with what its files must match.
struct Job<'g> {
    dir: PathBuf,
    key: String,
    depth: usize,
    group: &'g CompiledGroup,
}

struct CompiledGroup {
    set: GlobSet,
    max_depth: Option<usize>,
}

#[derive(Default)]
struct Found {
    files: Vec<MatchedFile>,
    dirs: Vec<PathBuf>,
    error: Option<Error>,
}

fn walk(
    task: &str,
    groups: Vec<Group>,
    exclude: &Exclude,
    expansion: &mut Expansion,
) -> Result<()> {
    let mut compiled = Vec::with_capacity(groups.len());
    for group in &groups {
        let mut set = GlobSetBuilder::new();
        for (entry, glob) in &group.patterns {
            set.add(compile(task, entry, glob)?);
        }
        let set = set.build().map_err(|err| invalid_glob(task, &group.patterns[0].0, err))?;
        compiled.push(CompiledGroup { set, max_depth: group.max_depth });
    }

    let jobs = groups
        .into_iter()
        .zip(&compiled)
        .filter(|(group, _)| !exclude.skips_dir(&group.base))
        .map(|(group, compiled)| Job {
            dir: group.base,
            key: group.base_key,
            depth: 0,
            group: compiled,
        })
        .collect();

    let found = WorkQueue::new(jobs).run(Found::default, |job, found, more| {
        if found.error.is_none()
            && let Err(err) = read_dir(job, exclude, found, more)
        {
            found.error = Some(err);
        }
    });

    for part in found {
        if let Some(err) = part.error {
            return Err(err);
        }
        expansion.files.extend(part.files);
        expansion.dirs.extend(part.dirs);
    }
    Ok(())
}

fn read_dir<'g>(
    job: Job<'g>,
    exclude: &Exclude,
    found: &mut Found,
    more: &mut Vec<Job<'g>>,
) -> Result<()> {
    let entries = match std::fs::read_dir(&job.dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && job.depth == 0 => return Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotADirectory && job.depth == 0 => {
            return Ok(());
        }
        Err(err) => return Err(Error::io("read directory", &job.dir, err)),
    };
    log::trace!("reading directory `{}`", job.dir.display());

    let descend = job.group.max_depth.is_none_or(|max| job.depth + 1 < max);
    let first_file = found.files.len();
    for entry in entries {
        let entry = entry.map_err(|err| Error::io("read directory", &job.dir, err))?;
        let name = entry.file_name();
        // NOTE: a name that is not valid UTF-8 gets a lossy key, so two such
        // names that differ only in their invalid bytes share one key.
        let name = name.to_string_lossy();
        let key = join_key(&job.key, &name);
        let file_type =
            entry.file_type().map_err(|err| Error::io("read metadata of", entry.path(), err))?;

        if file_type.is_dir() {
            let dir = entry.path();
            if descend && !exclude.skips_dir(&dir) {
                more.push(Job { dir, key, depth: job.depth + 1, group: job.group });
            }
            continue;
        }
        if !job.group.set.is_match(&key) || exclude.skips_file(&key) {
            continue;
        }

        let path = entry.path();
        let metadata =
            if file_type.is_symlink() { std::fs::metadata(&path) } else { entry.metadata() };
        let metadata = match metadata {
            Ok(metadata) => metadata,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(Error::io("read metadata of", path, err)),
        };
        if metadata.is_file() {
            let stat = FileStat::from_metadata(&metadata);
            let is_link = file_type.is_symlink();
            found.files.push(MatchedFile { key, path, stat, is_link });
        }
    }

    // Each directory's files form one sorted run, which makes the final
    // sort in `expand` a merge of runs.
    found.files[first_file..].sort_unstable_by(|a, b| a.key.cmp(&b.key));
    found.dirs.push(job.dir);
    Ok(())
}

fn join_key(dir_key: &str, name: &str) -> String {
    match dir_key {
        "" => name.to_string(),
        "/" => format!("/{name}"),
        _ => format!("{dir_key}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::TempDir;

    fn tree(files: &[&str]) -> TempDir {
        let dir = TempDir::new("runner-sources").unwrap();
        for file in files {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, file).unwrap();
        }
        dir
    }

    fn keys(root: &Path, patterns: &[&str], exclude: &Exclude) -> Vec<String> {
        let patterns: Vec<String> = patterns.iter().map(ToString::to_string).collect();
        let expansion = expand("t", root, &patterns, exclude).unwrap();
        expansion.files.into_iter().map(|file| file.key).collect()
    }

    const FILES: &[&str] =
        &["a.rs", "src/b.rs", "src/c.txt", "src/x/d.rs", "src/x/y/e.rs", ".hidden/f.rs"];

    #[test]
    fn star_stays_within_one_component() {
        let dir = tree(FILES);

        assert_eq!(keys(dir.path(), &["src/*.rs"], &Exclude::default()), ["src/b.rs"]);
        assert_eq!(
            keys(dir.path(), &["*/*.rs"], &Exclude::default()),
            [".hidden/f.rs", "src/b.rs"]
        );
    }

    #[test]
    fn double_star_crosses_directories_sorted() {
        let dir = tree(FILES);

        assert_eq!(
            keys(dir.path(), &["**/*.rs"], &Exclude::default()),
            [".hidden/f.rs", "a.rs", "src/b.rs", "src/x/d.rs", "src/x/y/e.rs"]
        );
    }

    #[test]
    fn nested_bases_are_walked_once() {
        let dir = tree(FILES);
        let patterns: Vec<String> =
            ["src/*.txt", "src/x/**/*.rs", "./src/b.rs"].map(String::from).into();

        let expansion = expand("t", dir.path(), &patterns, &Exclude::default()).unwrap();

        let keys: Vec<_> = expansion.files.iter().map(|file| file.key.as_str()).collect();
        assert_eq!(keys, ["src/b.rs", "src/c.txt", "src/x/d.rs", "src/x/y/e.rs"]);
        let root = dir.path();
        assert_eq!(expansion.dirs, [root.join("src"), root.join("src/x"), root.join("src/x/y")]);
    }

    #[test]
    fn literal_directory_matches_all_its_files() {
        let dir = tree(FILES);

        assert_eq!(
            keys(dir.path(), &["src/x"], &Exclude::default()),
            ["src/x/d.rs", "src/x/y/e.rs"]
        );
        assert_eq!(
            keys(dir.path(), &["src/x/"], &Exclude::default()),
            ["src/x/d.rs", "src/x/y/e.rs"]
        );
    }

    #[test]
    fn root_directory_matches_all_files() {
        let dir = tree(&["a.rs", "src/b.rs"]);

        assert_eq!(keys(dir.path(), &["."], &Exclude::default()), ["a.rs", "src/b.rs"]);
        assert_eq!(keys(dir.path(), &["./"], &Exclude::default()), ["a.rs", "src/b.rs"]);
    }

    #[test]
    fn missing_paths_match_nothing() {
        let dir = tree(FILES);

        assert!(
            keys(dir.path(), &["nope.rs", "gone/**/*.rs", "a.rs/*"], &Exclude::default())
                .is_empty()
        );
    }

    #[test]
    fn excluded_directories_are_not_entered() {
        let dir = tree(FILES);
        let exclude = Exclude::default().dir(dir.path().join("src/x"));

        assert_eq!(keys(dir.path(), &["src/**/*.rs"], &exclude), ["src/b.rs"]);
    }

    #[test]
    fn declared_outputs_are_excluded() {
        let dir = tree(FILES);
        let generates = ["src/x/".to_string(), "src/*.txt".to_string()];
        let exclude = Exclude::default().outputs("t", dir.path(), &generates).unwrap();

        assert_eq!(keys(dir.path(), &["src/**/*"], &exclude), ["src/b.rs"]);
    }

    #[test]
    fn absolute_patterns_keep_absolute_keys() {
        let dir = tree(FILES);
        let pattern = format!("{}/src/*.rs", dir.path().display());

        let expected = format!("{}/src/b.rs", dir.path().display());
        assert_eq!(keys(Path::new("/nonexistent"), &[&pattern], &Exclude::default()), [expected]);
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_directories_are_not_followed() {
        let dir = tree(FILES);
        std::os::unix::fs::symlink(dir.path().join("src"), dir.path().join("src/x/loop")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("a.rs"), dir.path().join("src/link.rs"))
            .unwrap();

        assert_eq!(
            keys(dir.path(), &["src/**/*.rs"], &Exclude::default()),
            ["src/b.rs", "src/link.rs", "src/x/d.rs", "src/x/y/e.rs"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn matched_links_are_marked() {
        let dir = tree(FILES);
        std::os::unix::fs::symlink(dir.path().join("a.rs"), dir.path().join("src/link.rs"))
            .unwrap();
        let patterns: Vec<String> =
            ["src/*.rs", "src/link.rs", "a.rs"].iter().map(ToString::to_string).collect();

        let expansion = expand("t", dir.path(), &patterns, &Exclude::default()).unwrap();
        let links: Vec<(&str, bool)> =
            expansion.files.iter().map(|file| (file.key.as_str(), file.is_link)).collect();
        assert_eq!(links, [("a.rs", false), ("src/b.rs", false), ("src/link.rs", true)]);

        let literal = expand("t", dir.path(), &patterns[1..2], &Exclude::default()).unwrap();
        assert_eq!(literal.files.len(), 1);
        assert!(literal.files[0].is_link, "a literal link is marked as a link");
    }

    #[test]
    fn invalid_glob_names_task_and_pattern() {
        let dir = tree(FILES);
        let patterns = vec!["src/[a.rs".to_string()];

        let err = expand("build", dir.path(), &patterns, &Exclude::default()).unwrap_err();

        let message = err.to_string();
        assert!(
            message.starts_with("task `build` has an invalid pattern `src/[a.rs`: "),
            "{message}"
        );
    }
}
