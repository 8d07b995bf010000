/**
 * Prometheus text exposition format 0.0.4, written by hand: `# HELP`, `# TYPE`, then one line per sample.
 * Pure: metric families in, text out. Names are checked (a bad name is a programming error, a RangeError);
 * label values and help texts are escaped, so hostile host or service names cannot break a line.
 */

/** The content type of the text format. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Metric types the text format names. */
export type MetricType = "counter" | "gauge" | "untyped";

/** One sample of a family. */
export interface Sample {
  /** Label name -> value (any string: escaped on output). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One metric family: a name, its help text, its type and its samples. */
export interface MetricFamily {
  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`; a counter's name ends in `_total`. */
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Escapes a HELP text: backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Formats a sample value as Go's ParseFloat reads it: NaN, +Inf, -Inf, else the shortest decimal. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/**
 * Turns any text into a valid metric-name part: characters outside `[a-zA-Z0-9_]` become `_`, and a
 * leading digit gets a `_` in front.
 * @example sanitizeMetricName("cpu.temp-1") // "cpu_temp_1"
 */
export function sanitizeMetricName(text: string): string {
  const s = text.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(s) ? `_${s}` : s || "_";
}

function renderLabels(labels: Readonly<Record<string, string>> | undefined, family: string): string {
  if (!labels) return "";
  const keys = Object.keys(labels);
  if (keys.length === 0) return "";
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (!LABEL_NAME.test(k) || k.startsWith("__")) throw new RangeError(`${family}: invalid label name ${JSON.stringify(k)}`);
    out += `${i ? "," : ""}${k}="${escapeLabelValue(labels[k]!)}"`;
  }
  return out + "}";
}

/**
 * Renders families in the text format, in the order given. Families without samples are left out.
 * @returns the exposition text, ending with a line feed (empty when there is nothing)
 * @throws {RangeError} on an invalid metric or label name, a counter not named `*_total`, or a family name used twice
 */
export function renderExposition(families: readonly MetricFamily[]): string {
  const parts: string[] = [];
  const seen = new Set<string>();
  for (const f of families) {
    if (!METRIC_NAME.test(f.name)) throw new RangeError(`invalid metric name ${JSON.stringify(f.name)}`);
    if (f.type === "counter" && !f.name.endsWith("_total")) throw new RangeError(`counter ${f.name} must end in _total`);
    if (seen.has(f.name)) throw new RangeError(`metric family ${f.name} given twice`);
    seen.add(f.name);
    if (f.samples.length === 0) continue;
    parts.push(`# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`);
    for (const s of f.samples) parts.push(`${f.name}${renderLabels(s.labels, f.name)} ${formatValue(s.value)}\n`);
  }
  return parts.join("");
}
