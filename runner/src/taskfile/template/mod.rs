//! A Go `text/template` engine for the strings of a go-task `Taskfile.yml`.
//!
//! go-task renders almost every string field of a Taskfile with Go's
//! `text/template`, plus the sprig function library and its own functions.
//! This module implements the part of that language that Taskfiles use:
//!
//! - text and `{{ }}` actions, `{{-` and `-}}` whitespace trimming, and
//!   `{{/* comments */}}`;
//! - fields (`.`, `.X`, `.X.y`), variables (`$`, `$x := ...`, `$x = ...`),
//!   pipelines (`.X | default "d"`) and parenthesised sub-pipelines;
//! - string, raw string, character, number, `true`, `false` and `nil` literals;
//! - `if`/`else if`/`else`, `with`/`else with`/`else`, and `range` over lists,
//!   maps (in key order) and integers, with `else`, `break` and `continue`;
//! - Go's builtins (`eq`, `ne`, `lt`, `and`, `len`, `index`, `printf`, ...),
//!   the sprig functions Taskfiles call, and go-task's own functions.
//!
//! Rendering follows go-task. A missing variable prints as nothing, because
//! go-task deletes the `<no value>` that Go prints. Values print as Go's `%v`
//! prints them (`[a b]`, `map[a:1]`). A piped value becomes the last argument
//! of the next function, which is sprig's convention: `{{.L | join ","}}` is
//! `join "," .L`.
//!
//! A template is parsed once and rendered many times. Syntax errors, unknown
//! functions and undefined variables are reported by [`Template::parse`];
//! type errors such as `len 3` by [`Template::render`]. Each error carries the
//! byte offset in the template text, so a caller can show a line and column.
//!
//! Not supported: `define`, `template` and `block` (every Taskfile field is a
//! single template), custom delimiters, Go's `call`, and method calls other
//! than the `time.Time` methods on `now`. Because the value type has no time
//! variant, `now` returns Go's time text, so `printf "%T" now` prints
//! `string` where Go prints `time.Time`. Of the functions go-task ships,
//! these are missing: `set` and `unset` (which mutate a map in place) and
//! the network lookup `getHostByName`.

// NOTE: the Taskfile loader is this module's only caller. Until it is
// merged, nothing else in the crate calls the engine.
#![allow(dead_code)]

mod eval;
mod funcs;
mod lexer;
mod parse;
mod value;

#[cfg(test)]
mod tests;

use std::fmt;

pub(crate) use value::Value;

/// A template that failed to parse or render.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TemplateError {
    /// The description of the problem, lowercase, without the location.
    pub(crate) message: String,
    /// The byte offset in the template text where the problem starts.
    pub(crate) offset: usize,
}

impl TemplateError {
    pub(crate) fn new(message: impl Into<String>, offset: usize) -> TemplateError {
        TemplateError { message: message.into(), offset }
    }

    /// Returns the 1-based line and column (in characters) of the error's
    /// offset in `text`, the template the error came from.
    pub(crate) fn line_column(&self, text: &str) -> (usize, usize) {
        let mut end = self.offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        (line, before[line_start..].chars().count() + 1)
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {}

/// A parsed template.
#[derive(Debug)]
pub(crate) struct Template {
    nodes: Vec<parse::Node>,
}

impl Template {
    /// Parses template text. Fails on a syntax error, an unknown function or
    /// an undefined variable.
    pub(crate) fn parse(text: &str) -> Result<Template, TemplateError> {
        let tokens = lexer::lex(text)?;
        let nodes = parse::parse(tokens, text.len())?;
        Ok(Template { nodes })
    }

    /// Renders the template with `data` as dot (usually a map of variables).
    pub(crate) fn render(&self, data: &Value) -> Result<String, TemplateError> {
        eval::render(&self.nodes, data)
    }
}

/// Parses and renders `text` in one step. Text without `{{` is returned
/// unchanged without parsing, as go-task does.
pub(crate) fn render(text: &str, data: &Value) -> Result<String, TemplateError> {
    if !text.contains("{{") {
        return Ok(text.to_owned());
    }
    Template::parse(text)?.render(data)
}
