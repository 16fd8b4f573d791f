//! Go-compatible number formatting, so statscope prints sizes and percentages
//! exactly as the docker CLI does (Go's `strconv`/`fmt` and `docker/go-units`).
//!
//! Covered: go-units `BytesSize` and `HumanSizeWithPrecision`, and Go's
//! `strconv.FormatFloat` with the `'g'` and `'f'` verbs at an explicit
//! precision (correctly rounded, exact ties to even — Rust's float formatting
//! does the same, so its digits are reused and only the layout is Go's).
//!
//! Not covered: Go's shortest formatting (precision `-1`), `fmt` flags
//! (width, `+`, `#`, space), other verbs, float32, and parsing sizes back.

const DECIMAL_ABBRS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const BINARY_ABBRS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

/// go-units `getSizeAndUnit`: divide by `base` while the size is at least
/// `base` and a bigger unit remains.
fn size_and_unit(mut size: f64, base: f64, units: &[&'static str]) -> (f64, &'static str) {
    let mut i = 0;
    while size >= base && i < units.len() - 1 {
        size /= base;
        i += 1;
    }
    (size, units[i])
}

/// go-units `BytesSize`: `CustomSize("%.4g%s", size, 1024.0, binaryAbbrs)` → e.g. "823.8MiB", "2GiB", "0B".
pub fn bytes_size(size: f64) -> String {
    let (size, unit) = size_and_unit(size, 1024.0, &BINARY_ABBRS);
    format_g(size, 4) + unit
}

/// go-units `HumanSizeWithPrecision(size, precision)`: `getSizeAndUnit(size, 1000.0, decimapAbbrs)` then `fmt.Sprintf("%.*g%s", precision, size, unit)` → "1.33GB", "469MB", "1e+03kB".
pub fn human_size_with_precision(size: f64, precision: usize) -> String {
    let (size, unit) = size_and_unit(size, 1000.0, &DECIMAL_ABBRS);
    format_g(size, precision) + unit
}

/// Go's `NaN`/`±Inf` spellings, or `None` for finite values.
fn non_finite(x: f64) -> Option<String> {
    match x {
        _ if x.is_nan() => Some("NaN".into()),
        f64::INFINITY => Some("+Inf".into()),
        f64::NEG_INFINITY => Some("-Inf".into()),
        _ => None,
    }
}

/// Go's strconv.FormatFloat(x, 'g', precision, 64) == fmt's "%.*g" (precision >= 1).
///
/// Precision 0 is treated as 1, as Go does.
pub fn format_g(x: f64, precision: usize) -> String {
    if let Some(s) = non_finite(x) {
        return s;
    }
    let precision = precision.max(1);
    // Rust's `{:e}` is correctly rounded (ties to even), like Go: "-1.2340e5".
    let sci = format!("{:.*e}", precision - 1, x.abs());
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.trim_end_matches('0') {
        "" => "0",
        d => d,
    };
    let sign = if x.is_sign_negative() { "-" } else { "" };
    let (lead, rest) = digits.split_at(1);

    if exp < -4 || exp >= precision as i32 {
        let dot = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        return format!(
            "{sign}{lead}{dot}{rest}e{exp_sign}{:02}",
            exp.unsigned_abs()
        );
    }
    if exp < 0 {
        let zeros = "0".repeat(exp.unsigned_abs() as usize - 1);
        return format!("{sign}0.{zeros}{digits}");
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        format!("{sign}{digits:0<int_len$}")
    } else {
        let (int, frac) = digits.split_at(int_len);
        format!("{sign}{int}.{frac}")
    }
}

/// Go's `strconv.FormatFloat(x, 'f', decimals, 64)` → e.g. "151.86".
///
/// Rust's `{:.N}` is correctly rounded with exact ties to even and keeps the
/// sign of negative zero ("-0.00"), exactly as Go does; only `NaN`/`±Inf`
/// need Go's spelling.
pub fn format_fixed(x: f64, decimals: usize) -> String {
    non_finite(x).unwrap_or_else(|| format!("{x:.decimals$}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: f64 = 1024.0;
    const MIB: f64 = KIB * 1024.0;
    const GIB: f64 = MIB * 1024.0;

    #[test]
    fn bytes_size_matches_go_units() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0B"),
            (1.0, "1B"),
            (0.5, "0.5B"),
            (1023.0, "1023B"),
            (1023.9, "1024B"),
            (1024.0, "1KiB"),
            (1536.0, "1.5KiB"),
            (1_048_575.0, "1024KiB"),
            (MIB, "1MiB"),
            (823.8 * MIB, "823.8MiB"),
            (863_813_222.0, "823.8MiB"),
            (2.0 * GIB, "2GiB"),
            (25_276_063_744.0, "23.54GiB"),
            (7_956_000_000.0, "7.41GiB"),
            (123_456_789.0, "117.7MiB"),
            (1e30, "8.272e+05YiB"),
            (-5000.0, "-5000B"),
            (f64::NAN, "NaNB"),
            (f64::INFINITY, "+InfYiB"),
        ];
        for &(size, want) in cases {
            assert_eq!(bytes_size(size), want, "bytes_size({size})");
        }
    }

    #[test]
    fn human_size_matches_go_units() {
        let cases: &[(f64, usize, &str)] = &[
            (0.0, 3, "0B"),
            (999.0, 3, "999B"),
            (999.5e3, 3, "1e+03kB"),
            (999.4e3, 3, "999kB"),
            (1000.0, 3, "1kB"),
            (12345.0, 3, "12.3kB"),
            (1.33e9, 3, "1.33GB"),
            (1_330_000_000.0, 4, "1.33GB"),
            (469e6, 3, "469MB"),
            (469_123_456.0, 4, "469.1MB"),
            (0.001234, 3, "0.00123B"),
            (0.00001234, 3, "1.23e-05B"),
            (1e24, 3, "1YB"),
            (1e30, 3, "1e+06YB"),
            (123.456, 0, "1e+02B"),
            (1_500_000.0, 1, "2MB"),
            (2_500_000.0, 1, "2MB"),
        ];
        for &(size, p, want) in cases {
            assert_eq!(human_size_with_precision(size, p), want, "({size}, {p})");
        }
    }

    #[test]
    fn format_g_matches_go() {
        // Expected strings from Python's `'%.*g' % (p, x)`, identical to Go here.
        let cases: &[(f64, usize, &str)] = &[
            (0.0, 4, "0"),
            (-0.0, 4, "-0"),
            (1.0, 1, "1"),
            (100.0, 4, "100"),
            (100.0, 3, "100"),
            (100.0, 2, "1e+02"),
            (1000.0, 4, "1000"),
            (123456.0, 4, "1.235e+05"),
            (123456.0, 6, "123456"),
            (123456.0, 10, "123456"),
            (0.0001, 4, "0.0001"),
            (0.00001, 4, "1e-05"),
            (0.000123456, 3, "0.000123"),
            (1.5e-7, 3, "1.5e-07"),
            (1e100, 4, "1e+100"),
            (-1.25e-100, 4, "-1.25e-100"),
            (999.5, 3, "1e+03"),
            (999.5, 4, "999.5"),
            (99.95, 3, "100"),
            (9.9995, 4, "9.999"),
            (9.99951, 4, "10"),
            (0.125, 2, "0.12"),
            (0.375, 2, "0.38"),
            (2.5, 1, "2"),
            (3.5, 1, "4"),
            (1.005, 3, "1"),
            (-823.75, 4, "-823.8"),
            (7.25, 0, "7"),
            (0.1, 17, "0.10000000000000001"),
            (5e-324, 3, "4.94e-324"),
            (f64::MAX, 4, "1.798e+308"),
            (f64::NAN, 4, "NaN"),
            (f64::INFINITY, 4, "+Inf"),
            (f64::NEG_INFINITY, 4, "-Inf"),
        ];
        for &(x, p, want) in cases {
            assert_eq!(format_g(x, p), want, "format_g({x}, {p})");
        }
    }

    #[test]
    fn format_fixed_matches_go() {
        let cases: &[(f64, usize, &str)] = &[
            (151.8551, 2, "151.86"),
            (0.125, 2, "0.12"),
            (0.375, 2, "0.38"),
            (1.005, 2, "1.00"),
            (2.5, 0, "2"),
            (3.5, 0, "4"),
            (0.0, 2, "0.00"),
            (-0.0, 2, "-0.00"),
            (-0.001, 2, "-0.00"),
            (1e22, 1, "10000000000000000000000.0"),
            (0.1, 20, "0.10000000000000000555"),
            (f64::NAN, 2, "NaN"),
            (f64::INFINITY, 2, "+Inf"),
            (f64::NEG_INFINITY, 2, "-Inf"),
        ];
        for &(x, d, want) in cases {
            assert_eq!(format_fixed(x, d), want, "format_fixed({x}, {d})");
        }
    }
}
