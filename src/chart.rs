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

use crate::idmap::IdMap;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

/// How a curve is stroked, so colour is not the only cue: neighbours in the palette order differ
/// in dash as well as colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Dash {
    #[default]
    Solid,
    Dashed,
    Dotted,
}

impl Dash {
    /// The dash of colour slot `slot` (3 dashes × 10 colours: 30 distinct looks).
    pub fn of_slot(slot: usize) -> Dash {
        [Dash::Solid, Dash::Dashed, Dash::Dotted][slot % 3]
    }
    /// The CSS `border-style` that shows it in the legend.
    pub fn css(self) -> &'static str {
        match self {
            Dash::Solid => "solid",
            Dash::Dashed => "dashed",
            Dash::Dotted => "dotted",
        }
    }
}

/// A mark on a curve: a lifecycle event or a flagged sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarkKind {
    /// The container started (Docker `start` event).
    Start,
    /// The container died or stopped (Docker `die` event, or its stats turned empty).
    Die,
    /// A restart: a Docker `restart` event, or the counters started again from zero.
    Restart,
    /// The kernel's OOM killer struck (Docker `oom` event).
    Oom,
    /// The container's first sample here: no rate yet.
    First,
    /// The sample came after a gap: its rate averages over the gap.
    Gap,
    /// A sample not newer than the previous one (duplicate or out of order): ignored.
    Late,
}

impl MarkKind {
    pub fn key(self) -> &'static str {
        match self {
            MarkKind::Start => "start",
            MarkKind::Die => "die",
            MarkKind::Restart => "restart",
            MarkKind::Oom => "oom",
            MarkKind::First => "first",
            MarkKind::Gap => "gap",
            MarkKind::Late => "late",
        }
    }
}

/// One mark at `(t_ms, y)` (y in the view's scaled unit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    pub t: f64,
    pub y: f64,
    pub kind: MarkKind,
}

/// One container's curve in the current window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub id: String,
    pub name: String,
    #[serde(with = "Rgb")]
    pub color: RGBColor,
    pub dash: Dash,
    /// Runs of `(t_ms, value)` to join with lines; breaks between them.
    pub segments: Vec<Vec<(f64, f64)>>,
    /// The smoothed curve, `(t_ms, value, spread)` per run; empty when smoothing is off.
    pub smooth: Vec<Vec<(f64, f64, f64)>>,
    pub marks: Vec<Mark>,
    /// The container's limit for the metric shown (CPU or memory), in the view's unit, when it
    /// is drawn: a thin line of the curve's colour and dash across the plot.
    pub limit: Option<f64>,
}

/// Everything [`draw`] needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartView {
    /// Time range shown, ms since the Unix epoch.
    pub x_range: (f64, f64),
    /// Top of the y axis (the bottom is 0), in the scaled unit.
    pub y_max: f64,
    /// What the values were divided by to be in the scaled unit (1024² for MiB…): a value `v` of
    /// the metric is drawn at `v / y_scale`.
    pub y_scale: f64,
    /// Unit appended to y labels, e.g. `%` or ` MiB`.
    pub y_unit: String,
    pub series: Vec<Series>,
    /// Local time offset for the time labels, minutes east of UTC.
    pub tz_offset_min: i32,
    /// Curve width in CSS px; `None`: one device pixel (fast: software rasterizers have a
    /// hairline fast path).
    pub line_width: Option<f64>,
    /// Name each curve at its right end (a cue besides colour; few curves only).
    pub labels: bool,
    /// Not serialized: what is serialized goes to the paint worker, and the cursor is drawn on the
    /// page's canvas only (`web::paint`).
    #[serde(skip)]
    pub cursor: Option<Cursor>,
    /// The y axis's title (the metric and what 100 % means), over the axis.
    pub y_title: String,
    /// The time axis's title: the date and the time zone of its labels.
    pub x_title: String,
    /// A logarithmic y axis: values (and `y_max`) are `log10(v / floor)`, where `floor` is this
    /// (in the scaled unit); the labels print `floor × 10^y`.
    pub y_log: Option<f64>,
}

/// The cursor: its time and the snapped point of each shown curve.
#[derive(Clone, Debug, PartialEq)]
pub struct Cursor {
    pub t: f64,
    /// `(t_ms, value, colour)` per curve.
    pub dots: Vec<(f64, f64, RGBColor)>,
}

/// Where the plot area landed, device px, for mapping pointer positions to time.
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct PlotRect {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl PlotRect {
    /// The time at device x `px` for the range `x_range` (clamped to the plot area).
    pub fn time_at(&self, px: f64, x_range: (f64, f64)) -> f64 {
        let w = (self.right - self.left).max(1.0);
        let f = ((px - self.left) / w).clamp(0.0, 1.0);
        x_range.0 + f * (x_range.1 - x_range.0)
    }
    /// The device x of time `t`.
    pub fn x_of(&self, t: f64, x_range: (f64, f64)) -> f64 {
        let span = (x_range.1 - x_range.0).max(f64::MIN_POSITIVE);
        self.left + (t - x_range.0) / span * (self.right - self.left)
    }
}

/// Where a drawn chart landed: its plot area and axes, for mapping the pointer to a time and a
/// value (the page keeps it from its last draw).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placed {
    pub rect: PlotRect,
    /// The time range drawn, ms.
    pub x_range: (f64, f64),
    /// The y axis drawn: its top in the scaled unit, and the scale ([`ChartView::y_scale`]).
    pub y_max: f64,
    pub y_scale: f64,
    /// Device px per CSS px.
    pub dpr: f64,
    /// The curves' width, device px.
    pub line_px: f64,
    /// The log axis's floor ([`ChartView::y_log`]), if the axis is logarithmic.
    pub y_log: Option<f64>,
}

