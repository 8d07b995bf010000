/**
 * The style guide's structural rules (docs: /work/shared/STYLE.md §1, §2, §5, §6), checked on the source
 * text, like denoland/std's lint plugin and its circular-dependency check:
 * - a folder of lib/ is entered only through its index.ts (files of lib/ itself, such as errors.ts, are shared);
 * - no run-time import cycle between folders; nothing below lib/cli imports lib/cli or lib/daemon;
 * - codec files import no sockets, timers, `bun` or `node:` modules and read no clock;
 * - lib/ never reads process.env / argv, never exits and never touches the process (main.ts does);
 * - one summary per command (lib/cli/index.ts), and each entry loads the command of its name;
 * - every error class of a folder descends from that folder's one base class, which extends DiscoError;
 * - lib/discovery/client.ts catches only disco errors (a bug is not a "malformed datagram").
 * Each rule reports every offender with its file, so a violation says where to look.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { COMMANDS } from "../lib/cli/index.ts";

const ROOT = resolve(import.meta.dir, "..");

/** Every .ts file below `dir`, as paths relative to the project root. */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...tsFiles(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

const LIB = tsFiles("lib");
const SOURCES = [...LIB, "main.ts"];
const text = new Map(SOURCES.map((f) => [f, readFileSync(join(ROOT, f), "utf8")]));

/** The code without comments (a `//` after ':' as in "tcp://" is not a comment) and with string contents kept. */
function code(file: string): string {
  return text
    .get(file)!
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " "))
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

interface Import {
  readonly spec: string;
  /** `import type` / `export type`: erased at run time. */
  readonly typeOnly: boolean;
}

/** The static and dynamic imports and re-exports of a file. */
function importsOf(file: string): Import[] {
  const src = code(file);
  const out: Import[] = [];
  for (const m of src.matchAll(/^\s*(import|export)(\s+type\b)?[^;"']*?\bfrom\s*["']([^"']+)["']/gm)) out.push({ spec: m[3]!, typeOnly: m[2] !== undefined });
  for (const m of src.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) out.push({ spec: m[1]!, typeOnly: false });
  for (const m of src.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g)) out.push({ spec: m[1]!, typeOnly: false });
  return out;
}

/** The project file a relative import names, or undefined for a package or built-in module. */
function target(from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  return relative(ROOT, resolve(ROOT, dirname(from), spec));
}

/** `lib/<folder>` for files in a folder of lib/, `lib` for lib's own files, `main` for main.ts. */
function folderOf(file: string): string {
  const parts = file.split("/");
  if (parts[0] !== "lib") return "main";
  return parts.length > 2 ? `lib/${parts[1]}` : "lib";
}

const FOLDERS = [...new Set(LIB.map(folderOf))].filter((f) => f !== "lib").sort();

/** Every cross-folder edge: importer file -> imported file. */
function crossImports(): { from: string; to: string; typeOnly: boolean }[] {
  const out = [];
  for (const from of SOURCES) {
    for (const i of importsOf(from)) {
      const to = target(from, i.spec);
      if (to === undefined || folderOf(to) === folderOf(from) || folderOf(to) === "lib") continue;
      out.push({ from, to, typeOnly: i.typeOnly });
    }
  }
  return out;
}

describe("architecture: folders and imports", () => {
  it("the import scanner sees imports (it finds lib/cli/index.ts in main.ts, and dynamic imports in lib/cli/index.ts)", () => {
    assert.ok(importsOf("main.ts").some((i) => i.spec === "./lib/cli/index.ts"));
    assert.ok(importsOf("lib/cli/index.ts").some((i) => i.spec === "./run.ts"));
    assert.ok(FOLDERS.includes("lib/zmtp") && FOLDERS.includes("lib/cli"), FOLDERS.join(" "));
  });

  it("another folder is entered only through its index.ts", () => {
    const bad = crossImports()
      .filter((e) => !e.to.endsWith("/index.ts") || e.to.split("/").length !== 3)
      .map((e) => `${e.from} imports ${e.to}`);
    assert.deepEqual(bad, []);
  });

  // Type-only imports are erased before anything runs, so two folders may share types both ways (lib/config
  // and lib/metrics do: the config's slice types and the collector names); a run-time cycle is the defect.
  it("no import cycle between folders at run time", () => {
    const edges = new Map<string, Set<string>>(FOLDERS.map((f) => [f, new Set()]));
    for (const e of crossImports()) if (folderOf(e.from) !== "main" && !e.typeOnly) edges.get(folderOf(e.from))?.add(folderOf(e.to));
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") {
        cycles.push([...path.slice(path.indexOf(f)), f].join(" -> "));
        return;
      }
      state.set(f, "open");
      for (const g of edges.get(f) ?? []) visit(g, [...path, f]);
      state.set(f, "done");
    };
    for (const f of FOLDERS) visit(f, []);
    assert.deepEqual(cycles, []);
  });

  it("lib/cli is the top of lib/ and lib/daemon is below only it: no other folder imports them", () => {
    const bad = crossImports()
      .filter((e) => (folderOf(e.to) === "lib/cli" && folderOf(e.from) !== "main") || (folderOf(e.to) === "lib/daemon" && !["main", "lib/cli"].includes(folderOf(e.from))))
      .map((e) => `${e.from} imports ${e.to}`);
    assert.deepEqual(bad, []);
  });
});

/**
 * The pure codecs (STYLE.md §2): bytes <-> values, TOML -> config. A new codec file belongs on this list;
 * the first test keeps the list true to the tree.
 */
