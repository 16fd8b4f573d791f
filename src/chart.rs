//! The chart: what to draw ([`ChartView`], pure data) and how ([`draw`], generic over plotters'
//! `DrawingBackend`).
//!
//! The browser draws to a `<canvas>` through `plotters-canvas`; native tests draw the same view to
//! SVG and check its structure. The caller builds the backend and passes the drawing area in; this
//! module never creates one. Sizes are in device pixels: `scale` (the device pixel ratio) multiplies
//! fonts, margins and line widths so the chart is crisp and equally sized on HiDPI screens.
//!
//! Curves: one per container, split into segments wherever the engine flagged a break (first,
//! reset, gap, stopped), so a restart or a silence is a visible gap, never a line through it.
//! A segment of a single point is drawn as a dot.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;

/// One container's curve in the current window.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub id: String,
    pub name: String,
    pub color: RGBColor,
    /// Runs of `(t_ms, value)` to join with lines; breaks between them.
    pub segments: Vec<Vec<(f64, f64)>>,
}

/// Everything [`draw`] needs.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartView {
    /// Time range shown, ms since the Unix epoch.
    pub x_range: (f64, f64),
    /// Top of the y axis (the bottom is 0).
    pub y_max: f64,
    /// Unit appended to y labels, e.g. `%`.
    pub y_unit: &'static str,
    pub series: Vec<Series>,
    /// Local time offset for the time labels, minutes east of UTC.
    pub tz_offset_min: i32,
}

/// Colours and type of the chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub background: RGBColor,
    pub text: RGBColor,
    pub grid: RGBColor,
    pub axis: RGBColor,
    pub font: &'static str,
}

impl Theme {
    pub fn light() -> Theme {
        Theme {
            background: RGBColor(255, 255, 255),
            text: RGBColor(60, 60, 67),
            grid: RGBColor(232, 232, 236),
            axis: RGBColor(160, 160, 168),
            font: "sans-serif",
        }
    }
    pub fn dark() -> Theme {
        Theme {
            background: RGBColor(24, 24, 28),
            text: RGBColor(214, 214, 220),
            grid: RGBColor(48, 48, 56),
            axis: RGBColor(110, 110, 122),
            font: "sans-serif",
        }
    }
}

/// A palette safe for colour-blind viewers: Okabe–Ito first, then Paul Tol's "bright" (without the
/// yellows, which vanish on a light background).
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xAA, 0x33, 0x77),
    RGBColor(0x22, 0x88, 0x33),
    RGBColor(0xEE, 0x66, 0x77),
    RGBColor(0x44, 0x77, 0xAA),
];

/// Stable colours: a container keeps its colour while it is shown; a new one takes the first free
/// slot; when all are taken, colours are shared by hashing the ID.
#[derive(Clone, Debug)]
pub struct ColorSlots {
    palette: Vec<RGBColor>,
    taken: BTreeMap<String, usize>,
}

impl ColorSlots {
    pub fn new(palette: Vec<RGBColor>) -> ColorSlots {
        let palette = if palette.is_empty() {
            PALETTE.to_vec()
        } else {
            palette
        };
        ColorSlots {
            palette,
            taken: BTreeMap::new(),
        }
    }

    /// The colour of `id`, assigning one on first sight.
    pub fn color(&mut self, id: &str) -> RGBColor {
        if let Some(&slot) = self.taken.get(id) {
            return self.palette[slot % self.palette.len()];
        }
        let used: std::collections::BTreeSet<usize> = self.taken.values().copied().collect();
        let slot = (0..self.palette.len())
            .find(|s| !used.contains(s))
            .unwrap_or_else(|| fnv(id) as usize % self.palette.len());
        self.taken.insert(id.to_string(), slot);
        self.palette[slot]
    }

    /// Frees the colours of IDs no longer shown.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.taken.retain(|id, _| keep(id));
    }
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `#rrggbb` for a colour (for the HTML legend).
pub fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Parses `#rrggbb`.
pub fn parse_hex(text: &str) -> Option<RGBColor> {
    let h = text.strip_prefix('#')?;
    if h.len() != 6 {
        return None;
    }
    let v = u32::from_str_radix(h, 16).ok()?;
    Some(RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8))
}

/// A "nice" top for the y axis: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k at or above `max × 1.05`,
/// at least `floor`.
pub fn nice_max(max: f64, floor: f64) -> f64 {
    let target = (max * 1.05).max(floor);
    if !target.is_finite() || target <= 0.0 {
        return floor.max(1.0);
    }
    let magnitude = 10f64.powf(target.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&v| v >= target)
        .unwrap_or(10.0 * magnitude)
}

