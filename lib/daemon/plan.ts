/**
 * Reload planning, pure: which tasks carry over, change, start or stop, from the old and new slices of
 * every builder. Slices are plain data compared structurally (byte arrays by content).
 */

/** What a reload does to one capability. */
export type PlanAction = "keep" | "change" | "start" | "stop";

/** One capability's step of a reload. */
export interface PlanStep {
  readonly name: string;
  readonly action: PlanAction;
  /** For "change": the new task needs what the old one holds (stop it first, restore it on failure). */
  readonly conflict: boolean;
}

/** What {@link planReload} needs of a builder. */
export interface PlannedBuilder {
  readonly name: string;
  conflicts?(old: never, next: never): boolean;
}

/**
 * Plans a reload.
 * @param builders every builder, in start order
 * @param old the running slices by builder name (absent: not running)
 * @param next the new slices by builder name (absent or undefined: disabled)
 * @returns one step per builder that runs before or after (disabled-and-disabled builders are left out)
 */
export function planReload(builders: readonly PlannedBuilder[], old: ReadonlyMap<string, unknown>, next: ReadonlyMap<string, unknown>): PlanStep[] {
  const steps: PlanStep[] = [];
  for (const b of builders) {
    const a = old.get(b.name);
    const n = next.get(b.name);
    if (a === undefined && n === undefined) continue;
    if (a === undefined) steps.push({ name: b.name, action: "start", conflict: false });
    else if (n === undefined) steps.push({ name: b.name, action: "stop", conflict: false });
    else if (sameSlice(a, n)) steps.push({ name: b.name, action: "keep", conflict: false });
    else steps.push({ name: b.name, action: "change", conflict: (b.conflicts as ((x: unknown, y: unknown) => boolean) | undefined)?.(a, n) ?? false });
  }
  return steps;
}

/** Structural equality of plain data: primitives, arrays, byte arrays and plain objects (key order ignored). */
export function sameSlice(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameSlice(x, b[i]));
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && sameSlice((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * {@link sameSlice} but for one key: whether a task can take `next` in place (only `key` changed).
 * @returns true when `a` and `b` are equal apart from `key`
 */
export function sameSliceExcept<T extends object>(a: T, b: T, key: keyof T): boolean {
  return sameSlice({ ...a, [key]: undefined }, { ...b, [key]: undefined });
}
