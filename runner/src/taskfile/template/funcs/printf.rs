//! Go's `fmt.Sprintf`, `fmt.Sprint` and `fmt.Sprintln` over template values.
//!
//! Supported: the flags `+ - # 0` and space, width and precision (also `*`),
//! explicit argument indexes `%[n]d`, and the verbs `v s q d b o O x X c U
//! e E f F g G t T %`. A list or map applies the verb to each element, as Go
//! does. Mismatches print Go's diagnostics: `%!d(string=a)`, `%!d(MISSING)`,
//! `%!(EXTRA int=2)` and `%!(NOVERB)`.
//!
//! The `#` flag gives Go syntax with `%#v`, backquotes with `%#q` and a
//! `0x` prefix with `%#x`.

use std::fmt::Write as _;

use crate::taskfile::template::value::{
    Value, decimal_digits, format_float_shortest, format_non_finite, push_exponent,
    push_exponent_form,
};

/// Go's limit for a width or precision: a number past it is rejected.
const MAX_COUNT: i64 = 1_000_000;

/// More digits than any f64 has in its exact decimal form (at most 767
/// significant and 1074 fractional), so formatting more only appends zeros.
/// Rust's formatter rejects precisions above `u16::MAX`, so digits past this
/// are added as zeros.
const MAX_EXACT_DIGITS: usize = 1100;

/// A width or precision read from the format.
enum Count {
    Absent,
    Value(i64),
    /// A `*` whose argument is not an integer within Go's limit.
    BadArgument,
    /// A number past Go's limit, after which Go ignores the rest of the format.
    TooLong,
}

/// The flags, width and precision of one verb.
#[derive(Clone, Copy, Default)]
struct Spec {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// Formats `args` according to `format`, as Go's `fmt.Sprintf` does.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next_arg = 0;
    let mut reordered = false;
    let mut chars = format.char_indices().peekable();

    while let Some((_, character)) = chars.next() {
        if character != '%' {
            out.push(character);
            continue;
        }

        let mut spec = Spec::default();
        while let Some(&(_, flag)) = chars.peek() {
            match flag {
                '+' => spec.plus = true,
                '-' => spec.minus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                _ => break,
            }
            chars.next();
        }

        reordered |= read_index(&mut chars, &mut next_arg);
        match read_count(&mut chars, args, &mut next_arg) {
            Count::Absent => {}
            Count::Value(width) => {
                spec.minus |= width < 0;
                spec.width = Some(width.unsigned_abs() as usize);
            }
            Count::BadArgument => out.push_str("%!(BADWIDTH)"),
            Count::TooLong => {
                out.push_str("%!(NOVERB)");
                break;
            }
        }

        if chars.peek().map(|&(_, next)| next) == Some('.') {
            chars.next();
            reordered |= read_index(&mut chars, &mut next_arg);
            match read_count(&mut chars, args, &mut next_arg) {
                Count::Absent => spec.precision = Some(0),
                Count::Value(precision) if precision >= 0 => {
                    spec.precision = Some(precision as usize)
                }
                Count::Value(_) | Count::BadArgument => out.push_str("%!(BADPREC)"),
                Count::TooLong => {
                    out.push_str("%!(NOVERB)");
                    break;
                }
            }
        }
        reordered |= read_index(&mut chars, &mut next_arg);

        let Some((_, verb)) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }

        match args.get(next_arg) {
            Some(arg) => {
                out.push_str(&format_verb(verb, spec, arg));
                next_arg += 1;
            }
            None => {
                let _ = write!(out, "%!{verb}(MISSING)");
            }
        }
    }

    if !reordered && next_arg < args.len() {
        out.push_str("%!(EXTRA ");
        for (position, arg) in args[next_arg..].iter().enumerate() {
            if position > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}={}", arg.type_name(), arg.go_string_nested());
        }
        out.push(')');
    }
    out
}

/// Reads an explicit argument index `[n]`, returning whether there was one.
fn read_index(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    next_arg: &mut usize,
) -> bool {
    if chars.peek().map(|&(_, next)| next) != Some('[') {
        return false;
    }
    chars.next();

    let mut digits = String::new();
    for (_, digit) in chars.by_ref() {
        if digit == ']' {
            break;
        }
        digits.push(digit);
    }
    match digits.parse::<usize>() {
        Ok(position) if position >= 1 => {
            *next_arg = position - 1;
            true
        }
        _ => false,
    }
}

