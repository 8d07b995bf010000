import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { workerModule } from "../../lib/gpio/_pump.ts";
import { DISCO, ensureBuilt } from "../_bin.ts";

describe("workerModule()", () => {
  it("from source: the worker file beside the pump, which exists", () => {
    const u = workerModule(new URL("../../lib/gpio/_pump.ts", import.meta.url).href);
    assert.ok(u instanceof URL);
    assert.ok(existsSync(fileURLToPath(u)), String(u));
  });
  it("inside the compiled binary: the path from the project root, where the build embeds it", () => {
    assert.equal(workerModule("file:///$bunfs/root/disco"), "./lib/gpio/_pump-worker.ts");
  });
  it("dist/disco embeds the worker as its own entry point (the build's second entry)", async () => {
    ensureBuilt();
    const bytes = await Bun.file(DISCO).bytes();
    // Entry points are stored under their path from the root, with a .js extension once compiled.
    assert.ok(Buffer.from(bytes).includes("lib/gpio/_pump-worker.js"), "lib/gpio/_pump-worker.js is not in dist/disco");
  });
});
