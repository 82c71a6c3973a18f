//! String functions: sprig's text helpers and regular expressions, and
//! go-task's shell-word and line helpers.
//!
//! Sprig's argument order puts the subject last, so a pipe feeds it:
//! `{{.X | trimPrefix "v"}}` is `trimPrefix "v" .X`.
//!
//! Regular expressions use the regex-automata engine that globset already
//! builds, without its Unicode tables. Go's `\d`, `\w`, `\s` and `\b` are
//! ASCII-only, so they are rewritten to ASCII classes before compiling, which
//! keeps Go's meaning. NOTE: `(?i)` and Unicode classes such as `\pL` fail to
//! compile with an error, because those tables are not built.

use regex_automata::meta::Regex;

use super::{int_arg, shown, string_arg, strval};
use crate::taskfile::template::value::Value;

/// The largest string that `repeat` builds, to keep a typo from exhausting memory.
const MAX_REPEAT_BYTES: usize = 16 << 20;

fn string_result(text: String) -> Result<Value, String> {
    Ok(Value::String(text))
}

pub(super) fn upper(args: &[Value]) -> Result<Value, String> {
    string_result(string_arg(args, 0)?.to_uppercase())
}

pub(super) fn lower(args: &[Value]) -> Result<Value, String> {
    string_result(string_arg(args, 0)?.to_lowercase())
}

/// Upper-cases the first letter of each word, as Go's `strings.Title` does:
/// a word starts after any character that is not a letter, digit or `_`.
pub(super) fn title(args: &[Value]) -> Result<Value, String> {
    let mut out = String::new();
    let mut previous_is_word = false;
    for character in string_arg(args, 0)?.chars() {
        if previous_is_word {
            out.push(character);
        } else {
            out.extend(character.to_uppercase());
        }
        previous_is_word = character.is_alphanumeric() || character == '_';
    }
    string_result(out)
}

pub(super) fn trim(args: &[Value]) -> Result<Value, String> {
    string_result(string_arg(args, 0)?.trim().to_owned())
}

pub(super) fn trim_all(args: &[Value]) -> Result<Value, String> {
    let cutset: Vec<char> = string_arg(args, 0)?.chars().collect();
    string_result(string_arg(args, 1)?.trim_matches(cutset.as_slice()).to_owned())
}

pub(super) fn trim_prefix(args: &[Value]) -> Result<Value, String> {
    let prefix = string_arg(args, 0)?;
    let text = string_arg(args, 1)?;
    string_result(text.strip_prefix(prefix).unwrap_or(text).to_owned())
}

pub(super) fn trim_suffix(args: &[Value]) -> Result<Value, String> {
    let suffix = string_arg(args, 0)?;
    let text = string_arg(args, 1)?;
    string_result(text.strip_suffix(suffix).unwrap_or(text).to_owned())
}

/// `replace old new text`, replacing every occurrence. An empty `old`
/// inserts `new` between characters, as Go's `strings.ReplaceAll` does.
pub(super) fn replace(args: &[Value]) -> Result<Value, String> {
    let old = string_arg(args, 0)?;
    let new = string_arg(args, 1)?;
    let text = string_arg(args, 2)?;
    if !old.is_empty() {
        return string_result(text.replace(old, new));
    }

    let mut out = String::from(new);
    for character in text.chars() {
        out.push(character);
        out.push_str(new);
    }
    string_result(out)
}

pub(super) fn contains(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Bool(string_arg(args, 1)?.contains(string_arg(args, 0)?)))
}

pub(super) fn has_prefix(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Bool(string_arg(args, 1)?.starts_with(string_arg(args, 0)?)))
}

pub(super) fn has_suffix(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Bool(string_arg(args, 1)?.ends_with(string_arg(args, 0)?)))
}

/// Splits like Go's `strings.Split`: an empty separator splits into characters.
fn go_split(text: &str, separator: &str) -> Vec<String> {
    if separator.is_empty() {
        return text.chars().map(String::from).collect();
    }
    text.split(separator).map(str::to_owned).collect()
}

/// `split sep text`: a map from `_0`, `_1`, ... to the pieces.
pub(super) fn split(args: &[Value]) -> Result<Value, String> {
    let pieces = go_split(string_arg(args, 1)?, string_arg(args, 0)?);
    let entries = pieces
        .into_iter()
        .enumerate()
        .map(|(position, piece)| (format!("_{position}"), Value::String(piece)));
    Ok(Value::Map(entries.collect()))
}

