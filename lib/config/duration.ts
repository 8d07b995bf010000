/**
 * Parses a duration as written in the config: a number of seconds (`2`, `0.5`) or a string with a unit
 * (`"500ms"`, `"2s"`, `"1.5m"`, `"1h"`, or a bare `"2"` meaning seconds).
 * @param value the raw TOML value
 * @returns milliseconds, or undefined when the value is not a positive duration
 * @example parseDuration("1.5s") // 1500
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number" || typeof value === "bigint") {
    const n = Number(value);
    return Number.isFinite(n) && n > 0 ? n * 1000 : undefined;
  }
  if (typeof value !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!m) return undefined;
  const unit = m[2] ?? "s";
  const ms = Number(m[1]) * (unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000);
  return ms > 0 ? ms : undefined;
}
