//! Go's number formatting, as the docker CLI prints sizes (helper in progress).

/// go-units `BytesSize`: binary units, `"%.4g%s"` (`"823.8MiB"`).
pub fn bytes_size(size: f64) -> String {
    format!("{size}B")
}

/// go-units `HumanSizeWithPrecision(size, precision)`: decimal units, `"%.*g%s"` (`"1.33GB"`).
pub fn human_size_with_precision(size: f64, precision: usize) -> String {
    let _ = precision;
    format!("{size}B")
}

/// Go's `strconv.FormatFloat(x, 'g', precision, 64)`, what `fmt`'s `%.*g` prints.
pub fn format_g(x: f64, precision: usize) -> String {
    let _ = precision;
    format!("{x}")
}
