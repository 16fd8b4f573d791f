//! The feed's WebSocket: opened with the handlers its owner gives, and closed, with its handlers
//! detached, when dropped. It knows nothing of what the frames mean.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

use super::error::WebError;

/// What the owner does on the socket's events.
pub(crate) struct Handlers {
    pub on_open: Box<dyn FnMut()>,
    /// The frame's data: a string, or an `ArrayBuffer` for a binary frame.
    pub on_message: Box<dyn FnMut(JsValue)>,
    pub on_close: Box<dyn FnMut()>,
}

/// An open (or opening) WebSocket and its handlers; dropping it detaches them and closes it.
pub(crate) struct Socket {
    ws: WebSocket,
    _onopen: Closure<dyn FnMut(Event)>,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    _onclose: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    /// Connects to `url`; binary frames arrive as `ArrayBuffer`s.
    pub(crate) fn open(url: &str, handlers: Handlers) -> Result<Socket, WebError> {
        let Handlers {
            mut on_open,
            mut on_message,
            mut on_close,
        } = handlers;
        let ws = WebSocket::new(url)?;
        ws.set_binary_type(web_sys::BinaryType::Arraybuffer);
        let onopen = Closure::<dyn FnMut(Event)>::new(move |_e: Event| on_open());
        let onmessage =
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| on_message(e.data()));
        let onclose = Closure::<dyn FnMut(CloseEvent)>::new(move |_e: CloseEvent| on_close());
        ws.set_onopen(Some(onopen.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        ws.set_onclose(Some(onclose.as_ref().unchecked_ref()));
        Ok(Socket {
            ws,
            _onopen: onopen,
            _onmessage: onmessage,
            _onclose: onclose,
        })
    }

    /// Sends a text message (the page's `statscope.subscribe`); `false` when the socket is not
    /// open.
    pub(crate) fn send(&self, text: &str) -> bool {
        self.ws.ready_state() == WebSocket::OPEN && self.ws.send_with_str(text).is_ok()
    }

    /// Closes it (its `onclose` then reports it).
    pub(crate) fn close(&self) {
        let _ = self.ws.close();
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
