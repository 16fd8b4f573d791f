//! Helpers shared by the browser tests (`tests/web.rs`, `tests/web_interaction.rs`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement, HtmlElement};

pub fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

pub fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// The next animation frame (after the dashboard's own callback for it, registered earlier).
pub async fn frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .request_animation_frame(&resolve)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Pixels of the canvas close to a `#rrggbb` colour.
pub fn pixels_of(c: &HtmlCanvasElement, hex: &str) -> usize {
    let v = u32::from_str_radix(&hex[1..], 16).unwrap();
    let (r, g, b) = ((v >> 16) as i32, ((v >> 8) & 255) as i32, (v & 255) as i32);
    let ctx: CanvasRenderingContext2d = c.get_context("2d").unwrap().unwrap().unchecked_into();
    let data = ctx
        .get_image_data(0.0, 0.0, c.width() as f64, c.height() as f64)
        .unwrap()
        .data();
    data.chunks(4)
        .filter(|p| {
            (p[0] as i32 - r).abs() < 40
                && (p[1] as i32 - g).abs() < 40
                && (p[2] as i32 - b).abs() < 40
        })
        .count()
}

/// The `#rrggbb` of a legend entry's swatch.
pub fn swatch_hex(item: &Element) -> String {
    let swatch: HtmlElement = if item.class_name() == "swatch" {
        item.clone().unchecked_into()
    } else {
        item.query_selector(".swatch")
            .unwrap()
            .unwrap()
            .unchecked_into()
    };
    let rgb = swatch
        .style()
        .get_property_value("background-color")
        .unwrap();
    let parts: Vec<u32> = rgb
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .map(|p| p.trim().parse().unwrap())
        .collect();
    format!("#{:02x}{:02x}{:02x}", parts[0], parts[1], parts[2])
}

/// The canvas's pixels, RGBA.
pub fn image(c: &HtmlCanvasElement) -> Vec<u8> {
    let ctx: CanvasRenderingContext2d = c.get_context("2d").unwrap().unwrap().unchecked_into();
    ctx.get_image_data(0.0, 0.0, c.width() as f64, c.height() as f64)
        .unwrap()
        .data()
        .to_vec()
}
