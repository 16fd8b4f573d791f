// Checks bench/lib/gen.mjs's samplesFrame (the live workloads' prefill) against the bridge: plays
// a few generated seconds through `statscope serve --replay` and compares every sample the bridge
// sends with the one samplesFrame makes of the same object. Exits 1 on a difference.
//
//   node --experimental-websocket bench/check-samples.mjs [target/release/statscope]

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Fleet, samplesFrame } from "./lib/gen.mjs";

const bin = process.argv[2] || path.join(path.dirname(new URL(import.meta.url).pathname), "../target/release/statscope");
const fleet = new Fleet({ containers: 30, seed: 3 });
const texts = [];
for (let k = 0; k < 8; k++) texts.push(...fleet.tick());
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "statscope-check-")), "r.ndjson");
fs.writeFileSync(file, texts.join("\n") + "\n");
const mine = new Map(JSON.parse(samplesFrame("replay", texts)).samples.map((s) => [`${s[0]} ${s[3]}`, JSON.stringify(s)]));
const port = 19000 + Math.floor(Math.random() * 1000);
const child = spawn(bin, ["serve", "--replay", file, "--speed", "20", "--listen", `127.0.0.1:${port}`], { stdio: "ignore" });
await new Promise((r) => setTimeout(r, 800));
const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
let compared = 0, differ = 0;
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  if (m.type !== "statscope.samples") return;
  for (const s of m.samples) {
    // Compare as text of numbers: the ns times are larger than a double keeps.
    const raw = JSON.stringify(s);
    const key = `${s[0]} ${s[3]}`;
    if (!mine.has(key)) continue;
    compared++;
    if (mine.get(key) !== raw && differ++ < 3) console.error(`differs:\n  bridge ${raw}\n  bench  ${mine.get(key)}`);
  }
};
await new Promise((r) => setTimeout(r, 2500));
ws.close();
child.kill();
console.log(`compared ${compared} samples, ${differ} differ`);
process.exit(compared > 100 && differ === 0 ? 0 : 1);
