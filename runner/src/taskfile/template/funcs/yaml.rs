//! YAML functions: `fromYaml` and `toYaml`, with go-yaml v3's behaviour.
//!
//! Decoding uses serde-saphyr set to YAML 1.2, as go-yaml v3 reads it: `yes`
//! is text, `.inf` is a float, and only the first document counts.
//!
//! Encoding reproduces the output of go-yaml v3, which `toYaml` returns. It
//! writes block style with keys in go-yaml's natural order. Nested
//! collections are indented to the next multiple of four columns, or two
//! inside a `- ` item. Empty collections print as `[]` and `{}`, and
//! multi-line text as a `|` block. Text that would read back as another type
//! (`"yes"`, `"1"`, `""`) is double quoted, and text that starts with an
//! indicator (`'- a'`, `'#x'`) is single quoted. NOTE: the plain and quoted forms follow go-yaml's rules for the
//! cases tested here, and rarer scalars may be quoted differently.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::string_arg;
use crate::taskfile::template::value::{Value, format_float_shortest};

/// A value read from YAML, which `fromYaml` returns.
struct YamlValue(Value);

impl<'de> serde::Deserialize<'de> for YamlValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<YamlValue, D::Error> {
        deserializer.deserialize_any(YamlVisitor).map(YamlValue)
    }
}

/// Builds template values from YAML, as go-yaml decodes into `interface{}`:
/// integers as ints, other numbers as floats, and map keys as text.
struct YamlVisitor;

impl<'de> serde::de::Visitor<'de> for YamlVisitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_bool<E>(self, flag: bool) -> Result<Value, E> {
        Ok(Value::Bool(flag))
    }

    fn visit_i64<E>(self, number: i64) -> Result<Value, E> {
        Ok(Value::Int(number))
    }

    /// Keeps integers above `i64::MAX` as floats, because the value type has
    /// no unsigned integer. go-yaml keeps them exact as `uint64`.
    fn visit_u64<E>(self, number: u64) -> Result<Value, E> {
        Ok(i64::try_from(number).map_or(Value::Float(number as f64), Value::Int))
    }

    fn visit_f64<E>(self, number: f64) -> Result<Value, E> {
        Ok(Value::Float(number))
    }

    fn visit_str<E>(self, text: &str) -> Result<Value, E> {
        Ok(Value::String(text.to_owned()))
    }

    fn visit_string<E>(self, text: String) -> Result<Value, E> {
        Ok(Value::String(text))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(YamlVisitor)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut sequence: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(YamlValue(item)) = sequence.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = BTreeMap::new();
        while let Some((YamlValue(key), YamlValue(item))) = map.next_entry()? {
            let key = match key {
                Value::String(text) => text,
                other => other.go_string_nested(),
            };
            entries.insert(key, item);
        }
        Ok(Value::Map(entries))
    }
}

fn decode_yaml(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Nil);
    }

    // go-yaml v3 reads YAML 1.2, where `yes` is text and `.inf` is a float,
    // and it decodes only the first document.
    let options = serde_saphyr::options! {
        strict_booleans: true,
        non_finite_float_policy: serde_saphyr::options::NonFiniteFloatPolicy::PassThrough,
        with_snippet: false,
    };
    let documents =
        serde_saphyr::from_str_multiple_with_options::<YamlValue, Vec<YamlValue>>(text, options)
            .map_err(|error| format!("yaml: {error}"))?;
    Ok(documents.into_iter().next().map_or(Value::Nil, |YamlValue(value)| value))
}

/// `fromYaml text`: the decoded value, or nil when the text is not YAML.
pub(super) fn from_yaml(args: &[Value]) -> Result<Value, String> {
    Ok(decode_yaml(string_arg(args, 0)?).unwrap_or(Value::Nil))
}

pub(super) fn must_from_yaml(args: &[Value]) -> Result<Value, String> {
    decode_yaml(string_arg(args, 0)?)
}

/// `toYaml value`: the value as go-yaml v3 writes it, with a final newline.
pub(super) fn to_yaml(args: &[Value]) -> Result<Value, String> {
    Ok(Value::String(encode_yaml(&args[0])))
}

fn encode_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Map(entries) if !entries.is_empty() => write_map(&mut out, entries, 0, false),
        Value::List(items) if !items.is_empty() => write_sequence(&mut out, items, 0, false),
        Value::String(text) if text.contains('\n') && literal_allowed(text) => {
            write_literal(&mut out, text, BEST_INDENT);
        }
        scalar => {
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
    out
}

/// The indentation step of go-yaml's emitter.
const BEST_INDENT: usize = 4;

/// Returns the indentation of a collection nested in a map value: the next
/// multiple of four columns, as go-yaml v3 aligns it.
fn nested_indent(indent: usize) -> usize {
    BEST_INDENT * ((indent + BEST_INDENT) / BEST_INDENT)
}

