//! The page's options: one schema, [`OPTIONS`], from which everything that names an option derives —
//! the keys `new Dashboard(canvas, options)` accepts ([`check_keys`]), its TypeScript interface
//! ([`typescript`], checked equal to the `.d.ts` the package ships by a test), the bundled page's URL
//! parameters and the `<statscope-chart>` element's attributes (both read at run time from the
//! schema the module exports, `optionSchema()`), and the values the core takes ([`Options`]).
//!
//! Three options name elements of the page (`status`, `legend`, `table`): only the browser layer
//! reads them; [`Options`] has no field for them.

use serde::{Deserialize, Serialize};

use crate::chart::parse_hex;
use crate::metrics::METRICS;
use crate::view::{CpuScale, Metric, SortBy};

/// How a URL parameter's or an attribute's text becomes the option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    /// The text as it is.
    Text,
    /// A number (`Number(text)`).
    Number,
    /// `true`/`false` (also `1`/`0`, and an attribute present without a value is true).
    Boolean,
    /// A comma-separated list of texts.
    List,
}

impl TextKind {
    /// Its name in the schema the module exports.
    pub fn key(self) -> &'static str {
        match self {
            TextKind::Text => "text",
            TextKind::Number => "number",
            TextKind::Boolean => "boolean",
            TextKind::List => "list",
        }
    }
}

/// An option's value read from text (a URL parameter, an attribute), by its [`TextKind`].
#[derive(Clone, Debug, PartialEq)]
pub enum TextValue {
    Text(String),
    Number(f64),
    Boolean(bool),
    List(Vec<String>),
}

