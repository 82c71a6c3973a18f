//! Encodings and digests: JSON (`toJson`, `fromJson`), base64
//! and base32, Go's `html`, `js` and `urlquery` escapers, SHA-256, SHA-1,
//! Adler-32 and random identifiers (`uuid`).
//!
//! JSON output matches Go's `encoding/json`: map keys sorted, `<`, `>` and
//! `&` escaped as `\u003c` and so on, and floats in Go's shortest form.
//! JSON input decodes every number to a float, as Go does for untyped data,
//! so `fromJson "1"` prints `1` and `fromJson "1.5"` prints `1.5`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read as _;

use super::string_arg;
use crate::taskfile::template::value::Value;

/// The deepest nesting `fromJson` accepts, to keep the recursion bounded.
const MAX_JSON_DEPTH: usize = 512;

/// Options of the JSON encoder.
#[derive(Clone, Copy)]
struct JsonStyle {
    /// The indentation unit, or `None` for compact output.
    indent: Option<&'static str>,
    /// Whether `<`, `>` and `&` are escaped, as Go's `json.Marshal` does.
    escape_html: bool,
}

const COMPACT: JsonStyle = JsonStyle { indent: None, escape_html: true };

pub(super) fn to_json(args: &[Value]) -> Result<Value, String> {
    Ok(Value::String(encode_json(&args[0], COMPACT).unwrap_or_default()))
}

pub(super) fn must_to_json(args: &[Value]) -> Result<Value, String> {
    encode_json(&args[0], COMPACT).map(Value::String)
}

pub(super) fn to_pretty_json(args: &[Value]) -> Result<Value, String> {
    let style = JsonStyle { indent: Some("  "), escape_html: true };
    Ok(Value::String(encode_json(&args[0], style).unwrap_or_default()))
}

/// `toRawJson value`: JSON without the escaping of `<`, `>` and `&`.
pub(super) fn to_raw_json(args: &[Value]) -> Result<Value, String> {
    let style = JsonStyle { indent: None, escape_html: false };
    Ok(Value::String(encode_json(&args[0], style).unwrap_or_default()))
}

/// `fromJson text`: the decoded value, or nil when the text is not JSON.
pub(super) fn from_json(args: &[Value]) -> Result<Value, String> {
    Ok(decode_json(string_arg(args, 0)?).unwrap_or(Value::Nil))
}

pub(super) fn must_from_json(args: &[Value]) -> Result<Value, String> {
    decode_json(string_arg(args, 0)?)
}

fn encode_json(value: &Value, style: JsonStyle) -> Result<String, String> {
    let mut out = String::new();
    write_json(&mut out, value, style, 0)?;
    Ok(out)
}

fn newline(out: &mut String, indent: Option<&str>, depth: usize) {
    if let Some(unit) = indent {
        out.push('\n');
        out.push_str(&unit.repeat(depth));
    }
}

fn write_json(
    out: &mut String,
    value: &Value,
    style: JsonStyle,
    depth: usize,
) -> Result<(), String> {
    match value {
        Value::Nil => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Int(number) => {
            let _ = write!(out, "{number}");
        }
        Value::Float(number) => out.push_str(&json_float(*number)?),
        Value::String(text) => write_json_string(out, text, style.escape_html),
        Value::List(items) => {
            out.push('[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                newline(out, style.indent, depth + 1);
                write_json(out, item, style, depth + 1)?;
            }
            if !items.is_empty() {
                newline(out, style.indent, depth);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (position, (key, item)) in entries.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                newline(out, style.indent, depth + 1);
                write_json_string(out, key, style.escape_html);
                out.push(':');
                if style.indent.is_some() {
                    out.push(' ');
                }
                write_json(out, item, style, depth + 1)?;
            }
            if !entries.is_empty() {
                newline(out, style.indent, depth);
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Formats a float as Go's JSON encoder does: plain decimals, with an
/// exponent only below 1e-6 or from 1e21 on.
fn json_float(number: f64) -> Result<String, String> {
    if !number.is_finite() {
        return Err(format!(
            "json: unsupported value: {}",
            Value::Float(number).go_string_nested()
        ));
    }
    let magnitude = number.abs();
    if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
        let text = format!("{number:e}");
        return Ok(match text.split_once('e') {
            Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                format!("{mantissa}e+{exponent}")
            }
            _ => text,
        });
    }
    Ok(format!("{number}"))
}

fn write_json_string(out: &mut String, text: &str, escape_html: bool) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if !escape_html => out.push(character),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", character as u32);
            }
            other if (other as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", other as u32);
            }
            other => out.push(other),
        }
    }
    out.push('"');
}

