// statscope's page: starts one Dashboard (Rust → Wasm) on the canvas and exposes it as
// window.statscope. URL parameters: ?feed=ws://host:port/ws  ?window=300 (seconds)
// ?ttl=60 (seconds)  ?theme=light|dark|auto  ?token=… (passed to the default feed).
import init, { Dashboard } from "../pkg/statscope.js";

// Errors anywhere on the page are kept here, for diagnostics and the end-to-end test.
window.statscopeErrors = [];
addEventListener("error", (e) => window.statscopeErrors.push(String(e.message)));
addEventListener("unhandledrejection", (e) => window.statscopeErrors.push(String(e.reason)));

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const number = (name) => (params.has(name) ? Number(params.get(name)) : undefined);

try {
  await init();
  const options = {
    status: $("statscope-status"),
    legend: $("statscope-legend"),
  };
  if (params.has("feed")) options.feed = params.get("feed");
  if (params.has("window")) options.windowSeconds = number("window");
  if (params.has("ttl")) options.ttlSeconds = number("ttl");
  if (params.has("theme")) options.theme = params.get("theme");
  window.statscope = new Dashboard($("statscope-canvas"), options);
} catch (error) {
  $("statscope-status").textContent = `statscope could not start: ${error}`;
  $("statscope-status").dataset.state = "error";
  throw error;
}