impl TextKind {
    /// `text` as this kind of value: a number that does not parse is NaN (which the options'
    /// check then refuses by name); a boolean is false for `false`, `0`, `no` and `off` (any case)
    /// and true otherwise (an attribute present without a value is true); a list is split at
    /// commas, blanks dropped.
    pub fn read(self, text: &str) -> TextValue {
        let text = text.trim();
        match self {
            TextKind::Text => TextValue::Text(text.to_string()),
            TextKind::Number => TextValue::Number(text.parse().unwrap_or(f64::NAN)),
            TextKind::Boolean => TextValue::Boolean(
                !["false", "0", "no", "off"]
                    .iter()
                    .any(|f| f.eq_ignore_ascii_case(text)),
            ),
            TextKind::List => TextValue::List(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
        }
    }
}

/// The options given by `get` (a URL parameter's or an attribute's text by its name; `attribute`
/// says which name each option has there), as `(key, value)` pairs in [`OPTIONS`] order. An empty
/// text gives nothing, but for a boolean (an attribute present without a value is true).
pub fn options_from_text(
    attribute: bool,
    mut get: impl FnMut(&str) -> Option<String>,
) -> Vec<(&'static str, TextValue)> {
    OPTIONS
        .iter()
        .filter_map(|o| {
            let name = if attribute { o.attribute } else { o.param }?;
            let text = get(name)?;
            if text.trim().is_empty() && o.text != TextKind::Boolean {
                return None;
            }
            Some((o.key, o.text.read(&text)))
        })
        .collect()
}

/// One option: its key, its TypeScript type and doc, and where else it can be given.
#[derive(Debug)]
pub struct OptionSpec {
    /// The key in the options object (camelCase).
    pub key: &'static str,
    /// Its TypeScript type.
    pub ts: &'static str,
    /// What it does (the `.d.ts`'s doc comment).
    pub doc: &'static str,
    /// The bundled page's URL parameter for it (`?window=60`), if any.
    pub param: Option<&'static str>,
    /// The `<statscope-chart>` attribute for it (`window="60"`), if any.
    pub attribute: Option<&'static str>,
    pub text: TextKind,
}

/// Every option (see the module docs). Order: the `.d.ts`'s.
pub const OPTIONS: [OptionSpec; 26] = [
    OptionSpec {
        key: "feed",
        ts: "string",
        doc: "WebSocket URL of the feed (ws:// or wss://). Default: `/ws` on the page's own origin, \
              with the page's `?token=` passed along. The page adds `frames=binary` unless the URL \
              has a `frames` parameter (`frames=text` keeps text frames).",
        param: Some("feed"),
        attribute: Some("feed"),
        text: TextKind::Text,
    },
    OptionSpec {
        key: "connect",
        ts: "boolean",
        doc: "Connect to the feed at all; `false` feeds the chart only through `ingest()`. Default true.",
        param: None,
        attribute: None,
        text: TextKind::Boolean,
    },
    OptionSpec {
        key: "windowSeconds",
        ts: "number",
        doc: "Seconds of history shown (a sliding window ending at the newest sample). Default 300.",
        param: Some("window"),
        attribute: Some("window"),
        text: TextKind::Number,
    },
    OptionSpec {
        key: "ttlSeconds",
        ts: "number",
        doc: "Seconds a stopped container's curve stays after its last sample, and at least while \
              its points are in the window (marked as ended). Default 60.",
        param: Some("ttl"),
        attribute: Some("ttl"),
        text: TextKind::Number,
    },
    OptionSpec {
        key: "theme",
        ts: "\"light\" | \"dark\" | \"auto\"",
        doc: "\"light\", \"dark\", or \"auto\" to follow `prefers-color-scheme`. Default \"auto\".",
        param: Some("theme"),
        attribute: Some("theme"),
        text: TextKind::Text,
    },
    OptionSpec {
        key: "colors",
        ts: "string[]",
        doc: "Curve colours as \"#rrggbb\", used in order. Default: a colour-blind-safe palette.",
        param: Some("colors"),
        attribute: Some("colors"),
        text: TextKind::List,
    },
    OptionSpec {
        key: "historyPoints",
        ts: "number",
        doc: "Points kept per container. Default: enough for the window at 1 Hz.",
        param: None,
        attribute: None,
        text: TextKind::Number,
    },
    OptionSpec {
        key: "status",
        ts: "HTMLElement | string",
        doc: "The element (or its id) where the feed status is written as text.",
        param: None,
        attribute: None,
        text: TextKind::Text,
    },
    OptionSpec {
        key: "legend",
        ts: "HTMLElement | string",
        doc: "The element (or its id), usually a <ul>, that lists the containers. Click an entry to \
              show only it (again: all); shift- or ctrl-click to show or hide it alone.",
        param: None,
        attribute: None,
        text: TextKind::Text,
    },
    OptionSpec {
        key: "table",
        ts: "HTMLElement | string",
        doc: "The element (or its id) of a <table> kept as a screen-reader summary (container, \
              current value, trend), refreshed every 10 s. Default: a visually hidden table after \
              the canvas.",
        param: None,
        attribute: None,
        text: TextKind::Text,
    },
    OptionSpec {
        key: "metric",
        ts: "DashboardMetric",
        doc: "The metric shown (see `DashboardMetric`). Rates are per second, all network \
              interfaces summed. Default \"cpu\".",
        param: Some("metric"),
        attribute: Some("metric"),
        text: TextKind::Text,
    },
    OptionSpec {
        key: "cpuScale",
        ts: "\"core\" | \"host\" | \"limit\"",
        doc: "What 100 % CPU means: \"core\" (the docker CLI's), \"host\" (all online CPUs) or \
              \"limit\" (the container's CPU limit, from the bridge; without a limit, the host). \
              Default \"core\".",
        param: Some("scale"),
        attribute: Some("cpu-scale"),
        text: TextKind::Text,
    },
    OptionSpec {
        key: "sort",
        ts: "\"name\" | \"value\" | \"host\" | \"project\"",
        doc: "Legend order: \"name\", \"value\" (current value of the metric, highest first), \
              \"host\" (grouped by host, then by name) or \"project\" (grouped by Compose project).",
        param: Some("sort"),
        attribute: Some("sort"),
        text: TextKind::Text,
    },
    OptionSpec {
        key: "topN",
        ts: "number",
        doc: "Show only the N busiest running containers: ranked by their mean over the last 30 s \
              of the window (stopped and silent ones are not ranked). Default: all.",
        param: Some("top"),
        attribute: Some("top-n"),
        text: TextKind::Number,
    },
    OptionSpec {
        key: "host",
        ts: "string",
        doc: "Show only the containers of this host (its key, as `hello` and `statscope.host` say \
              it); \"\" or absent: every host.",
        param: Some("host"),
        attribute: Some("host"),
        text: TextKind::Text,
    },
    OptionSpec {
        key: "filter",
        ts: "string",
        doc: "Show only containers whose name contains this, or whose ID starts with it.",
        param: Some("filter"),
        attribute: Some("filter"),
        text: TextKind::Text,
    },
    OptionSpec {
        key: "smooth",
        ts: "number",
        doc: "A least-squares rate over the last k samples with a ±1 SD band; 0 = off. Default 0.",
        param: Some("smooth"),
        attribute: Some("smooth"),
        text: TextKind::Number,
    },
    OptionSpec {
        key: "logScale",
        ts: "boolean",
        doc: "A logarithmic y axis for CPU and the rates (containers near 0 are not squashed \
              flat); memory and PIDs stay linear. Default false.",
        param: Some("log"),
        attribute: Some("log-scale"),
        text: TextKind::Boolean,
    },
    OptionSpec {
        key: "from",
        ts: "number",
        doc: "With `to`: show this time range (ms since the epoch) instead of the live window, as a \
              zoom does (double-click returns to live).",
        param: Some("from"),
        attribute: Some("from"),
        text: TextKind::Number,
    },
    OptionSpec {
        key: "to",
        ts: "number",
        doc: "The end of the range `from` starts (ms since the epoch).",
        param: Some("to"),
        attribute: Some("to"),
        text: TextKind::Number,
    },
    OptionSpec {
        key: "detail",
        ts: "string",
        doc: "Open the detail panel of this container: its key (`ID@host`), name, or ID prefix.",
        param: Some("detail"),
        attribute: Some("detail"),
        text: TextKind::Text,
    },
    OptionSpec {
        key: "lineWidth",
        ts: "number",
        doc: "Curve width, CSS px (0.5–8). Default 1.5 up to 12 curves, else one device pixel.",
        param: None,
        attribute: Some("line-width"),
        text: TextKind::Number,
    },
    OptionSpec {
        key: "labels",
        ts: "boolean",
        doc: "Name curves at their right end (at most 12 curves). Default true.",
        param: None,
        attribute: Some("labels"),
        text: TextKind::Boolean,
    },
    OptionSpec {
        key: "tooltip",
        ts: "boolean",
        doc: "Hover tooltip and keyboard cursor. Default true.",
        param: None,
        attribute: Some("tooltip"),
        text: TextKind::Boolean,
    },
    OptionSpec {
        key: "overview",
        ts: "boolean",
        doc: "The fleet overview above the chart (each host's state, containers and busiest; a \
              click shows only that host) when the bridge follows two hosts or more. Default true.",
        param: Some("overview"),
        attribute: Some("overview"),
        text: TextKind::Boolean,
    },
    OptionSpec {
        key: "paintWorker",
        ts: "boolean",
        doc: "Draw the chart in a Web Worker on an OffscreenCanvas, off the page's main thread, \
              where the browser allows it (OffscreenCanvas, module workers, the page on the \
              module's origin); elsewhere, and with false, the main thread draws it over several \
              animation frames. `status().painter` says which. Default true.",
        param: Some("paintWorker"),
        attribute: Some("paint-worker"),
        text: TextKind::Boolean,
    },
];

/// Is `key` an option?
pub fn is_option(key: &str) -> bool {
    OPTIONS.iter().any(|o| o.key == key)
}

/// The keys, for an error message.
pub fn keys_listed() -> String {
    let keys: Vec<&str> = OPTIONS.iter().map(|o| o.key).collect();
    keys.join(", ")
}

/// Refuses a key that is not an option (a typo would otherwise be ignored silently).
pub fn check_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Result<(), OptionsError> {
    match keys.into_iter().find(|k| !is_option(k)) {
        Some(bad) => Err(OptionsError::UnknownKey(bad.to_string())),
        None => Ok(()),
    }
}

/// The TypeScript the package ships for the options and the metrics (`DashboardOptions`,
/// `DashboardMetric`), generated from [`OPTIONS`] and [`METRICS`].
pub fn typescript() -> String {
    let mut out = String::from(
        "/** Options for `new Dashboard(canvas, options)`. Every field is optional. */\n\
         export interface DashboardOptions {\n",
    );
    for o in &OPTIONS {
        out.push_str("  /** ");
        out.push_str(o.doc);
        out.push_str(" */\n  ");
        out.push_str(o.key);
        out.push_str("?: ");
        out.push_str(o.ts);
        out.push_str(";\n");
    }
    out.push_str("}\n\n/** The metrics: ");
    let labels: Vec<String> = METRICS
        .iter()
        .map(|m| format!("\"{}\" ({})", m.key, m.label))
        .collect();
    out.push_str(&labels.join(", "));
    out.push_str(". */\nexport type DashboardMetric =\n  ");
    let keys: Vec<String> = METRICS.iter().map(|m| format!("\"{}\"", m.key)).collect();
    out.push_str(&keys.join(" | "));
    out.push_str(";\n");
    out
}

/// The options the core takes, as a plain JS object gives them (all optional; `status`, `legend`
/// and `table` are the browser layer's).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Options {
    /// WebSocket URL of the feed; default: `/ws` on the page's own origin.
    pub feed: Option<String>,
    /// Connect to the feed at all (`false`: only [`super::DashboardCore::ingest`] feeds it).
    pub connect: bool,
    /// Length of the time window shown, seconds. Default 300.
    pub window_seconds: f64,
    /// How long a stopped (or silent) container stays after its last sample, seconds. Default 60.
    pub ttl_seconds: f64,
    /// `"light"`, `"dark"` or `"auto"` (follows `prefers-color-scheme`). Default auto.
    pub theme: String,
    /// Curve colours, `#rrggbb`, used in order; default a colour-blind-safe palette.
    pub colors: Vec<String>,
    /// Points kept per container. Default: enough for the window at 1 Hz, at least 600.
    pub history_points: Option<usize>,
    /// The metric plotted. Default CPU.
    pub metric: Metric,
    /// What 100 % CPU means. Default `core` (the docker CLI's).
    pub cpu_scale: CpuScale,
    /// Legend order. Default by name.
    pub sort: SortBy,
    /// Show only the N busiest containers (by the mean of their last points). Default: all.
    pub top_n: Option<usize>,
    /// Show only the containers of this host (its key); empty: every host.
    pub host: String,
    /// Show only containers whose name contains this, or whose ID starts with it (case-insensitive).
    pub filter: String,
    /// Smoothed rate over the last `k` samples, with its spread as a band; 0 = off. Default 0.
    pub smooth: usize,
    /// A logarithmic y axis for CPU and the rates. Default false.
    pub log_scale: bool,
    /// With `to`: a time range shown instead of the live window (ms since the epoch).
    pub from: Option<f64>,
    pub to: Option<f64>,
    /// The container whose detail panel is open (key, name or ID prefix); empty: none.
    pub detail: String,
    /// Curve width in CSS px. Default 1.5 for up to 12 curves, else one device pixel.
    pub line_width: Option<f64>,
    /// Name the curves at their right end when at most 12 are shown. Default true.
    pub labels: bool,
    /// Show the hover tooltip. Default true.
    pub tooltip: bool,
    /// Show the fleet overview (and ask the bridge for it) when it follows two hosts or more.
    /// Default true.
    pub overview: bool,
    /// Draw the chart in a Web Worker on an `OffscreenCanvas` where the browser allows it (the
    /// browser layer falls back to the main thread, and says why). Default true.
    pub paint_worker: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            feed: None,
            connect: true,
            window_seconds: 300.0,
            ttl_seconds: 60.0,
            theme: "auto".into(),
            colors: Vec::new(),
            history_points: None,
            metric: Metric::Cpu,
            cpu_scale: CpuScale::Core,
            sort: SortBy::Name,
            top_n: None,
            host: String::new(),
            filter: String::new(),
            smooth: 0,
            log_scale: false,
            from: None,
            to: None,
            detail: String::new(),
            line_width: None,
            labels: true,
            tooltip: true,
            overview: true,
            paint_worker: true,
        }
    }
}

