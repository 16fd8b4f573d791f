//! Small things every part of the browser layer needs from the page: the window and document, the
//! clock, the local time offset, the colour scheme, elements named in the options, and
//! [`Listener`], an event listener removed when dropped.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, EventTarget, HtmlElement, Window};

use super::error::WebError;

pub(crate) fn window() -> Result<Window, WebError> {
    web_sys::window().ok_or(WebError::NoWindow)
}

pub(crate) fn document() -> Result<Document, WebError> {
    window()?.document().ok_or(WebError::NoDocument)
}

/// The page's clock, ms (`performance.now()`).
pub(crate) fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Minutes east of UTC, for the time labels.
pub(crate) fn tz_offset() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

/// Does the system prefer a dark colour scheme?
pub(crate) fn prefers_dark() -> bool {
    window()
        .ok()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|q| q.matches())
}

/// An element created with its text set (never parsed as HTML).
pub(crate) fn text_el(doc: &Document, tag: &str, text: &str) -> Result<Element, WebError> {
    let el = doc.create_element(tag)?;
    el.set_text_content(Some(text));
    Ok(el)
}

/// The element an option names, given as itself or by id (`None` when the option is not set).
pub(crate) fn element_option(
    options: &JsValue,
    key: &str,
) -> Result<Option<HtmlElement>, WebError> {
    if !options.is_object() {
        return Ok(None);
    }
    let value = js_sys::Reflect::get(options, &JsValue::from_str(key))?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if let Some(id) = value.as_string() {
        return document()?
            .get_element_by_id(&id)
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
            .map(Some)
            .ok_or_else(|| WebError::Options(format!("option {key}: no element with id {id:?}")));
    }
    value
        .dyn_into::<HtmlElement>()
        .map(Some)
        .map_err(|_| WebError::Options(format!("option {key} must be an element or an element id")))
}

/// An event listener that is removed when dropped.
pub(crate) struct Listener {
    target: EventTarget,
    kind: &'static str,
    closure: Closure<dyn FnMut(Event)>,
}

impl Listener {
    /// Adds `f` as the `kind` listener of `target`.
    pub(crate) fn new(
        target: EventTarget,
        kind: &'static str,
        f: Box<dyn FnMut(Event)>,
    ) -> Result<Listener, WebError> {
        let closure = Closure::<dyn FnMut(Event)>::new(f);
        target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref())?;
        Ok(Listener {
            target,
            kind,
            closure,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
    }
}