impl Default for Placed {
    fn default() -> Placed {
        Placed {
            rect: PlotRect::default(),
            x_range: (0.0, 0.0),
            y_max: 1.0,
            y_scale: 1.0,
            dpr: 1.0,
            line_px: 1.0,
            y_log: None,
        }
    }
}

impl Placed {
    /// Where `view`, drawn at `dpr` device px per CSS px, landed in `rect`.
    pub fn of(view: &ChartView, rect: PlotRect, dpr: f64) -> Placed {
        Placed {
            rect,
            x_range: view.x_range,
            y_max: view.y_max,
            y_scale: view.y_scale,
            dpr,
            line_px: view.line_width.map_or(1.0, |w| (w * dpr).round().max(1.0)),
            y_log: view.y_log,
        }
    }

    /// The value (unscaled, in the metric's unit) at `fraction_up` of the y axis.
    pub fn value_at(&self, fraction_up: f64) -> f64 {
        let y = fraction_up * self.y_max;
        match self.y_log {
            Some(floor) => floor * 10f64.powf(y) * self.y_scale,
            None => y * self.y_scale,
        }
    }

    /// Is device x inside the plot area (not on the axis labels)?
    pub fn in_plot(&self, x: f64) -> bool {
        self.rect.right > self.rect.left && x >= self.rect.left && x <= self.rect.right
    }

    /// The time at device x.
    pub fn time_at(&self, x: f64) -> f64 {
        self.rect.time_at(x, self.x_range)
    }

    /// How far up the plot device y is, 0 (bottom) to 1 (top).
    pub fn fraction_up(&self, y: f64) -> f64 {
        ((self.rect.bottom - y) / (self.rect.bottom - self.rect.top).max(1.0)).clamp(0.0, 1.0)
    }
}

/// Colours and type of the chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Theme {
    #[serde(with = "Rgb")]
    pub background: RGBColor,
    #[serde(with = "Rgb")]
    pub text: RGBColor,
    #[serde(with = "Rgb")]
    pub grid: RGBColor,
    #[serde(with = "Rgb")]
    pub axis: RGBColor,
}

/// plotters' colour, serialized as its three bytes.
#[derive(Serialize, Deserialize)]
#[serde(remote = "RGBColor")]
struct Rgb(u8, u8, u8);

/// The chart's type: the browser's sans-serif (as plotters' enum: naming it as a string costs the
/// WebAssembly build Unicode's case tables, which plotters consults to read the name).
const FONT: FontFamily<'static> = FontFamily::SansSerif;

