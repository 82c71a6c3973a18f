//! Date functions: `now`, `date`, `dateInZone`, `unixEpoch` and `htmlDate`,
//! with Go's reference-time layouts (`"2006-01-02T15:04:05Z07:00"`).
//!
//! The value type has no time variant, so `now` returns the time as text in
//! the form Go's `time.Time` prints (`2026-12-04 11:05:00.123456789 +0000
//! UTC`), and the date functions read that text back. Like sprig, they also
//! take an integer as Unix seconds, and fall back to the current time for
//! any other value. The local zone comes from the C library (`TZ` or
//! `/etc/localtime`), as Go's does.
//!
//! Because `now` returns text, the `time.Time` methods that Taskfiles call
//! on it (`now.Unix`, `now.UTC.Format "2006"`, ...) are run by
//! [`time_methods`] when the chain starts at `now`. NOTE: a variable holding
//! `now` (`$t := now`) is plain text, so `$t.Unix` fails.
//!
//! `dateInZone` takes `UTC`, `Local` or a zone name such as `Europe/Paris`,
//! read from the system's zoneinfo files. An unknown zone renders in UTC,
//! as sprig does.

use std::ffi::CStr;
use std::time::{SystemTime, UNIX_EPOCH};

use super::duration::parse_duration;
use super::layout::{MONTHS, WEEKDAYS, format_layout, parse_layout};
use super::string_arg;
use super::zone::zone_at;
use crate::taskfile::template::value::Value;

/// The largest year that time text may name, which keeps the day
/// arithmetic far from overflow.
const MAX_YEAR: i64 = 1_000_000_000;

/// A moment with the zone it is shown in.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Moment {
    pub(super) seconds: i64,
    pub(super) nanos: u32,
    /// Seconds east of UTC.
    pub(super) offset: i32,
    /// The zone abbreviation, or empty for a zone known only by its offset.
    pub(super) zone: String,
}

/// Returns the offset and abbreviation of the local zone at a Unix time.
pub(super) fn local_zone(seconds: i64) -> (i32, String) {
    let time = seconds as libc::time_t;
    // SAFETY: `tm` is plain old data, for which all-zero bytes are valid.
    let mut broken_down: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: localtime_r reads `time` and writes only into `broken_down`,
    // both of which live for the whole call.
    let result = unsafe { libc::localtime_r(&time, &mut broken_down) };
    if result.is_null() {
        return (0, "UTC".to_owned());
    }

    let zone = if broken_down.tm_zone.is_null() {
        String::new()
    } else {
        // SAFETY: glibc and musl point tm_zone at a NUL-terminated name in
        // static storage that outlives this call.
        unsafe { CStr::from_ptr(broken_down.tm_zone) }.to_string_lossy().into_owned()
    };
    (broken_down.tm_gmtoff as i32, zone)
}

pub(super) fn local_moment(seconds: i64, nanos: u32) -> Moment {
    let (offset, zone) = local_zone(seconds);
    Moment { seconds, nanos, offset, zone }
}

pub(super) fn current_moment() -> Moment {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    local_moment(elapsed.as_secs() as i64, elapsed.subsec_nanos())
}

/// Reads a date argument: Unix seconds, the text that `now` returns, or
/// the current time for anything else.
fn moment_of(value: &Value) -> Moment {
    match value {
        Value::Int(seconds) => local_moment(*seconds, 0),
        Value::String(text) => parse_go_time(text).unwrap_or_else(current_moment),
        _ => current_moment(),
    }
}

