// Replay files for `statscope serve --replay`, from the seeded generator; cached in bench/data/
// (gitignored) and rewritten only when their parameters change.

import fs from "node:fs";
import path from "node:path";
import { Fleet } from "./gen.mjs";

/**
 * Writes a replay file: `ticks` seconds of `containers` after `skip` seconds (which the page
 * prefills itself). With `gap` > 0, the file starts with one already-seen sample (tick skip − gap of
 * container 0: a late duplicate the engine ignores) so the bridge's pacer starts `gap` s before the
 * first new tick: the page has that long to prefill while the socket is already open.
 */
export function writeReplay(file, seed, { containers, skip = 0, ticks, gap = 0 }) {
  const key = JSON.stringify({ v: 3, containers, skip, ticks, gap, seed });
  if (fs.existsSync(file) && fs.existsSync(file + ".key") && fs.readFileSync(file + ".key", "utf8") === key) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fleet = new Fleet({ containers, seed });
  const fd = fs.openSync(file + ".tmp", "w");
  let lead = null;
  for (let k = 0; k < skip + ticks; k++) {
    const texts = fleet.tick();
    if (gap > 0 && k === skip - gap) lead = texts[0];
    if (k === skip && lead) fs.writeSync(fd, lead + "\n");
    if (k >= skip) fs.writeSync(fd, texts.join("\n") + "\n");
  }
  fs.closeSync(fd);
  fs.renameSync(file + ".tmp", file);
  fs.writeFileSync(file + ".key", key);
}