impl Theme {
    pub fn light() -> Theme {
        Theme {
            background: RGBColor(255, 255, 255),
            text: RGBColor(60, 60, 67),
            grid: RGBColor(232, 232, 236),
            axis: RGBColor(160, 160, 168),
        }
    }
    pub fn dark() -> Theme {
        Theme {
            background: RGBColor(24, 24, 28),
            text: RGBColor(214, 214, 220),
            grid: RGBColor(48, 48, 56),
            axis: RGBColor(110, 110, 122),
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

/// Stable colours, derived from each container's identity rather than from when it arrived: a
/// container's preferred look is the hash of its identity (the caller's choice: the page uses its
/// name and host, so a re-created container keeps its colour, and one container keeps its colour
/// from one load to the next). A look is a slot of `3 × palette` (colour `s mod palette`, dash
/// `s mod 3`: with a palette of 10, 30 distinct looks). While colours are free, a newcomer takes the
/// first free colour from its preferred slot on (so the first `palette` containers all differ in
/// colour, the colour-blind-safe guarantee), then the first free look; when all are taken, looks
/// are shared, each keeping its preferred one.
#[derive(Clone, Debug)]
pub struct ColorSlots {
    palette: Vec<RGBColor>,
    taken: IdMap<usize>,
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
            taken: IdMap::new(),
        }
    }

    /// Gives `key` a look if it has none, from `identity` (see the type's docs).
    pub fn assign(&mut self, key: &str, identity: &str) {
        if self.taken.contains_key(key) {
            return;
        }
        let n = self.palette.len();
        let looks = 3 * n;
        let mut used = vec![false; looks];
        let mut colour_used = vec![false; n];
        for &s in self.taken.values() {
            if let Some(u) = used.get_mut(s) {
                *u = true;
            }
            colour_used[s % n] = true;
        }
        let preferred = fnv(identity) as usize % looks;
        let from = |ok: &dyn Fn(usize) -> bool| {
            (0..looks).map(|i| (preferred + i) % looks).find(|&s| ok(s))
        };
        let slot = from(&|s| !colour_used[s % n])
            .or_else(|| from(&|s| !used[s]))
            .unwrap_or(preferred);
        self.taken.insert(key.to_string(), slot);
    }

    /// Gives each `(key, identity)` without a look one, in identity order: containers that
    /// arrive together get the same looks whatever order they came in.
    pub fn assign_all(&mut self, mut batch: Vec<(String, String)>) {
        crate::sorting::sort_by(&mut batch, |a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        for (key, identity) in batch {
            self.assign(&key, &identity);
        }
    }

    /// The colour and dash of `key` (the palette's first, solid, if it was never given one).
    pub fn look(&self, key: &str) -> (RGBColor, Dash) {
        let slot = self.taken.get(key).copied().unwrap_or(0);
        (self.palette[slot % self.palette.len()], Dash::of_slot(slot))
    }

    /// The colour of `key`.
    pub fn color(&self, key: &str) -> RGBColor {
        self.look(key).0
    }

    /// Does `key` have a look?
    pub fn has(&self, key: &str) -> bool {
        self.taken.contains_key(key)
    }

    /// How many keys have a look.
    pub fn len(&self) -> usize {
        self.taken.len()
    }

    /// No key has a look.
    pub fn is_empty(&self) -> bool {
        self.taken.is_empty()
    }

    /// Frees the looks of keys no longer shown.
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

/// `YYYY-MM-DD` of `t_ms` at `tz_offset_min` minutes east of UTC (the proleptic Gregorian
/// calendar, days from the epoch by Howard Hinnant's `civil_from_days`).
pub fn date_label(t_ms: f64, tz_offset_min: i32) -> String {
    let secs = (t_ms / 1000.0).floor() as i64 + i64::from(tz_offset_min) * 60;
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `UTC`, `UTC+01:00`, `UTC−05:30`: the zone of an offset, for the time axis's title.
pub fn zone_label(tz_offset_min: i32) -> String {
    if tz_offset_min == 0 {
        return "UTC".into();
    }
    let sign = if tz_offset_min > 0 { '+' } else { '−' };
    let m = tz_offset_min.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

/// The time axis's title: the date (or dates) shown and the zone.
pub fn time_title((x0, x1): (f64, f64), tz_offset_min: i32) -> String {
    let (a, b) = (date_label(x0, tz_offset_min), date_label(x1, tz_offset_min));
    let zone = zone_label(tz_offset_min);
    if a == b {
        format!("{b} · {zone}")
    } else {
        format!("{a} – {b} · {zone}")
    }
}

/// A chart narrower than this (CSS px) names no curve at its end (see [`ChartView::labels`]).
pub const LABELS_FROM_PX: f64 = 560.0;

/// CSS px a time label takes at the chart's 12 px font (`HH:MM:SS`, tabular digits, with room
/// to breathe on each side); [`time_ticks`] keeps labels this far apart at least.
pub const TIME_LABEL_PX: f64 = 76.0;

/// The time axis's ticks for `[x0, x1]` on a plot `width_css` CSS px wide: at a round step of the
/// clock (1 s … 1 day) chosen so that labels stay [`TIME_LABEL_PX`] apart, aligned to local time;
/// `HH:MM` when every tick is on a whole minute, else `HH:MM:SS`. A phone's narrow chart gets few.
pub fn time_ticks((x0, x1): (f64, f64), width_css: f64, tz_offset_min: i32) -> Vec<(f64, String)> {
    const STEPS_S: [f64; 19] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
        10_800.0, 21_600.0, 43_200.0, 86_400.0, 172_800.0,
    ];
    let span = x1 - x0;
    if span.is_nan() || span <= 0.0 || width_css.is_nan() || width_css <= 0.0 {
        return Vec::new();
    }
    let fits = (width_css / TIME_LABEL_PX).floor().max(1.0);
    let step_ms = STEPS_S
        .iter()
        .map(|s| s * 1000.0)
        .find(|step| span / step <= fits)
        .unwrap_or(STEPS_S[STEPS_S.len() - 1] * 1000.0);
    let offset = f64::from(tz_offset_min) * 60_000.0;
    let first = ((x0 + offset) / step_ms).ceil() * step_ms - offset;
    let whole_minutes = step_ms % 60_000.0 == 0.0;
    let mut out = Vec::new();
    let mut t = first;
    while t <= x1 && out.len() < 64 {
        let label = clock_label(t, tz_offset_min);
        let label = if whole_minutes {
            label[..5].to_string()
        } else {
            label
        };
        out.push((t, label));
        t += step_ms;
    }
    out
}

/// A part of a chart, in drawing order: a chart with many curves can be drawn part by part over
/// several animation frames (see [`draw_part`]), each part no longer than a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The background, grid and axes, and the smoothing bands.
    Frame,
    /// The curves of the series `start..end`.
    Curves { start: usize, end: usize },
    /// What lies over the curves: smoothed curves, marks and curve labels.
    Overlay,
    /// The cursor, last: the page draws it alone over the rest when only the cursor moved.
    Cursor,
}

/// Draws `view`: every [`Part`] in order (see [`draw_part`]).
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    view: &ChartView,
    theme: &Theme,
    scale: f64,
) -> Result<PlotRect, DrawingAreaErrorKind<DB::ErrorType>> {
    let rect = draw_part(root, view, theme, scale, Part::Frame)?;
    let end = view.series.len();
    draw_part(root, view, theme, scale, Part::Curves { start: 0, end })?;
    draw_part(root, view, theme, scale, Part::Overlay)?;
    draw_part(root, view, theme, scale, Part::Cursor)?;
    Ok(rect)
}

/// Draws `view` on `root` (which the caller made from a canvas or an SVG backend) and returns where
/// the plot area landed.
///
/// The time axis is drawn in minutes from an hour-aligned origin, so its "nice" ticks fall on whole
/// minutes and half-minutes of the clock. A view with no time range (no data yet) shows a short
/// message instead of axes. Order: grid and axes, smoothing bands, curves, smoothed curves, marks,
/// labels, cursor.
pub fn draw_part<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    view: &ChartView,
    theme: &Theme,
    scale: f64,
    part: Part,
) -> Result<PlotRect, DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |v: f64| (v * scale).round() as i32;
    let (x0, x1) = view.x_range;
    let has_range = matches!(x1.partial_cmp(&x0), Some(std::cmp::Ordering::Greater));
    if part == Part::Frame {
        root.fill(&theme.background)?;
    }
    if !has_range {
        if part != Part::Frame {
            return Ok(PlotRect::default());
        }
        let (w, h) = root.dim_in_pixel();
        let style = TextStyle::from((FONT, 14.0 * scale).into_font())
            .color(&theme.text)
            .pos(Pos::new(HPos::Center, VPos::Center));
        root.draw_text(
            "waiting for container stats…",
            &style,
            (w as i32 / 2, h as i32 / 2),
        )?;
        root.present()?;
        return Ok(PlotRect::default());
    }
    let origin = (x0 / 3_600_000.0).floor() * 3_600_000.0;
    let to_x = move |t: f64| (t - origin) / MINUTE_MS;
    // End labels need ~96 px: on a narrow (phone) chart the plot keeps them, and the legend names
    // the curves.
    let labels = view.labels && f64::from(root.dim_in_pixel().0) / scale >= LABELS_FROM_PX;
    let label_w = if labels { 96.0 } else { 34.0 };
    let y_label_w = if view.y_unit.len() > 2 { 72.0 } else { 52.0 };
    let titled = !(view.y_title.is_empty() && view.x_title.is_empty());
    let mut chart = ChartBuilder::on(root)
        .margin(px(10.0))
        .margin_top(px(if titled { 24.0 } else { 10.0 }))
        .margin_right(px(label_w))
        .x_label_area_size(px(26.0))
        .y_label_area_size(px(y_label_w))
        .build_cartesian_2d(to_x(x0)..to_x(x1), 0.0..view.y_max)?;
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let rect = PlotRect {
        left: f64::from(xr.start),
        top: f64::from(yr.start),
        right: f64::from(xr.end),
        bottom: f64::from(yr.end),
    };

