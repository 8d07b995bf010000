/**
 * JSON as Python's `json.dumps` writes it with its defaults (separators `", "` and `": "`, `ensure_ascii`),
 * so metric frames and printed lines match disco.py, and legacy answers match PyDiscover, byte for byte.
 * Pure.
 */

/** A JSON value. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += s[i];
  }
  return `${out}"`;
}

/**
 * Formats a number as Python's `repr(float)` would (`1.0`, `1e+16`, `1.5e-07`), or as an int when
 * `float` is false and the number is whole.
 */
export function pyNumber(n: number, float: boolean): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
  if (!float && Number.isInteger(n)) return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
  const abs = Math.abs(n);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    // Python: exponent with a sign and at least two digits.
    const [m, e] = n.toExponential().split("e") as [string, string];
    const exp = Number(e);
    return `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const s = String(n);
  return s.includes(".") || s.includes("e") ? s : `${s}.0`;
}

/**
 * Serialises like Python's `json.dumps(value)`.
 * @param floatKeys object keys whose whole-number values are written as floats (`_time`)
 */
export function pyJsonDumps(value: JsonValue, floatKeys: ReadonlySet<string> = new Set()): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return pyNumber(value, false);
  if (typeof value === "string") return pyString(value);
  if (Array.isArray(value)) return `[${value.map((v) => pyJsonDumps(v, floatKeys)).join(", ")}]`;
  const entries = Object.entries(value as Record<string, JsonValue>);
  return `{${entries
    .map(([k, v]) => `${pyString(k)}: ${typeof v === "number" && floatKeys.has(k) ? pyNumber(v, true) : pyJsonDumps(v, floatKeys)}`)
    .join(", ")}}`;
}