fn write_map(
    out: &mut String,
    entries: &BTreeMap<String, Value>,
    indent: usize,
    inline_first: bool,
) {
    for (position, (key, value)) in sorted_keys(entries).into_iter().enumerate() {
        if position > 0 || !inline_first {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&scalar_text(&Value::String(key.clone())));
        out.push(':');

        match value {
            Value::Map(inner) if !inner.is_empty() => {
                out.push('\n');
                write_map(out, inner, nested_indent(indent), false);
            }
            Value::List(items) if !items.is_empty() => {
                out.push('\n');
                write_sequence(out, items, nested_indent(indent), false);
            }
            Value::String(text) if text.contains('\n') && literal_allowed(text) => {
                out.push(' ');
                write_literal(out, text, nested_indent(indent));
            }
            scalar => {
                out.push(' ');
                out.push_str(&scalar_text(scalar));
                out.push('\n');
            }
        }
    }
}

fn write_sequence(out: &mut String, items: &[Value], indent: usize, inline_first: bool) {
    for (position, item) in items.iter().enumerate() {
        if position > 0 || !inline_first {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");

        match item {
            Value::Map(inner) if !inner.is_empty() => write_map(out, inner, indent + 2, true),
            Value::List(nested) if !nested.is_empty() => {
                write_sequence(out, nested, indent + 2, true)
            }
            Value::String(text) if text.contains('\n') && literal_allowed(text) => {
                write_literal(out, text, indent + 2);
            }
            scalar => {
                out.push_str(&scalar_text(scalar));
                out.push('\n');
            }
        }
    }
}

/// Writes multi-line text as a literal block: `|`, an indentation digit when
/// the text starts with a space or a line break, and the chomping indicator
/// (`-` without a final line break, `+` with more than one).
fn write_literal(out: &mut String, text: &str, content_indent: usize) {
    out.push('|');
    if text.starts_with([' ', '\n']) {
        let _ = write!(out, "{BEST_INDENT}");
    }
    if !text.ends_with('\n') {
        out.push('-');
    } else if text.ends_with("\n\n") {
        out.push('+');
    }
    out.push('\n');

    let body = text.strip_suffix('\n').unwrap_or(text);
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&" ".repeat(content_indent));
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// Reports whether go-yaml writes multi-line text as a literal block, which
/// it does unless a space ends a line or the text contains control characters
/// other than tabs.
fn literal_allowed(text: &str) -> bool {
    !text.contains(" \n")
        && !text.ends_with(' ')
        && !text
            .chars()
            .any(|character| character.is_control() && !matches!(character, '\n' | '\t'))
}

/// Formats a scalar, or an empty collection, on one line. Text with line
/// breaks or other control characters is double quoted, because a line
/// cannot hold it plainly.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::Nil => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Int(number) => number.to_string(),
        Value::Float(number) if number.is_nan() => ".nan".to_owned(),
        Value::Float(number) if number.is_infinite() => {
            if *number > 0.0 { ".inf" } else { "-.inf" }.to_owned()
        }
        Value::Float(number) => format_float_shortest(*number),
        Value::List(_) => "[]".to_owned(),
        Value::Map(_) => "{}".to_owned(),
        Value::String(text) => {
            if text.chars().any(char::is_control) || resolves_as_other_type(text) {
                double_quoted(text)
            } else if has_indicator(text) {
                format!("'{}'", text.replace('\'', "''"))
            } else {
                text.clone()
            }
        }
    }
}

fn double_quoted(text: &str) -> String {
    let mut out = String::from('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            other if other.is_control() => {
                let _ = write!(out, "\\x{:02X}", other as u32);
            }
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// Reports whether plain text would start or contain a YAML indicator, so
/// go-yaml single-quotes it.
fn has_indicator(text: &str) -> bool {
    if text.starts_with(' ')
        || text.ends_with(' ')
        || text.starts_with("---")
        || text.starts_with("...")
    {
        return true;
    }

    let chars: Vec<char> = text.chars().collect();
    let followed_by_space = |index: usize| chars.get(index + 1).is_none_or(|next| *next == ' ');
    let first = chars[0];
    if "#,[]{}&*!|>'\"%@`".contains(first) {
        return true;
    }
    if matches!(first, '?' | ':' | '-') && followed_by_space(0) {
        return true;
    }

    (1..chars.len()).any(|index| {
        (chars[index] == ':' && followed_by_space(index))
            || (chars[index] == '#' && chars[index - 1] == ' ')
    })
}

/// Reports whether go-yaml v3 would read the plain text back as something
/// other than a string: null, a boolean (also YAML 1.1's `yes` and `on`), a
/// number, a timestamp or a sexagesimal number.
fn resolves_as_other_type(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "y",
        "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
        ".nan", ".NaN", ".NAN",
    ];
    if WORDS.contains(&text) {
        return true;
    }

    let plain = text.replace('_', "");
    is_go_integer(&plain) || is_yaml_float(&plain) || is_timestamp(text) || is_sexagesimal(text)
}

