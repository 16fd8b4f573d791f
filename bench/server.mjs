// A small static server for the bench pages, on loopback, with the headers that make a page
// cross-origin isolated (COOP same-origin + COEP require-corp), so performance.now() has 5 µs
// resolution instead of 100 µs. It serves the repository root read-only (the pages import
// bench/.build/pkg/statscope.js and bench/node_modules/uplot/…), nothing outside it.
//
//   node bench/server.mjs [--port 0] [--root DIR]     prints "listening http://127.0.0.1:PORT"
//   import { serve } from "./server.mjs"; const { url, close } = await serve({ root, port });

import http from "node:http";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
};

export async function serve({ root, port = 0, host = "127.0.0.1" }) {
  const base = await fs.realpath(root);
  const server = http.createServer(async (req, res) => {
    const headers = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
      "Cache-Control": "no-store",
    };
    try {
      if (req.method !== "GET" && req.method !== "HEAD") throw Object.assign(new Error(), { code: 405 });
      const url = new URL(req.url, "http://x");
      let rel = decodeURIComponent(url.pathname);
      if (rel.includes("\0")) throw Object.assign(new Error(), { code: 404 });
      if (rel.endsWith("/")) rel += "index.html";
      const file = await fs.realpath(path.join(base, path.normalize(rel)));
      if (!file.startsWith(base + path.sep)) throw Object.assign(new Error(), { code: 404 });
      const body = await fs.readFile(file);
      res.writeHead(200, { ...headers, "Content-Type": TYPES[path.extname(file)] || "application/octet-stream" });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (e) {
      const code = e.code === 405 ? 405 : 404;
      res.writeHead(code, { ...headers, "Content-Type": "text/plain" });
      res.end(String(code));
    }
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const { port: actual } = server.address();
  return { url: `http://${host}:${actual}`, port: actual, close: () => new Promise((r) => server.close(r)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const here = path.dirname(fileURLToPath(import.meta.url));
  const { url } = await serve({ root: arg("--root", path.join(here, "..")), port: Number(arg("--port", 0)) });
  console.log(`listening ${url}`);
}
