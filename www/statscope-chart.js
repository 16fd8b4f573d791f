// <statscope-chart feed="ws://host:8080/ws" window="300" ttl="60" theme="auto" metric="cpu"
//                  cpu-scale="core" sort="name" top-n="10" smooth="0" filter="" …>
// A live statscope chart in one tag, for dashboards. Load this module once:
//   <script type="module" src="http://host:8080/www/statscope-chart.js"></script>
// Its attributes are the options schema's (`optionSchema()` lists every option with its attribute).
// The element's `dashboard` property is the running Dashboard handle (snapshot(), ingest(),
// pause(), resume(), status()). It is destroyed when the element leaves the page. Changing an
// attribute the viewer could change keeps the chart's data (`applyOptions`).
import init, { Dashboard, optionSchema, optionsFromAttributes } from "../pkg/statscope.js";

await init(new URL("../pkg/statscope_bg.wasm", import.meta.url));
const ATTRIBUTES = optionSchema().flatMap((o) => (o.attribute ? [o.attribute] : []));

const STYLE = `
  :host { display: block; font: 13px/1.4 system-ui, sans-serif; color: inherit; }
  canvas { display: block; width: 100%; height: var(--statscope-height, 260px); }
  .status { margin: 0 0 4px; opacity: 0.75; font-size: 12px; }
  ul { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 6px 0 0; padding: 0; }
  canvas { touch-action: none; cursor: crosshair; }
  li button { display: flex; align-items: center; gap: 6px; font: inherit; color: inherit; background: none;
              border: 0; padding: 1px 3px; border-radius: 3px; cursor: pointer; }
  li button:hover, li button:focus-visible { background: rgba(127, 127, 127, 0.2); }
  li[data-hidden] { opacity: 0.35; text-decoration: line-through; }
  li[data-stopped] { opacity: 0.55; }
  li.more { opacity: 0.7; font-style: italic; }
  li.group { flex-basis: 100%; font-weight: 600; font-size: 12px; opacity: 0.7; }
  button.details { opacity: 0.6; }
  ul { max-height: var(--statscope-legend-height, 8em); overflow-y: auto; contain: content; }
  /* Rows scrolled out of the legend skip style, layout and paint (see ../www/style.css). */
  li { content-visibility: auto; contain-intrinsic-size: auto 9em auto 1.6em; }
  .statscope-legend-tools { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center;
                            margin: 6px 0 0; font-size: 12px; opacity: 0.85; }
  .statscope-legend-tools input, .statscope-legend-tools button, .statscope-detail button {
    font: inherit; color: inherit; background: none; border: 1px solid rgba(127, 127, 127, 0.5);
    border-radius: 3px; padding: 1px 5px; }
  .statscope-detail { margin: 8px 0 0; padding: 6px 8px; border: 1px solid rgba(127, 127, 127, 0.4);
                      border-radius: 6px; }
  .statscope-detail h2 { font-size: 14px; margin: 0; display: inline; }
  .statscope-detail .detail-head { display: flex; justify-content: space-between; }
  .statscope-detail .detail-facts { margin: 2px 0 6px; font-size: 12px; opacity: 0.8; }
  .statscope-detail .detail-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 6px; }
  .statscope-detail figure { margin: 0; }
  .statscope-detail figcaption { font-size: 11px; opacity: 0.8; }
  .statscope-detail canvas { height: 140px; }
  .statscope-detail ul { display: block; max-height: none; font-size: 12px; }
  .swatch { width: 14px; height: 3px; border-radius: 1px; }
  .swatch[data-dash="dashed"] { mask: repeating-linear-gradient(90deg, #000 0 5px, transparent 5px 8px); }
  .swatch[data-dash="dotted"] { mask: repeating-linear-gradient(90deg, #000 0 2px, transparent 2px 5px); }
  .value { font-variant-numeric: tabular-nums; opacity: 0.8; }
`;

class StatscopeChart extends HTMLElement {
  static observedAttributes = ATTRIBUTES;

  connectedCallback() {
    const root = this.shadowRoot ?? this.attachShadow({ mode: "open" });
    root.innerHTML = `<style>${STYLE}</style><p class="status" role="status"></p><canvas></canvas><ul></ul>`;
    this.#start();
  }

  disconnectedCallback() {
    this.dashboard?.destroy();
    this.dashboard = undefined;
  }

  // What the viewer can change (metric, scale, top-n, filter, host, log-scale, from/to, detail…)
  // changes in place and the chart keeps its data; only a new feed, window, TTL or colours start
  // the dashboard anew.
  attributeChangedCallback() {
    if (!this.isConnected || !this.dashboard) return;
    try {
      if (this.dashboard.applyOptions(optionsFromAttributes(this))) return;
    } catch (error) {
      this.shadowRoot.querySelector(".status").textContent = `statscope: ${error}`;
      return;
    }
    this.dashboard.destroy();
    this.#start();
  }

  #start() {
    if (!this.isConnected) return;
    const root = this.shadowRoot;
    const options = {
      ...optionsFromAttributes(this),
      status: root.querySelector(".status"),
      legend: root.querySelector("ul"),
    };
    this.dashboard?.destroy();
    try {
      this.dashboard = new Dashboard(root.querySelector("canvas"), options);
    } catch (error) {
      root.querySelector(".status").textContent = `statscope: ${error}`;
    }
  }
}

customElements.define("statscope-chart", StatscopeChart);
