//! Go's reference-time layouts (`"2006-01-02T15:04:05Z07:00"`): formatting
//! a moment with a layout, as `time.Time.Format` does, and reading text
//! back with one, as `time.ParseInLocation` does.
//!
//! A layout is example text for the reference time, Monday January 2
//! 15:04:05 MST 2006. Each element of it (`2006`, `Jan`, `02`, `15`, `.000`,
//! `-07:00`, ...) is replaced by the same field of the moment, and
//! everything else is copied. Parsing walks the same elements and fails on
//! any mismatch. As in Go, a zone abbreviation parses with the local offset
//! when it names the local zone, and with offset zero otherwise. NOTE: the
//! local abbreviation is taken at the Unix epoch, so a zone whose name
//! changes with daylight saving time matches only its winter name.

use std::fmt::Write as _;

use super::time::{Fields, Moment, days_from_civil, fields, local_zone};

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

/// The fields read from text by [`parse_layout`], before the zone is known.
struct Parsed {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    pm: Option<bool>,
    /// The offset and abbreviation the text names, if any.
    zone: Option<(i32, String)>,
}

/// Reads up to `max` digits (at least `min`) from the start of `text`.
fn take_number(text: &str, min: usize, max: usize) -> Option<(u32, &str)> {
    let count = text.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if count < min {
        return None;
    }
    Some((text[..count].parse().ok()?, &text[count..]))
}

/// Reads a month or weekday name, in full or as its first three letters,
/// ignoring case as Go does, and returns its index.
fn take_name<'a>(text: &'a str, names: &[&str], short: bool) -> Option<(usize, &'a str)> {
    for (index, name) in names.iter().enumerate() {
        let wanted = if short { &name[..3] } else { name };
        if text.len() >= wanted.len()
            && text.is_char_boundary(wanted.len())
            && text[..wanted.len()].eq_ignore_ascii_case(wanted)
        {
            return Some((index, &text[wanted.len()..]));
        }
    }
    None
}

/// Reads a zone offset such as `+07:00`, `-0700` or `+07`, or `Z` when
/// `allow_z` is set, returning seconds east of UTC.
fn take_offset(text: &str, colons: bool, with_minutes: bool, allow_z: bool) -> Option<(i32, &str)> {
    if allow_z && let Some(rest) = text.strip_prefix('Z') {
        return Some((0, rest));
    }
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, mut rest) = take_number(&text[1..], 2, 2)?;
    let mut minutes = 0;
    if with_minutes {
        if colons {
            rest = rest.strip_prefix(':')?;
        }
        let (value, after) = take_number(rest, 2, 2)?;
        minutes = value;
        rest = after;
    }
    Some((sign * (hours as i32 * 3600 + minutes as i32 * 60), rest))
}