/// Reads a width or precision: digits, or `*` taking the next argument.
fn read_count(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    args: &[Value],
    next_arg: &mut usize,
) -> Count {
    if chars.peek().map(|&(_, next)| next) == Some('*') {
        chars.next();
        let count = match args.get(*next_arg) {
            Some(Value::Int(count)) if count.abs() <= MAX_COUNT => Count::Value(*count),
            _ => Count::BadArgument,
        };
        *next_arg += 1;
        return count;
    }

    let mut count = None;
    while let Some(&(_, digit)) = chars.peek() {
        let Some(value) = digit.to_digit(10) else { break };
        if count.is_some_and(|count| count > MAX_COUNT) {
            return Count::TooLong;
        }
        count = Some(count.unwrap_or(0) * 10 + i64::from(value));
        chars.next();
    }
    count.map_or(Count::Absent, Count::Value)
}

/// Formats operands as Go's `fmt.Sprint` does: `%v` each, with a space
/// between two operands when neither is a string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (position, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::String(_));
        if position > 0 && !is_string && !matches!(args[position - 1], Value::String(_)) {
            out.push(' ');
        }
        arg.write_go(&mut out);
    }
    out
}

/// Formats operands as Go's `fmt.Sprintln` does: `%v` each, spaces between,
/// and a final newline.
pub(crate) fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (position, arg) in args.iter().enumerate() {
        if position > 0 {
            out.push(' ');
        }
        arg.write_go(&mut out);
    }
    out.push('\n');
    out
}

fn bad_verb(verb: char, value: &Value) -> String {
    match value {
        Value::Nil => format!("%!{verb}(<nil>)"),
        other => format!("%!{verb}({}={})", other.type_name(), other.go_string_nested()),
    }
}

fn format_verb(verb: char, spec: Spec, value: &Value) -> String {
    if verb == 'T' {
        return pad(value.type_name().to_owned(), spec, false);
    }
    if verb == 'v' && spec.sharp {
        return pad(go_syntax(value, true), spec, false);
    }

    match value {
        Value::List(items) => {
            let parts: Vec<String> =
                items.iter().map(|item| format_verb(verb, spec, item)).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(key, item)| {
                    format!(
                        "{}:{}",
                        format_verb(verb, spec, &Value::String(key.clone())),
                        format_verb(verb, spec, item)
                    )
                })
                .collect();
            format!("map[{}]", parts.join(" "))
        }
        Value::Nil => match verb {
            'v' => pad("<nil>".to_owned(), spec, false),
            _ => bad_verb(verb, value),
        },
        Value::Bool(flag) => match verb {
            'v' | 't' => pad(flag.to_string(), spec, false),
            _ => bad_verb(verb, value),
        },
        Value::Int(number) => {
            format_int(verb, spec, *number).unwrap_or_else(|| bad_verb(verb, value))
        }
        Value::Float(number) => {
            format_float(verb, spec, *number).unwrap_or_else(|| bad_verb(verb, value))
        }
        Value::String(text) => {
            format_string(verb, spec, text).unwrap_or_else(|| bad_verb(verb, value))
        }
    }
}

/// Pads to the width: spaces on the left, on the right with `-`, or zeros
/// after the sign with `0` for numbers.
fn pad(text: String, spec: Spec, numeric: bool) -> String {
    let Some(width) = spec.width else { return text };
    let length = text.chars().count();
    if length >= width {
        return text;
    }

    let fill = width - length;
    if spec.minus {
        return text + &" ".repeat(fill);
    }
    if spec.zero && numeric {
        let sign_len = usize::from(text.starts_with(['-', '+', ' ']));
        let (sign, digits) = text.split_at(sign_len);
        return format!("{sign}{}{digits}", "0".repeat(fill));
    }
    " ".repeat(fill) + &text
}

fn sign_prefix(negative: bool, spec: Spec) -> &'static str {
    if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

