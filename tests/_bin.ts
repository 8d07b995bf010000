/**
 * The compiled binary for end-to-end tests. `npm test` builds it first; a test run on its own builds it
 * when it is missing.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** Project root. */
export const ROOT = resolve(import.meta.dir, "..");
/** Path to the compiled `dist/disco`. */
export const DISCO = join(ROOT, "dist", "disco");

/** Builds `dist/disco` unless it exists. */
export function ensureBuilt(): string {
  if (!existsSync(DISCO)) {
    const p = Bun.spawnSync([process.execPath, join(ROOT, "scripts", "build.ts")], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
    if (p.exitCode !== 0) throw new Error("building dist/disco failed");
  }
  return DISCO;
}
