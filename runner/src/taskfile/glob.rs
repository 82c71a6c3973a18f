//! Matching `sources:` and `generates:` patterns the two ways go-task 3.54
//! does.
//!
//! A pattern of the shape `<literal dir>/**/<name pattern>` (one `**`, no
//! braces, nothing after the name) is a recursive walk of the directory whose
//! file names are matched with Go's `filepath.Match` rules, so it includes
//! dotfiles and dot-directories. Every other pattern is expanded like a shell
//! word with globstar and nullglob: braces expand, `**` crosses directories,
//! and `*` does not match a leading dot. Only regular files count, so a
//! directory matches nothing. `exclude:` entries apply in list order over the
//! matched set. The result is sorted and absolute.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Expands `globs` (pattern, is-exclude) relative to `dir`.
pub(crate) fn expand(dir: &Path, globs: &[(String, bool)]) -> Vec<PathBuf> {
    let mut files = BTreeSet::new();
    for (pattern, exclude) in globs {
        let matched = matches(dir, pattern);
        if *exclude {
            for file in matched {
                files.remove(&file);
            }
        } else {
            files.extend(matched);
        }
    }
    files.into_iter().collect()
}

/// Returns the regular files one pattern matches.
pub(crate) fn matches(dir: &Path, pattern: &str) -> Vec<PathBuf> {
    let pattern = expand_home(pattern);
    let full = if Path::new(&pattern).is_absolute() {
        pattern.clone()
    } else {
        format!("{}/{}", dir.display(), pattern)
    };
    let mut found = Vec::new();
    if let Some((root, name)) = fast_walk_shape(&full) {
        walk_all(Path::new(root), name, &mut found);
    } else {
        for alternative in expand_braces(&full) {
            shell_glob(&alternative, &mut found);
        }
    }
    found.sort();
    found.dedup();
    found
}

fn expand_home(pattern: &str) -> String {
    match (pattern.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => pattern.to_string(),
    }
}

fn fast_walk_shape(pattern: &str) -> Option<(&str, &str)> {
    if pattern.contains('{') || pattern.matches("**").count() != 1 {
        return None;
    }
    let (root, name) = pattern.split_once("/**/")?;
    if name.contains('/') || has_magic(root) {
        return None;
    }
    Some((root, name))
}

fn has_magic(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

fn walk_all(dir: &Path, name: &str, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(metadata) = std::fs::metadata(&path) else { continue };
        if metadata.is_dir() {
            walk_all(&path, name, found);
        } else if metadata.is_file() {
            let file_name = entry.file_name();
            if fnmatch(name, &file_name.to_string_lossy(), true) {
                log::trace!("source {}", path.display());
                found.push(path);
            }
        }
    }
}

/// Expands `{a,b}` alternatives, nested ones included.
pub(crate) fn expand_braces(pattern: &str) -> Vec<String> {
    let Some(open) = pattern.find('{') else {
        return vec![pattern.to_string()];
    };
    let mut depth = 0;
    let mut close = None;
    let mut commas = Vec::new();
    for (i, c) in pattern[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(open + i);
                    break;
                }
            }
            ',' if depth == 1 => commas.push(open + i),
            _ => {}
        }
    }
    let Some(close) = close else {
        return vec![pattern.to_string()];
    };
    if commas.is_empty() {
        let rest = expand_braces(&pattern[close + 1..]);
        return rest.into_iter().map(|r| format!("{}{r}", &pattern[..=close])).collect();
    }
    let mut bounds = vec![open];
    bounds.extend(&commas);
    bounds.push(close);
    let mut out = Vec::new();
    for pair in bounds.windows(2) {
        let middle = &pattern[pair[0] + 1..pair[1]];
        let joined = format!("{}{middle}{}", &pattern[..open], &pattern[close + 1..]);
        out.extend(expand_braces(&joined));
    }
    out
}

fn shell_glob(pattern: &str, found: &mut Vec<PathBuf>) {
    if !has_magic(pattern) {
        let path = PathBuf::from(pattern);
        if path.is_file() {
            found.push(path);
        }
        return;
    }
    let absolute = pattern.starts_with('/');
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    let start = if absolute { PathBuf::from("/") } else { PathBuf::from(".") };
    glob_parts(&start, &parts, found);
}

fn glob_parts(dir: &Path, parts: &[&str], found: &mut Vec<PathBuf>) {
    let Some((first, rest)) = parts.split_first() else {
        if dir.is_file() {
            found.push(dir.to_path_buf());
        }
        return;
    };
    if *first == "**" {
        glob_parts(dir, rest, found);
        for child in children(dir, false) {
            if child.is_dir() {
                glob_parts(&child, parts, found);
            }
        }
        return;
    }
    if !has_magic(first) {
        let next = dir.join(first);
        if rest.is_empty() {
            if next.is_file() {
                found.push(next);
            }
        } else if next.is_dir() {
            glob_parts(&next, rest, found);
        }
        return;
    }
    for child in children(dir, first.starts_with('.')) {
        let name = child.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !fnmatch(first, &name, false) {
            continue;
        }
        if rest.is_empty() {
            if child.is_file() {
                found.push(child);
            }
        } else if child.is_dir() {
            glob_parts(&child, rest, found);
        }
    }
}

fn children(dir: &Path, with_dot: bool) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| with_dot || !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// Matches one path component against `*`, `?` and `[...]`. With
/// `leading_dot`, `*` and `?` may match a leading `.` (Go's
/// `filepath.Match`); without it they may not (a shell glob).
pub(crate) fn fnmatch(pattern: &str, name: &str, leading_dot: bool) -> bool {
    if !leading_dot && name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    match_from(&pattern, &name)
}

fn match_from(pattern: &[char], name: &[char]) -> bool {
    match pattern.first() {
        None => name.is_empty(),
        Some('*') => (0..=name.len()).any(|skip| match_from(&pattern[1..], &name[skip..])),
        Some('?') => !name.is_empty() && match_from(&pattern[1..], &name[1..]),
        Some('[') => {
            let Some(end) = pattern.iter().skip(1).position(|c| *c == ']').map(|i| i + 1) else {
                return name.first() == Some(&'[') && match_from(&pattern[1..], &name[1..]);
            };
            let Some(c) = name.first() else { return false };
            let mut class = &pattern[1..end];
            let negate = matches!(class.first(), Some('!') | Some('^'));
            if negate {
                class = &class[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    hit |= class[i] <= *c && *c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == *c;
                    i += 1;
                }
            }
            hit != negate && match_from(&pattern[end + 1..], &name[1..])
        }
        Some('\\') if pattern.len() > 1 => {
            name.first() == Some(&pattern[1]) && match_from(&pattern[2..], &name[1..])
        }
        Some(p) => name.first() == Some(p) && match_from(&pattern[1..], &name[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_expand_nested() {
        assert_eq!(expand_braces("a/{b,c{d,e}}/f"), ["a/b/f", "a/cd/f", "a/ce/f"]);
    }

    #[test]
    fn fnmatch_leading_dot_rules() {
        assert!(fnmatch("*.txt", ".hidden.txt", true));
        assert!(!fnmatch("*.txt", ".hidden.txt", false));
        assert!(fnmatch("[a-c]?.md", "b1.md", false));
    }
}
