/**
 * The query adapter: runs one query command as a child process (Bun.spawn) with exactly the environment
 * given, the payload on stdin, stdout and stderr captured up to a cap (the rest read and dropped, so the
 * child never blocks on a full pipe), killed with SIGKILL after its timeout or once it has printed far more
 * than the cap.
 */
import type { QuerySpawner, SpawnedQuery } from "./query.ts";

async function capture(stream: ReadableStream<Uint8Array>, capBytes: number, killAfterBytes: number, kill: () => void): Promise<{ bytes: Uint8Array; total: number }> {
  const kept = new Uint8Array(capBytes);
  let keptBytes = 0;
  let total = 0;
  for await (const chunk of stream) {
    if (keptBytes < capBytes) {
      const n = Math.min(chunk.length, capBytes - keptBytes);
      kept.set(chunk.subarray(0, n), keptBytes);
      keptBytes += n;
    }
    total += chunk.length;
    if (total > killAfterBytes) kill();
  }
  return { bytes: kept.subarray(0, keptBytes), total };
}

/** Runs a query command. @throws {Error} when the program cannot be started */
export const spawnQuery: QuerySpawner = async (argv, o): Promise<SpawnedQuery> => {
  const proc = Bun.spawn([...argv], { env: { ...o.env }, stdin: o.stdin.length ? new Blob([o.stdin as Uint8Array<ArrayBuffer>]) : "ignore", stdout: "pipe", stderr: "pipe" });
  let killed: "timeout" | "output" | undefined;
  const kill = (why: "timeout" | "output") => {
    killed ??= why;
    proc.kill("SIGKILL");
  };
  const timer = setTimeout(() => kill("timeout"), o.timeoutMs);
  try {
    const [out, err, exitCode] = await Promise.all([
      capture(proc.stdout, o.stdoutCapBytes, o.killAfterBytes, () => kill("output")),
      capture(proc.stderr, o.stderrCapBytes, o.killAfterBytes, () => kill("output")),
      proc.exited,
    ]);
    return { exitCode: killed ? null : exitCode, killed, stdout: out.bytes, stdoutBytes: out.total, stderr: err.bytes, stderrBytes: err.total };
  } finally {
    clearTimeout(timer);
  }
};