/// A problem with options, said plainly.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OptionsError {
    #[error("windowSeconds must be a positive number of seconds")]
    Window,
    #[error("ttlSeconds must be zero or a positive number of seconds")]
    Ttl,
    #[error("theme must be \"light\", \"dark\" or \"auto\", not {0:?}")]
    Theme(String),
    #[error("colors must be \"#rrggbb\" strings; {0:?} is not")]
    Color(String),
    #[error("feed must be a ws:// or wss:// URL, not {0:?}")]
    Feed(String),
    #[error("smooth must be 0 (off) or a number of samples from 2 to 600")]
    Smooth,
    #[error("lineWidth must be a number of CSS pixels from 0.5 to 8")]
    LineWidth,
    #[error("topN must be a positive number of containers")]
    TopN,
    #[error("from and to must be given together, as ms since the epoch with from < to")]
    Range,
    #[error("unknown field `{0}`, expected one of {list}", list = keys_listed())]
    UnknownKey(String),
}

impl Options {
    /// Checks the values (the browser layer reports the error to the page's script).
    pub fn validate(&self) -> Result<(), OptionsError> {
        if !(self.window_seconds.is_finite() && self.window_seconds > 0.0) {
            return Err(OptionsError::Window);
        }
        if !(self.ttl_seconds.is_finite() && self.ttl_seconds >= 0.0) {
            return Err(OptionsError::Ttl);
        }
        check_theme(&self.theme)?;
        if let Some(bad) = self.colors.iter().find(|c| parse_hex(c).is_none()) {
            return Err(OptionsError::Color(bad.clone()));
        }
        if let Some(feed) = &self.feed {
            if !(feed.starts_with("ws://") || feed.starts_with("wss://")) {
                return Err(OptionsError::Feed(feed.clone()));
            }
        }
        check_smooth(self.smooth)?;
        if let Some(w) = self.line_width {
            if !(0.5..=8.0).contains(&w) {
                return Err(OptionsError::LineWidth);
            }
        }
        if self.top_n == Some(0) {
            return Err(OptionsError::TopN);
        }
        match (self.from, self.to) {
            (None, None) => {}
            (Some(a), Some(b)) if a.is_finite() && b.is_finite() && a < b => {}
            _ => return Err(OptionsError::Range),
        }
        Ok(())
    }
}