/// `splitList sep text`: the pieces as a list.
pub(super) fn split_list(args: &[Value]) -> Result<Value, String> {
    let pieces = go_split(string_arg(args, 1)?, string_arg(args, 0)?);
    Ok(Value::List(pieces.into_iter().map(Value::String).collect()))
}

/// `splitn sep count text`: at most `count` pieces, in a `_0`, `_1`, ... map.
pub(super) fn splitn(args: &[Value]) -> Result<Value, String> {
    let separator = string_arg(args, 0)?;
    let count = int_arg(args, 1)?;
    let text = string_arg(args, 2)?;
    let pieces: Vec<&str> = match usize::try_from(count) {
        Ok(0) => Vec::new(),
        Ok(count) if !separator.is_empty() => text.splitn(count, separator).collect(),
        _ => text.split(separator).collect(),
    };
    let entries = pieces
        .into_iter()
        .enumerate()
        .map(|(position, piece)| (format!("_{position}"), Value::String(piece.to_owned())));
    Ok(Value::Map(entries.collect()))
}

pub(super) fn repeat(args: &[Value]) -> Result<Value, String> {
    let count = int_arg(args, 0)?;
    let text = string_arg(args, 1)?;
    let count = usize::try_from(count).map_err(|_| "negative repeat count".to_owned())?;
    if count.saturating_mul(text.len()) > MAX_REPEAT_BYTES {
        return Err(format!("the result would exceed {MAX_REPEAT_BYTES} bytes"));
    }
    string_result(text.repeat(count))
}

/// `substr start end text` over bytes, as sprig does: a negative start means
/// 0, and a negative or too large end means the end of the text.
pub(super) fn substr(args: &[Value]) -> Result<Value, String> {
    let start = int_arg(args, 0)?;
    let end = int_arg(args, 1)?;
    let text = string_arg(args, 2)?;

    let length = text.len() as i64;
    let start = start.max(0);
    let end = if end < 0 || end > length { length } else { end };
    if start > end {
        return Err(format!("slice bounds out of range [{start}:{end}]"));
    }
    let bytes = &text.as_bytes()[start as usize..end as usize];
    string_result(String::from_utf8_lossy(bytes).into_owned())
}

/// `trunc count text`: the first `count` bytes, or with a negative count the last ones.
pub(super) fn trunc(args: &[Value]) -> Result<Value, String> {
    let count = int_arg(args, 0)?;
    let text = string_arg(args, 1)?;
    let length = text.len() as i64;
    let bytes = text.as_bytes();
    let piece = if count < 0 && length + count > 0 {
        &bytes[(length + count) as usize..]
    } else if count >= 0 && length > count {
        &bytes[..count as usize]
    } else {
        bytes
    };
    string_result(String::from_utf8_lossy(piece).into_owned())
}

/// `cat a b ...`: the non-nil arguments joined with spaces.
pub(super) fn cat(args: &[Value]) -> Result<Value, String> {
    let parts: Vec<String> = args.iter().filter(|arg| **arg != Value::Nil).map(strval).collect();
    string_result(parts.join(" "))
}

pub(super) fn quote(args: &[Value]) -> Result<Value, String> {
    let parts: Vec<String> = args
        .iter()
        .filter(|arg| **arg != Value::Nil)
        .map(|arg| super::printf::quote_string(&strval(arg)))
        .collect();
    string_result(parts.join(" "))
}

pub(super) fn squote(args: &[Value]) -> Result<Value, String> {
    let parts: Vec<String> = args
        .iter()
        .filter(|arg| **arg != Value::Nil)
        .map(|arg| format!("'{}'", strval(arg)))
        .collect();
    string_result(parts.join(" "))
}

fn indent_text(args: &[Value]) -> Result<String, String> {
    let count = usize::try_from(int_arg(args, 0)?).unwrap_or(0).min(MAX_REPEAT_BYTES);
    let padding = " ".repeat(count);
    let text = string_arg(args, 1)?;
    Ok(format!("{padding}{}", text.replace('\n', &format!("\n{padding}"))))
}

pub(super) fn indent(args: &[Value]) -> Result<Value, String> {
    string_result(indent_text(args)?)
}

pub(super) fn nindent(args: &[Value]) -> Result<Value, String> {
    string_result(format!("\n{}", indent_text(args)?))
}

