// <statscope-chart feed="ws://host:8080/ws" window="300" ttl="60" theme="auto">
// A live statscope chart in one tag, for dashboards. Load this module once:
//   <script type="module" src="http://host:8080/www/statscope-chart.js"></script>
// The element's `dashboard` property is the running Dashboard handle (snapshot(), ingest(),
// pause(), resume(), status()). It is destroyed when the element leaves the page.
import init, { Dashboard } from "../pkg/statscope.js";

const ready = init(new URL("../pkg/statscope_bg.wasm", import.meta.url));

const STYLE = `
  :host { display: block; font: 13px/1.4 system-ui, sans-serif; color: inherit; }
  canvas { display: block; width: 100%; height: var(--statscope-height, 260px); }
  .status { margin: 0 0 4px; opacity: 0.75; font-size: 12px; }
  ul { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 6px 0 0; padding: 0; }
  li { display: flex; align-items: center; gap: 6px; }
  .swatch { width: 12px; height: 3px; border-radius: 2px; }
  .value { font-variant-numeric: tabular-nums; opacity: 0.8; }
`;

class StatscopeChart extends HTMLElement {
  static observedAttributes = ["feed", "window", "ttl", "theme"];

  connectedCallback() {
    const root = this.shadowRoot ?? this.attachShadow({ mode: "open" });
    root.innerHTML = `<style>${STYLE}</style><p class="status" role="status"></p><canvas></canvas><ul></ul>`;
    this.#start();
  }

  disconnectedCallback() {
    this.dashboard?.destroy();
    this.dashboard = undefined;
  }

  attributeChangedCallback() {
    if (this.isConnected && this.dashboard) {
      this.dashboard.destroy();
      this.#start();
    }
  }

  async #start() {
    await ready;
    if (!this.isConnected) return;
    const root = this.shadowRoot;
    const options = { status: root.querySelector(".status"), legend: root.querySelector("ul") };
    const attr = (name) => this.getAttribute(name);
    if (attr("feed")) options.feed = attr("feed");
    if (attr("window")) options.windowSeconds = Number(attr("window"));
    if (attr("ttl")) options.ttlSeconds = Number(attr("ttl"));
    if (attr("theme")) options.theme = attr("theme");
    this.dashboard?.destroy();
    try {
      this.dashboard = new Dashboard(root.querySelector("canvas"), options);
    } catch (error) {
      root.querySelector(".status").textContent = `statscope: ${error}`;
    }
  }
}

customElements.define("statscope-chart", StatscopeChart);
