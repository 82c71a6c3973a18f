//! Sprig's integer math: `add`, `sub`, `mul`, `div`, `mod`, `max`, `min`,
//! and the conversions `atoi`, plus go-task's `randIntN`.
//!
//! Every operand is converted to a 64-bit integer first, as sprig does, so
//! `add 1.9 1` is 2 and `add "3" 1` is 4. Overflow wraps around like Go's
//! int64 arithmetic, and division by zero is an error.

use super::{encoding::random_u64, int_arg, string_arg, to_float64, to_int64};
use crate::taskfile::template::value::Value;

pub(super) fn add(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Int(args.iter().map(to_int64).fold(0, i64::wrapping_add)))
}

pub(super) fn add1(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Int(to_int64(&args[0]).wrapping_add(1)))
}

pub(super) fn sub(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Int(to_int64(&args[0]).wrapping_sub(to_int64(&args[1]))))
}

pub(super) fn mul(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Int(args.iter().map(to_int64).fold(1, i64::wrapping_mul)))
}

pub(super) fn div(args: &[Value]) -> Result<Value, String> {
    let divisor = to_int64(&args[1]);
    if divisor == 0 {
        return Err("integer divide by zero".to_owned());
    }
    Ok(Value::Int(to_int64(&args[0]).wrapping_div(divisor)))
}

pub(super) fn modulo(args: &[Value]) -> Result<Value, String> {
    let divisor = to_int64(&args[1]);
    if divisor == 0 {
        return Err("integer divide by zero".to_owned());
    }
    Ok(Value::Int(to_int64(&args[0]).wrapping_rem(divisor)))
}

pub(super) fn max(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Int(args.iter().map(to_int64).max().unwrap_or(0)))
}

pub(super) fn min(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Int(args.iter().map(to_int64).min().unwrap_or(0)))
}

/// `atoi text`: the decimal integer, or 0 when the text is not one.
pub(super) fn atoi(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Int(string_arg(args, 0)?.parse().unwrap_or(0)))
}

/// `randIntN n`: a random integer in `[0, n)`.
pub(super) fn rand_int_n(args: &[Value]) -> Result<Value, String> {
    let bound = int_arg(args, 0)?;
    if bound <= 0 {
        return Err(format!("invalid argument {bound} to randIntN: it must be positive"));
    }
    Ok(Value::Int((random_u64()? % bound as u64) as i64))
}

/// `randInt min max`: a random integer in `[min, max)`.
pub(super) fn rand_int(args: &[Value]) -> Result<Value, String> {
    let low = to_int64(&args[0]);
    let high = to_int64(&args[1]);
    if high <= low {
        return Err(format!("invalid range [{low}, {high}) for randInt: max must exceed min"));
    }
    let span = high.wrapping_sub(low) as u64;
    Ok(Value::Int(low.wrapping_add((random_u64()? % span) as i64)))
}

/// `round value places [half]`: rounded to `places` decimals, up when the
/// dropped part is at least `half` (0.5 by default), as sprig rounds.
pub(super) fn round(args: &[Value]) -> Result<Value, String> {
    let value = to_float64(&args[0]);
    let places = int_arg(args, 1)?;
    let half = args.get(2).map_or(0.5, to_float64);

    let scale =
        10f64.powi(i32::try_from(places).unwrap_or(if places < 0 { i32::MIN } else { i32::MAX }));
    let shifted = scale * value;
    let rounded = if shifted.fract() >= half { shifted.ceil() } else { shifted.floor() };
    Ok(Value::Float(rounded / scale))
}

pub(super) fn floor(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Float(to_float64(&args[0]).floor()))
}

pub(super) fn ceil(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Float(to_float64(&args[0]).ceil()))
}

pub(super) fn maxf(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Float(args.iter().map(to_float64).fold(f64::NEG_INFINITY, f64::max)))
}

pub(super) fn minf(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Float(args.iter().map(to_float64).fold(f64::INFINITY, f64::min)))
}
