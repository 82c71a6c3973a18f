//! Error reports that point into a Taskfile: the message, then
//! `--> file:line:column`, the source line and a caret under the column.
//!
//! go-task's exit code for the class of error travels with the report, so
//! the `runner` binary exits as `task` would (109 for invalid YAML, 102 for a
//! decode error, 200 for an unknown task, ...).

use std::fmt::Write as _;
use std::path::Path;

use super::yaml::Pos;
use crate::{Error, ErrorKind};

/// go-task 3.54's exit codes for load and validation errors.
pub(crate) mod code {
    pub(crate) const NOT_FOUND: u8 = 100;
    pub(crate) const DECODE: u8 = 102;
    pub(crate) const VERSION: u8 = 107;
    pub(crate) const YAML: u8 = 109;
    pub(crate) const INCLUDE_CYCLE: u8 = 110;
    pub(crate) const UNKNOWN_TASK: u8 = 200;
    pub(crate) const NAME_CONFLICT: u8 = 203;
    pub(crate) const CYCLE: u8 = 204;
    pub(crate) const TEMPLATE: u8 = 1;
}

/// Builds the text of a report: `message`, then the location block when the
/// position is known.
pub(crate) fn render(message: &str, file: &Path, source: &str, pos: Pos) -> String {
    let mut out = message.to_string();
    if pos.line == 0 {
        let _ = write!(out, "\n  --> {}", display_path(file));
        return out;
    }
    let line_number = pos.line.to_string();
    let gutter = " ".repeat(line_number.len());
    let line = source.lines().nth(pos.line as usize - 1).unwrap_or("");
    let column = pos.column.max(1) as usize;
    let caret_pad: String =
        line.chars().take(column - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    let _ = write!(out, "\n{gutter}--> {}:{}:{}", display_path(file), pos.line, pos.column);
    let _ = write!(out, "\n{gutter} |\n{line_number} | {line}\n{gutter} | {caret_pad}^");
    out
}

/// Shows `path` relative to the working directory when it lies below it.
pub(crate) fn display_path(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    match relative {
        Some(relative) if !relative.as_os_str().is_empty() => relative.display().to_string(),
        _ => path.display().to_string(),
    }
}

/// Creates the library error for a Taskfile problem with go-task's exit code.
pub(crate) fn error(message: impl Into<String>, exit_code: u8) -> Error {
    Error::new(ErrorKind::Taskfile { message: message.into(), exit_code })
}

/// Creates an error that points at `pos` in `file`.
pub(crate) fn at(message: &str, file: &Path, source: &str, pos: Pos, exit_code: u8) -> Error {
    error(render(message, file, source, pos), exit_code)
}

/// Finds the position of byte `offset` of `text`, a string written at `pos`
/// in `source`. Plain, quoted and block scalars are searched line by line;
/// when the text cannot be found the node's own position is returned.
pub(crate) fn locate(source: &str, pos: Pos, text: &str, offset: usize) -> Pos {
    if pos.line == 0 {
        return pos;
    }
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let segment = &text[line_start..line_end];
    let column_in_segment = text[line_start..offset].chars().count();
    let lines: Vec<&str> = source.lines().collect();
    let first = pos.line as usize - 1;
    for (index, line) in lines.iter().enumerate().skip(first).take(200) {
        let from = if index == first { (pos.column as usize).saturating_sub(1) } else { 0 };
        let byte_from = line.char_indices().nth(from).map_or(line.len(), |(i, _)| i);
        if let Some(found) = line[byte_from..].find(segment) {
            let column = line[..byte_from + found].chars().count() + column_in_segment + 1;
            return Pos { line: index as u32 + 1, column: column as u32 };
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_points_caret_at_column() {
        let source = "version: '3'\ntasks:\n  a: [1\n";
        let text = render("bad", Path::new("/x/Taskfile.yml"), source, Pos { line: 3, column: 6 });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "bad");
        assert_eq!(lines[1], " --> /x/Taskfile.yml:3:6");
        assert_eq!(lines[3], "3 |   a: [1");
        assert_eq!(lines[4], "  |      ^");
    }

    #[test]
    fn locate_finds_offset_in_quoted_scalar() {
        let source = "a:\n  cmd: 'echo {{.X'\n";
        let pos = locate(source, Pos { line: 2, column: 8 }, "echo {{.X", 5);
        assert_eq!(pos, Pos { line: 2, column: 14 });
    }

    #[test]
    fn locate_finds_line_in_block_scalar() {
        let source = "a: |\n  one\n  two {{x\n";
        let pos = locate(source, Pos { line: 1, column: 4 }, "one\ntwo {{x\n", 8);
        assert_eq!(pos, Pos { line: 3, column: 7 });
    }
}
