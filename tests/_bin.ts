/**
 * The compiled binary for end-to-end tests (`npm test` builds it first; a test run on its own builds it
 * when it is missing), a free port for it, and a spawn that is killed when the test scope ends. Read a
 * process's output with tests/_lines.ts.
 */
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
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

/** A UDP port that was free a moment ago (bound to 0 and released). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A TCP port on 127.0.0.1 that was free a moment ago (bound to 0 and released). */
export async function freeTcpPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A spawned process that is SIGKILLed (by its PID) when the test scope ends. */
export interface Spawned extends AsyncDisposable {
  readonly proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
}

/** Spawns a process with piped stdout/stderr; `await using` kills it at the end of the scope. */
export function spawn(cmd: string[]): Spawned {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  return {
    proc,
    async [Symbol.asyncDispose]() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}
