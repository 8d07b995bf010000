/**
 * A small validating reader over parsed TOML. Every section reader uses it so all problems are collected
 * (not just the first), each with its key path and line, and unknown keys are reported with the keys that
 * were expected.
 */
import type { ConfigProblem } from "./errors.ts";
import { lineOf } from "./_locate.ts";
import { parseDuration } from "./duration.ts";

/** Shared state of one validation pass. */
/** The names of declared things (GPIO lines, queries): one rule, one text. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** {@link NAME_PATTERN} in words, for problems and usage errors. */
export const NAME_RULE = "a name of 1-64 letters, digits, '_', '.' or '-'";

export interface Ctx {
  readonly problems: ConfigProblem[];
  readonly lines: ReadonlyMap<string, number>;
}

/** Creates a validation context for a text's key-line map. */
export function createCtx(lines: ReadonlyMap<string, number>): Ctx {
  return { problems: [], lines };
}

/** Records a problem at a path. */
export function report(ctx: Ctx, key: string, message: string): void {
  const line = lineOf(ctx.lines, key);
  ctx.problems.push(line === undefined ? { key, message } : { key, line, message });
}

/** A plain object (TOML table) check. */
export function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  if (v instanceof Date) return "a date";
  if (isTable(v)) return "a table";
  if (v === "") return "an empty string";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  return typeof v;
}

const BAD: unique symbol = Symbol("bad value");

/** A getter's options with a default: the getter then always returns a value. */
type WithDefault<O, T> = O & { default: T };

interface Base<T> {
  /** Value when the key is absent. */
  default?: T;
  /** Report a problem when the key is absent. */
  required?: boolean;
}

type StringOptions = Base<string> & { oneOf?: readonly string[]; pattern?: RegExp; patternText?: string; nonEmpty?: boolean };
type RangeOptions = Base<number> & { min?: number; max?: number };
type DurationOptions = Base<number> & { minMs?: number; maxMs?: number };

/**
 * Reads one TOML table. Each getter marks its key as known; {@link Section.done} reports the keys that no
 * getter asked for.
 */
export class Section {
  readonly ctx: Ctx;
  readonly path: string;
  readonly raw: Record<string, unknown>;
  #known = new Set<string>();

  constructor(ctx: Ctx, path: string, raw: unknown) {
    this.ctx = ctx;
    this.path = path;
    if (raw === undefined) this.raw = {};
    else if (isTable(raw)) this.raw = raw;
    else {
      report(ctx, path, `expected a table, got ${describe(raw)}`);
      this.raw = {};
    }
  }

  /** The full path of a key of this table. */
  keyPath(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  /** Reports a problem on a key of this table. */
  problem(key: string, message: string): void {
    report(this.ctx, this.keyPath(key), message);
  }

  /** Whether the key is present (marks it known). */
  has(key: string): boolean {
    this.#known.add(key);
    return this.raw[key] !== undefined;
  }

  // A check returns the value, or BAD; the problem then names what was expected and what was found.
  #get<T>(key: string, opts: Base<T>, what: string, check: (v: unknown) => T | typeof BAD): T | undefined {
    this.#known.add(key);
    const v = this.raw[key];
    if (v === undefined) {
      if (opts.required) this.problem(key, `is required (${what})`);
      return opts.default;
    }
    const r = check(v);
    if (r === BAD) {
      this.problem(key, `expected ${what}, got ${describe(v)}`);
      return opts.default;
    }
    return r;
  }

