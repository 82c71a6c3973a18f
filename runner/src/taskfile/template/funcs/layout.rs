//! Go's reference-time layouts (`"2006-01-02T15:04:05Z07:00"`): formatting
//! a moment with a layout, as `time.Time.Format` does.
//!
//! A layout is example text for the reference time, Monday January 2
//! 15:04:05 MST 2006. Each element of it (`2006`, `Jan`, `02`, `15`, `.000`,
//! `-07:00`, ...) is replaced by the same field of the moment, and
//! everything else is copied.

use std::fmt::Write as _;

use super::time::{Fields, Moment, fields};

pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
pub(super) const WEEKDAYS: [&str; 7] =
    ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// Formats a moment with a Go layout, the way `time.Time.Format` does.
pub(super) fn format_layout(moment: &Moment, layout: &str) -> String {
    let parts = fields(moment);
    let mut out = String::new();
    let bytes = layout.as_bytes();
    let mut position = 0;

    let starts_lower = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_lowercase);
    while position < layout.len() {
        let rest = &layout[position..];
        let hour12 = if parts.hour.is_multiple_of(12) { 12 } else { parts.hour % 12 };
        let consumed = if rest.starts_with("January") {
            out.push_str(MONTHS[parts.month as usize - 1]);
            7
        } else if rest.starts_with("Jan") && !starts_lower(position + 3) {
            out.push_str(&MONTHS[parts.month as usize - 1][..3]);
            3
        } else if rest.starts_with("Monday") {
            out.push_str(WEEKDAYS[parts.weekday]);
            6
        } else if rest.starts_with("Mon") && !starts_lower(position + 3) {
            out.push_str(&WEEKDAYS[parts.weekday][..3]);
            3
        } else if rest.starts_with("MST") {
            out.push_str(&zone_name(moment));
            3
        } else if rest.starts_with("2006") {
            let _ = write!(out, "{:04}", parts.year);
            4
        } else if rest.starts_with("_2006") {
            let _ = write!(out, "_{:04}", parts.year);
            5
        } else if rest.starts_with("__2") {
            let _ = write!(out, "{:>3}", parts.year_day);
            3
        } else if rest.starts_with("_2") {
            let _ = write!(out, "{:>2}", parts.day);
            2
        } else if rest.starts_with("002") {
            let _ = write!(out, "{:03}", parts.year_day);
            3
        } else if let Some(value) = zero_padded(rest, &parts, hour12) {
            out.push_str(&value);
            2
        } else if rest.starts_with("15") {
            let _ = write!(out, "{:02}", parts.hour);
            2
        } else if rest.starts_with("PM") {
            out.push_str(if parts.hour >= 12 { "PM" } else { "AM" });
            2
        } else if rest.starts_with("pm") {
            out.push_str(if parts.hour >= 12 { "pm" } else { "am" });
            2
        } else if let Some(consumed) = format_zone_offset(rest, moment.offset, &mut out) {
            consumed
        } else if let Some(consumed) = format_fraction(rest, moment.nanos, &mut out) {
            consumed
        } else {
            let character = rest.chars().next().unwrap_or(' ');
            match character {
                '1' => {
                    let _ = write!(out, "{}", parts.month);
                }
                '2' => {
                    let _ = write!(out, "{}", parts.day);
                }
                '3' => {
                    let _ = write!(out, "{hour12}");
                }
                '4' => {
                    let _ = write!(out, "{}", parts.minute);
                }
                '5' => {
                    let _ = write!(out, "{}", parts.second);
                }
                other => out.push(other),
            }
            character.len_utf8()
        };
        position += consumed;
    }
    out
}

/// Formats the two-digit layout elements `01` to `06`.
fn zero_padded(rest: &str, parts: &Fields, hour12: u32) -> Option<String> {
    let value = match rest.as_bytes().get(..2)? {
        b"01" => i64::from(parts.month),
        b"02" => i64::from(parts.day),
        b"03" => i64::from(hour12),
        b"04" => i64::from(parts.minute),
        b"05" => i64::from(parts.second),
        b"06" => parts.year.rem_euclid(100),
        _ => return None,
    };
    Some(format!("{value:02}"))
}

fn zone_name(moment: &Moment) -> String {
    if !moment.zone.is_empty() {
        return moment.zone.clone();
    }
    let mut out = String::new();
    push_offset(&mut out, moment.offset, false, false);
    out
}

fn push_offset(out: &mut String, offset: i32, colons: bool, with_seconds: bool) {
    let magnitude = offset.unsigned_abs();
    out.push(if offset < 0 { '-' } else { '+' });
    let separator = if colons { ":" } else { "" };
    let _ = write!(out, "{:02}{separator}{:02}", magnitude / 3600, magnitude / 60 % 60);
    if with_seconds {
        let _ = write!(out, "{separator}{:02}", magnitude % 60);
    }
}

/// Formats the zone offset elements `-0700`, `-07:00`, `-07`, their seconds
/// forms, and the `Z` forms that print `Z` for UTC.
fn format_zone_offset(rest: &str, offset: i32, out: &mut String) -> Option<usize> {
    let (utc_letter, body) = match rest.as_bytes().first()? {
        b'Z' => (true, &rest[1..]),
        b'-' => (false, &rest[1..]),
        _ => return None,
    };

    let forms: [(&str, bool, bool); 5] = [
        ("070000", false, true),
        ("07:00:00", true, true),
        ("0700", false, false),
        ("07:00", true, false),
        ("07", false, false),
    ];
    for (form, colons, with_seconds) in forms {
        if !body.starts_with(form) {
            continue;
        }
        if utc_letter && offset == 0 {
            out.push('Z');
        } else if form == "07" {
            let magnitude = offset.unsigned_abs();
            out.push(if offset < 0 { '-' } else { '+' });
            let _ = write!(out, "{:02}", magnitude / 3600);
        } else {
            push_offset(out, offset, colons, with_seconds);
        }
        return Some(1 + form.len());
    }
    None
}

/// Fractional seconds: `.000` (fixed width) or `.999` (trailing zeros
/// dropped), also with a comma, when no digit follows the run.
fn format_fraction(rest: &str, nanos: u32, out: &mut String) -> Option<usize> {
    let bytes = rest.as_bytes();
    let separator = *bytes.first()?;
    let digit = *bytes.get(1)?;
    if !matches!(separator, b'.' | b',') || !matches!(digit, b'0' | b'9') {
        return None;
    }

    let width = bytes[1..].iter().take_while(|byte| **byte == digit).count();
    if bytes.get(1 + width).is_some_and(u8::is_ascii_digit) {
        return None;
    }

    let shown = width.min(9);
    let digits = format!("{nanos:09}");
    let mut fraction = digits[..shown].to_owned();
    if digit == b'9' {
        while fraction.ends_with('0') {
            fraction.pop();
        }
        if fraction.is_empty() {
            return Some(1 + width);
        }
    }
    out.push(separator as char);
    out.push_str(&fraction);
    Some(1 + width)
}
