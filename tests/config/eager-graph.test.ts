/**
 * Issue 13 item 8: every command loads main.ts, lib/cli/index.ts and lib/config eagerly; the commands
 * themselves are imported lazily. Config must therefore import no capability code at run time, or
 * `disco keygen` would load all of ZeroMQ and metrics. Checked on the bundler's own metafile.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");

interface Metafile {
  inputs: Record<string, { imports: { path: string; kind: string }[] }>;
}

/** Modules reachable from `entry` through static imports only (dynamic `import()` is where laziness lives). */
function eager(meta: Metafile, entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const m = stack.pop()!;
    if (seen.has(m)) continue;
    seen.add(m);
    for (const i of meta.inputs[m]?.imports ?? []) if (i.kind !== "dynamic-import") stack.push(i.path);
  }
  return seen;
}

async function metafile(entry: string): Promise<Metafile> {
  const r = await Bun.build({ entrypoints: [join(ROOT, entry)], root: ROOT, target: "bun", metafile: true });
  assert.ok(r.success, r.logs.join("\n"));
  return (r as unknown as { metafile: Metafile }).metafile;
}

describe("main.ts's eager module graph", () => {
  it("holds no capability module: lib/zmtp, lib/metrics and the others (config imports no capability code)", async () => {
    const meta = await metafile("main.ts");
    const entry = Object.keys(meta.inputs).find((k) => k === "main.ts" || k.endsWith("/main.ts"));
    assert.ok(entry, `main.ts not in the metafile: ${Object.keys(meta.inputs).slice(0, 5).join(", ")}`);
    const graph = eager(meta, entry);
    assert.ok([...graph].some((m) => m.includes("lib/config/")), "the walk reached lib/config (so it can see what config imports)");
    // Every capability folder (lib/net is not in the list: config still takes IPV4_PATTERN from it).
    const capability = [...graph].filter((m) => /(^|\/)lib\/(zmtp|metrics|beacon|discovery|crypto|gpio|control|http|mqtt|daemon)\//.test(m));
    assert.deepEqual(capability, [], "capability modules loaded by every command");
    // The lazy commands do load them: the check looks at the right edges.
    assert.ok(Object.keys(meta.inputs).some((m) => m.includes("lib/zmtp/")), "lib/zmtp is in the bundle (behind import())");
  });
});