  /** A string, optionally one of a set or matching a pattern. */
  string(key: string, opts: WithDefault<StringOptions, string>): string;
  string(key: string, opts?: StringOptions): string | undefined;
  string(key: string, opts: StringOptions = {}): string | undefined {
    const what = opts.oneOf
      ? `one of ${opts.oneOf.map((s) => JSON.stringify(s)).join(", ")}`
      : (opts.patternText ?? (opts.nonEmpty ? "a non-empty string" : "a string"));
    return this.#get(key, opts, what, (v) => {
      if (typeof v !== "string") return BAD;
      if (opts.oneOf && !opts.oneOf.includes(v)) return BAD;
      if (opts.pattern && !opts.pattern.test(v)) return BAD;
      if (opts.nonEmpty && v.length === 0) return BAD;
      return v;
    });
  }

  /** An integer in `[min, max]`. */
  int(key: string, opts: WithDefault<RangeOptions, number>): number;
  int(key: string, opts?: RangeOptions): number | undefined;
  int(key: string, opts: RangeOptions = {}): number | undefined {
    const min = opts.min ?? Number.MIN_SAFE_INTEGER;
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    const what = `a whole number from ${min} to ${max}`;
    return this.#get(key, opts, what, (v) => {
      const n = typeof v === "bigint" ? Number(v) : v;
      if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) return BAD;
      return n;
    });
  }

  /** A number (integer or float) in `[min, max]`. */
  number(key: string, opts: WithDefault<RangeOptions, number>): number;
  number(key: string, opts?: RangeOptions): number | undefined;
  number(key: string, opts: RangeOptions = {}): number | undefined {
    const min = opts.min ?? -Infinity;
    const max = opts.max ?? Infinity;
    const what = `a number from ${min} to ${max}`;
    return this.#get(key, opts, what, (v) => {
      const n = typeof v === "bigint" ? Number(v) : v;
      if (typeof n !== "number" || Number.isNaN(n) || n < min || n > max) return BAD;
      return n;
    });
  }

  /** A boolean. */
  bool(key: string, opts: WithDefault<Base<boolean>, boolean>): boolean;
  bool(key: string, opts?: Base<boolean>): boolean | undefined;
  bool(key: string, opts: Base<boolean> = {}): boolean | undefined {
    return this.#get(key, opts, "true or false", (v) => (typeof v === "boolean" ? v : BAD));
  }

  /** A duration: a number of seconds, or a string such as "500ms", "2s", "1m". Returns milliseconds. */
  durationMs(key: string, opts: WithDefault<DurationOptions, number>): number;
  durationMs(key: string, opts?: DurationOptions): number | undefined;
  durationMs(key: string, opts: DurationOptions = {}): number | undefined {
    const what = `a duration such as 2, "500ms", "2s" or "1m"${opts.minMs !== undefined ? ` (at least ${opts.minMs} ms)` : ""}`;
    return this.#get(key, opts, what, (v) => {
      const ms = parseDuration(v);
      if (ms === undefined) return BAD;
      if (opts.minMs !== undefined && ms < opts.minMs) return BAD;
      if (opts.maxMs !== undefined && ms > opts.maxMs) return BAD;
      return ms;
    });
  }

  /** An array of strings. */
  strings(key: string, opts: WithDefault<Base<readonly string[]>, readonly string[]>): readonly string[];
  strings(key: string, opts?: Base<readonly string[]>): readonly string[] | undefined;
  strings(key: string, opts: Base<readonly string[]> = {}): readonly string[] | undefined {
    return this.#get(key, opts, "an array of strings", (v) => {
      if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) return BAD;
      return v as string[];
    });
  }

  /** A sub-table (absent -> empty section). */
  table(key: string): Section {
    this.#known.add(key);
    return new Section(this.ctx, this.keyPath(key), this.raw[key]);
  }

  /** An array of tables (`[[x.y]]`), each as a section with its index in the path. */
  tables(key: string): Section[] {
    this.#known.add(key);
    const v = this.raw[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      this.problem(key, `expected an array of tables ([[${this.keyPath(key)}]]), got ${describe(v)}`);
      return [];
    }
    return v.map((item, i) => new Section(this.ctx, `${this.keyPath(key)}[${i}]`, item));
  }

  /** Marks a key as known without reading it (for keys read raw, like `[services]`). */
  accept(key: string): unknown {
    this.#known.add(key);
    return this.raw[key];
  }

  /** Reports every key that no getter asked for. Call once after reading. */
  done(): void {
    const expected = [...this.#known].sort();
    for (const key of Object.keys(this.raw)) {
      if (!this.#known.has(key)) {
        this.problem(key, `unknown key${expected.length ? ` (expected one of: ${expected.join(", ")})` : ""}`);
      }
    }
  }
}