/// go-task's `catLines`: line breaks become spaces.
pub(super) fn cat_lines(args: &[Value]) -> Result<Value, String> {
    string_result(string_arg(args, 0)?.replace("\r\n", " ").replace('\n', " "))
}

/// go-task's `splitLines`: the lines, split at `\n` or `\r\n`.
pub(super) fn split_lines(args: &[Value]) -> Result<Value, String> {
    let text = string_arg(args, 0)?.replace("\r\n", "\n");
    Ok(Value::List(text.split('\n').map(|line| Value::String(line.to_owned())).collect()))
}

/// go-task's `splitArgs`: splits a command line into words the way a POSIX
/// shell does, honouring single quotes, double quotes and backslashes.
/// NOTE: `$VAR` is kept as text, while go-task expands it (to nothing).
pub(super) fn split_args(args: &[Value]) -> Result<Value, String> {
    let text = string_arg(args, 0)?;
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = text.chars();

    while let Some(character) = chars.next() {
        match character {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(Value::String(std::mem::take(&mut current)));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                let mut closed = false;
                for inner in chars.by_ref() {
                    if inner == '\'' {
                        closed = true;
                        break;
                    }
                    current.push(inner);
                }
                if !closed {
                    return Err("reached EOF without closing quote '".to_owned());
                }
            }
            '"' => {
                in_word = true;
                let mut closed = false;
                while let Some(inner) = chars.next() {
                    match inner {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.next() {
                            Some(escaped @ ('"' | '\\' | '$' | '`')) => current.push(escaped),
                            Some('\n') => {}
                            Some(other) => {
                                current.push('\\');
                                current.push(other);
                            }
                            None => break,
                        },
                        other => current.push(other),
                    }
                }
                if !closed {
                    return Err("reached EOF without closing quote \"".to_owned());
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') | None => {}
                    Some(escaped) => current.push(escaped),
                }
            }
            other => {
                in_word = true;
                current.push(other);
            }
        }
    }
    if in_word {
        words.push(Value::String(current));
    }
    Ok(Value::List(words))
}

/// go-task's `shellQuote`: the text as one bash word. Plain words stay as
/// they are and others get single quotes. Text with a single quote gets
/// double quotes, and text with control characters gets `$'...'`.
pub(super) fn shell_quote(args: &[Value]) -> Result<Value, String> {
    let text = string_arg(args, 0)?;
    if text.is_empty() {
        return string_result("''".to_owned());
    }

    const RESERVED: &[&str] = &[
        "!", "[[", "]]", "{", "}", "case", "coproc", "do", "done", "elif", "else", "esac", "fi",
        "for", "function", "if", "in", "select", "then", "time", "until", "while",
    ];
    let special =
        |character: char| "\t\n\u{b}\u{c}\r !\"#$&'()*;<=>?[\\]^`{|}~".contains(character);
    if !text.chars().any(special) && !RESERVED.contains(&text) {
        return string_result(text.to_owned());
    }

    if text.chars().any(|character| character.is_control()) {
        let mut out = String::from("$'");
        for character in text.chars() {
            match character {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                other if other.is_control() => out.push_str(&format!("\\x{:02x}", other as u32)),
                other => out.push(other),
            }
        }
        out.push('\'');
        return string_result(out);
    }

    if !text.contains('\'') {
        return string_result(format!("'{text}'"));
    }

    let mut out = String::from('"');
    for character in text.chars() {
        if matches!(character, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(character);
    }
    out.push('"');
    string_result(out)
}

/// Rewrites Go's ASCII Perl classes so the pattern compiles without Unicode tables.
fn translate_go_regex(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(character) = chars.next() {
        match character {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let replacement = match (next, in_class) {
                    ('d', false) => "[0-9]",
                    ('d', true) => "0-9",
                    ('D', false) => "[^0-9]",
                    ('w', false) => "[0-9A-Za-z_]",
                    ('w', true) => "0-9A-Za-z_",
                    ('W', false) => "[^0-9A-Za-z_]",
                    ('s', false) => "[\\t\\n\\f\\r ]",
                    ('s', true) => "\\t\\n\\f\\r ",
                    ('S', false) => "[^\\t\\n\\f\\r ]",
                    ('b', false) => "(?-u:\\b)",
                    ('B', false) => "(?-u:\\B)",
                    _ => {
                        out.push('\\');
                        out.push(next);
                        continue;
                    }
                };
                out.push_str(replacement);
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            other => out.push(other),
        }
    }
    out
}

fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(&translate_go_regex(pattern)).map_err(|error| {
        format!("regexp: Compile({}): {error}", shown(&Value::String(pattern.to_owned())))
    })
}

