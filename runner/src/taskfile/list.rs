//! `--list`, `--list-all` and `--list --silent`, laid out as go-task 3.54
//! lays them out.
//!
//! Tasks of the root namespace come first, then the others, each group in
//! alphanumeric order. Internal tasks are hidden, and `--list` shows only
//! tasks with a `desc`. The columns are those of Go's tabwriter in go-task:
//! the name column is 7 wider than its widest cell, and the description
//! column 6 wider than its widest cell within each run of lines that have
//! aliases.

use super::load::{Project, TaskEntry};
use super::messages;
use super::template::Value;
use super::vars::{Resolver, Vars};

/// Returns the tasks a listing shows, in order.
pub(crate) fn listed(project: &Project, all: bool) -> Vec<&TaskEntry> {
    let mut tasks: Vec<&TaskEntry> =
        project.tasks.iter().filter(|t| !t.internal && (all || t.def.desc.is_some())).collect();
    tasks.sort_by(|a, b| {
        let a_nested = a.name.contains(':');
        let b_nested = b.name.contains(':');
        a_nested.cmp(&b_nested).then_with(|| a.name.cmp(&b.name))
    });
    tasks
}

/// Formats the listing, or `None` when there is nothing to list.
/// Descriptions are rendered with the OS environment and the static global
/// vars, without running `sh:` vars, with newlines replaced by spaces.
pub(crate) fn format(project: &Project, all: bool, names_only: bool) -> Option<String> {
    let tasks = listed(project, all);
    let mut resolver = Resolver::new(false);
    resolver.skip_sh = true;
    let mut vars: Vars = std::env::vars().map(|(k, v)| (k, Value::String(v))).collect();
    let defs = project.vars.iter().map(|(d, f)| (d, *f));
    let _ = resolver.eval_all(project, defs, &mut vars, &project.root_dir);
    if tasks.is_empty() {
        return None;
    }
    if names_only {
        let mut out = String::new();
        for task in tasks {
            out.push_str(&task.name);
            out.push('\n');
            for alias in &task.aliases {
                out.push_str(alias);
                out.push('\n');
            }
        }
        return Some(out);
    }
    let rows: Vec<(String, String, Option<String>)> = tasks
        .iter()
        .map(|t| {
            let desc = match &t.def.desc {
                Some(desc) => resolver.render(project, t.file, desc, &vars).unwrap_or_default(),
                None => String::new(),
            };
            // go-task replaces newlines with spaces and keeps the trailing one of a
            // block scalar, which widens the column by one.
            let desc = desc.replace('\n', " ");
            let aliases =
                (!t.aliases.is_empty()).then(|| format!("(aliases: {})", t.aliases.join(", ")));
            (format!("* {}:", t.name), desc, aliases)
        })
        .collect();
    let name_width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0) + 7;
    let mut desc_widths = vec![0; rows.len()];
    let mut start = 0;
    while start < rows.len() {
        if rows[start].2.is_none() {
            start += 1;
            continue;
        }
        let mut end = start;
        while end < rows.len() && rows[end].2.is_some() {
            end += 1;
        }
        let width = rows[start..end].iter().map(|r| r.1.chars().count()).max().unwrap_or(0) + 6;
        for slot in &mut desc_widths[start..end] {
            *slot = width;
        }
        start = end;
    }
    let mut out = format!("{}\n", messages::AVAILABLE_TASKS);
    for (row, desc_width) in rows.iter().zip(desc_widths) {
        out.push_str(&pad(&row.0, name_width));
        match &row.2 {
            Some(aliases) => {
                out.push_str(&pad(&row.1, desc_width));
                out.push_str(aliases);
            }
            None => out.push_str(&row.1),
        }
        out.push('\n');
    }
    Some(out)
}

fn pad(text: &str, width: usize) -> String {
    let len = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(len)))
}

/// Finds the known name closest to `name` for "Did you mean" hints.
pub(crate) fn suggest<'a>(project: &'a Project, name: &str) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for task in project.tasks.iter().filter(|t| !t.internal) {
        for candidate in std::iter::once(&task.name).chain(task.aliases.iter()) {
            let distance = levenshtein(name, candidate);
            if distance <= 2 && best.is_none_or(|(d, _)| distance < d) {
                best = Some((distance, candidate));
            }
        }
    }
    best.map(|(_, candidate)| candidate)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] =
                if ca == *cb { previous } else { 1 + previous.min(row[j]).min(row[j + 1]) };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_counts_edits() {
        assert_eq!(levenshtein("shrt", "short"), 1);
        assert_eq!(levenshtein("prepar", "prepare"), 1);
        assert_eq!(levenshtein("abc", "xyz"), 3);
    }
}
