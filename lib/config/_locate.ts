/**
 * Maps TOML key paths to the line they are written on, so validation errors can name the line.
 * smol-toml parses values but keeps no positions; this scanner reads the text once more for keys only.
 * Paths look like `discovery.port`, `gpio.output[1].line`; a header maps to its own line.
 */

const BARE = /^[A-Za-z0-9_-]+/;

function readKey(s: string, i: number): { parts: string[]; end: number } | undefined {
  const parts: string[] = [];
  let p = i;
  for (;;) {
    while (s[p] === " " || s[p] === "\t") p++;
    const c = s[p];
    if (c === '"' || c === "'") {
      const close = s.indexOf(c, p + 1);
      if (close < 0) return undefined;
      parts.push(s.slice(p + 1, close));
      p = close + 1;
    } else {
      const m = BARE.exec(s.slice(p));
      if (!m) return undefined;
      parts.push(m[0]);
      p += m[0].length;
    }
    while (s[p] === " " || s[p] === "\t") p++;
    if (s[p] !== ".") return { parts, end: p };
    p++;
  }
}

/** Builds the path -> 1-based line map for a TOML text. Never throws; unknown syntax is skipped. */
export function locateKeys(text: string): Map<string, number> {
  const lines = text.split(/\r?\n/);
  const map = new Map<string, number>();
  const arrayCounts = new Map<string, number>();
  let table: string[] = [];
  let multiline: string | undefined;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (multiline) {
      if (line.includes(multiline)) multiline = undefined;
      continue;
    }
    const t = line.trimStart();
    if (t === "" || t.startsWith("#")) continue;
    if (t.startsWith("[[")) {
      const k = readKey(t, 2);
      if (!k) continue;
      const base = k.parts.join(".");
      const idx = arrayCounts.get(base) ?? 0;
      arrayCounts.set(base, idx + 1);
      table = [...k.parts.slice(0, -1), `${k.parts.at(-1)}[${idx}]`];
      resolveArrays(table, arrayCounts);
      const path = table.join(".");
      if (!map.has(base)) map.set(base, n + 1);
      map.set(path, n + 1);
      continue;
    }
    if (t.startsWith("[")) {
      const k = readKey(t, 1);
      if (!k) continue;
      table = [...k.parts];
      resolveArrays(table, arrayCounts);
      map.set(table.join("."), n + 1);
      continue;
    }
    const k = readKey(t, 0);
    if (!k || t[k.end] !== "=") continue;
    const path = [...table, ...k.parts].join(".");
    if (!map.has(path)) map.set(path, n + 1);
    const rest = t.slice(k.end + 1);
    const triple = rest.includes('"""') ? '"""' : rest.includes("'''") ? "'''" : undefined;
    if (triple && rest.split(triple).length === 2) multiline = triple;
  }
  return map;
}

// `[gpio.output.extra]` after `[[gpio.output]]` belongs to the latest element: rewrite the prefix.
function resolveArrays(parts: string[], counts: Map<string, number>): void {
  for (let i = 0; i < parts.length - 1; i++) {
    const prefix = parts.slice(0, i + 1).join(".");
    const c = counts.get(prefix);
    if (c !== undefined && !parts[i]!.endsWith("]")) parts[i] = `${parts[i]}[${c - 1}]`;
  }
}

/** The line of `path`, or of its nearest ancestor that appears in the text. */
export function lineOf(map: ReadonlyMap<string, number>, path: string): number | undefined {
  let p = path;
  for (;;) {
    const line = map.get(p);
    if (line !== undefined) return line;
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    if (cut <= 0) return undefined;
    p = p.slice(0, cut);
  }
}
