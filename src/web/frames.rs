//! Frames into the core without needless copies: a JS string is encoded to UTF-8 by the browser
//! straight into a buffer in Wasm memory reused from frame to frame (wasm-bindgen's own `&str`
//! passing copies a string one `charCodeAt` at a time: ~3 µs for a 2 KB stats object); an
//! `ArrayBuffer` or `Uint8Array` (a binary frame: UTF-8 JSON) is copied once into that buffer.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::dashboard::{DashboardCore, MAX_FRAME_BYTES};

#[wasm_bindgen]
extern "C" {
    /// The browser's `TextEncoder`, bound to take a JS string as it is.
    #[wasm_bindgen(js_name = TextEncoder)]
    type Utf8Encoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Utf8Encoder;
}

#[wasm_bindgen(inline_js = "let view = null;
export function encode_frame(encoder, text, memory, ptr, cap) {
  if (view === null || view.buffer !== memory.buffer || view.byteOffset !== ptr || view.length !== cap) {
    view = new Uint8Array(memory.buffer, ptr, cap);
  }
  const r = encoder.encodeInto(text, view);
  return r.read === text.length ? r.written : -1;
}")]
extern "C" {
    /// Encodes `text` as UTF-8 straight into Wasm memory at `ptr..ptr + cap` (one call, no copy
    /// through a JS array; the view on that memory is kept while the buffer stays where it is): the
    /// bytes written, or -1 if `cap` was too small for all of it.
    fn encode_frame(
        encoder: &Utf8Encoder,
        text: &JsValue,
        memory: &JsValue,
        ptr: u32,
        cap: u32,
    ) -> i32;
}

/// The encoder, the reused buffer and this module's `WebAssembly.Memory`.
pub(crate) struct FrameInput {
    encoder: Utf8Encoder,
    buf: Vec<u8>,
    memory: JsValue,
}

impl FrameInput {
    pub(crate) fn new() -> FrameInput {
        FrameInput {
            encoder: Utf8Encoder::new(),
            buf: Vec::new(),
            memory: wasm_bindgen::memory(),
        }
    }

    /// Hands one frame to `core`: a JS string, an `ArrayBuffer` or a `Uint8Array` (UTF-8 JSON).
    /// Anything else is counted as malformed.
    pub(crate) fn take(&mut self, core: &mut DashboardCore, data: &JsValue) {
        if let Some(text) = data.dyn_ref::<js_sys::JsString>() {
            // UTF-8 needs at least one byte per UTF-16 unit and at most three.
            let units = text.length() as usize;
            if units > MAX_FRAME_BYTES {
                core.refuse_oversized(units);
                return;
            }
            self.grow(3 * units);
            // The pointer escapes to JS, which writes the bytes into the buffer's initialized length.
            let written = encode_frame(
                &self.encoder,
                data,
                &self.memory,
                self.buf.as_mut_ptr() as u32,
                self.buf.len() as u32,
            );
            match usize::try_from(written) {
                Ok(n) if n <= self.buf.len() => core.ingest_bytes(&self.buf[..n]),
                _ => core.refuse("a text frame the browser could not encode as UTF-8"),
            }
            return;
        }
        let bytes: js_sys::Uint8Array = if data.is_instance_of::<js_sys::ArrayBuffer>() {
            js_sys::Uint8Array::new(data)
        } else if data.is_instance_of::<js_sys::Uint8Array>() {
            data.clone().unchecked_into()
        } else {
            core.refuse("not a frame: expected a string, ArrayBuffer or Uint8Array");
            return;
        };
        let len = bytes.length() as usize;
        if len > MAX_FRAME_BYTES {
            core.refuse_oversized(len);
            return;
        }
        self.grow(len);
        bytes.copy_to(&mut self.buf[..len]);
        core.ingest_bytes(&self.buf[..len]);
    }

    /// The buffer with at least `len` bytes (zeroed only where it grows).
    fn grow(&mut self, len: usize) {
        if self.buf.len() < len {
            self.buf.resize(len, 0);
        }
    }
}
