/** One compound duration: each unit at most once, largest first (`"1h30m"`, `"1m30s"`, `"2s500ms"`). */
const DURATION = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/;
const UNIT_MS = [3_600_000, 60_000, 1000, 1] as const;

/**
 * Parses a duration as written in the config or on the command line: a number of seconds (`2`, `0.5`), a
 * bare number string meaning seconds (`"2"`), or units written together, largest first (`"500ms"`, `"2s"`,
 * `"1.5m"`, `"1h"`, `"1m30s"`). No spaces: `"10 m"` is refused rather than guessed at.
 * @param value the raw TOML value or flag text
 * @returns milliseconds, or undefined when the value is not a positive duration
 * @example parseDuration("1m30s") // 90000
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number" || typeof value === "bigint") {
    const n = Number(value);
    return Number.isFinite(n) && n > 0 ? n * 1000 : undefined;
  }
  if (typeof value !== "string" || value === "") return undefined;
  let ms: number;
  if (/^\d+(?:\.\d+)?$/.test(value)) ms = Number(value) * 1000;
  else {
    const m = DURATION.exec(value);
    if (!m) return undefined;
    ms = 0;
    for (let i = 0; i < UNIT_MS.length; i++) {
      const part = m[i + 1];
      if (part !== undefined) ms += Number(part) * UNIT_MS[i]!;
    }
  }
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