    let smoothing = view.series.iter().any(|s| !s.smooth.is_empty());
    let width = view
        .line_width
        .map_or(1, |w| ((w * scale).round() as u32).max(1));
    match part {
        Part::Frame => draw_frame(root, &mut chart, view, theme, to_x, scale, rect)?,
        Part::Curves { start, end } => {
            let end = end.min(view.series.len());
            let series = view.series.get(start..end).unwrap_or_default();
            draw_curves(&mut chart, series, to_x, smoothing, width, scale)?;
        }
        Part::Overlay => draw_overlay(
            root, &mut chart, view, labels, theme, to_x, scale, rect, width,
        )?,
        Part::Cursor => draw_cursor(&mut chart, view, theme, to_x, scale)?,
    }
    root.present()?;
    Ok(rect)
}

/// Where the time axis's labels go: `(device x of the label's centre, text)` per tick, for a chart
/// of `view` whose plot landed in `rect`, drawn at `scale` device px per CSS px.
pub fn tick_layout(view: &ChartView, rect: PlotRect, scale: f64) -> Vec<(f64, String)> {
    let width_css = (rect.right - rect.left) / scale.max(0.1);
    time_ticks(view.x_range, width_css, view.tz_offset_min)
        .into_iter()
        .map(|(t, label)| (rect.x_of(t, view.x_range), label))
        .collect()
}

/// How far a smoothing band reaches at most from its curve, as a share of the y axis: a noisy
/// container's ±1 SD must not paint over everything else.
pub const BAND_MAX_SHARE: f64 = 0.12;

/// The smoothing bands' opacity: light enough to read the curves through.
pub const BAND_ALPHA: f64 = 0.10;

