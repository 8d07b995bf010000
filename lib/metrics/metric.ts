/**
 * The disco.py metric frame: one ZeroMQ frame of UTF-8 text `metric <host> <json-object>`, the object
 * holding the published values (kept as the strings given) and `_time`, float unix seconds. Pure.
 *
 * ```
 * metric shed {"temperature": "73", "_time": 1683949549.367}
 * ^^^^^^ ^^^^ ^^^ json.dumps of the values, with _time added last
 * topic  host
 * ```
 */
import { isValidHostName } from "../text/index.ts";
import { MetricFrameError } from "./errors.ts";
import { pyJsonDumps, type JsonValue } from "../python/index.ts";

/** The frame's topic word (subscribe to it). */
export const METRIC_TOPIC = "metric";
/** The key disco.py adds with the publish time. */
export const TIME_KEY = "_time";

/** A metric as published and received. */
export interface Metric {
  /** The publishing host's name. */
  readonly host: string;
  /** The values, `_time` included (float unix seconds). */
  readonly values: Readonly<Record<string, JsonValue>>;
}

const FLOAT_KEYS = new Set([TIME_KEY]);
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/**
 * Builds a metric from values and a clock.
 * @param host host name (no whitespace)
 * @param values the values as given (strings stay strings)
 * @param nowMs wall-clock unix milliseconds
 * @throws {RangeError} on an empty host, whitespace in it, or a `_time` value given by the caller
 */
export function createMetric(host: string, values: Readonly<Record<string, JsonValue>>, nowMs: number): Metric {
  if (!host || /\s/.test(host)) throw new RangeError(`a metric host name must be one word, got ${JSON.stringify(host)}`);
  if (TIME_KEY in values) throw new RangeError(`${TIME_KEY} is added by the publisher`);
  return { host, values: { ...values, [TIME_KEY]: nowMs / 1000 } };
}

/**
 * Encodes a metric as its one frame.
 * @returns UTF-8 bytes of `metric <host> <json>`
 */
export function encodeMetric(metric: Metric): Uint8Array {
  return enc.encode(`${METRIC_TOPIC} ${metric.host} ${pyJsonDumps(metric.values, FLOAT_KEYS)}`);
}

/**
 * Decodes a metric frame.
 * @throws {MetricFrameError} when the frame is not UTF-8, has no `metric ` topic or host, or no JSON object
 */
export function decodeMetric(frame: Uint8Array): Metric {
  let text: string;
  try {
    text = dec.decode(frame);
  } catch (err) {
    throw new MetricFrameError("metric frame is not UTF-8", 0, { cause: err });
  }
  if (!text.startsWith(`${METRIC_TOPIC} `)) throw new MetricFrameError(`not a metric frame (expected '${METRIC_TOPIC} <host> <json>')`, 0);
  const hostStart = METRIC_TOPIC.length + 1;
  const hostEnd = text.indexOf(" ", hostStart);
  if (hostEnd <= hostStart) throw new MetricFrameError("metric frame has no host", hostStart);
  const host = text.slice(hostStart, hostEnd);
  let values: unknown;
  try {
    values = JSON.parse(text.slice(hostEnd + 1));
  } catch (err) {
    throw new MetricFrameError("metric values are not JSON", hostEnd + 1, { cause: err });
  }
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw new MetricFrameError("metric values are not a JSON object", hostEnd + 1);
  }
  return { host, values: values as Record<string, JsonValue> };
}

/**
 * A received frame as a metric, or undefined for a frame that is not one or whose host name breaks the host
 * name rule (lib/text): the name is printed and keyed on like a beacon's.
 */
export function acceptMetricFrame(frame: Uint8Array): Metric | undefined {
  let metric: Metric;
  try {
    metric = decodeMetric(frame);
  } catch (err) {
    if (err instanceof MetricFrameError) return undefined;
    throw err;
  }
  return isValidHostName(metric.host) ? metric : undefined;
}

/**
 * Formats a metric as disco.py's receiver prints it.
 * @returns e.g. `Metric(host=shed values={"temperature": "73", "_time": 1683949549.367})`
 */
export function formatMetric(metric: Metric): string {
  return `Metric(host=${metric.host} values=${pyJsonDumps(metric.values, FLOAT_KEYS)})`;
}
