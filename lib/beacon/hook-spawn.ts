/**
 * The hook adapter: runs a hook command as a child process (Bun.spawn), stdout discarded (so hooks never
 * mix into a command's output), stderr passed through, killed with SIGKILL after its timeout.
 */
import type { HookOutcome, HookSpawner } from "./hooks.ts";

/**
 * Runs `argv` with exactly `env`, waiting at most `timeoutMs`.
 * @returns the exit code, or null and timedOut when it was killed
 * @throws {Error} when the command cannot be started (not found, not executable)
 */
export const spawnHook: HookSpawner = async (argv, env, timeoutMs): Promise<HookOutcome> => {
  const proc = Bun.spawn([...argv], { env: { ...env }, stdin: "ignore", stdout: "ignore", stderr: "inherit" });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, timeoutMs);
  try {
    const exitCode = await proc.exited;
    return { exitCode: timedOut ? null : exitCode, timedOut };
  } finally {
    clearTimeout(timer);
  }
};