fn format_int(verb: char, spec: Spec, number: i64) -> Option<String> {
    let magnitude = number.unsigned_abs();
    let (mut digits, prefix) = match verb {
        'v' | 'd' => (magnitude.to_string(), ""),
        'b' => (format!("{magnitude:b}"), if spec.sharp { "0b" } else { "" }),
        'o' => (format!("{magnitude:o}"), if spec.sharp { "0" } else { "" }),
        'O' => (format!("{magnitude:o}"), "0o"),
        'x' => (format!("{magnitude:x}"), if spec.sharp { "0x" } else { "" }),
        'X' => (format!("{magnitude:X}"), if spec.sharp { "0X" } else { "" }),
        'c' => return Some(pad(char_of(number).to_string(), spec, false)),
        'q' => return Some(pad(quote_char(char_of(number)), spec, false)),
        'U' => return Some(pad(format!("U+{:04X}", number), spec, false)),
        _ => return None,
    };

    if let Some(precision) = spec.precision {
        if precision == 0 && number == 0 {
            digits.clear();
        }
        if digits.len() < precision {
            digits = "0".repeat(precision - digits.len()) + &digits;
        }
    }

    let text = format!("{}{prefix}{digits}", sign_prefix(number < 0, spec));
    let zero_allowed = spec.precision.is_none();
    Some(pad(text, Spec { zero: spec.zero && zero_allowed, ..spec }, true))
}

fn char_of(number: i64) -> char {
    u32::try_from(number).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}')
}

fn format_float(verb: char, spec: Spec, number: f64) -> Option<String> {
    if let Some(special) = format_non_finite(number) {
        return Some(pad(special, Spec { zero: false, ..spec }, true));
    }

    let negative = number.is_sign_negative();
    let magnitude = number.abs();
    let body = match verb {
        'v' | 'g' | 'G' => {
            let mut text = match spec.precision {
                None => format_float_shortest(magnitude),
                Some(precision) => format_general(magnitude, precision.clamp(1, MAX_EXACT_DIGITS)),
            };
            if verb == 'G' {
                text = text.to_uppercase();
            }
            text
        }
        'e' | 'E' => {
            let precision = spec.precision.unwrap_or(6);
            let exact = precision.min(MAX_EXACT_DIGITS);
            let formatted = format!("{magnitude:.exact$e}");
            let (mantissa, exponent) = formatted.split_once('e').unwrap_or((&formatted, "0"));
            let mut text = mantissa.to_owned();
            text.push_str(&"0".repeat(precision - exact));
            push_exponent(
                &mut text,
                exponent.parse().unwrap_or(0),
                if verb == 'E' { 'E' } else { 'e' },
            );
            text
        }
        'f' | 'F' => {
            let precision = spec.precision.unwrap_or(6);
            let exact = precision.min(MAX_EXACT_DIGITS);
            let mut text = format!("{magnitude:.exact$}");
            text.push_str(&"0".repeat(precision - exact));
            text
        }
        'x' => hex_float(magnitude, spec.precision),
        'X' => hex_float(magnitude, spec.precision).to_uppercase(),
        _ => return None,
    };

    let text = format!("{}{body}", sign_prefix(negative, spec));
    Some(pad(text, spec, true))
}

/// Go's `%.Ng`: N significant digits, exponent form when the exponent is
/// below -4 or at least N, trailing zeros removed.
fn format_general(magnitude: f64, precision: usize) -> String {
    let (_, digits, exponent) = decimal_digits(magnitude, Some(precision));
    let mut out = String::new();
    let limit = i32::try_from(precision).unwrap_or(i32::MAX);
    if exponent < -4 || exponent >= limit {
        push_exponent_form(&mut out, &digits, exponent, 'e');
        return out;
    }

    if exponent < 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-exponent - 1) as usize));
        out.push_str(&digits);
    } else {
        let integer_len = exponent as usize + 1;
        if digits.len() <= integer_len {
            out.push_str(&digits);
            out.push_str(&"0".repeat(integer_len - digits.len()));
        } else {
            out.push_str(&digits[..integer_len]);
            out.push('.');
            out.push_str(&digits[integer_len..]);
        }
    }
    out
}

