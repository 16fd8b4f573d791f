// statscope's page: starts one Dashboard (Rust → Wasm) on the canvas, wires the toolbar to it and
// exposes it as window.statscope. URL parameters are the options schema's (`optionSchema()` lists
// them; the README too): ?feed=ws://host:port/ws  ?window=300  ?ttl=60  ?theme=light|dark|auto
// ?metric=cpu|memory|…  ?scale=core|host|limit  ?sort=name|value|host|project  ?top=10  ?filter=web
// ?smooth=10  ?log=1  ?from=…&to=… (ms)  ?detail=NAME  and ?token=… (passed to the default feed).
// The metric choices come from the metrics table. What the viewer changes follows into the address
// (`urlParams()`, the same schema), so a view can be shared.
import init, { Dashboard, hint, metrics, optionsFromUrl } from "../pkg/statscope.js";

// Errors anywhere on the page are kept here, for diagnostics and the end-to-end test.
window.statscopeErrors = [];
addEventListener("error", (e) => window.statscopeErrors.push(String(e.message)));
addEventListener("unhandledrejection", (e) => window.statscopeErrors.push(String(e.reason)));
// So is anything the page's Content-Security-Policy (sent by the bridge) blocks.
addEventListener("securitypolicyviolation", (e) =>
  window.statscopeErrors.push(`CSP blocked ${e.blockedURI || "inline"} (${e.violatedDirective})`));

const $ = (id) => document.getElementById(id);

/** Saves `data` (a string or a data: URL) as a file named `name`. */
function download(name, href) {
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);

// The toolbar is a form only for its labels: Enter in the filter must not submit it. (A handler
// here, not an inline `onsubmit`: the page's Content-Security-Policy allows no inline script.)
$("statscope-controls").addEventListener("submit", (e) => e.preventDefault());

try {
  await init();
  for (const m of metrics()) $("ctl-metric").append(new Option(m.label, m.key));
  const logScalable = new Set(metrics().filter((m) => m.log).map((m) => m.key));
  const options = {
    ...optionsFromUrl(location.search),
    status: $("statscope-status"),
    legend: $("statscope-legend"),
  };
  const d = new Dashboard($("statscope-canvas"), options);
  window.statscope = d;

  // A phone: the toolbar starts folded, and the hint speaks of touch.
  if (matchMedia("(max-width: 600px)").matches) $("statscope-menu").open = false;
  $("statscope-hint").textContent = hint(matchMedia("(pointer: coarse)").matches);

  // The view's choices into the address (replaceState: no history entry per change).
  let lastUrl = "";
  const followUrl = () => {
    const url = new URL(location.href);
    for (const [name, value] of d.urlParams()) {
      if (value) url.searchParams.set(name, value);
      else url.searchParams.delete(name);
    }
    if (url.href !== lastUrl && url.href !== location.href) history.replaceState(null, "", url);
    lastUrl = url.href;
  };

  // The toolbar shows the dashboard's settings and changes them.
  const sync = () => {
    const s = d.settings();
    $("ctl-metric").value = s.metric;
    $("ctl-scale").value = s.cpuScale;
    $("ctl-scale").disabled = s.metric !== "cpu";
    $("ctl-sort").value = s.sort;
    $("ctl-top").value = String(s.topN ?? 0);
    // The hosts, when the bridge follows more than one.
    const hosts = d.status().hosts ?? [];
    const select = $("ctl-host");
    const known = [...select.options].slice(1).map((o) => o.value).join(",");
    if (known !== hosts.map((h) => h.host).join(",")) {
      select.replaceChildren(new Option("all hosts", ""), ...hosts.map((h) => new Option(h.name, h.host)));
    }
    select.value = s.host;
    $("ctl-host-label").hidden = hosts.length < 2;
    $("ctl-smooth").value = String(s.smooth);
    $("ctl-pause").textContent = s.paused ? "Resume" : "Pause";
    $("ctl-pause").setAttribute("aria-pressed", String(s.paused));
    $("ctl-live").disabled = !s.paused && !s.zoomed;
    $("ctl-log").checked = s.logScale;
    $("ctl-log").disabled = !logScalable.has(s.metric);
    if (document.activeElement !== $("ctl-filter")) $("ctl-filter").value = s.filter;
    followUrl();
  };
  $("ctl-theme").value = options.theme ?? "auto";
  $("ctl-metric").onchange = (e) => { d.setMetric(e.target.value); sync(); };
  $("ctl-scale").onchange = (e) => { d.setCpuScale(e.target.value); sync(); };
  $("ctl-sort").onchange = (e) => { d.setSort(e.target.value); sync(); };
  $("ctl-host").onchange = (e) => { d.setHost(e.target.value); sync(); };
  $("ctl-top").onchange = (e) => { d.setTopN(Number(e.target.value)); sync(); };
  $("ctl-smooth").onchange = (e) => { d.setSmoothing(Number(e.target.value)); sync(); };
  $("ctl-theme").onchange = (e) => {
    d.setTheme(e.target.value);
    document.documentElement.dataset.theme = e.target.value;
    sync();
  };
  $("ctl-filter").oninput = (e) => { d.setFilter(e.target.value); followUrl(); };
  $("ctl-log").onchange = (e) => { d.setLogScale(e.target.checked); sync(); };
  $("ctl-pause").onclick = () => { d.settings().paused ? d.resume() : d.pause(); sync(); };
  $("ctl-live").onclick = () => { d.resume(); sync(); };
  $("ctl-csv").onclick = () => {
    const url = URL.createObjectURL(new Blob([d.exportCsv()], { type: "text/csv" }));
    download(`statscope-${stamp()}.csv`, url);
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  $("ctl-png").onclick = () => download(`statscope-${stamp()}.png`, d.exportPng());
  if (options.theme) document.documentElement.dataset.theme = options.theme;
  // Keys and the mouse act on the canvas itself; keep the toolbar in step with them.
  $("statscope-canvas").addEventListener("keyup", sync);
  $("statscope-canvas").addEventListener("dblclick", sync);
  $("statscope-canvas").addEventListener("wheel", sync, { passive: true });
  $("statscope-canvas").addEventListener("pointerup", sync);
  // The legend's tools and the detail panel act on the dashboard directly.
  document.querySelector("main").addEventListener("click", () => setTimeout(sync));
  setInterval(sync, 1000);
  sync();
} catch (error) {
  $("statscope-status").textContent = `statscope could not start: ${error}`;
  $("statscope-status").dataset.state = "error";
  throw error;
}
