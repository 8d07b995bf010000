/** `promtool check metrics` over a text exposition (Debian's prometheus package). */
import { existsSync } from "node:fs";

/** Where Debian installs it. */
export const PROMTOOL = "/usr/bin/promtool";

/** Why promtool tests cannot run here, or false. */
export function promtoolUnavailable(): string | false {
  return existsSync(PROMTOOL) ? false : "promtool missing (apt-get install prometheus)";
}

/**
 * Runs `promtool check metrics` on `text`.
 * @returns every line promtool printed except its camelCase lint on node_exporter's own memory names
 *   (node_memory_MemAvailable_bytes and friends: node_exporter's names, which dashboards expect, fail
 *   that lint too), plus its exit code
 */
export async function checkMetrics(text: string): Promise<{ code: number; problems: string[] }> {
  const p = Bun.spawn([PROMTOOL, "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  const problems = `${out}${err}`
    .split("\n")
    .filter((l) => l.trim() !== "")
    .filter((l) => !/^node_memory_\w+ metric names should be written in 'snake_case' not 'camelCase'$/.test(l));
  return { code, problems };
}