/// Checks Go's `strconv.ParseInt(text, 0, 64)` syntax, ignoring overflow.
fn is_go_integer(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let lower = body.to_ascii_lowercase();
    let (digits, radix) = if let Some(rest) = lower.strip_prefix("0x") {
        (rest, 16)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (rest, 8)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (rest, 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    !digits.is_empty() && digits.chars().all(|digit| digit.is_digit(radix))
}

/// Checks go-yaml's float syntax: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_yaml_float(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(split) => (&body[..split], Some(&body[split + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            whole.chars().all(|digit| digit.is_ascii_digit())
                && fraction.chars().all(|digit| digit.is_ascii_digit())
                && (!whole.is_empty() || !fraction.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.chars().all(|digit| digit.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|exponent| {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        !digits.is_empty() && digits.chars().all(|digit| digit.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// Checks for dates such as `2024-01-02`, optionally followed by a time,
/// which go-yaml reads as timestamps.
fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes.get(range).is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    if !digits(0..4) || bytes.get(4) != Some(&b'-') {
        return false;
    }

    let rest = &text[5..];
    let mut parts = rest.splitn(3, '-');
    let month = parts.next().unwrap_or("");
    let day_and_time = parts.next().unwrap_or("");
    let short_number = |part: &str| {
        (1..=2).contains(&part.len()) && part.chars().all(|digit| digit.is_ascii_digit())
    };
    if !short_number(month) || parts.next().is_some() {
        return false;
    }

    let day_len = day_and_time.chars().take_while(char::is_ascii_digit).count();
    let (day, time) = day_and_time.split_at(day_len);
    short_number(day)
        && (time.is_empty() || time.starts_with(['T', 't', ' ']) && time[1..].contains(':'))
}

/// Checks for sexagesimal numbers such as `12:30`, which YAML 1.1 reads as
/// numbers.
fn is_sexagesimal(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (main, fraction) = body.split_once('.').unwrap_or((body, ""));
    let mut groups = main.split(':');
    let head = groups.next().unwrap_or("");
    let head_ok = head.starts_with(|first: char| first.is_ascii_digit())
        && head.chars().all(|digit| digit.is_ascii_digit() || digit == '_');
    let mut tail_count = 0;
    let tail_ok = groups.all(|group| {
        tail_count += 1;
        (1..=2).contains(&group.len())
            && group.chars().all(|digit| digit.is_ascii_digit())
            && group.parse::<u32>().is_ok_and(|value| value < 60)
    });
    head_ok
        && tail_count > 0
        && tail_ok
        && fraction.chars().all(|digit| digit.is_ascii_digit() || digit == '_')
}

/// Returns the map's entries in go-yaml's key order, which compares runs of
/// digits by their numeric value (`a2` before `a10`).
fn sorted_keys(entries: &BTreeMap<String, Value>) -> Vec<(&String, &Value)> {
    let mut sorted: Vec<(&String, &Value)> = entries.iter().collect();
    sorted.sort_by(|(left, _), (right, _)| natural_order(left, right));
    sorted
}

fn natural_order(left: &str, right: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;

    let a: Vec<char> = left.chars().collect();
    let b: Vec<char> = right.chars().collect();
    let mut previous_digit = false;
    for index in 0..a.len().min(b.len()) {
        if a[index] == b[index] {
            previous_digit = a[index].is_ascii_digit();
            continue;
        }

        let a_letter = a[index].is_alphabetic();
        let b_letter = b[index].is_alphabetic();
        if a_letter && b_letter {
            return a[index].cmp(&b[index]);
        }
        if a_letter || b_letter {
            let a_first = if previous_digit { a_letter } else { b_letter };
            return if a_first { Ordering::Less } else { Ordering::Greater };
        }

        let mut a_number: i64 = 0;
        let mut b_number: i64 = 0;
        if (a[index] == '0' || b[index] == '0')
            && (0..index)
                .rev()
                .take_while(|back| a[*back].is_ascii_digit())
                .any(|back| a[back] != '0')
        {
            a_number = 1;
            b_number = 1;
        }
        let mut a_end = index;
        while a_end < a.len() && a[a_end].is_ascii_digit() {
            a_number = a_number.wrapping_mul(10).wrapping_add(i64::from(a[a_end] as u8 - b'0'));
            a_end += 1;
        }
        let mut b_end = index;
        while b_end < b.len() && b[b_end].is_ascii_digit() {
            b_number = b_number.wrapping_mul(10).wrapping_add(i64::from(b[b_end] as u8 - b'0'));
            b_end += 1;
        }
        if a_number != b_number {
            return a_number.cmp(&b_number);
        }
        if a_end != b_end {
            return a_end.cmp(&b_end);
        }
        return a[index].cmp(&b[index]);
    }
    a.len().cmp(&b.len())
}
