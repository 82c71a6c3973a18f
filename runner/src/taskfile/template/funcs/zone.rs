//! Named time zones for `dateInZone`, read from the system's zoneinfo files
//! as Go's `time.LoadLocation` does.
//!
//! A zoneinfo file (TZif, RFC 8536) lists the instants where a zone's
//! offset changes, and ends with a POSIX `TZ` rule (`CET-1CEST,M3.5.0,
//! M10.5.0/3`) for the instants after the last listed change. A zone that
//! cannot be found or read is reported as `None`, and the caller renders in
//! UTC, as sprig does.

use std::path::Path;

/// The directories Go searches for zoneinfo files on Unix.
const ZONEINFO_DIRS: &[&str] =
    &["/usr/share/zoneinfo", "/usr/share/lib/zoneinfo", "/usr/lib/locale/TZ", "/etc/zoneinfo"];

/// The largest zoneinfo file read; real ones are a few kilobytes.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// One offset a zone uses: seconds east of UTC and the abbreviation.
#[derive(Clone, Debug, PartialEq)]
struct LocalTime {
    offset: i32,
    name: String,
}

/// Returns the offset and abbreviation of a named zone at a Unix time.
pub(super) fn zone_at(zone: &str, seconds: i64) -> Option<(i32, String)> {
    let valid = !zone.is_empty()
        && !zone.starts_with('/')
        && !zone.split('/').any(|part| part == ".." || part.is_empty())
        && zone
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "/_-+".contains(character));
    if !valid {
        return None;
    }

    let zoneinfo = std::env::var("ZONEINFO").ok();
    let directories = zoneinfo.iter().map(String::as_str).chain(ZONEINFO_DIRS.iter().copied());
    for directory in directories {
        let path = Path::new(directory).join(zone);
        let Ok(metadata) = std::fs::metadata(&path) else { continue };
        if !metadata.is_file() || metadata.len() > MAX_FILE_BYTES {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let local = lookup(&bytes, seconds)?;
        return Some((local.offset, local.name));
    }
    None
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Finds the local time of a Unix time in the contents of a TZif file.
fn lookup(bytes: &[u8], seconds: i64) -> Option<LocalTime> {
    if !bytes.starts_with(b"TZif") {
        return None;
    }
    let version = *bytes.get(4)?;

    // Version 1 data uses 4-byte times. Version 2 and later repeat the
    // data with 8-byte times after it, followed by the POSIX rule.
    let (block, time_size) = if version >= b'2' {
        let skip = 44 + block_len(bytes, 0, 4)?;
        (skip, 8)
    } else {
        (0, 4)
    };
    let count = |index: usize| read_u32(bytes, block + 20 + 4 * index).map(|value| value as usize);
    let (leap_count, transition_count, type_count, char_count) =
        (count(2)?, count(3)?, count(4)?, count(5)?);

    let times_at = block + 44;
    let indexes_at = times_at + transition_count * time_size;
    let types_at = indexes_at + transition_count;
    let chars_at = types_at + type_count * 6;
    let names = bytes.get(chars_at..chars_at + char_count)?;

    let local_type = |index: usize| -> Option<LocalTime> {
        let record = bytes.get(types_at + index * 6..types_at + index * 6 + 6)?;
        let offset = i32::from_be_bytes(record[..4].try_into().ok()?);
        let name_at = usize::from(record[5]);
        let name_bytes = names.get(name_at..)?;
        let end = name_bytes.iter().position(|byte| *byte == 0).unwrap_or(name_bytes.len());
        Some(LocalTime { offset, name: String::from_utf8_lossy(&name_bytes[..end]).into_owned() })
    };
    let transition = |index: usize| -> Option<i64> {
        let at = times_at + index * time_size;
        if time_size == 8 {
            Some(i64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
        } else {
            Some(i64::from(i32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?)))
        }
    };

    let passed = (0..transition_count)
        .take_while(|index| transition(*index).is_some_and(|time| time <= seconds))
        .count();
    if passed == transition_count && version >= b'2' {
        let footer_at =
            chars_at + char_count + leap_count * (time_size + 4) + count(0)? + count(1)?;
        let footer = bytes.get(footer_at..)?;
        if let Some(rule) =
            footer.strip_prefix(b"\n").and_then(|rest| rest.split(|byte| *byte == b'\n').next())
            && let Some(local) =
                std::str::from_utf8(rule).ok().and_then(|rule| posix_rule_at(rule, seconds))
        {
            return Some(local);
        }
    }
    if passed == 0 {
        return local_type(0);
    }
    local_type(usize::from(*bytes.get(indexes_at + passed - 1)?))
}

/// Returns the length of the data block after the TZif header at `at`.
fn block_len(bytes: &[u8], at: usize, time_size: usize) -> Option<usize> {
    let count = |index: usize| read_u32(bytes, at + 20 + 4 * index).map(|value| value as usize);
    let (utc_count, std_count, leap_count) = (count(0)?, count(1)?, count(2)?);
    let (transition_count, type_count, char_count) = (count(3)?, count(4)?, count(5)?);
    Some(
        transition_count * (time_size + 1)
            + type_count * 6
            + char_count
            + leap_count * (time_size + 4)
            + std_count
            + utc_count,
    )
}

/// Evaluates a POSIX `TZ` rule such as `EST5EDT,M3.2.0,M11.1.0` at a Unix time.
fn posix_rule_at(rule: &str, seconds: i64) -> Option<LocalTime> {
    let (std_name, rest) = take_zone_name(rule)?;
    let (std_west, rest) = take_clock(rest)?;
    let standard = LocalTime { offset: -std_west, name: std_name.to_owned() };
    if rest.is_empty() {
        return Some(standard);
    }

    let (dst_name, rest) = take_zone_name(rest)?;
    let (dst_offset, rest) = match take_clock(rest) {
        Some((west, after)) if !rest.starts_with(',') => (-west, after),
        _ => (standard.offset + 3600, rest),
    };
    let daylight = LocalTime { offset: dst_offset, name: dst_name.to_owned() };

    let mut rules = rest.strip_prefix(',')?.split(',');
    let start_rule = rules.next()?;
    let end_rule = rules.next()?;
    let year = super::time::civil_year(seconds.saturating_add(i64::from(standard.offset)));
    let start = rule_instant(start_rule, year)? - i64::from(standard.offset);
    let end = rule_instant(end_rule, year)? - i64::from(daylight.offset);

    let in_daylight = if start < end {
        start <= seconds && seconds < end
    } else {
        !(end <= seconds && seconds < start)
    };
    Some(if in_daylight { daylight } else { standard })
}

/// Reads a zone abbreviation: letters, or any text between `<` and `>`.
fn take_zone_name(text: &str) -> Option<(&str, &str)> {
    if let Some(quoted) = text.strip_prefix('<') {
        let end = quoted.find('>')?;
        return Some((&quoted[..end], &quoted[end + 1..]));
    }
    let end = text.find(|character: char| !character.is_ascii_alphabetic()).unwrap_or(text.len());
    (end >= 3).then(|| (&text[..end], &text[end..]))
}

/// Reads `[+-]hh[:mm[:ss]]` as seconds.
fn take_clock(text: &str) -> Option<(i32, &str)> {
    let (sign, mut rest) = match text.as_bytes().first()? {
        b'-' => (-1, &text[1..]),
        b'+' => (1, &text[1..]),
        _ => (1, text),
    };
    let mut total = 0;
    for (index, scale) in [3600, 60, 1].into_iter().enumerate() {
        if index > 0 {
            let Some(after) = rest.strip_prefix(':') else { break };
            rest = after;
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 3 {
            return None;
        }
        total += rest[..digits].parse::<i32>().ok()? * scale;
        rest = &rest[digits..];
    }
    Some((sign * total, rest))
}

/// Returns the local wall-clock instant, as seconds since the epoch as if
/// local time were UTC, of a rule date such as `M3.5.0/3` in `year`.
fn rule_instant(rule: &str, year: i64) -> Option<i64> {
    let (date, time) = rule.split_once('/').unwrap_or((rule, "2"));
    let (time_of_day, _) = take_clock(time)?;
    let year_start = super::time::days_from_civil(year, 1, 1);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);

    let day = if let Some(month_rule) = date.strip_prefix('M') {
        let mut parts = month_rule.split('.');
        let month: u32 = parts.next()?.parse().ok()?;
        let week: i64 = parts.next()?.parse().ok()?;
        let weekday: i64 = parts.next()?.parse().ok()?;
        if !(1..=12).contains(&month) || !(1..=5).contains(&week) || !(0..=6).contains(&weekday) {
            return None;
        }
        let first = super::time::days_from_civil(year, month, 1);
        let first_weekday = (first + 4).rem_euclid(7);
        let mut day = first + (weekday - first_weekday).rem_euclid(7) + (week - 1) * 7;
        let next_month = if month == 12 {
            super::time::days_from_civil(year + 1, 1, 1)
        } else {
            super::time::days_from_civil(year, month + 1, 1)
        };
        while day >= next_month {
            day -= 7;
        }
        day
    } else if let Some(julian) = date.strip_prefix('J') {
        let number: i64 = julian.parse().ok()?;
        if !(1..=365).contains(&number) {
            return None;
        }
        year_start + number - 1 + i64::from(leap && number >= 60)
    } else {
        let number: i64 = date.parse().ok()?;
        if !(0..=365).contains(&number) {
            return None;
        }
        year_start + number
    };
    Some(day * 86400 + i64::from(time_of_day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(offset: i32, name: &str) -> Option<LocalTime> {
        Some(LocalTime { offset, name: name.to_owned() })
    }

    #[test]
    fn posix_rules_switch_at_the_right_instants() {
        let paris = "CET-1CEST,M3.5.0,M10.5.0/3";
        // 2024-03-31 00:59:59 and 01:00:00 UTC, the spring change.
        assert_eq!(posix_rule_at(paris, 1711846799), local(3600, "CET"));
        assert_eq!(posix_rule_at(paris, 1711846800), local(7200, "CEST"));
        // 2024-10-27 00:59:59 and 01:00:00 UTC, the autumn change.
        assert_eq!(posix_rule_at(paris, 1729990799), local(7200, "CEST"));
        assert_eq!(posix_rule_at(paris, 1729990800), local(3600, "CET"));

        let sydney = "AEST-10AEDT,M10.1.0,M4.1.0/3";
        assert_eq!(posix_rule_at(sydney, 1704067200), local(39600, "AEDT"));
        assert_eq!(posix_rule_at(sydney, 1719792000), local(36000, "AEST"));

        assert_eq!(posix_rule_at("<+0530>-5:30", 0), local(19800, "+0530"));
        assert_eq!(posix_rule_at("UTC0", 0), local(0, "UTC"));
        assert_eq!(posix_rule_at("EST5EDT,M3.2.0,M11.1.0", 1720000000), local(-14400, "EDT"));
        assert_eq!(posix_rule_at("bad", 0), None);
    }

    #[test]
    fn truncated_zoneinfo_is_rejected() {
        let mut file = b"TZif2".to_vec();
        assert_eq!(lookup(b"TZif", 0), None);
        assert_eq!(lookup(&file, 0), None);
        file.resize(44, 0);
        file[20..44].copy_from_slice(&[
            0, 0, 0, 9, 0, 0, 0, 9, 0, 0, 0, 9, 0, 0, 0, 9, 0, 0, 0, 9, 0, 0, 0, 9,
        ]);
        assert_eq!(lookup(&file, 0), None);
    }

    #[test]
    fn corrupted_zoneinfo_never_panics() {
        let Ok(original) = std::fs::read("/usr/share/zoneinfo/Europe/Paris") else {
            eprintln!("skipping: /usr/share/zoneinfo/Europe/Paris is missing");
            return;
        };

        let mut state: u64 = 0x7a6f6e65;
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        for _ in 0..3000 {
            let mut file = original.clone();
            for _ in 0..=next() % 4 {
                let at = next() % file.len();
                file[at] = next() as u8;
            }
            file.truncate(next() % (original.len() + 1));
            let _ = lookup(&file, (next() as i64) << (next() % 32));
        }
    }

    #[test]
    fn zone_names_that_escape_the_directory_are_rejected() {
        assert_eq!(zone_at("../../etc/passwd", 0), None);
        assert_eq!(zone_at("/etc/localtime", 0), None);
        assert_eq!(zone_at("", 0), None);
        assert_eq!(zone_at("No/Such_Zone", 0), None);
    }

    #[test]
    fn system_zoneinfo_gives_the_offset() {
        // Skips loudly where the system has no zoneinfo files.
        if !Path::new("/usr/share/zoneinfo/Europe/Paris").is_file() {
            eprintln!("skipping: /usr/share/zoneinfo/Europe/Paris is missing");
            return;
        }
        assert_eq!(zone_at("Europe/Paris", 0), Some((3600, "CET".to_owned())));
        assert_eq!(zone_at("Europe/Paris", 1720000000), Some((7200, "CEST".to_owned())));
        assert_eq!(zone_at("Europe/Paris", 4102444800), Some((3600, "CET".to_owned())));
        assert_eq!(zone_at("Asia/Kolkata", 1720000000), Some((19800, "IST".to_owned())));
    }
}
