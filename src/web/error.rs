//! The browser layer's one error type, [`WebError`], turned into a `JsValue` once, where it crosses
//! into JavaScript: the thrown value is the message, a string (as the page's API always threw).

use wasm_bindgen::{JsCast, JsValue};

/// What can go wrong in the browser layer.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("no window: statscope runs in a browser page")]
    NoWindow,
    #[error("no document")]
    NoDocument,
    #[error("the canvas has no 2D context")]
    No2d,
    #[error("the canvas is not in a document")]
    Detached,
    #[error("statscope options: {0}")]
    Options(String),
    #[error("statscope: {0}")]
    Choice(String),
    #[error("drawing: {0}")]
    Drawing(String),
    /// What a browser API threw, as it said it.
    #[error("{0}")]
    Js(String),
}

impl From<JsValue> for WebError {
    fn from(v: JsValue) -> WebError {
        let text = v
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| v.as_string())
            .unwrap_or_else(|| format!("{v:?}"));
        WebError::Js(text)
    }
}

impl From<serde_wasm_bindgen::Error> for WebError {
    fn from(e: serde_wasm_bindgen::Error) -> WebError {
        WebError::Js(e.to_string())
    }
}

impl From<WebError> for JsValue {
    fn from(e: WebError) -> JsValue {
        JsValue::from_str(&e.to_string())
    }
}