pub(super) fn regex_match(args: &[Value]) -> Result<Value, String> {
    let regex = compile(string_arg(args, 0)?)?;
    Ok(Value::Bool(regex.is_match(string_arg(args, 1)?)))
}

/// `regexReplaceAll regex text replacement`, where `$1` and `${name}` in the
/// replacement expand to capture groups, as in Go's `Regexp.ReplaceAllString`.
pub(super) fn regex_replace_all(args: &[Value]) -> Result<Value, String> {
    replace_matches(args, true)
}

/// `regexReplaceAllLiteral regex text replacement`, with no `$` expansion.
pub(super) fn regex_replace_all_literal(args: &[Value]) -> Result<Value, String> {
    replace_matches(args, false)
}

fn replace_matches(args: &[Value], expand: bool) -> Result<Value, String> {
    let regex = compile(string_arg(args, 0)?)?;
    let text = string_arg(args, 1)?;
    let replacement = string_arg(args, 2)?;

    let mut out = String::with_capacity(text.len());
    let mut last_end = 0;
    for captures in regex.captures_iter(text) {
        let Some(found) = captures.get_match() else { continue };
        out.push_str(&text[last_end..found.start()]);
        if expand {
            captures.interpolate_string_into(text, replacement, &mut out);
        } else {
            out.push_str(replacement);
        }
        last_end = found.end();
    }
    out.push_str(&text[last_end..]);
    string_result(out)
}

/// `regexFindAll regex text count`: up to `count` matches, all when negative.
pub(super) fn regex_find_all(args: &[Value]) -> Result<Value, String> {
    let regex = compile(string_arg(args, 0)?)?;
    let text = string_arg(args, 1)?;
    let limit = usize::try_from(int_arg(args, 2)?).unwrap_or(usize::MAX);
    let found = regex
        .find_iter(text)
        .take(limit)
        .map(|found| Value::String(text[found.range()].to_owned()));
    Ok(Value::List(found.collect()))
}

/// `regexFind regex text`: the first match, or an empty string.
pub(super) fn regex_find(args: &[Value]) -> Result<Value, String> {
    let regex = compile(string_arg(args, 0)?)?;
    let text = string_arg(args, 1)?;
    let found = regex.find(text).map(|found| text[found.range()].to_owned());
    string_result(found.unwrap_or_default())
}

/// `regexSplit regex text count`: the text split at matches into at most
/// `count` pieces, all when negative, as Go's `Regexp.Split` does.
pub(super) fn regex_split(args: &[Value]) -> Result<Value, String> {
    let regex = compile(string_arg(args, 0)?)?;
    let text = string_arg(args, 1)?;
    let count = int_arg(args, 2)?;
    if count == 0 {
        return Ok(Value::List(Vec::new()));
    }
    if text.is_empty() {
        return Ok(Value::List(vec![Value::String(String::new())]));
    }

    let limit = usize::try_from(count).ok();
    let mut pieces = Vec::new();
    let (mut start, mut end) = (0, 0);
    for found in regex.find_iter(text) {
        if limit.is_some_and(|limit| pieces.len() + 1 == limit) {
            break;
        }
        end = found.start();
        if found.end() != 0 {
            pieces.push(Value::String(text[start..end].to_owned()));
        }
        start = found.end();
    }
    if end != text.len() {
        pieces.push(Value::String(text[start..].to_owned()));
    }
    Ok(Value::List(pieces))
}

/// `regexQuoteMeta text`: the text with regular expression syntax escaped.
pub(super) fn regex_quote_meta(args: &[Value]) -> Result<Value, String> {
    let mut out = String::new();
    for character in string_arg(args, 0)?.chars() {
        if "\\.+*?()|[]{}^$".contains(character) {
            out.push('\\');
        }
        out.push(character);
    }
    string_result(out)
}

/// `plural one many count`: `one` when the count is 1, `many` otherwise.
pub(super) fn plural(args: &[Value]) -> Result<Value, String> {
    let one = string_arg(args, 0)?;
    let many = string_arg(args, 1)?;
    string_result(if int_arg(args, 2)? == 1 { one } else { many }.to_owned())
}