const CODECS = [
  "lib/beacon/decode.ts",
  "lib/beacon/disco-py.ts",
  "lib/beacon/envelope.ts",
  "lib/beacon/rich.ts",
  "lib/beacon/seal.ts",
  "lib/beacon/vault.ts",
  "lib/crypto/keyfile.ts",
  "lib/crypto/keys.ts",
  "lib/discovery/describe.ts",
  "lib/discovery/envelope.ts",
  "lib/discovery/frame.ts",
  "lib/discovery/legacy.ts",
  "lib/discovery/payload.ts",
  "lib/gpio/_struct.ts",
  "lib/gpio/line-config.ts",
  "lib/gpio/uapi.ts",
  "lib/metrics/metric.ts",
  "lib/python/json.ts",
  "lib/zmtp/command.ts",
  "lib/zmtp/decoder.ts",
  "lib/zmtp/endpoint.ts",
  "lib/zmtp/frame.ts",
  "lib/zmtp/greeting.ts",
  "lib/zmtp/topics.ts",
  ...LIB.filter((f) => f.startsWith("lib/config/")),
];

/** Files that hold sockets, file descriptors or the process: a codec may not import them. */
const ADAPTERS = /^lib\/(net\/(udp|interfaces)|zmtp\/bun-transport|gpio\/(_libc|_clock|_pump|cdev|sysfs|pwm|lines)|beacon\/hook-spawn)\.ts$/;

describe("architecture: codecs are pure", () => {
  it("the codec list names files that exist", () => {
    assert.deepEqual(CODECS.filter((f) => !text.has(f)), []);
  });

  // node:crypto is computation (the per-datagram AES, DESIGN.md "Crypto"), not I/O.
  it("codec files import no bun, bun:*, node:* module (but node:crypto) and no I/O adapter", () => {
    const bad: string[] = [];
    for (const f of CODECS) {
      for (const i of importsOf(f)) {
        if (i.typeOnly) continue;
        const to = target(f, i.spec);
        if ((/^(bun$|bun:|node:)/.test(i.spec) && i.spec !== "node:crypto") || (to !== undefined && ADAPTERS.test(to))) bad.push(`${f} imports ${i.spec}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it("codec files start no timer and read no clock (time is passed in)", () => {
    const bad = CODECS.flatMap((f) =>
      [...code(f).matchAll(/\b(setTimeout|setInterval|setImmediate|Date\.now|performance\.now|process\.hrtime)\b|\bnew Date\(\s*\)/g)].map((m) => `${f}: ${m[0]}`),
    );
    assert.deepEqual(bad, []);
  });
});

describe("architecture: lib/ and the process", () => {
  it("lib/ never reads process.env or argv, never exits, never touches the process (main.ts does)", () => {
    const bad = LIB.flatMap((f) =>
      [...code(f).matchAll(/\bprocess\.(env|argv0?|exit|exitCode|on|once|off|kill|chdir|stdout|stderr|stdin|umask)\b|\bBun\.(env|argv|main)\b/g)].map((m) => `${f}: ${m[0]}`),
    );
    assert.deepEqual(bad, []);
  });
});

describe("architecture: commands", () => {
  it("a command's summary lives in lib/cli/index.ts only", () => {
    const bad = LIB.filter((f) => f.startsWith("lib/cli/") && f !== "lib/cli/index.ts" && /^\s*summary\s*:/m.test(code(f)));
    assert.deepEqual(bad, []);
  });

  it("each entry of COMMANDS loads the command of its own name", async () => {
    for (const entry of COMMANDS) {
      const command = await entry.load();
      assert.equal(command.name, entry.name);
      assert.ok(entry.summary.length > 0 && !entry.summary.includes("\n"), entry.name);
    }
  });
});

describe("architecture: errors", () => {
  it("every error class of a folder descends from the folder's one base, which extends DiscoError", () => {
    const problems: string[] = [];
    for (const folder of FOLDERS) {
      const files = LIB.filter((f) => folderOf(f) === folder);
      const parent = new Map<string, string>();
      for (const f of files) for (const m of code(f).matchAll(/\bclass\s+(\w+)\s+extends\s+(\w+)/g)) parent.set(m[1]!, m[2]!);
      const errors = [...parent.keys()].filter((c) => c.endsWith("Error") || ["Error", "TypeError", "RangeError", "DiscoError"].includes(parent.get(c)!));
      if (errors.length === 0) continue;
      const bases = errors.filter((c) => parent.get(c) === "DiscoError");
      if (bases.length !== 1) {
        problems.push(`${folder}: ${bases.length} classes extend DiscoError directly (${bases.join(", ") || "none"}); want one base`);
        continue;
      }
      if (!files.includes(`${folder}/errors.ts`) || !new RegExp(`class\\s+${bases[0]}\\b`).test(code(`${folder}/errors.ts`))) problems.push(`${folder}: the base ${bases[0]} is not in ${folder}/errors.ts`);
      for (const c of errors) {
        let p: string | undefined = c;
        const seen = new Set<string>();
        while (p !== undefined && p !== bases[0] && !seen.has(p)) {
          seen.add(p);
          p = parent.get(p);
        }
        if (p !== bases[0]) problems.push(`${folder}: ${c} does not descend from ${bases[0]}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("lib/discovery/client.ts rethrows what is not a disco error from every catch", () => {
    const src = code("lib/discovery/client.ts");
    assert.doesNotMatch(src, /\bcatch\s*\{/, "a catch without a binding cannot tell a bug from a bad datagram");
    const bad: string[] = [];
    for (const m of src.matchAll(/\bcatch\s*\((\w+)\)\s*\{([^}]*)\}/g)) {
      if (!new RegExp(`\\bthrow\\s+${m[1]}\\b`).test(m[2]!)) bad.push(m[0].split("\n")[0]!);
    }
    assert.deepEqual(bad, []);
  });
});