/// The background's grid, axes and their labels (the time axis's at round steps of the clock,
/// [`time_ticks`]), the axes' titles, and the smoothing bands.
#[allow(clippy::too_many_arguments)]
fn draw_frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut Chart<'_, DB>,
    view: &ChartView,
    theme: &Theme,
    to_x: impl Fn(f64) -> f64 + Copy,
    scale: f64,
    rect: PlotRect,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |v: f64| (v * scale).round() as i32;
    let unit = view.y_unit.as_str();
    let log = view.y_log;
    let y_fmt = move |v: &f64| match log {
        Some(floor) => format!("{}{unit}", trim_number(floor * 10f64.powf(*v))),
        None => format!("{}{unit}", trim_number(*v)),
    };
    let y_labels = match log {
        Some(_) => (view.y_max.round() as usize + 1).clamp(2, 8),
        None => 6,
    };
    let font = (FONT, 12.0 * scale).into_font();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .bold_line_style(theme.grid.stroke_width(px(1.0).max(1) as u32))
        .light_line_style(theme.background)
        .axis_style(theme.axis)
        .label_style(font.clone().color(&theme.text))
        .y_labels(y_labels)
        .y_label_formatter(&y_fmt)
        .draw()?;
    let grid = theme.grid.stroke_width(px(1.0).max(1) as u32);
    let below = TextStyle::from(font.clone())
        .color(&theme.text)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (x, label) in tick_layout(view, rect, scale) {
        let xi = x.round() as i32;
        root.draw(&PathElement::new(
            vec![(xi, rect.top as i32), (xi, rect.bottom as i32)],
            grid,
        ))?;
        root.draw(&PathElement::new(
            vec![(xi, rect.bottom as i32), (xi, rect.bottom as i32 + px(4.0))],
            theme.axis.stroke_width(1),
        ))?;
        root.draw_text(&label, &below, (xi, rect.bottom as i32 + px(6.0)))?;
    }
    let title_y = rect.top as i32 - px(8.0);
    if !view.y_title.is_empty() {
        let style = TextStyle::from(font.clone())
            .color(&theme.text)
            .pos(Pos::new(HPos::Left, VPos::Bottom));
        root.draw_text(&view.y_title, &style, (rect.left as i32 - px(8.0), title_y))?;
    }
    if !view.x_title.is_empty() {
        let style = TextStyle::from(font)
            .color(&theme.text)
            .pos(Pos::new(HPos::Right, VPos::Bottom));
        root.draw_text(&view.x_title, &style, (rect.right as i32, title_y))?;
    }
    let cap = view.y_max * BAND_MAX_SHARE;
    for s in view.series.iter().filter(|s| !s.smooth.is_empty()) {
        for run in s.smooth.iter().filter(|r| r.len() > 1) {
            let upper = run
                .iter()
                .map(|&(t, v, sd)| (to_x(t), (v + sd.min(cap)).min(view.y_max)));
            let lower = run
                .iter()
                .rev()
                .map(|&(t, v, sd)| (to_x(t), (v - sd.min(cap)).max(0.0)));
            chart.draw_series(std::iter::once(Polygon::new(
                upper.chain(lower).collect::<Vec<_>>(),
                s.color.mix(BAND_ALPHA).filled(),
            )))?;
        }
    }
    Ok(())
}

/// CSS px of the exported image's header (title and time range).
pub const EXPORT_HEADER_PX: f64 = 46.0;
/// CSS px of one row of the exported image's legend.
pub const EXPORT_LEGEND_ROW_PX: f64 = 18.0;
/// CSS px of one column of the exported image's legend.
pub const EXPORT_LEGEND_COLUMN_PX: f64 = 190.0;
/// Rows the exported image's legend has at most (the last says how many more).
pub const EXPORT_LEGEND_ROWS: usize = 8;

/// The exported image's legend rows for `entries` on an image `width_css` wide.
pub fn export_legend_rows(entries: usize, width_css: f64) -> usize {
    let columns = (width_css / EXPORT_LEGEND_COLUMN_PX).floor().max(1.0) as usize;
    entries.div_ceil(columns).min(EXPORT_LEGEND_ROWS)
}