fn format_string(verb: char, spec: Spec, text: &str) -> Option<String> {
    let truncated: String = match spec.precision {
        Some(precision) => text.chars().take(precision).collect(),
        None => text.to_owned(),
    };
    let formatted = match verb {
        'v' | 's' => truncated,
        'q' if spec.sharp && can_backquote(&truncated) => format!("`{truncated}`"),
        'q' => quote_string(&truncated),
        'x' | 'X' => {
            let mut hex = String::new();
            for (position, byte) in truncated.bytes().enumerate() {
                if spec.space && position > 0 {
                    hex.push(' ');
                }
                if spec.sharp && (spec.space || position == 0) {
                    hex.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                if verb == 'x' {
                    let _ = write!(hex, "{byte:02x}");
                } else {
                    let _ = write!(hex, "{byte:02X}");
                }
            }
            hex
        }
        _ => return None,
    };
    Some(pad(formatted, spec, false))
}

/// Reports whether Go's `%#q` can print the text between backquotes.
fn can_backquote(text: &str) -> bool {
    !text.chars().any(|character| character == '`' || (character.is_control() && character != '\t'))
}

/// Formats a value as Go's `%#v` does: Go syntax, with list and map types.
fn go_syntax(value: &Value, top: bool) -> String {
    match value {
        Value::Nil if top => "<nil>".to_owned(),
        Value::Nil => "interface {}(nil)".to_owned(),
        Value::String(text) => quote_string(text),
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(|item| go_syntax(item, false)).collect();
            format!("[]interface {{}}{{{}}}", parts.join(", "))
        }
        Value::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(key, item)| format!("{}:{}", quote_string(key), go_syntax(item, false)))
                .collect();
            format!("map[string]interface {{}}{{{}}}", parts.join(", "))
        }
        other => other.go_string_nested(),
    }
}

/// Formats a non-negative float as Go's `%x` does: `0x1.cp+01`, with the
/// hexadecimal fraction rounded to `precision` digits when one is given.
fn hex_float(magnitude: f64, precision: Option<usize>) -> String {
    let bits = magnitude.to_bits();
    let exponent_bits = ((bits >> 52) & 0x7ff) as i32;
    let fraction_bits = bits & ((1u64 << 52) - 1);
    let (mut mantissa, mut exponent) = match (exponent_bits, fraction_bits) {
        (0, 0) => (0u64, 0i32),
        (0, _) => {
            let mut mantissa = fraction_bits;
            let mut exponent = -1022;
            while mantissa & (1u64 << 52) == 0 {
                mantissa <<= 1;
                exponent -= 1;
            }
            (mantissa, exponent)
        }
        _ => (fraction_bits | (1u64 << 52), exponent_bits - 1023),
    };

    let digits = match precision {
        None => {
            let text = format!("{:013x}", mantissa & ((1u64 << 52) - 1));
            text.trim_end_matches('0').to_owned()
        }
        Some(count) if count >= 13 => {
            format!("{:013x}{}", mantissa & ((1u64 << 52) - 1), "0".repeat(count - 13))
        }
        Some(count) => {
            let shift = 52 - 4 * count as u32;
            if shift > 0 {
                let remainder = mantissa & ((1u64 << shift) - 1);
                let half = 1u64 << (shift - 1);
                mantissa >>= shift;
                if remainder > half || (remainder == half && mantissa & 1 == 1) {
                    mantissa += 1;
                }
                if mantissa >> (4 * count as u32) >= 2 {
                    mantissa >>= 1;
                    exponent += 1;
                }
            }
            let fraction = mantissa & ((1u64 << (4 * count as u32)) - 1);
            if count == 0 { String::new() } else { format!("{fraction:0count$x}") }
        }
    };

    let leading = if mantissa == 0 { '0' } else { '1' };
    let mut out = format!("0x{leading}");
    if !digits.is_empty() {
        out.push('.');
        out.push_str(&digits);
    }
    push_exponent(&mut out, exponent, 'p');
    out
}

/// Quotes a string as Go's `strconv.Quote` does.
pub(crate) fn quote_string(text: &str) -> String {
    let mut out = String::from('"');
    for character in text.chars() {
        push_escaped(&mut out, character, '"');
    }
    out.push('"');
    out
}