fn decode_json(text: &str) -> Result<Value, String> {
    let mut decoder = JsonDecoder { bytes: text.as_bytes(), position: 0 };
    let value = decoder.value(0)?;
    decoder.skip_whitespace();
    if decoder.position != decoder.bytes.len() {
        return Err(decoder.error("after top-level value"));
    }
    Ok(value)
}

struct JsonDecoder<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl JsonDecoder<'_> {
    fn error(&self, place: &str) -> String {
        match self.bytes.get(self.position) {
            Some(byte) => format!("invalid character {:?} {place}", *byte as char),
            None => "unexpected end of JSON input".to_owned(),
        }
    }

    fn skip_whitespace(&mut self) {
        while self
            .bytes
            .get(self.position)
            .is_some_and(|byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.position += 1;
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
        if self.bytes[self.position..].starts_with(word.as_bytes()) {
            self.position += word.len();
            Ok(value)
        } else {
            Err(self.error("looking for beginning of value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_JSON_DEPTH {
            return Err(format!("exceeded max depth of {MAX_JSON_DEPTH}"));
        }
        self.skip_whitespace();
        match self.bytes.get(self.position) {
            Some(b'n') => self.literal("null", Value::Nil),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::String),
            Some(b'[') => {
                self.position += 1;
                let mut items = Vec::new();
                self.skip_whitespace();
                if self.bytes.get(self.position) == Some(&b']') {
                    self.position += 1;
                    return Ok(Value::List(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_whitespace();
                    match self.bytes.get(self.position) {
                        Some(b',') => self.position += 1,
                        Some(b']') => {
                            self.position += 1;
                            return Ok(Value::List(items));
                        }
                        _ => return Err(self.error("after array element")),
                    }
                }
            }
            Some(b'{') => {
                self.position += 1;
                let mut entries = BTreeMap::new();
                self.skip_whitespace();
                if self.bytes.get(self.position) == Some(&b'}') {
                    self.position += 1;
                    return Ok(Value::Map(entries));
                }
                loop {
                    self.skip_whitespace();
                    if self.bytes.get(self.position) != Some(&b'"') {
                        return Err(self.error("looking for beginning of object key string"));
                    }
                    let key = self.string()?;
                    self.skip_whitespace();
                    if self.bytes.get(self.position) != Some(&b':') {
                        return Err(self.error("after object key"));
                    }
                    self.position += 1;
                    entries.insert(key, self.value(depth + 1)?);
                    self.skip_whitespace();
                    match self.bytes.get(self.position) {
                        Some(b',') => self.position += 1,
                        Some(b'}') => {
                            self.position += 1;
                            return Ok(Value::Map(entries));
                        }
                        _ => return Err(self.error("after object key:value pair")),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("looking for beginning of value")),
        }
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.position;
        while self
            .bytes
            .get(self.position)
            .is_some_and(|byte| matches!(byte, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
        {
            self.position += 1;
        }
        let text = std::str::from_utf8(&self.bytes[start..self.position]).unwrap_or("");
        text.parse::<f64>()
            .map(Value::Float)
            .map_err(|_| format!("invalid number literal {text:?}"))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .bytes
            .get(self.position..self.position + 4)
            .ok_or("unexpected end of JSON input")?;
        let text = std::str::from_utf8(digits).map_err(|_| "invalid \\u escape".to_owned())?;
        let code = u32::from_str_radix(text, 16).map_err(|_| "invalid \\u escape".to_owned())?;
        self.position += 4;
        Ok(code)
    }

    fn string(&mut self) -> Result<String, String> {
        self.position += 1;
        let mut out = Vec::new();
        loop {
            let Some(&byte) = self.bytes.get(self.position) else {
                return Err("unexpected end of JSON input".to_owned());
            };
            self.position += 1;
            match byte {
                b'"' => {
                    return String::from_utf8(out)
                        .map_err(|_| "invalid UTF-8 in string".to_owned());
                }
                b'\\' => {
                    let escape =
                        *self.bytes.get(self.position).ok_or("unexpected end of JSON input")?;
                    self.position += 1;
                    let decoded = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let high = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&high)
                                && self.bytes[self.position..].starts_with(b"\\u")
                            {
                                self.position += 2;
                                let low = self.hex4()?;
                                0x10000
                                    + ((high - 0xD800) << 10)
                                    + (low.wrapping_sub(0xDC00) & 0x3FF)
                            } else {
                                high
                            };
                            char::from_u32(code).unwrap_or('\u{FFFD}')
                        }
                        other => {
                            return Err(format!(
                                "invalid character {:?} in string escape code",
                                other as char
                            ));
                        }
                    };
                    let mut buffer = [0u8; 4];
                    out.extend_from_slice(decoded.encode_utf8(&mut buffer).as_bytes());
                }
                byte if byte < 0x20 => return Err("invalid character in string literal".to_owned()),
                other => out.push(other),
            }
        }
    }
}

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `b64enc text`: standard base64 with padding.
pub(super) fn b64enc(args: &[Value]) -> Result<Value, String> {
    let bytes = string_arg(args, 0)?.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let block = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for slot in 0..4 {
            if slot <= chunk.len() {
                out.push(BASE64_ALPHABET[(block >> (18 - 6 * slot) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    Ok(Value::String(out))
}

/// `b64dec text`: the decoded text, or Go's error text when the input is
/// not valid base64, as sprig returns it.
pub(super) fn b64dec(args: &[Value]) -> Result<Value, String> {
    let text = string_arg(args, 0)?;
    Ok(Value::String(match decode_base64(text) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(position) => format!("illegal base64 data at input byte {position}"),
    }))
}

/// Decodes standard padded base64, ignoring line breaks, or returns the
/// offset of the first invalid byte.
fn decode_base64(text: &str) -> Result<Vec<u8>, usize> {
    let symbols: Vec<(usize, u8)> =
        text.bytes().enumerate().filter(|(_, byte)| !matches!(byte, b'\r' | b'\n')).collect();
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3);

    for (chunk_index, chunk) in symbols.chunks(4).enumerate() {
        let is_last = (chunk_index + 1) * 4 >= symbols.len();
        let mut block = 0u32;
        let mut data_len = 0;
        for (slot, &(position, byte)) in chunk.iter().enumerate() {
            if byte == b'=' {
                if !is_last
                    || slot < 2
                    || chunk[slot..].iter().any(|(_, rest)| *rest != b'=')
                    || chunk.len() != 4
                {
                    return Err(position);
                }
                break;
            }
            let value =
                BASE64_ALPHABET.iter().position(|symbol| *symbol == byte).ok_or(position)?;
            block |= (value as u32) << (18 - 6 * slot);
            data_len += 1;
        }
        if data_len < 2 {
            return Err(chunk.last().map_or(text.len(), |(position, _)| *position));
        }
        if chunk.len() < 4 && data_len == chunk.len() {
            return Err(text.len());
        }
        out.push((block >> 16) as u8);
        if data_len > 2 {
            out.push((block >> 8) as u8);
        }
        if data_len > 3 {
            out.push(block as u8);
        }
    }
    Ok(out)
}

/// `sha256sum text`: the SHA-256 digest in lowercase hexadecimal.
pub(super) fn sha256sum(args: &[Value]) -> Result<Value, String> {
    let digest = sha256(string_arg(args, 0)?.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    Ok(Value::String(out))
}

/// SHA-256 as specified in FIPS 180-4.
fn sha256(message: &[u8]) -> [u8; 32] {
    const ROUND: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut state: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];

    let mut padded = message.to_vec();
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend_from_slice(&((message.len() as u64).wrapping_mul(8)).to_be_bytes());

    for block in padded.chunks(64) {
        let mut schedule = [0u32; 64];
        for (index, word) in block.chunks(4).enumerate() {
            schedule[index] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for index in 16..64 {
            let s0 = schedule[index - 15].rotate_right(7)
                ^ schedule[index - 15].rotate_right(18)
                ^ (schedule[index - 15] >> 3);
            let s1 = schedule[index - 2].rotate_right(17)
                ^ schedule[index - 2].rotate_right(19)
                ^ (schedule[index - 2] >> 10);
            schedule[index] = schedule[index - 16]
                .wrapping_add(s0)
                .wrapping_add(schedule[index - 7])
                .wrapping_add(s1);
        }

        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = state;
        for index in 0..64 {
            let sum1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let choice = (e & f) ^ (!e & g);
            let temp1 = h
                .wrapping_add(sum1)
                .wrapping_add(choice)
                .wrapping_add(ROUND[index])
                .wrapping_add(schedule[index]);
            let sum0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let majority = (a & b) ^ (a & c) ^ (b & c);
            let temp2 = sum0.wrapping_add(majority);
            h = g;
            g = f;
            f = e;
            e = d.wrapping_add(temp1);
            d = c;
            c = b;
            b = a;
            a = temp1.wrapping_add(temp2);
        }
        for (slot, value) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            *slot = slot.wrapping_add(value);
        }
    }

    let mut digest = [0u8; 32];
    for (chunk, word) in digest.chunks_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// Reads random bytes from the kernel.
fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut file| file.read_exact(&mut bytes))
        .map_err(|error| format!("failed to read `/dev/urandom`: {error}"))?;
    Ok(bytes)
}

pub(super) fn random_u64() -> Result<u64, String> {
    Ok(u64::from_le_bytes(random_bytes::<8>()?))
}

/// `uuid`: a random version 4 UUID in lowercase hexadecimal.
pub(super) fn uuid(_: &[Value]) -> Result<Value, String> {
    let mut bytes = random_bytes::<16>()?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;

    let mut out = String::with_capacity(36);
    for (index, byte) in bytes.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        let _ = write!(out, "{byte:02x}");
    }
    Ok(Value::String(out))
}

/// Joins the arguments of Go's escaping builtins: a single string as it is,
/// anything else as `fmt.Sprint` prints it.
fn escaper_input(args: &[Value]) -> String {
    match args {
        [Value::String(text)] => text.clone(),
        _ => super::sprint(args),
    }
}

/// Go's `html` builtin: the text with `<`, `>`, `&`, `'` and `"` escaped.
pub(super) fn html(args: &[Value]) -> Result<Value, String> {
    let mut out = String::new();
    for character in escaper_input(args).chars() {
        match character {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            '\0' => out.push('\u{FFFD}'),
            other => out.push(other),
        }
    }
    Ok(Value::String(out))
}

/// Go's `js` builtin: the text escaped for a JavaScript string literal.
pub(super) fn js(args: &[Value]) -> Result<Value, String> {
    let mut out = String::new();
    for character in escaper_input(args).chars() {
        match character {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' | '>' | '&' | '=' => {
                let _ = write!(out, "\\u{:04X}", character as u32);
            }
            other if (other as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", other as u32);
            }
            other => out.push(other),
        }
    }
    Ok(Value::String(out))
}

/// Go's `urlquery` builtin: the text escaped for a URL query, as
/// `url.QueryEscape` does (space as `+`).
pub(super) fn urlquery(args: &[Value]) -> Result<Value, String> {
    let mut out = String::new();
    for byte in escaper_input(args).bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => {
                let _ = write!(out, "%{other:02X}");
            }
        }
    }
    Ok(Value::String(out))
}

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `b32enc text`: standard base32 with padding.
pub(super) fn b32enc(args: &[Value]) -> Result<Value, String> {
    let bytes = string_arg(args, 0)?.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let bits = block.iter().fold(0u64, |bits, byte| bits << 8 | u64::from(*byte));
        let symbols = (chunk.len() * 8).div_ceil(5);
        for slot in 0..8 {
            if slot < symbols {
                out.push(BASE32_ALPHABET[(bits >> (35 - 5 * slot) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    Ok(Value::String(out))
}

/// `b32dec text`: the decoded text, or Go's error text for invalid input.
pub(super) fn b32dec(args: &[Value]) -> Result<Value, String> {
    let text = string_arg(args, 0)?;
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    if bytes.len() % 8 != 0 {
        return Ok(Value::String(format!(
            "illegal base32 data at input byte {}",
            bytes.len() / 8 * 8
        )));
    }

    for (chunk_index, chunk) in bytes.chunks(8).enumerate() {
        let data_len = chunk.iter().position(|byte| *byte == b'=').unwrap_or(8);
        let valid_padding = chunk[data_len..].iter().all(|byte| *byte == b'=')
            && matches!(data_len, 2 | 4 | 5 | 7 | 8)
            && (data_len == 8 || (chunk_index + 1) * 8 == bytes.len());
        if !valid_padding {
            return Ok(Value::String(format!(
                "illegal base32 data at input byte {}",
                chunk_index * 8 + data_len
            )));
        }

        let mut bits = 0u64;
        for (slot, byte) in chunk.iter().enumerate() {
            let value = if slot < data_len {
                match BASE32_ALPHABET.iter().position(|symbol| symbol == byte) {
                    Some(value) => value as u64,
                    None => {
                        return Ok(Value::String(format!(
                            "illegal base32 data at input byte {}",
                            chunk_index * 8 + slot
                        )));
                    }
                }
            } else {
                0
            };
            bits = bits << 5 | value;
        }
        let byte_count = data_len * 5 / 8;
        for index in 0..byte_count {
            out.push((bits >> (32 - 8 * index)) as u8);
        }
    }
    Ok(Value::String(String::from_utf8_lossy(&out).into_owned()))
}

/// `sha1sum text`: the SHA-1 digest in lowercase hexadecimal.
pub(super) fn sha1sum(args: &[Value]) -> Result<Value, String> {
    let message = string_arg(args, 0)?.as_bytes();
    let mut state: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];

    let mut padded = message.to_vec();
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend_from_slice(&((message.len() as u64).wrapping_mul(8)).to_be_bytes());

    for block in padded.chunks(64) {
        let mut schedule = [0u32; 80];
        for (index, word) in block.chunks(4).enumerate() {
            schedule[index] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for index in 16..80 {
            schedule[index] = (schedule[index - 3]
                ^ schedule[index - 8]
                ^ schedule[index - 14]
                ^ schedule[index - 16])
                .rotate_left(1);
        }

        let [mut a, mut b, mut c, mut d, mut e] = state;
        for (index, word) in schedule.iter().enumerate() {
            let (mixed, constant) = match index {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let temp = a
                .rotate_left(5)
                .wrapping_add(mixed)
                .wrapping_add(e)
                .wrapping_add(constant)
                .wrapping_add(*word);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = temp;
        }
        for (slot, value) in state.iter_mut().zip([a, b, c, d, e]) {
            *slot = slot.wrapping_add(value);
        }
    }

    let mut out = String::with_capacity(40);
    for word in state {
        let _ = write!(out, "{word:08x}");
    }
    Ok(Value::String(out))
}

/// `adler32sum text`: the Adler-32 checksum as a decimal number.
pub(super) fn adler32sum(args: &[Value]) -> Result<Value, String> {
    let (mut low, mut high) = (1u32, 0u32);
    for byte in string_arg(args, 0)?.bytes() {
        low = (low + u32::from(byte)) % 65521;
        high = (high + low) % 65521;
    }
    Ok(Value::String((high << 16 | low).to_string()))
}