/// The chart as Export PNG saves it: a header with `title` and the time range `range`, the chart
/// (`view`, which should have no cursor), and a legend of `legend` (`(name, colour, dash)`) under it,
/// as many as fit in [`EXPORT_LEGEND_ROWS`] rows and how many more. `root` must be
/// [`EXPORT_HEADER_PX`] + the legend's rows ([`export_legend_rows`]) taller than the chart.
pub fn draw_export<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    view: &ChartView,
    theme: &Theme,
    scale: f64,
    (title, range): (&str, &str),
    legend: &[(String, RGBColor, Dash)],
) -> Result<PlotRect, DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |v: f64| (v * scale).round() as i32;
    root.fill(&theme.background)?;
    let (w, h) = root.dim_in_pixel();
    let width_css = f64::from(w) / scale;
    let rows = export_legend_rows(legend.len(), width_css);
    let header = px(EXPORT_HEADER_PX);
    let footer = px(EXPORT_LEGEND_ROW_PX * rows as f64 + if rows > 0 { 8.0 } else { 0.0 });
    let left = TextStyle::from((FONT, 15.0 * scale).into_font().style(FontStyle::Bold))
        .color(&theme.text)
        .pos(Pos::new(HPos::Left, VPos::Top));
    root.draw_text(title, &left, (px(12.0), px(8.0)))?;
    let small = TextStyle::from((FONT, 12.0 * scale).into_font())
        .color(&theme.text)
        .pos(Pos::new(HPos::Left, VPos::Top));
    root.draw_text(range, &small, (px(12.0), px(28.0)))?;
    let chart_area = root.margin(header, footer, 0, 0);
    let rect = draw(&chart_area, view, theme, scale)?;
    let rect = PlotRect {
        top: rect.top + f64::from(header),
        bottom: rect.bottom + f64::from(header),
        ..rect
    };
    let columns = (width_css / EXPORT_LEGEND_COLUMN_PX).floor().max(1.0) as usize;
    let room = rows * columns;
    let top = h as i32 - footer + px(4.0);
    for (i, (name, color, dash)) in legend.iter().enumerate().take(room) {
        let (row, column) = (i / columns, i % columns);
        let x = px(12.0 + column as f64 * EXPORT_LEGEND_COLUMN_PX);
        let y = top + px(row as f64 * EXPORT_LEGEND_ROW_PX + 8.0);
        let last_slot = i + 1 == room && legend.len() > room;
        if last_slot {
            let more = format!("and {} more", legend.len() - room + 1);
            root.draw_text(
                &more,
                &small.pos(Pos::new(HPos::Left, VPos::Center)),
                (x, y),
            )?;
            break;
        }
        let stroke = color.stroke_width(px(3.0).max(1) as u32);
        let swatch = [(x, y), (x + px(18.0), y)];
        match dash {
            Dash::Solid => root.draw(&PathElement::new(swatch, stroke))?,
            Dash::Dashed | Dash::Dotted => {
                let on = if *dash == Dash::Dashed { 5.0 } else { 2.0 };
                let mut a: f64 = 0.0;
                while a < 18.0 {
                    let b = (a + on).min(18.0);
                    root.draw(&PathElement::new([(x + px(a), y), (x + px(b), y)], stroke))?;
                    a = b + 3.0;
                }
            }
        }
        root.draw_text(
            &ellipsize_middle(name, 24),
            &small.pos(Pos::new(HPos::Left, VPos::Center)),
            (x + px(24.0), y),
        )?;
    }
    root.present()?;
    Ok(rect)
}

/// The time axis's unit: minutes from an hour-aligned origin.
const MINUTE_MS: f64 = 60_000.0;

/// The plotters chart every part draws on.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The curves of `series`: a path per segment, a dot for a segment of one point.
fn draw_curves<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    series: &[Series],
    to_x: impl Fn(f64) -> f64 + Copy,
    smoothing: bool,
    width: u32,
    scale: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |v: f64| (v * scale).round() as i32;
    let dot = px(2.0).max(1);
    // With smoothing on, the exact two-point curve stays visible but recedes.
    let alpha = if smoothing { 0.45 } else { 1.0 };
    let (dash, gap, dot_len) = (
        px(7.0).max(3) as u32,
        px(4.0).max(2) as u32,
        px(2.0).max(1) as u32,
    );
    for s in series {
        let style = s.color.mix(alpha).stroke_width(width);
        for segment in &s.segments {
            if let [(t, v)] = segment.as_slice() {
                let at = (to_x(*t), *v);
                chart.draw_series(std::iter::once(Circle::new(
                    at,
                    dot,
                    s.color.mix(alpha).filled(),
                )))?;
                continue;
            }
            let points = segment.iter().map(|&(t, v)| (to_x(t), v));
            match s.dash {
                Dash::Solid => {
                    chart.draw_series(LineSeries::new(points, style))?;
                }
                Dash::Dashed => {
                    chart.draw_series(DashedLineSeries::new(points, dash, gap, style))?;
                }
                Dash::Dotted => {
                    chart.draw_series(DashedLineSeries::new(points, dot_len, gap, style))?;
                }
            }
        }
    }
    Ok(())
}

