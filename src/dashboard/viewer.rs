//! What the viewer chose and where they are looking: the metric, the CPU scale, order, top-N,
//! filter, smoothing and theme ([`Settings`]), which containers are shown ([`Selection`]), pause,
//! zoom, the cursor and the focused container. Plain state with checked setters; what it means for
//! a window of data is computed by [`super::DashboardCore`].

use serde::Serialize;

use super::options::{check_smooth, check_theme, Options, OptionsError};
use crate::view::{CpuScale, Metric, Selection, SortBy};

/// The viewer's current choices, for a toolbar to show.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub metric: Metric,
    pub cpu_scale: CpuScale,
    pub sort: SortBy,
    pub top_n: Option<usize>,
    /// The host shown alone; empty: every host.
    pub host: String,
    pub filter: String,
    pub smooth: usize,
    pub paused: bool,
    /// Zoomed or panned away from the live window (double-click or `live()` returns).
    pub zoomed: bool,
    /// `"light"`, `"dark"` or `"auto"`.
    pub theme: String,
    /// A logarithmic y axis (for CPU and the rates).
    pub log_scale: bool,
    /// The container whose detail panel is open, as asked (key, name or ID prefix); empty: none.
    pub detail: String,
}

/// The viewer's state.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub(super) metric: Metric,
    pub(super) cpu_scale: CpuScale,
    pub(super) sort: SortBy,
    pub(super) top_n: Option<usize>,
    pub(super) host: String,
    pub(super) filter: String,
    pub(super) smooth: usize,
    pub(super) theme: String,
    pub(super) selection: Selection,
    /// The live window's end when paused, ms.
    pub(super) paused_at_ms: Option<f64>,
    /// A zoomed or panned window; `None` follows live (or the pause).
    pub(super) zoom_ms: Option<(f64, f64)>,
    pub(super) cursor_ms: Option<f64>,
    /// The container whose explanation the tooltip expands.
    pub(super) focus: Option<String>,
    pub(super) log_scale: bool,
    /// The detail panel's container, as asked (resolved against the containers when shown).
    pub(super) detail: String,
    /// The window shown when the view was paused: it stays while paused, whatever arrives or
    /// leaves (so the cursor, the tooltip and the curves keep their places).
    pub(super) frozen_ms: Option<(f64, f64)>,
}

impl Viewer {
    /// The choices `options` start with.
    pub fn new(options: &Options) -> Viewer {
        Viewer {
            metric: options.metric,
            cpu_scale: options.cpu_scale,
            sort: options.sort,
            top_n: options.top_n,
            host: options.host.trim().to_string(),
            filter: options.filter.trim().to_string(),
            smooth: options.smooth,
            theme: options.theme.clone(),
            selection: Selection::default(),
            paused_at_ms: None,
            zoom_ms: options.from.zip(options.to),
            cursor_ms: None,
            focus: None,
            log_scale: options.log_scale,
            detail: options.detail.trim().to_string(),
            frozen_ms: None,
        }
    }

    pub fn settings(&self) -> Settings {
        Settings {
            metric: self.metric,
            cpu_scale: self.cpu_scale,
            sort: self.sort,
            top_n: self.top_n,
            host: self.host.clone(),
            filter: self.filter.clone(),
            smooth: self.smooth,
            paused: self.paused_at_ms.is_some(),
            zoomed: self.zoom_ms.is_some(),
            theme: self.theme.clone(),
            log_scale: self.log_scale,
            detail: self.detail.clone(),
        }
    }

    /// The zoomed or panned time range, if any (ms since the epoch).
    pub fn zoom(&self) -> Option<(f64, f64)> {
        self.zoom_ms
    }

    pub fn log_scale(&self) -> bool {
        self.log_scale
    }

    /// The detail panel's container as asked; empty: closed.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn metric(&self) -> Metric {
        self.metric
    }

    pub fn cpu_scale(&self) -> CpuScale {
        self.cpu_scale
    }

    /// `"light"`, `"dark"` or `"auto"`.
    pub fn theme(&self) -> &str {
        &self.theme
    }

    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    pub fn cursor(&self) -> Option<f64> {
        self.cursor_ms
    }

    pub fn focus(&self) -> Option<&str> {
        self.focus.as_deref()
    }

    pub(super) fn set_smooth(&mut self, k: usize) -> Result<(), OptionsError> {
        check_smooth(k)?;
        self.smooth = k;
        Ok(())
    }

    pub(super) fn set_theme(&mut self, theme: &str) -> Result<(), OptionsError> {
        check_theme(theme)?;
        self.theme = theme.to_string();
        Ok(())
    }
}