/// `HH:MM:SS` of `t_ms` (ms since the epoch) at `tz_offset_min` minutes east of UTC.
pub fn clock_label(t_ms: f64, tz_offset_min: i32) -> String {
    let secs = (t_ms / 1000.0).floor() as i64 + i64::from(tz_offset_min) * 60;
    let day = secs.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", day / 3600, day / 60 % 60, day % 60)
}

/// Draws `view` on `root` (which the caller made from a canvas or an SVG backend).
///
/// The time axis is drawn in minutes from an hour-aligned origin, so its "nice" ticks fall on whole
/// minutes and half-minutes of the clock. A view with no time range (no data yet) shows a short
/// message instead of axes.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    view: &ChartView,
    theme: &Theme,
    scale: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |v: f64| (v * scale).round() as i32;
    root.fill(&theme.background)?;
    let (x0, x1) = view.x_range;
    let has_range = matches!(x1.partial_cmp(&x0), Some(std::cmp::Ordering::Greater));
    if !has_range {
        let (w, h) = root.dim_in_pixel();
        let style = TextStyle::from((theme.font, 14.0 * scale).into_font())
            .color(&theme.text)
            .pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            ));
        root.draw_text(
            "waiting for container stats…",
            &style,
            (w as i32 / 2, h as i32 / 2),
        )?;
        return root.present();
    }
    const MINUTE_MS: f64 = 60_000.0;
    let origin = (x0 / 3_600_000.0).floor() * 3_600_000.0;
    let to_x = move |t: f64| (t - origin) / MINUTE_MS;
    let mut chart = ChartBuilder::on(root)
        .margin(px(10.0))
        .margin_right(px(34.0))
        .x_label_area_size(px(26.0))
        .y_label_area_size(px(52.0))
        .build_cartesian_2d(to_x(x0)..to_x(x1), 0.0..view.y_max)?;
    let tz = view.tz_offset_min;
    let unit = view.y_unit;
    let x_fmt = move |m: &f64| clock_label(origin + m * MINUTE_MS, tz);
    let y_fmt = move |v: &f64| format!("{}{unit}", trim_number(*v));
    chart
        .configure_mesh()
        .bold_line_style(theme.grid.stroke_width(px(1.0).max(1) as u32))
        .light_line_style(theme.background)
        .axis_style(theme.axis)
        .label_style((theme.font, 12.0 * scale).into_font().color(&theme.text))
        .x_labels(7)
        .y_labels(6)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .draw()?;
    let width = px(1.5).max(1) as u32;
    let dot = px(2.0).max(1);
    for s in &view.series {
        for segment in &s.segments {
            if let [(t, v)] = segment.as_slice() {
                let at = (to_x(*t), *v);
                chart.draw_series(std::iter::once(Circle::new(at, dot, s.color.filled())))?;
            } else {
                chart.draw_series(LineSeries::new(
                    segment.iter().map(|&(t, v)| (to_x(t), v)),
                    s.color.stroke_width(width),
                ))?;
            }
        }
    }
    root.present()
}

/// `12`, `12.5`, `0.25`: a label without trailing zeros.
fn trim_number(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_maxima() {
        assert_eq!(nice_max(0.0, 5.0), 5.0);
        assert_eq!(nice_max(3.0, 5.0), 5.0);
        assert_eq!(nice_max(48.0, 5.0), 60.0);
        assert_eq!(nice_max(96.0, 5.0), 120.0);
        assert_eq!(nice_max(151.86, 5.0), 200.0);
        assert_eq!(nice_max(191.0, 5.0), 250.0);
        assert_eq!(nice_max(17.0, 5.0), 20.0);
        assert_eq!(nice_max(f64::NAN, 5.0), 5.0);
    }

    #[test]
    fn clock_labels_use_the_local_offset() {
        // 2024-05-01T10:00:05Z
        let t = 1_714_557_605_000.0;
        assert_eq!(clock_label(t, 0), "10:00:05");
        assert_eq!(clock_label(t, 120), "12:00:05");
        assert_eq!(clock_label(t, -660), "23:00:05");
    }

    #[test]
    fn colours_are_stable_and_freed() {
        let mut c = ColorSlots::new(Vec::new());
        let a = c.color("a");
        let b = c.color("b");
        assert_ne!(a, b);
        assert_eq!(c.color("a"), a);
        c.retain(|id| id != "a");
        assert_eq!(c.color("c"), a, "a freed slot is reused");
        assert_eq!(c.color("b"), b);
        assert_eq!(parse_hex(&hex(PALETTE[3])), Some(PALETTE[3]));
        assert_eq!(parse_hex("#12345"), None);
    }
}