/// Over the curves: smoothed curves, marks, curve labels.
#[allow(clippy::too_many_arguments)]
fn draw_overlay<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut Chart<'_, DB>,
    view: &ChartView,
    labels: bool,
    theme: &Theme,
    to_x: impl Fn(f64) -> f64 + Copy,
    scale: f64,
    rect: PlotRect,
    width: u32,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |v: f64| (v * scale).round() as i32;
    let (x0, x1) = view.x_range;
    let r = px(4.0).max(2);
    let (dash_len, gap, dot_len) = (
        px(7.0).max(3) as u32,
        px(4.0).max(2) as u32,
        px(2.0).max(1) as u32,
    );
    for s in view.series.iter().filter(|s| !s.smooth.is_empty()) {
        let style = s.color.stroke_width(width.max(px(2.0).max(1) as u32));
        for run in s.smooth.iter().filter(|r| r.len() > 1) {
            let points = run.iter().map(|&(t, v, _)| (to_x(t), v));
            match s.dash {
                Dash::Solid => chart.draw_series(LineSeries::new(points, style))?,
                Dash::Dashed => {
                    chart.draw_series(DashedLineSeries::new(points, dash_len, gap, style))?
                }
                Dash::Dotted => {
                    chart.draw_series(DashedLineSeries::new(points, dot_len, gap, style))?
                }
            };
        }
    }

    // Limits: a thin line of the curve's colour across the plot, named at its left end (one label
    // for the containers that share a limit).
    let mut limits: Vec<(f64, RGBColor, Vec<&str>)> = Vec::new();
    for s in &view.series {
        let Some(limit) = s.limit.filter(|l| *l > 0.0 && *l <= view.y_max) else {
            continue;
        };
        let style = s.color.mix(0.85).stroke_width(px(1.0).max(1) as u32);
        chart.draw_series(DashedLineSeries::new(
            [(to_x(x0), limit), (to_x(x1), limit)],
            px(2.0).max(1) as u32,
            px(3.0).max(2) as u32,
            style,
        ))?;
        match limits
            .iter_mut()
            .find(|l| (l.0 - limit).abs() <= view.y_max * 0.01)
        {
            Some(l) => l.2.push(&s.name),
            None => limits.push((limit, s.color, vec![&s.name])),
        }
    }
    for (limit, color, names) in limits {
        let (lx, ly) = chart.backend_coord(&(to_x(x0), limit));
        let text = TextStyle::from((FONT, 10.0 * scale).into_font())
            .color(&color)
            .pos(Pos::new(HPos::Left, VPos::Bottom));
        let names: Vec<String> = names.iter().map(|n| ellipsize_middle(n, 16)).collect();
        root.draw_text(
            &format!("limit {}", names.join(", ")),
            &text,
            (lx + px(4.0), ly - px(2.0)),
        )?;
    }

    for s in &view.series {
        for m in &s.marks {
            if m.t < x0 || m.t > x1 {
                continue;
            }
            let at = (to_x(m.t), m.y.clamp(0.0, view.y_max));
            let (c, bg) = (s.color, theme.background);
            let thin = c.stroke_width(px(1.0).max(1) as u32);
            match m.kind {
                MarkKind::Start => {
                    chart.draw_series([TriangleMarker::new(at, r + 1, c.filled())])?;
                }
                MarkKind::Die => {
                    let (cx, cy) = chart.backend_coord(&at);
                    root.draw(&Rectangle::new(
                        [(cx - r, cy - r), (cx + r, cy + r)],
                        c.filled(),
                    ))?;
                }
                MarkKind::Restart => {
                    chart.draw_series([
                        Circle::new(at, r + 1, c.stroke_width(px(2.0).max(1) as u32)),
                        Circle::new(at, r - 1, bg.filled()),
                    ])?;
                }
                MarkKind::Oom => {
                    chart.draw_series([
                        Cross::new(at, r + 2, OOM_RED.stroke_width(px(2.5).max(2) as u32)),
                        Cross::new(at, r, thin),
                    ])?;
                }
                MarkKind::First | MarkKind::Gap => {
                    chart.draw_series([Circle::new(at, r - 1, thin)])?;
                }
                MarkKind::Late => {
                    chart.draw_series([Cross::new(at, r - 1, thin)])?;
                }
            }
        }
    }

    if labels {
        let font = (FONT, 12.0 * scale).into_font();
        let height = 13.0 * scale;
        let mut labels: Vec<(f64, RGBColor, &str)> = view
            .series
            .iter()
            .filter_map(|s| {
                let &(t, v) = s.segments.iter().flatten().last()?;
                let (_, y) = chart.backend_coord(&(to_x(t), v));
                Some((f64::from(y), s.color, s.name.as_str()))
            })
            .collect();
        crate::sorting::sort_by(&mut labels, |a, b| a.0.total_cmp(&b.0));
        spread_apart(&mut labels, height, rect.top, rect.bottom);
        let x = rect.right as i32 + px(6.0);
        for (y, color, name) in labels {
            let style = TextStyle::from(font.clone())
                .color(&color)
                .pos(Pos::new(HPos::Left, VPos::Center));
            root.draw_text(&ellipsize_middle(name, 14), &style, (x, y.round() as i32))?;
        }
    }

    Ok(())
}

/// The cursor: a vertical line at its time and a ringed dot on each curve's point there.
fn draw_cursor<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    view: &ChartView,
    theme: &Theme,
    to_x: impl Fn(f64) -> f64 + Copy,
    scale: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |v: f64| (v * scale).round() as i32;
    let (x0, x1) = view.x_range;
    let r = px(4.0).max(2);
    if let Some(Cursor { t, dots }) = &view.cursor {
        if (x0..=x1).contains(t) {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(to_x(*t), 0.0), (to_x(*t), view.y_max)],
                theme.text.mix(0.55).stroke_width(px(1.0).max(1) as u32),
            )))?;
            for &(pt, v, color) in dots {
                chart.draw_series([
                    Circle::new((to_x(pt), v), r, theme.background.filled()),
                    Circle::new((to_x(pt), v), r, color.stroke_width(px(2.0).max(1) as u32)),
                ])?;
            }
        }
    }
    Ok(())
}

/// The OOM mark's colour: a red that reads on light and dark backgrounds.
const OOM_RED: RGBColor = RGBColor(0xD7, 0x26, 0x1E);