pub(super) fn check_theme(theme: &str) -> Result<(), OptionsError> {
    if ["light", "dark", "auto"].contains(&theme) {
        Ok(())
    } else {
        Err(OptionsError::Theme(theme.to_string()))
    }
}

pub(super) fn check_smooth(k: usize) -> Result<(), OptionsError> {
    if k == 1 || k > 600 {
        Err(OptionsError::Smooth)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_is_the_core_options_and_the_three_elements() {
        // The core's options, as serde names them (every field serializes, `None` as null).
        let json = serde_json::to_value(Options::default()).expect("json");
        let core_keys: Vec<&String> = json.as_object().expect("object").keys().collect();
        let browser_only = ["status", "legend", "table"];
        let mut schema: Vec<&str> = OPTIONS
            .iter()
            .map(|o| o.key)
            .filter(|k| !browser_only.contains(k))
            .collect();
        let mut core: Vec<&str> = core_keys.iter().map(|k| k.as_str()).collect();
        schema.sort_unstable();
        core.sort_unstable();
        assert_eq!(
            schema, core,
            "OPTIONS (less the elements) = the fields of Options"
        );
        let mut params: Vec<&str> = OPTIONS.iter().filter_map(|o| o.param).collect();
        let mut attributes: Vec<&str> = OPTIONS.iter().filter_map(|o| o.attribute).collect();
        let (np, na) = (params.len(), attributes.len());
        params.sort_unstable();
        params.dedup();
        attributes.sort_unstable();
        attributes.dedup();
        assert_eq!((params.len(), attributes.len()), (np, na), "unique names");
        assert!(attributes
            .iter()
            .all(|a| a.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')));
    }

    #[test]
    fn text_becomes_values_by_kind() {
        assert_eq!(TextKind::Number.read(" 60 "), TextValue::Number(60.0));
        assert!(matches!(TextKind::Number.read("soon"), TextValue::Number(n) if n.is_nan()));
        assert_eq!(TextKind::Boolean.read(""), TextValue::Boolean(true));
        assert_eq!(TextKind::Boolean.read("OFF"), TextValue::Boolean(false));
        assert_eq!(
            TextKind::List.read("#112233, ,#445566"),
            TextValue::List(vec!["#112233".into(), "#445566".into()])
        );
        let url = [
            ("window", "60"),
            ("scale", "limit"),
            ("top", "5"),
            ("nope", "1"),
        ];
        let got = options_from_text(false, |name| {
            url.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        });
        assert_eq!(
            got,
            [
                ("windowSeconds", TextValue::Number(60.0)),
                ("cpuScale", TextValue::Text("limit".into())),
                ("topN", TextValue::Number(5.0)),
            ]
        );
        let attrs = [("cpu-scale", "host"), ("labels", "false")];
        let got = options_from_text(true, |name| {
            attrs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        });
        assert_eq!(
            got,
            [
                ("cpuScale", TextValue::Text("host".into())),
                ("labels", TextValue::Boolean(false)),
            ]
        );
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        assert_eq!(check_keys(["feed", "topN", "legend"]), Ok(()));
        let e = check_keys(["feed", "windowSecs"]).expect_err("a typo");
        assert!(e
            .to_string()
            .starts_with("unknown field `windowSecs`, expected one of feed, connect"));
    }

    #[test]
    fn the_typescript_names_every_option_and_metric() {
        let ts = typescript();
        for o in &OPTIONS {
            assert!(
                ts.contains(&format!("  {}?: {};", o.key, o.ts)),
                "{}",
                o.key
            );
        }
        for m in &METRICS {
            assert!(ts.contains(&format!("\"{}\"", m.key)), "{}", m.key);
        }
    }
}