/// Parses text with a Go layout, as `time.ParseInLocation` does with the
/// local zone, or returns `None` when the text does not fit the layout.
pub(super) fn parse_layout(layout: &str, text: &str) -> Option<Moment> {
    let mut parsed = Parsed {
        year: 0,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        pm: None,
        zone: None,
    };
    let mut rest = text;
    let mut position = 0;

    while position < layout.len() {
        let element = &layout[position..];
        let (consumed, remaining) = parse_element(element, rest, &mut parsed)?;
        position += consumed;
        rest = remaining;
    }
    if !rest.is_empty() {
        return None;
    }

    if let Some(pm) = parsed.pm {
        if parsed.hour > 12 {
            return None;
        }
        parsed.hour = parsed.hour % 12 + if pm { 12 } else { 0 };
    }
    let days_in_month = match parsed.month {
        2 if parsed.year % 4 == 0 && (parsed.year % 100 != 0 || parsed.year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=12).contains(&parsed.month)
        || !(1..=days_in_month).contains(&parsed.day)
        || parsed.hour > 23
        || parsed.minute > 59
        || parsed.second > 59
    {
        return None;
    }

    let wall = days_from_civil(parsed.year, parsed.month, parsed.day) * 86400
        + i64::from(parsed.hour) * 3600
        + i64::from(parsed.minute) * 60
        + i64::from(parsed.second);
    let (offset, zone) = match parsed.zone {
        // Go names a numeric offset after the local zone when they agree.
        Some((offset, name)) if name.is_empty() => {
            let (local_offset, local_name) = local_zone(wall - i64::from(offset));
            (offset, if local_offset == offset { local_name } else { name })
        }
        Some(zone) => zone,
        None => {
            let (guess, _) = local_zone(wall);
            local_zone(wall - i64::from(guess))
        }
    };
    Some(Moment { seconds: wall - i64::from(offset), nanos: parsed.nanos, offset, zone })
}

/// Matches one layout element (or one literal character) against the start
/// of `text`, returning the layout bytes used and the text left.
fn parse_element<'a>(
    element: &str,
    text: &'a str,
    parsed: &mut Parsed,
) -> Option<(usize, &'a str)> {
    let month_names: Vec<&str> = MONTHS.to_vec();
    let weekday_names: Vec<&str> = WEEKDAYS.to_vec();
    let starts_lower = |at: usize| element.as_bytes().get(at).is_some_and(u8::is_ascii_lowercase);

    if element.starts_with("January") {
        let (index, rest) = take_name(text, &month_names, false)?;
        parsed.month = index as u32 + 1;
        return Some((7, rest));
    }
    if element.starts_with("Jan") && !starts_lower(3) {
        let (index, rest) = take_name(text, &month_names, true)?;
        parsed.month = index as u32 + 1;
        return Some((3, rest));
    }
    if element.starts_with("Monday") {
        return take_name(text, &weekday_names, false).map(|(_, rest)| (6, rest));
    }
    if element.starts_with("Mon") && !starts_lower(3) {
        return take_name(text, &weekday_names, true).map(|(_, rest)| (3, rest));
    }
    if element.starts_with("MST") {
        let letters = text.bytes().take_while(u8::is_ascii_uppercase).count();
        if !(3..=5).contains(&letters) {
            return None;
        }
        let name = &text[..letters];
        let (local_offset, local_name) = local_zone(0);
        let offset = if name == local_name { local_offset } else { 0 };
        parsed.zone = Some((offset, name.to_owned()));
        return Some((3, &text[letters..]));
    }

    if element.starts_with("_2006") {
        return text.strip_prefix('_').map(|rest| (1, rest));
    }
    let numeric: [(&str, usize, usize); 16] = [
        ("2006", 4, 4),
        ("002", 3, 3),
        ("__2", 1, 3),
        ("_2", 1, 2),
        ("01", 2, 2),
        ("02", 2, 2),
        ("03", 2, 2),
        ("04", 2, 2),
        ("05", 2, 2),
        ("06", 2, 2),
        ("15", 1, 2),
        ("1", 1, 2),
        ("2", 1, 2),
        ("3", 1, 2),
        ("4", 1, 2),
        ("5", 1, 2),
    ];
    for (name, min, max) in numeric {
        if !element.starts_with(name) {
            continue;
        }
        let text = if name.starts_with('_') { text.trim_start_matches(' ') } else { text };
        let (value, mut rest) = take_number(text, min, max)?;
        match name {
            "2006" => parsed.year = i64::from(value),
            "06" => parsed.year = i64::from(value) + if value >= 69 { 1900 } else { 2000 },
            "01" | "1" => parsed.month = value,
            "02" | "2" | "_2" => parsed.day = value,
            "15" => parsed.hour = value,
            "03" | "3" => parsed.hour = value,
            "04" | "4" => parsed.minute = value,
            "05" | "5" => {
                parsed.second = value;
                if !element[name.len()..].starts_with(['.', ',']) && rest.starts_with(['.', ',']) {
                    let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
                    if digits > 0 {
                        parsed.nanos = fraction_nanos(&rest[1..1 + digits]);
                        rest = &rest[1 + digits..];
                    }
                }
            }
            _ => {}
        }
        return Some((name.len(), rest));
    }

    if element.starts_with("PM") || element.starts_with("pm") {
        let marker = text.get(..2)?;
        parsed.pm = match marker.to_ascii_uppercase().as_str() {
            "PM" => Some(true),
            "AM" => Some(false),
            _ => return None,
        };
        return Some((2, &text[2..]));
    }

    // The forms with seconds (`-07:00:00`) parse as the minute form followed
    // by literal text, which matches the `:00` that real offsets have.
    let offsets: [(&str, bool, bool, bool); 6] = [
        ("Z07:00", true, true, true),
        ("Z0700", false, true, true),
        ("Z07", false, false, true),
        ("-07:00", true, true, false),
        ("-0700", false, true, false),
        ("-07", false, false, false),
    ];
    for (form, colons, with_minutes, allow_z) in offsets {
        if element.starts_with(form) {
            let (offset, rest) = take_offset(text, colons, with_minutes, allow_z)?;
            let zone_name = if allow_z && text.starts_with('Z') { "UTC" } else { "" };
            parsed.zone = Some((offset, zone_name.to_owned()));
            return Some((form.len(), rest));
        }
    }

    let bytes = element.as_bytes();
    if matches!(bytes.first(), Some(b'.' | b',')) && matches!(bytes.get(1), Some(b'0' | b'9')) {
        let digit = bytes[1];
        let width = bytes[1..].iter().take_while(|byte| **byte == digit).count();
        if !bytes.get(1 + width).is_some_and(u8::is_ascii_digit) {
            let digits = text
                .get(1..)
                .map_or(0, |after| after.bytes().take_while(u8::is_ascii_digit).count());
            if text.starts_with(['.', ',']) && digits > 0 && (digit == b'9' || digits == width) {
                parsed.nanos = fraction_nanos(&text[1..1 + digits]);
                return Some((1 + width, &text[1 + digits..]));
            }
            return if digit == b'9' { Some((1 + width, text)) } else { None };
        }
    }

    let literal = element.chars().next()?;
    let rest = text.strip_prefix(literal)?;
    Some((literal.len_utf8(), rest))
}

/// Converts fractional-second digits to nanoseconds, ignoring digits past nine.
fn fraction_nanos(digits: &str) -> u32 {
    let padded = format!("{:0<9}", &digits[..digits.len().min(9)]);
    padded.parse().unwrap_or(0)
}
