// statscope's paint worker (src/web/worker.rs): a dedicated module worker that draws the page's
// charts on an OffscreenCanvas, so that their rasterization (the bulk of a large chart's cost
// without a GPU) runs off the page's main thread.
//
// wasm-bindgen copies this file to pkg/snippets/statscope-<hash>/src/web/ (build-web.sh passes
// --split-linked-modules), four folders below the glue it imports. The page posts the Wasm module
// it already compiled as the first message; the worker instantiates it (its own memory), answers
// "ready", and from then on Rust answers each job (`paintWorker`).
import init, { paintWorker } from "../../../../statscope.js";

addEventListener(
  "message",
  async (e) => {
    try {
      await init({ module_or_path: e.data.module });
      paintWorker();
      postMessage({ ready: true });
    } catch (err) {
      postMessage({ failed: String((err && err.message) || err) });
    }
  },
  { once: true },
);
