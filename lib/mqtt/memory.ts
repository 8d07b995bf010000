/**
 * What the bridge published before, kept in the daemon's state directory so a component a config change
 * took away can be removed from Home Assistant after a restart: one JSON file of component id -> platform.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** Where the published components are remembered. */
export interface DiscoveryMemory {
  /** The components published before (id -> platform); {} when nothing is known. */
  load(): Promise<Record<string, string>>;
  save(components: Readonly<Record<string, string>>): Promise<void>;
}

/** A memory for tests and for a daemon without a state directory: forgets on restart. */
export function memoryInProcess(): DiscoveryMemory {
  let saved: Record<string, string> = {};
  return {
    load: async () => ({ ...saved }),
    save: async (c) => {
      saved = { ...c };
    },
  };
}

/**
 * A memory in a JSON file (written to a temporary name, then renamed, so a crash never leaves half a file).
 * A missing or unreadable file reads as {}.
 */
export function memoryInFile(path: string): DiscoveryMemory {
  return {
    async load() {
      try {
        const raw: unknown = JSON.parse(await readFile(path, "utf8"));
        if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return {};
        return Object.fromEntries(Object.entries(raw as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === "string"));
      } catch {
        return {};
      }
    },
    async save(components) {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.tmp`;
      await writeFile(tmp, `${JSON.stringify(components, null, 1)}\n`, { mode: 0o640 });
      await rename(tmp, path);
    },
  };
}
