//! Go durations: `duration`, `durationRound` and `ago`, and the parsing of
//! `1h30m`-style text that `dateModify` uses.
//!
//! A duration is a count of nanoseconds, printed as Go's `Duration.String`
//! prints it (`1h0m0s`, `1m35s`, `1.5s`, `400ms`).

use super::time::seconds_since;
use crate::taskfile::template::value::Value;

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Parses Go's duration syntax, such as `300ms`, `-1.5h` or `2h45m`, into
/// nanoseconds, as `time.ParseDuration` does.
pub(super) fn parse_duration(text: &str) -> Option<i64> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }

    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len =
            rest.bytes().take_while(|byte| byte.is_ascii_digit() || *byte == b'.').count();
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        rest = &rest[number_len..];

        let unit_len = rest
            .find(|character: char| character.is_ascii_digit() || character == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += value * scale;
    }

    if total > i64::MAX as f64 {
        return None;
    }
    let nanos = total.round() as i64;
    Some(if negative { -nanos } else { nanos })
}

/// Formats nanoseconds as Go's `Duration.String` does.
pub(super) fn format_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".to_owned();
    }

    let sign = if nanos < 0 { "-" } else { "" };
    let magnitude = nanos.unsigned_abs();
    if magnitude < NANOS_PER_SECOND {
        let (scale, unit) = match magnitude {
            0..1_000 => (1, "ns"),
            1_000..1_000_000 => (1_000, "µs"),
            _ => (1_000_000, "ms"),
        };
        return format!("{sign}{}{unit}", with_fraction(magnitude, scale));
    }

    let seconds = magnitude / NANOS_PER_SECOND;
    let second_text = with_fraction(magnitude % (60 * NANOS_PER_SECOND), NANOS_PER_SECOND);
    let (hours, minutes) = (seconds / 3600, seconds / 60 % 60);
    if hours > 0 {
        format!("{sign}{hours}h{minutes}m{second_text}s")
    } else if minutes > 0 {
        format!("{sign}{minutes}m{second_text}s")
    } else {
        format!("{sign}{second_text}s")
    }
}

/// Writes `value / scale` with its fraction, trailing zeros removed.
fn with_fraction(value: u64, scale: u64) -> String {
    let whole = value / scale;
    let fraction = value % scale;
    if fraction == 0 {
        return whole.to_string();
    }
    let width = scale.to_string().len() - 1;
    let digits = format!("{fraction:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// `duration seconds`: the seconds, given as text, as a Go duration. sprig
/// reads only text and 64-bit integers, so a template integer gives `0s`.
pub(super) fn duration(args: &[Value]) -> Result<Value, String> {
    let seconds = match &args[0] {
        Value::String(text) => text.parse::<i64>().unwrap_or(0),
        _ => 0,
    };
    Ok(Value::String(format_duration(seconds.saturating_mul(NANOS_PER_SECOND as i64))))
}

/// `durationRound value`: a duration (text) or the time since a moment,
/// rounded down to its largest unit: `2h`, `3d`, `1mo`, `1y`.
pub(super) fn duration_round(args: &[Value]) -> Result<Value, String> {
    let nanos = match &args[0] {
        Value::String(text) => match seconds_since(&args[0]) {
            Some(seconds) => seconds.saturating_mul(NANOS_PER_SECOND as i64),
            None => parse_duration(text).unwrap_or(0),
        },
        _ => 0,
    };

    let magnitude = nanos.unsigned_abs();
    let hour = 3600 * NANOS_PER_SECOND;
    let units: [(u64, &str); 6] = [
        (hour * 24 * 365, "y"),
        (hour * 24 * 30, "mo"),
        (hour * 24, "d"),
        (hour, "h"),
        (60 * NANOS_PER_SECOND, "m"),
        (NANOS_PER_SECOND, "s"),
    ];
    let text = units
        .iter()
        .find(|(size, _)| magnitude > *size)
        .map_or_else(|| "0s".to_owned(), |(size, unit)| format!("{}{unit}", magnitude / size));
    Ok(Value::String(text))
}

/// `ago time`: the time since a moment, to the second, as a Go duration.
pub(super) fn ago(args: &[Value]) -> Result<Value, String> {
    let seconds = seconds_since(&args[0]).unwrap_or(0);
    Ok(Value::String(format_duration(seconds.saturating_mul(NANOS_PER_SECOND as i64))))
}