/// Moves label centres (sorted by y) apart to at least `gap` px, keeping them in `[top, bottom]`.
fn spread_apart<T>(labels: &mut [(f64, T, &str)], gap: f64, top: f64, bottom: f64) {
    for i in 1..labels.len() {
        let min = labels[i - 1].0 + gap;
        if labels[i].0 < min {
            labels[i].0 = min;
        }
    }
    // Pushed past the bottom: shift the tail back up.
    let mut limit = bottom;
    for l in labels.iter_mut().rev() {
        if l.0 > limit {
            l.0 = limit;
        }
        limit = l.0 - gap;
    }
    for l in labels.iter_mut() {
        l.0 = l.0.max(top);
    }
}

/// At most `max` characters, cut in the middle (`shop…cart-1`): names that share a prefix (a
/// Compose project's `project-service-n`) differ at their end, which stays.
pub fn ellipsize_middle(text: &str, max: usize) -> String {
    let n = text.chars().count();
    if n <= max || max < 3 {
        return text.to_string();
    }
    let head = (max - 1) / 3;
    let tail = max - 1 - head;
    let mut out: String = text.chars().take(head).collect();
    out.push('…');
    out.extend(text.chars().skip(n - tail));
    out
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
    fn colours_come_from_identity_not_arrival() {
        let names = [
            "demo-web",
            "demo-worker",
            "demo-db",
            "demo-cron",
            "demo-batch",
            "demo-idle",
            "demo-cache",
        ];
        // What the feed does with the containers of one batch: given together.
        let looks = |order: &[usize]| {
            let mut c = ColorSlots::new(Vec::new());
            let batch: Vec<(String, String)> = order
                .iter()
                .map(|&i| (format!("id{i}"), names[i].to_string()))
                .collect();
            c.assign_all(batch);
            (0..names.len())
                .map(|i| c.look(&format!("id{i}")))
                .collect::<Vec<_>>()
        };
        let forward = looks(&[0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(forward, looks(&[6, 5, 4, 3, 2, 1, 0]), "arrival order");
        assert_eq!(forward, looks(&[3, 0, 6, 1, 5, 2, 4]), "arrival order");
        let colours: std::collections::BTreeSet<_> =
            forward.iter().map(|(c, _)| (c.0, c.1, c.2)).collect();
        assert_eq!(colours.len(), names.len(), "up to 10: all colours differ");

        // Re-created (a new ID, the same name): the same look once the old one left.
        let mut c = ColorSlots::new(Vec::new());
        c.assign("old", "demo-batch");
        let before = c.look("old");
        c.assign("old", "demo-batch");
        assert_eq!(c.look("old"), before, "kept while it stays");
        c.retain(|k| k != "old");
        c.assign("new", "demo-batch");
        assert_eq!(c.look("new"), before);
        // Both present: they differ.
        c.assign("old", "demo-batch");
        assert_ne!(c.look("old"), c.look("new"));

        // 30 looks (10 colours × 3 dashes) before any is shared.
        let mut c = ColorSlots::new(Vec::new());
        for i in 0..30 {
            c.assign(&format!("k{i}"), &format!("svc-{i}"));
        }
        let all: std::collections::BTreeSet<_> = (0..30)
            .map(|i| {
                let (col, dash) = c.look(&format!("k{i}"));
                (col.0, col.1, col.2, dash.css())
            })
            .collect();
        assert_eq!(all.len(), 30);
        assert_eq!(parse_hex(&hex(PALETTE[3])), Some(PALETTE[3]));
        assert_eq!(parse_hex("#12345"), None);
    }

    #[test]
    fn long_names_keep_their_distinguishing_end() {
        assert_eq!(ellipsize_middle("shop-prod-cart-1", 14), "shop…od-cart-1");
        assert_ne!(
            ellipsize_middle("shop-prod-cart-1", 14),
            ellipsize_middle("shop-prod-cart-2", 14)
        );
        assert_eq!(ellipsize_middle("web", 14), "web");
    }

    #[test]
    fn time_ticks_fit_the_width_and_fall_on_round_times() {
        // 5 minutes on a phone (330 CSS px of plot) and on a wide screen (1,700 px).
        let (x0, x1) = (1_714_557_600_000.0 + 7_000.0, 1_714_557_900_000.0 + 7_000.0);
        let phone = time_ticks((x0, x1), 330.0, 0);
        assert!(phone.len() <= 4 && phone.len() >= 2, "{phone:?}");
        assert!(phone.iter().all(|(_, l)| l.len() == 5), "HH:MM: {phone:?}");
        let wide = time_ticks((x0, x1), 1_700.0, 60);
        assert!(wide.len() > 8, "{wide:?}");
        for w in wide.windows(2) {
            let px = (w[1].0 - w[0].0) / (x1 - x0) * 1_700.0;
            assert!(px >= TIME_LABEL_PX, "{px}");
        }
        let step = wide[1].0 - wide[0].0;
        assert_eq!(wide[0].0 % step, 0.0, "round times: {wide:?}");
        assert!(wide.windows(2).all(|w| w[1].0 - w[0].0 == step));
        assert_eq!(date_label(1_714_557_605_000.0, 0), "2024-05-01");
        assert_eq!(date_label(1_714_557_605_000.0, -660), "2024-04-30");
        assert_eq!(zone_label(60), "UTC+01:00");
        assert_eq!(zone_label(-330), "UTC−05:30");
        assert_eq!(zone_label(0), "UTC");
    }
}