fn quote_char(character: char) -> String {
    let mut out = String::from('\'');
    push_escaped(&mut out, character, '\'');
    out.push('\'');
    out
}

fn push_escaped(out: &mut String, character: char, quote: char) {
    match character {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        '\\' => out.push_str("\\\\"),
        other if other == quote => {
            out.push('\\');
            out.push(other);
        }
        other if (other as u32) < 0x20 || other as u32 == 0x7f => {
            let _ = write!(out, "\\x{:02x}", other as u32);
        }
        other if other.is_control() => {
            let _ = write!(out, "\\u{:04x}", other as u32);
        }
        other => out.push(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sprintf_matches_go() {
        let list = Value::List(vec!["a".into(), "b".into()]);
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            (
                "%q %d %5.2f %x %t %%",
                vec!["a".into(), 3.into(), 1.23456.into(), 255.into(), true.into()],
                "\"a\" 3  1.23 ff true %",
            ),
            (
                "%s|%d|%v",
                vec![3.into(), "a".into(), list.clone()],
                "%!s(int=3)|%!d(string=a)|[a b]",
            ),
            ("%d", vec![], "%!d(MISSING)"),
            ("%d", vec![1.into(), 2.into()], "1%!(EXTRA int=2)"),
            ("%v|%s", vec![Value::Nil, Value::Nil], "<nil>|%!s(<nil>)"),
            (
                "%.2f|%e|%g",
                vec![1.23456.into(), 1234.5.into(), 0.0001.into()],
                "1.23|1.234500e+03|0.0001",
            ),
            (
                "%05d|%-4d|%+d|%x|%X|%o|%b|%c",
                vec![
                    42.into(),
                    7.into(),
                    3.into(),
                    "hi".into(),
                    255.into(),
                    8.into(),
                    5.into(),
                    65.into(),
                ],
                "00042|7   |+3|6869|FF|10|101|A",
            ),
            (
                "%q|%s|%x",
                vec![list.clone(), list.clone(), list.clone()],
                "[\"a\" \"b\"]|[a b]|[61 62]",
            ),
            ("%d", vec![list], "[%!d(string=a) %!d(string=b)]"),
            (
                "%T|%T|%T",
                vec![1.into(), "a".into(), Value::List(vec![])],
                "int|string|[]interface {}",
            ),
            (
                "%6.2f|%-6s|%6s|",
                vec![1.23456.into(), "ab".into(), "cd".into()],
                "  1.23|ab    |    cd|",
            ),
            ("%v|%f", vec![1.0.into(), 1.into()], "1|%!f(int=1)"),
            (
                "%s|%d|%5t",
                vec![true.into(), true.into(), true.into()],
                "%!s(bool=true)|%!d(bool=true)| true",
            ),
            ("%q", vec![65.into()], "'A'"),
            (
                "%v|%v|%.3v|%8.3f|",
                vec![1e21.into(), 100000.0.into(), 1.23456.into(), (-1.23456).into()],
                "1e+21|100000|1.23|  -1.235|",
            ),
            ("%q", vec!["a\"b\n".into()], "\"a\\\"b\\n\""),
            ("%*d|%[2]s %[1]s", vec![5.into(), 3.into()], "    3|%!s(int=3) %!s(int=5)"),
            ("%z|%!", vec![1.into()], "%!z(int=1)|%!!(MISSING)"),
            ("%", vec![], "%!(NOVERB)"),
            ("%.3s|%03d|%.0f", vec!["abcdef".into(), (-5).into(), 2.5.into()], "abc|-05|2"),
        ];
        for (format, args, expected) in cases {
            assert_eq!(sprintf(format, &args), expected, "{format}");
        }
    }

    #[test]
    fn sprint_spaces_between_non_strings() {
        let args: Vec<Value> = vec![1.into(), 2.into(), "a".into(), "b".into(), 3.into()];
        assert_eq!(sprint(&args), "1 2ab3");
        assert_eq!(sprintln(&args[..3]), "1 2 a\n");
        assert_eq!(sprint(&[Value::Nil]), "<nil>");
        assert_eq!(sprint(&[]), "");
    }
}
