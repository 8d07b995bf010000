/** The unit file's settings that benches run the daemon with, so it is measured as disco.service runs it. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../tests/_bin.ts";

/** The `Environment=` settings of systemd/disco.service. */
export function unitEnvironment(): Record<string, string> {
  const unit = readFileSync(join(ROOT, "systemd", "disco.service"), "utf8");
  return Object.fromEntries([...unit.matchAll(/^Environment=(\w+)=(\S*)$/gm)].map((m) => [m[1]!, m[2]!]));
}