/// Parses `2006-01-02 15:04:05.999999999 -0700 MST`, the output of Go's `Time.String`.
fn parse_go_time(text: &str) -> Option<Moment> {
    let mut words = text.split(' ');
    let date = words.next()?;
    let clock = words.next()?;
    let offset_text = words.next()?;
    let zone = words.next().unwrap_or("").to_owned();

    let mut date_parts = date.splitn(3, '-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    if !(-MAX_YEAR..=MAX_YEAR).contains(&year) {
        return None;
    }
    let month: u32 = date_parts.next()?.parse().ok()?;
    let day: u32 = date_parts.next()?.parse().ok()?;

    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut clock_parts = clock.splitn(3, ':');
    let hour: i64 = clock_parts.next()?.parse().ok()?;
    let minute: i64 = clock_parts.next()?.parse().ok()?;
    let second: i64 = clock_parts.next()?.parse().ok()?;
    let nanos: u32 =
        if fraction.is_empty() { 0 } else { format!("{fraction:0<9}").get(..9)?.parse().ok()? };

    if offset_text.len() != 5 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let sign = match &offset_text[..1] {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let offset_hours: i32 = offset_text[1..3].parse().ok()?;
    let offset_minutes: i32 = offset_text[3..5].parse().ok()?;
    let offset = sign * (offset_hours * 3600 + offset_minutes * 60);

    let days = days_from_civil(year, month, day);
    let local_seconds = days * 86400 + hour * 3600 + minute * 60 + second;
    Some(Moment { seconds: local_seconds - i64::from(offset), nanos, offset, zone })
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(super) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146097 + day_of_era - 719468
}

/// Returns the year of a count of seconds since 1970 in local wall time.
pub(super) fn civil_year(local_seconds: i64) -> i64 {
    civil_from_days(local_seconds.div_euclid(86400)).0
}

/// Converts a day count since 1970-01-01 to a proleptic Gregorian date.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719468;
    let era = days.div_euclid(146097);
    let day_of_era = days - era * 146097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The calendar fields of a moment in its zone.
pub(super) struct Fields {
    pub(super) year: i64,
    pub(super) month: u32,
    pub(super) day: u32,
    pub(super) year_day: u32,
    /// Days since Sunday.
    pub(super) weekday: usize,
    pub(super) hour: u32,
    pub(super) minute: u32,
    pub(super) second: u32,
}

pub(super) fn fields(moment: &Moment) -> Fields {
    let local = moment.seconds.saturating_add(i64::from(moment.offset));
    let days = local.div_euclid(86400);
    let second_of_day = local.rem_euclid(86400) as u32;
    let (year, month, day) = civil_from_days(days);
    let year_day = (days - days_from_civil(year, 1, 1) + 1) as u32;
    Fields {
        year,
        month,
        day,
        year_day,
        weekday: (days + 4).rem_euclid(7) as usize,
        hour: second_of_day / 3600,
        minute: second_of_day / 60 % 60,
        second: second_of_day % 60,
    }
}

/// Runs a chain of `time.Time` methods on the text `now` returned, such as
/// `.UTC.Format "2006"`. The arguments go to the last method, as in Go.
pub(crate) fn time_methods(
    start: Value,
    methods: &[String],
    args: &[Value],
) -> Result<Value, String> {
    let mut current = start;
    for (position, method) in methods.iter().enumerate() {
        let text = match &current {
            Value::String(text) if position == 0 || is_time_method(&methods[position - 1]) => text,
            other => {
                return Err(format!("can't evaluate field {method} in type {}", other.type_name()));
            }
        };
        let moment = parse_go_time(text)
            .ok_or_else(|| format!("can't evaluate field {method} in type string"))?;
        let method_args = if position + 1 == methods.len() { args } else { &[] };
        current = time_method(&moment, method, method_args)?;
    }
    Ok(current)
}

/// Reports whether a method returns a time, so another method can follow it.
fn is_time_method(method: &str) -> bool {
    matches!(method, "UTC" | "Local")
}

fn time_method(moment: &Moment, method: &str, args: &[Value]) -> Result<Value, String> {
    let want = if method == "Format" { 1 } else { 0 };
    if args.len() != want {
        return Err(format!("wrong number of args for {method}: want {want} got {}", args.len()));
    }

    let parts = fields(moment);
    let value = match method {
        "UTC" => {
            let utc = Moment { offset: 0, zone: "UTC".to_owned(), ..moment.clone() };
            Value::String(format_layout(&utc, GO_TIME_LAYOUT))
        }
        "Local" => Value::String(format_layout(
            &local_moment(moment.seconds, moment.nanos),
            GO_TIME_LAYOUT,
        )),
        "String" => Value::String(format_layout(moment, GO_TIME_LAYOUT)),
        "Format" => Value::String(format_layout(moment, string_arg(args, 0)?)),
        "Unix" => Value::Int(moment.seconds),
        "UnixMilli" => Value::Int(
            moment.seconds.wrapping_mul(1000).wrapping_add(i64::from(moment.nanos / 1_000_000)),
        ),
        "UnixNano" => Value::Int(
            moment.seconds.wrapping_mul(1_000_000_000).wrapping_add(i64::from(moment.nanos)),
        ),
        "Year" => Value::Int(parts.year),
        "YearDay" => Value::Int(i64::from(parts.year_day)),
        "Month" => Value::String(MONTHS[parts.month as usize - 1].to_owned()),
        "Weekday" => Value::String(WEEKDAYS[parts.weekday].to_owned()),
        "Day" => Value::Int(i64::from(parts.day)),
        "Hour" => Value::Int(i64::from(parts.hour)),
        "Minute" => Value::Int(i64::from(parts.minute)),
        "Second" => Value::Int(i64::from(parts.second)),
        "Nanosecond" => Value::Int(i64::from(moment.nanos)),
        other => return Err(format!("can't evaluate field {other} in type time.Time")),
    };
    Ok(value)
}

/// The layout of Go's `time.Time.String`, which `now` returns.
const GO_TIME_LAYOUT: &str = "2006-01-02 15:04:05.999999999 -0700 MST";

/// `now`: the current local time, as text that the date functions read back.
pub(super) fn now(_: &[Value]) -> Result<Value, String> {
    let moment = current_moment();
    Ok(Value::String(format_layout(&moment, GO_TIME_LAYOUT)))
}

/// `date layout time`.
pub(super) fn date(args: &[Value]) -> Result<Value, String> {
    let layout = string_arg(args, 0)?;
    Ok(Value::String(format_layout(&moment_of(&args[1]), layout)))
}

/// `dateInZone layout time zone`.
pub(super) fn date_in_zone(args: &[Value]) -> Result<Value, String> {
    let layout = string_arg(args, 0)?;
    let zone = string_arg(args, 2)?;
    let mut moment = moment_of(&args[1]);
    let (offset, name) = match zone {
        "Local" => local_zone(moment.seconds),
        "" | "UTC" => (0, "UTC".to_owned()),
        named => zone_at(named, moment.seconds).unwrap_or((0, "UTC".to_owned())),
    };
    moment.offset = offset;
    moment.zone = name;
    Ok(Value::String(format_layout(&moment, layout)))
}

/// `unixEpoch time`: the Unix seconds as text.
pub(super) fn unix_epoch(args: &[Value]) -> Result<Value, String> {
    Ok(Value::String(moment_of(&args[0]).seconds.to_string()))
}

/// `htmlDate time`: the date as `2006-01-02`.
pub(super) fn html_date(args: &[Value]) -> Result<Value, String> {
    Ok(Value::String(format_layout(&moment_of(&args[0]), "2006-01-02")))
}

/// Returns the whole seconds from a moment (time text or Unix seconds) to
/// now, rounded to the nearest second, or `None` for other values.
pub(super) fn seconds_since(value: &Value) -> Option<i64> {
    let moment = match value {
        Value::Int(seconds) => local_moment(*seconds, 0),
        Value::String(text) => parse_go_time(text)?,
        _ => return None,
    };
    let now = current_moment();
    let nanos = (i128::from(now.seconds) - i128::from(moment.seconds)) * 1_000_000_000
        + i128::from(now.nanos)
        - i128::from(moment.nanos);
    i64::try_from((nanos + 500_000_000).div_euclid(1_000_000_000)).ok()
}

/// The time text of Go's zero time, which sprig's `toDate` returns for text
/// that does not fit the layout.
const ZERO_TIME: &str = "0001-01-01 00:00:00 +0000 UTC";

/// `toDate layout text`: the text read with a Go layout in the local zone.
pub(super) fn to_date(args: &[Value]) -> Result<Value, String> {
    let parsed = parse_layout(string_arg(args, 0)?, string_arg(args, 1)?);
    let text = parsed
        .map_or_else(|| ZERO_TIME.to_owned(), |moment| format_layout(&moment, GO_TIME_LAYOUT));
    Ok(Value::String(text))
}

/// `mustToDate layout text`, failing when the text does not fit the layout.
pub(super) fn must_to_date(args: &[Value]) -> Result<Value, String> {
    let layout = string_arg(args, 0)?;
    let text = string_arg(args, 1)?;
    let moment = parse_layout(layout, text).ok_or_else(|| {
        format!("parsing time {text:?} as {layout:?}: cannot parse {text:?} as {layout:?}")
    })?;
    Ok(Value::String(format_layout(&moment, GO_TIME_LAYOUT)))
}

/// Moves a moment by a number of nanoseconds.
fn add_nanos(moment: &mut Moment, nanos: i64) {
    let total = i128::from(moment.nanos) + i128::from(nanos);
    let seconds = i64::try_from(total.div_euclid(1_000_000_000)).unwrap_or(0);
    moment.seconds = moment.seconds.saturating_add(seconds);
    moment.nanos = total.rem_euclid(1_000_000_000) as u32;
}

/// `dateModify duration time`: the time moved by a Go duration such as
/// `-1.5h`, or unchanged when the duration is invalid.
pub(super) fn date_modify(args: &[Value]) -> Result<Value, String> {
    let mut moment = moment_of(&args[1]);
    if let Some(nanos) = parse_duration(string_arg(args, 0)?) {
        add_nanos(&mut moment, nanos);
    }
    Ok(Value::String(format_layout(&moment, GO_TIME_LAYOUT)))
}

/// `mustDateModify duration time`, failing on an invalid duration.
pub(super) fn must_date_modify(args: &[Value]) -> Result<Value, String> {
    let text = string_arg(args, 0)?;
    let nanos = parse_duration(text).ok_or_else(|| format!("time: invalid duration {text:?}"))?;
    let mut moment = moment_of(&args[1]);
    add_nanos(&mut moment, nanos);
    Ok(Value::String(format_layout(&moment, GO_TIME_LAYOUT)))
}

/// Formats Unix seconds in UTC with a Go layout.
#[cfg(test)]
fn format_utc(seconds: i64, nanos: u32, layout: &str) -> String {
    format_layout(&Moment { seconds, nanos, offset: 0, zone: "UTC".to_owned() }, layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_elements_match_go() {
        let cases = [
            (
                86400,
                "2006-01-02T15:04:05Z07:00 Mon Jan _2 3PM .000 MST",
                "1970-01-02T00:00:00Z Fri Jan  2 12AM .000 UTC",
            ),
            (0, "20060102", "19700101"),
            (1700000000, "Jan 2, 2006 at 3:04pm (MST)", "Nov 14, 2023 at 10:13pm (UTC)"),
            (
                1700000000,
                "Monday January 02 15:04:05.000000 -0700 Z0700 -07:00 pm",
                "Tuesday November 14 22:13:20.000000 +0000 Z +00:00 pm",
            ),
            (
                1700000000,
                "06 1 01 2 02 _2 __2 002 15 3 03 4 04 5 05 .0 .00 .999 ,000",
                "23 11 11 14 14 14 318 318 22 10 10 13 13 20 20 .0 .00  ,000",
            ),
            (951782400, "2006-01-02 Monday", "2000-02-29 Tuesday"),
            (-86400, "2006-01-02", "1969-12-31"),
        ];
        for (seconds, layout, expected) in cases {
            assert_eq!(format_utc(seconds, 0, layout), expected, "{layout}");
        }
    }

    #[test]
    fn fraction_elements_trim_or_pad() {
        assert_eq!(
            format_utc(0, 120_000_000, "05.999|05.000|05,9|05.000000000"),
            "00.12|00.120|00,1|00.120000000"
        );
    }

    #[test]
    fn now_text_reads_back() {
        let moment =
            Moment { seconds: 1700000000, nanos: 5, offset: -3600 * 5, zone: "EST".to_owned() };
        let text = format_layout(&moment, "2006-01-02 15:04:05.999999999 -0700 MST");
        assert_eq!(text, "2023-11-14 17:13:20.000000005 -0500 EST");
        assert_eq!(parse_go_time(&text), Some(moment));
    }
}
